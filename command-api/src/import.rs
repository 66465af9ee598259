//! The apply step of a catalog import: rows of a catalog file (`catalog_io::Row`, parsed from
//! NDJSON or CSV) made into upserts by external id, one row at a time, in file order.
//!
//! An `Importer` is driven by whoever reads the file (an import job, a test): `apply` takes the
//! next row — or the `RowError` its record became — and says what happened to it
//! (`RowOutcome`), so a job can checkpoint after any row. It keeps no global state: the counts
//! and the first `MAX_ERRORS` errors (`ImportSummary`), and the (kind, external id) pairs seen
//! so far, to refuse a second row of one kind with one external id (`duplicate_in_file`; a few
//! dozen bytes per row, fine for 500k rows).
//!
//! Each row's references (a category's parent, a family's category and brand, a product's
//! family, an attribute's owner) are resolved to streams through the committed external id
//! claims (`Catalog::resolve_external_ids`); one that is unknown is `unknown_reference` on that
//! field. A refusal by the domain becomes one `RowError` per field error, with the code the API's
//! 422 or 409 would give (fields named as the row names them: `parent`, not `parent_id`). Rows
//! refer to rows above them, so a file imports in one pass when it lists categories parents
//! first, then attribute definitions, brands, families, products, prices, stock (as the export
//! writes it).
//!
//! Dry run appends nothing and checks, per row: that it parsed, that its external id is valid and
//! not repeated in the file, that every reference names a record that exists or a row above it
//! in the file, and that an attribute definition, a list price or a count on hand is valid on its
//! own. It does not decide the domain's commands, so what only the domain knows (a spec against
//! its schema, a sibling with the same name, a taken SKU) is found by the real run only.
//!
//! A price row sets the product's list price (its purchasing rules stay); a stock row brings the
//! count on hand in a warehouse to `on_hand`: a receipt for stock not yet there, else an
//! adjustment with reason `correction` (never below what orders hold reserved).
//!
//! A failure that is not the row's (the database is gone) is `ImportError`: the job stops, and
//! may resume at that row.

use std::collections::{HashMap, HashSet};

use catalog_io::{AttributeOwner, AttributeRow, Row, RowError};
use domain::category::CategoryCommand;
use domain::names::ExternalId;
use domain::{family, Aggregate, DefinitionInput, FieldError, StreamType};
use event_store::{Append, AppendError};
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use domain::commerce::stock::{self, AdjustmentReason};
use domain::commerce::{stock_id, terms, terms_id, Money, Quantity};

use crate::commerce::{self, as_stock, as_terms, state_of};
use crate::error::ApiError;
use crate::service::{prepare, Catalog, CommandContext, FamilySchema, Head};
use crate::upsert::{BrandFields, CategoryFields, FamilyFields, Outcome, ProductFields};

/// How many row errors a summary keeps; the count goes on.
pub const MAX_ERRORS: usize = 10_000;

/// What happened to one row.
#[derive(Clone, Debug, PartialEq)]
pub enum RowOutcome {
    /// Created or updated (events appended).
    Applied(Outcome),
    /// Already as the row says: nothing appended.
    Unchanged,
    /// Dry run: the row passed the checks a dry run makes (see the module comment).
    Checked,
    /// Not taken, each reason with the row number, field and code.
    Refused(Vec<RowError>),
}

/// The counts of an import so far. `applied` is `created + updated`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ImportSummary {
    pub read: u64,
    pub applied: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Dry run: rows that passed its checks.
    pub checked: u64,
    pub refused: u64,
    /// How many row errors there were in all (a row may have several).
    pub error_count: u64,
    /// The first `MAX_ERRORS` of them.
    pub errors: Vec<RowError>,
}

/// A failure that is not the row's: the import cannot go on.
#[derive(Debug, thiserror::Error)]
#[error("the import stopped at row {row}: {source}")]
pub struct ImportError {
    pub row: u64,
    #[source]
    pub source: anyhow::Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Category,
    Brand,
    Family,
    Product,
    /// An attribute is known by its owner and key.
    Attribute,
    /// A list price by its product, stock by its product and warehouse.
    Price,
    Stock,
}

/// Applies rows one at a time; see the module comment.
pub struct Importer<'a> {
    catalog: &'a Catalog,
    ctx: CommandContext,
    dry_run: bool,
    seen: HashSet<(Kind, String)>,
    summary: ImportSummary,
}

impl<'a> Importer<'a> {
    pub fn new(catalog: &'a Catalog, ctx: CommandContext, dry_run: bool) -> Importer<'a> {
        Importer { catalog, ctx, dry_run, seen: HashSet::new(), summary: ImportSummary::default() }
    }

    pub fn summary(&self) -> &ImportSummary {
        &self.summary
    }

    pub fn into_summary(self) -> ImportSummary {
        self.summary
    }

    /// Applies row `number` (from 1, as the file counts it) and counts what happened.
    pub async fn apply(&mut self, number: u64, row: Result<Row, RowError>) -> Result<RowOutcome, ImportError> {
        let outcome = match row {
            Err(error) => RowOutcome::Refused(vec![error]),
            Ok(row) => self.one(number, &row).await?,
        };
        Ok(self.count(outcome))
    }

    /// Applies `rows` (numbered, in file order) and says what happened to each, in the same
    /// order. Runs of product rows are decided together and appended as one transaction (see
    /// `products`); every other row is applied on its own. A failure that is not a row's stops
    /// at that row: the rows before it are applied, the rest are not.
    pub async fn apply_all(&mut self, rows: Vec<NumberedRow>) -> Result<Vec<(u64, RowOutcome)>, ImportError> {
        let mut done = Vec::with_capacity(rows.len());
        let mut products: Vec<(u64, Row)> = Vec::new();
        for (number, row) in rows {
            match row {
                Ok(row @ Row::Product { .. }) if !self.dry_run => products.push((number, row)),
                row => {
                    if !products.is_empty() {
                        done.extend(self.products(std::mem::take(&mut products)).await?);
                    }
                    let outcome = self.apply(number, row).await?;
                    done.push((number, outcome));
                }
            }
        }
        if !products.is_empty() {
            done.extend(self.products(products).await?);
        }
        Ok(done)
    }

    /// A row's outcome, counted (and refusals with the row's external id).
    fn count(&mut self, outcome: RowOutcome) -> RowOutcome {
        self.summary.read += 1;
        let summary = &mut self.summary;
        match &outcome {
            RowOutcome::Applied(Outcome::Created) => {
                summary.applied += 1;
                summary.created += 1;
            }
            RowOutcome::Applied(Outcome::Updated) => {
                summary.applied += 1;
                summary.updated += 1;
            }
            RowOutcome::Applied(Outcome::Unchanged) | RowOutcome::Unchanged => summary.unchanged += 1,
            RowOutcome::Checked => summary.checked += 1,
            RowOutcome::Refused(errors) => {
                summary.refused += 1;
                summary.error_count += errors.len() as u64;
                let room = MAX_ERRORS.saturating_sub(summary.errors.len());
                summary.errors.extend(errors.iter().take(room).cloned());
            }
        }
        match outcome {
            RowOutcome::Applied(Outcome::Unchanged) => RowOutcome::Unchanged,
            other => other,
        }
    }

    /// Decides one parsed row and appends its events on their own (uncounted).
    async fn one(&mut self, number: u64, row: &Row) -> Result<RowOutcome, ImportError> {
        match self.row(number, row).await {
            Ok(outcome) => Ok(outcome),
            Err(Refusal::Row(errors)) => Ok(RowOutcome::Refused(in_row(number, row, errors))),
            Err(Refusal::Fatal(source)) => Err(ImportError { row: number, source }),
        }
    }

    /// Product rows, together: their external ids and families resolved in two round trips, the
    /// existing products loaded in one, each row decided by the domain against its family's
    /// (cached) schema, and every decided row's events and claims appended in one transaction
    /// guarded by the schemas' versions. A row whose claims repeat one of an earlier row of the
    /// batch (the same SKU twice in a file), and every row of a batch whose append is refused
    /// (a concurrent command took a claim or changed a schema), is applied again on its own,
    /// which names the exact reason of a refusal.
    async fn products(&mut self, rows: Vec<(u64, Row)>) -> Result<Vec<(u64, RowOutcome)>, ImportError> {
        let first = rows.first().map_or(0, |(n, _)| *n);
        let fatal = |source: anyhow::Error| ImportError { row: first, source };
        let mut outcomes: Vec<(u64, Option<RowOutcome>)> = Vec::with_capacity(rows.len());
        // Rows refused before their references are looked up, and the ids to look up.
        let mut wanted: Vec<Option<(ExternalId, ExternalId)>> = Vec::with_capacity(rows.len());
        for (number, row) in &rows {
            let Row::Product { external_id: id, family, .. } = row else { continue };
            let checked = self
                .claim_in_file(*number, row)
                .and_then(|()| Ok((external_id(*number, "external_id", id)?, external_id(*number, "family", family)?)));
            match checked {
                Ok(ids) => {
                    outcomes.push((*number, None));
                    wanted.push(Some(ids));
                }
                Err(refusal) => {
                    outcomes.push((*number, Some(self.refusal(*number, row, refusal)?)));
                    wanted.push(None);
                }
            }
        }
        let product_ids: Vec<ExternalId> = wanted.iter().flatten().map(|(p, _)| p.clone()).collect();
        let family_ids: Vec<ExternalId> = wanted.iter().flatten().map(|(_, f)| f.clone()).collect();
        let known = self.catalog.resolve_external_ids(StreamType::Product, &product_ids).await;
        let families = self.catalog.resolve_external_ids(StreamType::Family, &family_ids).await;
        let (known, families) = match (known, families) {
            (Ok(known), Ok(families)) => (known, families),
            (Err(error), _) | (_, Err(error)) => return Err(fatal(anyhow::anyhow!(error.to_string()))),
        };
        let existing: Vec<Uuid> = known.values().copied().collect();
        let heads = self.catalog.product_heads(&existing).await.map_err(|e| fatal(anyhow::anyhow!(e.to_string())))?;

        let mut appends = Vec::new();
        let mut decided: Vec<(usize, Outcome, Uuid)> = Vec::new();
        let mut again: Vec<usize> = Vec::new();
        let mut claimed: HashSet<String> = HashSet::new();
        let mut guards: Vec<(Uuid, i64)> = Vec::new();
        for (index, ((number, row), ids)) in rows.iter().zip(&wanted).enumerate() {
            let (Some((product_id, family_id)), Row::Product { name, sku, specs, .. }) = (ids, row) else { continue };
            let Some(family) = families.get(family_id).copied() else {
                let refusal = refused(
                    *number,
                    "family",
                    "unknown_reference",
                    format!("no family has external id {:?} (nor a row above)", family_id.as_str()),
                );
                outcomes[index].1 = Some(self.refusal(*number, row, refusal)?);
                continue;
            };
            let decision =
                self.decide_product(family, known.get(product_id).copied(), &heads, product_id, name, sku, specs).await;
            match decision {
                Err(refusal) => outcomes[index].1 = Some(self.refusal(*number, row, refusal)?),
                Ok(None) => outcomes[index].1 = Some(RowOutcome::Unchanged),
                Ok(Some((append, outcome, schema_guards))) => {
                    if append.claims.iter().any(|(claim, _)| claimed.contains(claim)) {
                        again.push(index);
                        continue;
                    }
                    claimed.extend(append.claims.iter().map(|(claim, _)| claim.clone()));
                    for guard in schema_guards {
                        if !guards.contains(&guard) {
                            guards.push(guard);
                        }
                    }
                    appends.push(append);
                    decided.push((index, outcome, family));
                }
            }
        }
        match self.catalog.append_all(&self.ctx, appends, &guards).await {
            Ok(Ok(_)) => {
                for (index, outcome, _) in &decided {
                    outcomes[*index].1 = Some(RowOutcome::Applied(*outcome));
                }
            }
            Ok(Err(AppendError::Unmet(_))) => {
                return Err(fatal(anyhow::anyhow!("the importing user was disabled or lost the rights to import")))
            }
            Ok(Err(_refused)) => {
                // Decided on a state that moved meanwhile: each row again, on its own.
                for (index, _, family) in &decided {
                    self.catalog.forget_schema(*family);
                    again.push(*index);
                }
            }
            Err(error) => return Err(fatal(anyhow::anyhow!(error.to_string()))),
        }
        again.sort_unstable();
        for index in again {
            let (number, row) = &rows[index];
            // Its id was noted as seen; `one` notes it again.
            if let Ok((kind, key)) = key_of(*number, row) {
                self.seen.remove(&(kind, key));
            }
            outcomes[index].1 = Some(self.one(*number, row).await?);
        }
        Ok(outcomes
            .into_iter()
            .map(|(number, outcome)| (number, self.count(outcome.unwrap_or(RowOutcome::Unchanged))))
            .collect())
    }

    /// Notes the row's (kind, id) as seen in the file, or refuses it as `duplicate_in_file`.
    fn claim_in_file(&mut self, number: u64, row: &Row) -> Result<(), Refusal> {
        let (kind, key) = key_of(number, row)?;
        if self.seen.insert((kind, key.clone())) {
            return Ok(());
        }
        let message = format!(
            "a row above has the same {} {key:?}",
            match kind {
                Kind::Attribute => "owner and key",
                Kind::Price => "product",
                Kind::Stock => "product and warehouse",
                _ => "external id",
            }
        );
        Err(refused(number, "external_id", "duplicate_in_file", message))
    }

    /// A row's refusal as its outcome (its id no longer seen: a refused row makes nothing known),
    /// or the failure that stops the import.
    fn refusal(&mut self, number: u64, row: &Row, refusal: Refusal) -> Result<RowOutcome, ImportError> {
        match refusal {
            Refusal::Row(errors) => {
                if let (Ok(key), false) = (key_of(number, row), errors.iter().any(|e| e.code == "duplicate_in_file")) {
                    self.seen.remove(&key);
                }
                Ok(RowOutcome::Refused(in_row(number, row, errors)))
            }
            Refusal::Fatal(source) => Err(ImportError { row: number, source }),
        }
    }

    /// Decides one product row of a batch: its append (`prepare`d, not yet appended), whether it
    /// creates or updates, and the schema versions it was decided on; `None` when the product
    /// already is as the row says.
    #[allow(clippy::too_many_arguments)]
    async fn decide_product(
        &self,
        family_id: Uuid,
        existing: Option<Uuid>,
        heads: &HashMap<Uuid, Head>,
        external: &ExternalId,
        name: &str,
        sku: &Option<String>,
        specs: &Map<String, Value>,
    ) -> Result<Option<(Append, Outcome, Vec<(Uuid, i64)>)>, Refusal> {
        let schema = self.catalog.family_schema(family_id).await.map_err(fatal_or_row)?.ok_or_else(|| {
            Refusal::Row(vec![RowError::new(
                0,
                "family",
                "unknown_reference",
                format!("family {family_id} does not exist"),
            )])
        })?;
        let specs = typed(Some(&schema), specs);
        let fields = ProductFields { family_id, name: name.to_owned(), sku: sku.clone(), specs };
        let (events, own, outcome) = match existing {
            None => {
                let command = crate::upsert::product_command(Uuid::now_v7(), &fields, Some(external.as_str()));
                let events = domain::product::create(&schema.family, &schema.schema, command);
                (events, HashMap::new(), Outcome::Created)
            }
            Some(id) => {
                let Some(head) = heads.get(&id) else {
                    return Err(Refusal::Fatal(anyhow::anyhow!("product {id} holds an external id but has no events")));
                };
                let Aggregate::Product(current) = &head.state else {
                    return Err(Refusal::Fatal(anyhow::anyhow!("stream {id} holds a product's external id")));
                };
                let command = crate::upsert::product_command(id, &fields, None);
                let events = domain::product::revise(current, family_id, &schema.family, &schema.schema, &command);
                (events, HashMap::from([(id, head.clone())]), Outcome::Updated)
            }
        };
        let events = events.map_err(|e| fatal_or_row(e.into()))?;
        if events.is_empty() {
            return Ok(None);
        }
        let (append, _) = prepare(&own, events).map_err(fatal_or_row)?;
        Ok(Some((append, outcome, schema.guards.clone())))
    }

    /// Counts a row handled before (by a run of the same job that stopped after it) as seen, for
    /// `duplicate_in_file`, without applying or counting it. `refused` says whether it was refused
    /// then: a refused row does not make its id known.
    pub fn note_seen(&mut self, number: u64, row: &Result<Row, RowError>, refused: bool) {
        if let (Ok(row), false) = (row, refused) {
            if let Ok(key) = key_of(number, row) {
                self.seen.insert(key);
            }
        }
    }

    async fn row(&mut self, number: u64, row: &Row) -> Result<RowOutcome, Refusal> {
        let (kind, key) = key_of(number, row)?;
        if !self.seen.insert((kind, key.clone())) {
            let message = format!(
                "a row above has the same {} {key:?}",
                match kind {
                    Kind::Attribute => "owner and key",
                    Kind::Price => "product",
                    Kind::Stock => "product and warehouse",
                    _ => "external id",
                }
            );
            return Err(refused(number, "external_id", "duplicate_in_file", message));
        }
        let outcome = self.decide(number, row).await;
        if outcome.is_err() && matches!(kind, Kind::Category | Kind::Brand | Kind::Family | Kind::Product) {
            // A refused row does not make its id known to the rows below (in a dry run above all).
            self.seen.remove(&(kind, key));
        }
        outcome
    }

    async fn decide(&self, number: u64, row: &Row) -> Result<RowOutcome, Refusal> {
        let catalog = self.catalog;
        let ctx = &self.ctx;
        match row {
            Row::Category { external_id: id, name, parent } => {
                let id = external_id(number, "external_id", id)?;
                let parent_id = match parent {
                    Some(parent) => Some(self.reference(number, "parent", Kind::Category, parent).await?),
                    None => None,
                };
                if self.dry_run {
                    return Ok(RowOutcome::Checked);
                }
                let fields = CategoryFields { name: name.clone(), parent_id: parent_id.flatten() };
                upserted(catalog.upsert_category(ctx, &id, &fields).await)
            }
            Row::Brand { external_id: id, name } => {
                let id = external_id(number, "external_id", id)?;
                if self.dry_run {
                    return Ok(RowOutcome::Checked);
                }
                upserted(catalog.upsert_brand(ctx, &id, &BrandFields { name: name.clone() }).await)
            }
            Row::Family { external_id: id, category, brand, name, code } => {
                let id = external_id(number, "external_id", id)?;
                let category_id = self.reference(number, "category", Kind::Category, category).await?;
                let brand_id = match brand {
                    Some(brand) => self.reference(number, "brand", Kind::Brand, brand).await?,
                    None => None,
                };
                let (Some(category_id), false) = (category_id, self.dry_run) else {
                    return Ok(RowOutcome::Checked);
                };
                let fields = FamilyFields { category_id, brand_id, name: name.clone(), code: code.clone() };
                upserted(catalog.upsert_family(ctx, &id, &fields).await)
            }
            Row::Product { external_id: id, family, name, sku, specs } => {
                let id = external_id(number, "external_id", id)?;
                let family_id = self.reference(number, "family", Kind::Family, family).await?;
                let (Some(family_id), false) = (family_id, self.dry_run) else {
                    return Ok(RowOutcome::Checked);
                };
                let specs = self.typed_specs(family_id, specs).await?;
                let fields = ProductFields { family_id, name: name.clone(), sku: sku.clone(), specs };
                upserted(catalog.upsert_product(ctx, &id, &fields).await)
            }
            Row::Attribute(attribute) => self.attribute(number, attribute).await,
            Row::Price { product, amount_minor, currency } => {
                let price = Money::parse_price("price", *amount_minor, currency).map_err(|errors| {
                    let errors = errors
                        .into_iter()
                        .map(|e| FieldError { field: e.field.trim_start_matches("price.").to_owned(), ..e })
                        .collect();
                    Refusal::Row(row_errors(number, errors))
                })?;
                let Some(product_id) = self.reference(number, "product", Kind::Product, product).await? else {
                    return Ok(RowOutcome::Checked);
                };
                if self.dry_run {
                    return Ok(RowOutcome::Checked);
                }
                self.list_price(product_id, price).await
            }
            Row::Stock { product, warehouse_id, on_hand } => {
                let on_hand = u64::try_from(*on_hand)
                    .map_err(|_| refused(number, "on_hand", "negative_quantity", "on_hand is zero or more"))?;
                let Some(product_id) = self.reference(number, "product", Kind::Product, product).await? else {
                    return Ok(RowOutcome::Checked);
                };
                if self.dry_run {
                    return Ok(RowOutcome::Checked);
                }
                self.stock(product_id, *warehouse_id, on_hand).await
            }
        }
    }

    /// Sets the product's list price (its purchasing rules stay as they are).
    async fn list_price(&self, product_id: Uuid, price: Money) -> Result<RowOutcome, Refusal> {
        let product = commerce::product(self.catalog, product_id, Some("product")).await.map_err(fatal_or_row)?;
        let id = terms_id(product_id);
        let mut existed = false;
        let mut changed = false;
        let load = || async { Ok((self.catalog.heads(&[id]).await?, ())) };
        let committed = self
            .catalog
            .change_contended(&self.ctx, load, |heads, _| {
                let current = state_of(heads, id, as_terms);
                existed = current.and_then(|t| t.list_price).is_some();
                let events = terms::set_list_price(&product, current, Some(price))?;
                changed = !events.is_empty();
                Ok(events)
            })
            .await;
        upserted(committed.map(|_| outcome_of(existed, changed)))
    }

    /// Brings the count on hand to `on_hand`: a receipt for new stock, else a correction.
    async fn stock(&self, product_id: Uuid, warehouse_id: Uuid, on_hand: u64) -> Result<RowOutcome, Refusal> {
        commerce::product(self.catalog, product_id, Some("product")).await.map_err(fatal_or_row)?;
        let id = stock_id(product_id, warehouse_id);
        let (mut existed, mut changed) = (false, false);
        let load = || async { Ok((self.catalog.heads(&[id]).await?, ())) };
        let committed = self
            .catalog
            .change_contended(&self.ctx, load, |heads, _| {
                let current = state_of(heads, id, as_stock);
                existed = current.is_some();
                let events: Vec<domain::NewEvent> = match current {
                    None if on_hand == 0 => Vec::new(),
                    None => {
                        let quantity = i64::try_from(on_hand).unwrap_or(i64::MAX);
                        let quantity = Quantity::parse("on_hand", quantity).map_err(|e| ApiError::Invalid(vec![e]))?;
                        stock::receive(None, product_id, warehouse_id, quantity)?
                    }
                    Some(current) if current.on_hand == on_hand => Vec::new(),
                    Some(current) => {
                        let by = i128::from(on_hand) - i128::from(current.on_hand);
                        let by = i64::try_from(by).map_err(|_| {
                            ApiError::Invalid(vec![FieldError::new("on_hand", "too_large", "on_hand is too large")])
                        })?;
                        stock::adjust(current, by, AdjustmentReason::Correction)?
                    }
                };
                changed = !events.is_empty();
                Ok(events)
            })
            .await;
        upserted(committed.map(|_| outcome_of(existed, changed)))
    }

    /// The stream `external_id` names (`None` in a dry run for a row above that would create
    /// it), or `unknown_reference` on `field`.
    async fn reference(&self, number: u64, field: &str, kind: Kind, text: &str) -> Result<Option<Uuid>, Refusal> {
        let id = external_id(number, field, text)?;
        let stream = match kind {
            Kind::Category => StreamType::Category,
            Kind::Brand => StreamType::Brand,
            Kind::Family => StreamType::Family,
            Kind::Product | Kind::Attribute | Kind::Price | Kind::Stock => StreamType::Product,
        };
        let found = self.catalog.resolve_external_id(stream, &id).await.map_err(fatal_or_row)?;
        match found {
            Some(stream_id) => Ok(Some(stream_id)),
            None if self.dry_run && self.seen.contains(&(kind, id.as_str().to_owned())) => Ok(None),
            None => Err(refused(
                number,
                field,
                "unknown_reference",
                format!("no {} has external id {:?} (nor a row above)", stream.as_str(), id.as_str()),
            )),
        }
    }

    /// A CSV's spec cells are text: made the attribute's type as the family's schema says
    /// (`catalog_io::coerce_spec`). NDJSON values are left as given.
    async fn typed_specs(&self, family_id: Uuid, specs: &Map<String, Value>) -> Result<Map<String, Value>, Refusal> {
        if !specs.values().any(Value::is_string) {
            return Ok(specs.clone());
        }
        let schema = self.catalog.family_schema(family_id).await.map_err(fatal_or_row)?;
        Ok(typed(schema.as_deref(), specs))
    }

    /// Defines the attribute on its owner, unless the owner already has that very definition.
    async fn attribute(&self, number: u64, row: &AttributeRow) -> Result<RowOutcome, Refusal> {
        let (kind, field) = match row.owner {
            AttributeOwner::Category => (Kind::Category, "owner_id"),
            AttributeOwner::Family => (Kind::Family, "owner_id"),
        };
        let owner = self.reference(number, field, kind, &row.owner_id).await?;
        let input = definition_input(number, row)?;
        let parsed = input.clone().parse().map_err(|errors| Refusal::Row(row_errors(number, errors)))?;
        let (Some(owner), false) = (owner, self.dry_run) else {
            return Ok(RowOutcome::Checked);
        };
        let key = row.key.clone();
        let mut existed = None;
        let committed = self
            .catalog
            .change_structure(&self.ctx, &[owner], |tree, heads| {
                let (current, events) = match row.owner {
                    AttributeOwner::Category => {
                        let current = tree.get(owner).and_then(|c| c.attributes.get(key.as_str()).cloned());
                        if current.as_ref() == Some(&parsed) {
                            return Ok(Vec::new());
                        }
                        (current, tree.decide(CategoryCommand::DefineAttribute { id: owner, key: key.clone(), input })?)
                    }
                    AttributeOwner::Family => {
                        let Some(Aggregate::Family(family)) = heads.get(&owner).map(|h| &h.state) else {
                            return Err(ApiError::NotFound(format!("family {owner} does not exist")));
                        };
                        let current = family.attributes.get(key.as_str()).cloned();
                        if current.as_ref() == Some(&parsed) {
                            return Ok(Vec::new());
                        }
                        (current, family::define_attribute(tree, family, &key, input)?)
                    }
                };
                existed = Some(current.is_some());
                Ok(events)
            })
            .await;
        upserted(committed.map(|_| match existed {
            None => Outcome::Unchanged,
            Some(true) => Outcome::Updated,
            Some(false) => Outcome::Created,
        }))
    }
}

/// Specs with a CSV's text cells made the types `schema` gives their attributes.
fn typed(schema: Option<&FamilySchema>, specs: &Map<String, Value>) -> Map<String, Value> {
    if !specs.values().any(Value::is_string) {
        return specs.clone();
    }
    specs
        .iter()
        .map(|(key, value)| {
            let kind = schema.and_then(|s| s.schema.get(key)).map(|a| a.definition.kind.name());
            (key.clone(), kind.map_or_else(|| value.clone(), |kind| catalog_io::coerce_spec(kind, value.clone())))
        })
        .collect()
}

/// A refusal's errors in the row's number and external id.
fn in_row(number: u64, row: &Row, errors: Vec<RowError>) -> Vec<RowError> {
    let external_id = Some(row.external_id().to_owned());
    errors.into_iter().map(|e| RowError { row: number, external_id: external_id.clone(), ..e }).collect()
}

/// A row of a file with its number (from 1), or the error its record became.
pub type NumberedRow = (u64, Result<Row, RowError>);

fn outcome_of(existed: bool, changed: bool) -> Outcome {
    match (existed, changed) {
        (_, false) => Outcome::Unchanged,
        (true, true) => Outcome::Updated,
        (false, true) => Outcome::Created,
    }
}

/// Applies `rows` (each with its row number) in order and sums them up: `Importer` for one call.
/// Stops at a failure that is not a row's, returning what was done so far with it.
pub async fn apply_rows(
    catalog: &Catalog,
    ctx: &CommandContext,
    rows: impl IntoIterator<Item = NumberedRow>,
    dry_run: bool,
) -> Result<ImportSummary, (ImportSummary, ImportError)> {
    let mut importer = Importer::new(catalog, ctx.clone(), dry_run);
    match importer.apply_all(rows.into_iter().collect()).await {
        Ok(_) => Ok(importer.into_summary()),
        Err(error) => Err((importer.into_summary(), error)),
    }
}

/// What makes a row one of a kind in a file (`duplicate_in_file`).
fn key_of(number: u64, row: &Row) -> Result<(Kind, String), Refusal> {
    let (kind, key) = match row {
        Row::Category { external_id, .. } => (Kind::Category, external_id.clone()),
        Row::Brand { external_id, .. } => (Kind::Brand, external_id.clone()),
        Row::Family { external_id, .. } => (Kind::Family, external_id.clone()),
        Row::Product { external_id, .. } => (Kind::Product, external_id.clone()),
        Row::Attribute(a) => (Kind::Attribute, format!("{:?}:{}:{}", a.owner, a.owner_id.trim(), a.key)),
        Row::Price { product, .. } => (Kind::Price, product.trim().to_owned()),
        Row::Stock { product, warehouse_id, .. } => (Kind::Stock, format!("{}:{warehouse_id}", product.trim())),
    };
    let key = match kind {
        Kind::Attribute | Kind::Price | Kind::Stock => key,
        _ => external_id(number, "external_id", &key)?.as_str().to_owned(),
    };
    Ok((kind, key))
}

enum Refusal {
    Row(Vec<RowError>),
    Fatal(anyhow::Error),
}

fn refused(number: u64, field: &str, code: &str, message: impl Into<String>) -> Refusal {
    Refusal::Row(vec![RowError::new(number, field, code, message)])
}

fn external_id(number: u64, field: &str, text: &str) -> Result<ExternalId, Refusal> {
    ExternalId::parse(text).map_err(|e| refused(number, field, &e.code, e.message))
}

trait Decided {
    fn outcome(self) -> Outcome;
}

impl Decided for crate::upsert::Upserted {
    fn outcome(self) -> Outcome {
        self.outcome
    }
}

impl Decided for Outcome {
    fn outcome(self) -> Outcome {
        self
    }
}

fn upserted<T: Decided>(result: Result<T, ApiError>) -> Result<RowOutcome, Refusal> {
    match result {
        Ok(done) => Ok(match done.outcome() {
            Outcome::Unchanged => RowOutcome::Unchanged,
            outcome => RowOutcome::Applied(outcome),
        }),
        Err(error) => Err(fatal_or_row(error)),
    }
}

/// A refusal as the API would answer it, named in the row's fields; an internal error stops.
fn fatal_or_row(error: ApiError) -> Refusal {
    let errors = match error {
        ApiError::Internal(source) => return Refusal::Fatal(source),
        ApiError::Invalid(errors) => errors,
        ApiError::Conflict { detail, errors } if errors.is_empty() => vec![FieldError::new("", "conflict", detail)],
        ApiError::Conflict { errors, .. } => errors,
        ApiError::NotFound(detail) => vec![FieldError::new("", "not_found", detail)],
        ApiError::Unauthorized(detail) | ApiError::Forbidden(detail) => {
            // The importing actor lost its rights: no later row would fare better.
            return Refusal::Fatal(anyhow::anyhow!(detail));
        }
        other => vec![FieldError::new("", "invalid", other.to_string())],
    };
    Refusal::Row(row_errors(0, errors))
}

/// The API's field names as the row spells them.
fn row_errors(number: u64, errors: Vec<FieldError>) -> Vec<RowError> {
    let renamed: HashMap<&str, &str> =
        [("parent_id", "parent"), ("category_id", "category"), ("brand_id", "brand"), ("family_id", "family")].into();
    errors
        .into_iter()
        .map(|e| {
            let field = renamed.get(e.field.as_str()).map_or(e.field.clone(), |f| (*f).to_owned());
            RowError::new(number, field, &e.code, e.message)
        })
        .collect()
}

fn definition_input(number: u64, row: &AttributeRow) -> Result<DefinitionInput, Refusal> {
    let kind = serde_json::from_value(serde_json::Value::String(row.attribute_type.clone()))
        .map_err(|e| refused(number, "type", "invalid_type", e.to_string()))?;
    Ok(DefinitionInput {
        label: Some(row.label.clone()),
        kind: Some(kind),
        unit: row.unit.clone(),
        min: row.min,
        max: row.max,
        options: (!row.options.is_empty()).then(|| row.options.clone()),
        regex: row.regex.clone(),
        required: row.required,
        variant_defining: row.variant_defining,
        filterable: row.filterable,
        searchable: row.searchable,
    })
}
