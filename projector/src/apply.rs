//! Applying events to the read model, inside the caller's transaction, with the search path set to
//! the schema being written (the live `catalog`, or a rebuild's copy).
//!
//! A batch is applied in three steps: the touched rows' states are loaded and the events folded
//! into them with the domain's own `evolve` (so the read model can never disagree with the write
//! side on what an event means); the changed rows are written back, one statement per table; then
//! what derives from other rows is refreshed — resolved attribute sets and ancestor names below a
//! changed category, and every product's family, brand, category and schema columns when those
//! changed. Per stream, an event at or below the row's version is skipped: applying a batch twice
//! changes nothing. Commerce streams are written by `commerce`.

mod commerce;

use std::collections::{HashMap, HashSet};

use domain::category::{Category, CategoryTree};
use domain::family::Family;
use domain::product::Product;
use domain::search::{terms, value_terms};
use domain::specs::Specs;
use domain::{evolve, format_path, Aggregate, Event, StreamType};
use event_store::StoredEvent;
use read_store::tsvector_text;
use serde_json::{json, Value};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("read database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("event {position} ({event_type} on {stream_id}) cannot be applied: {reason}")]
    Event { position: i64, event_type: String, stream_id: Uuid, reason: String },
}

impl ApplyError {
    fn event(event: &StoredEvent, reason: impl ToString) -> Self {
        ApplyError::Event {
            position: event.position,
            event_type: event.event_type.clone(),
            stream_id: event.stream_id,
            reason: reason.to_string(),
        }
    }
}

/// A stream's row as loaded and as it will be written.
#[derive(Debug)]
struct Row {
    version: i64,
    position: i64,
    state: Aggregate,
}

/// What a batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub events: usize,
    /// Events skipped because their stream's row already had them.
    pub skipped: usize,
}

/// Applies `events` (in global order) to the read model of the transaction's search path.
pub async fn apply(conn: &mut PgConnection, events: &[StoredEvent]) -> Result<Applied, ApplyError> {
    let ids: Vec<Uuid> = events.iter().map(|e| e.stream_id).collect::<HashSet<_>>().into_iter().collect();
    let mut rows = load(conn, &ids).await?;
    let existed: HashSet<Uuid> = rows.keys().copied().collect();
    let mut changed: Vec<Uuid> = Vec::new();
    let mut history = Vec::new();
    let mut applied = Applied::default();
    for stored in events {
        if !StreamType::projected(&stored.stream_type) {
            // Users and companies stay on the write side: nothing of them is served by queries.
            applied.skipped += 1;
            continue;
        }
        let current = rows.get(&stored.stream_id);
        let version = current.map_or(0, |r| r.version);
        if stored.version <= version {
            applied.skipped += 1;
            continue;
        }
        if stored.version != version + 1 {
            return Err(ApplyError::event(stored, format!("the read model has its stream at version {version}")));
        }
        let event = Event::from_stored(&stored.event_type, stored.schema_version, &stored.payload)
            .map_err(|e| ApplyError::event(stored, e))?;
        let state = evolve(current.map(|r| r.state.clone()), stored.stream_id, &event)
            .map_err(|e| ApplyError::event(stored, e))?;
        history.extend(commerce::history_entry(stored, &event));
        rows.insert(stored.stream_id, Row { version: stored.version, position: stored.position, state });
        if !changed.contains(&stored.stream_id) {
            changed.push(stored.stream_id);
        }
        applied.events += 1;
    }
    let changed: Vec<(Uuid, &Row)> = changed.iter().filter_map(|id| rows.get(id).map(|r| (*id, r))).collect();
    write(conn, &changed, &existed, &history).await?;
    refresh_derived(conn, &changed).await?;
    Ok(applied)
}

/// The current rows of the streams named, from whichever table holds each.
async fn load(conn: &mut PgConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Row>, ApplyError> {
    let mut rows = HashMap::new();
    let snapshots: Vec<(Uuid, i64, i64, Value)> = sqlx::query_as(
        "SELECT id, version, position, state FROM categories WHERE id = ANY($1) \
         UNION ALL SELECT id, version, position, state FROM brands WHERE id = ANY($1) \
         UNION ALL SELECT id, version, position, state FROM families WHERE id = ANY($1) \
         UNION ALL SELECT id, version, position, state FROM synonyms WHERE id = ANY($1) \
         UNION ALL SELECT id, version, position, state FROM product_terms WHERE id = ANY($1) \
         UNION ALL SELECT id, version, position, state FROM price_lists WHERE id = ANY($1) \
         UNION ALL SELECT id, version, position, state FROM stock WHERE id = ANY($1) \
         UNION ALL SELECT id, version, position, state FROM carts WHERE id = ANY($1) \
         UNION ALL SELECT id, version, position, state FROM orders WHERE id = ANY($1)",
    )
    .bind(ids)
    // Planned for the batch at hand: a plan cached while a table was small (a rebuild's copy starts
    // empty) would scan the whole table for every batch once it is large.
    .persistent(false)
    .fetch_all(&mut *conn)
    .await?;
    for (id, version, position, state) in snapshots {
        let state = serde_json::from_value(state).map_err(|e| unreadable(id, e))?;
        rows.insert(id, Row { version, position, state });
    }
    // Products keep no snapshot: their columns are their state.
    let products: Vec<ProductColumns> = sqlx::query_as(
        "SELECT id, version, position, family_id, name, sku, specs, variant_key, retired, external_id \
           FROM products WHERE id = ANY($1)",
    )
    .bind(ids)
    .persistent(false)
    .fetch_all(&mut *conn)
    .await?;
    for (id, version, position, family_id, name, sku, specs, variant_key, retired, external_id) in products {
        let product = Product {
            id,
            family_id,
            name,
            sku: serde_json::from_value(Value::String(sku)).map_err(|e| unreadable(id, e))?,
            specs: serde_json::from_value(specs).map_err(|e| unreadable(id, e))?,
            variant_key,
            retired,
            external_id: external_id
                .map(|e| serde_json::from_value(Value::String(e)))
                .transpose()
                .map_err(|e| unreadable(id, e))?,
        };
        rows.insert(id, Row { version, position, state: Aggregate::Product(product) });
    }
    Ok(rows)
}

/// id, version, position, family_id, name, sku, specs, variant_key, retired, external_id.
type ProductColumns = (Uuid, i64, i64, Uuid, String, String, Value, Option<String>, bool, Option<String>);

fn unreadable(id: Uuid, error: serde_json::Error) -> ApplyError {
    ApplyError::Database(sqlx::Error::Decode(format!("read-model row {id} is unreadable: {error}").into()))
}

/// Column arrays for one table's upsert.
#[derive(Default)]
struct Columns {
    ids: Vec<Uuid>,
    versions: Vec<i64>,
    positions: Vec<i64>,
    states: Vec<Value>,
    /// The row's search terms, as `tsvector` text.
    terms: Vec<String>,
}

impl Columns {
    fn push(&mut self, id: Uuid, row: &Row, text: &str, words: &mut Lexicon) -> Result<(), ApplyError> {
        self.ids.push(id);
        self.versions.push(row.version);
        self.positions.push(row.position);
        self.states.push(serde_json::to_value(&row.state).map_err(|e| unreadable(id, e))?);
        let found = terms(text);
        words.add(&found);
        self.terms.push(tsvector_text(found));
        Ok(())
    }
}

/// The words a batch wrote, for the lexicon the query API corrects typing errors against:
/// letters only, three or more.
#[derive(Default)]
struct Lexicon(HashSet<String>);

impl Lexicon {
    fn add(&mut self, terms: &[String]) {
        for term in terms {
            if term.chars().count() >= 3 && term.chars().all(char::is_alphabetic) && !self.0.contains(term) {
                self.0.insert(term.clone());
            }
        }
    }

    async fn write(self, conn: &mut PgConnection) -> Result<(), ApplyError> {
        if self.0.is_empty() {
            return Ok(());
        }
        let mut words: Vec<String> = self.0.into_iter().collect();
        // In one order, so that concurrent lanes of a rebuild never wait on each other in a cycle.
        words.sort_unstable();
        sqlx::query("INSERT INTO lexicon (term) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING")
            .bind(&words)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}

/// Longer text values are descriptions, not facet values.
const FACET_TEXT_MAX: usize = 100;

/// A product's specs as facet entries (see the `facets` column), separated by U+001E (a spec
/// value never holds a control character), for `string_to_array` in SQL.
fn facet_entries(specs: &Specs) -> String {
    use domain::specs::SpecValue;
    let mut entries: Vec<String> = Vec::new();
    for (key, value) in specs {
        let key = key.as_str();
        match value {
            SpecValue::Number(q) => entries.push(format!("{key}#{}", q.base_value)),
            SpecValue::Text(text) if text.chars().count() <= FACET_TEXT_MAX => entries.push(format!("{key}={text}")),
            SpecValue::Text(_) => {}
            SpecValue::List(items) => entries.extend(items.iter().map(|item| format!("{key}={item}"))),
            SpecValue::Boolean(flag) => entries.push(format!("{key}={flag}")),
        }
    }
    entries.join("\u{1e}")
}

/// The terms of the values of a product's searchable specs.
fn spec_terms(specs: &Specs, searchable: &[String]) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for (key, value) in specs {
        if searchable.iter().any(|k| k == key.as_str()) {
            for term in value_terms(value) {
                if !found.contains(&term) {
                    found.push(term);
                }
            }
        }
    }
    found
}

/// Writes the changed rows: one upsert per table. Categories, brands and families are written from
/// their snapshots (the columns are taken from the JSON in SQL); products from their fields;
/// commerce rows and the orders' `history` by `commerce`.
async fn write(
    conn: &mut PgConnection,
    changed: &[(Uuid, &Row)],
    existed: &HashSet<Uuid>,
    history: &[commerce::HistoryEntry],
) -> Result<(), ApplyError> {
    let (mut categories, mut brands, mut families) = (Columns::default(), Columns::default(), Columns::default());
    let mut synonyms = Columns::default();
    let mut phrases: Vec<Value> = Vec::new();
    let mut products: Vec<(Uuid, &Row, &Product)> = Vec::new();
    let mut words = Lexicon::default();
    let mut trade = commerce::Commerce::default();
    for (id, row) in changed {
        if trade.take(*id, row)? {
            continue;
        }
        match &row.state {
            Aggregate::Category(c) => categories.push(*id, row, &c.name, &mut words)?,
            Aggregate::Brand(b) => brands.push(*id, row, &b.name, &mut words)?,
            Aggregate::Family(f) => families.push(*id, row, &format!("{} {}", f.name, f.code.as_str()), &mut words)?,
            Aggregate::Product(p) => products.push((*id, row, p)),
            Aggregate::Synonyms(set) => {
                synonyms.push(*id, row, "", &mut words)?;
                phrases.push(json!(set.terms()));
            }
            // Identity streams are never loaded nor folded (`apply` skips their events); commerce
            // rows were taken above.
            Aggregate::User(_)
            | Aggregate::Company(_)
            | Aggregate::ProductTerms(_)
            | Aggregate::PriceList(_)
            | Aggregate::Stock(_)
            | Aggregate::Cart(_)
            | Aggregate::Order(_) => {}
        }
    }
    if !categories.ids.is_empty() {
        let paths: Vec<String> = changed
            .iter()
            .filter_map(|(_, r)| match &r.state {
                Aggregate::Category(c) => Some(format_path(&c.path)),
                _ => None,
            })
            .collect();
        sqlx::query(
            "INSERT INTO categories (id, name, parent_id, path, path_text, depth, attributes, retired, version, \
                                     position, state, name_terms, external_id) \
             SELECT x.id, x.state->>'name', (x.state->>'parent_id')::uuid, \
                    ARRAY(SELECT jsonb_array_elements_text(x.state->'path')::uuid), x.path_text, \
                    jsonb_array_length(x.state->'path') - 1, x.state->'attributes', (x.state->>'retired')::boolean, \
                    x.version, x.position, x.state, x.terms::tsvector, x.state->>'external_id' \
               FROM unnest($1::uuid[], $2::int8[], $3::int8[], $4::jsonb[], $5::text[], $6::text[]) \
                    AS x(id, version, position, state, path_text, terms) \
             ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, parent_id = EXCLUDED.parent_id, \
                    path = EXCLUDED.path, path_text = EXCLUDED.path_text, depth = EXCLUDED.depth, \
                    attributes = EXCLUDED.attributes, retired = EXCLUDED.retired, version = EXCLUDED.version, \
                    position = EXCLUDED.position, state = EXCLUDED.state, name_terms = EXCLUDED.name_terms, \
                    external_id = EXCLUDED.external_id",
        )
        .bind(&categories.ids)
        .bind(&categories.versions)
        .bind(&categories.positions)
        .bind(&categories.states)
        .bind(&paths)
        .bind(&categories.terms)
        .execute(&mut *conn)
        .await?;
    }
    if !brands.ids.is_empty() {
        sqlx::query(
            "INSERT INTO brands (id, name, version, position, state, search, external_id) \
             SELECT x.id, x.state->>'name', x.version, x.position, x.state, x.terms::tsvector, \
                    x.state->>'external_id' \
               FROM unnest($1::uuid[], $2::int8[], $3::int8[], $4::jsonb[], $5::text[]) \
                    AS x(id, version, position, state, terms) \
             ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, version = EXCLUDED.version, \
                    position = EXCLUDED.position, state = EXCLUDED.state, search = EXCLUDED.search, \
                    external_id = EXCLUDED.external_id",
        )
        .bind(&brands.ids)
        .bind(&brands.versions)
        .bind(&brands.positions)
        .bind(&brands.states)
        .bind(&brands.terms)
        .execute(&mut *conn)
        .await?;
    }
    if !families.ids.is_empty() {
        sqlx::query(
            "INSERT INTO families (id, category_id, brand_id, name, code, attributes, version, position, state, \
                                   search, external_id) \
             SELECT x.id, (x.state->>'category_id')::uuid, (x.state->>'brand_id')::uuid, x.state->>'name', \
                    x.state->>'code', x.state->'attributes', x.version, x.position, x.state, \
                    x.terms::tsvector, x.state->>'external_id' \
               FROM unnest($1::uuid[], $2::int8[], $3::int8[], $4::jsonb[], $5::text[]) \
                    AS x(id, version, position, state, terms) \
             ON CONFLICT (id) DO UPDATE SET category_id = EXCLUDED.category_id, brand_id = EXCLUDED.brand_id, \
                    name = EXCLUDED.name, code = EXCLUDED.code, attributes = EXCLUDED.attributes, \
                    version = EXCLUDED.version, position = EXCLUDED.position, state = EXCLUDED.state, \
                    search = EXCLUDED.search, external_id = EXCLUDED.external_id",
        )
        .bind(&families.ids)
        .bind(&families.versions)
        .bind(&families.positions)
        .bind(&families.states)
        .bind(&families.terms)
        .execute(&mut *conn)
        .await?;
    }
    if !synonyms.ids.is_empty() {
        sqlx::query(
            "INSERT INTO synonyms (id, phrases, terms, removed, version, position, state) \
             SELECT x.id, ARRAY(SELECT jsonb_array_elements_text(x.state->'phrases')), x.terms, \
                    (x.state->>'removed')::boolean, x.version, x.position, x.state \
               FROM unnest($1::uuid[], $2::int8[], $3::int8[], $4::jsonb[], $5::jsonb[]) \
                    AS x(id, version, position, state, terms) \
             ON CONFLICT (id) DO UPDATE SET phrases = EXCLUDED.phrases, terms = EXCLUDED.terms, \
                    removed = EXCLUDED.removed, version = EXCLUDED.version, position = EXCLUDED.position, \
                    state = EXCLUDED.state",
        )
        .bind(&synonyms.ids)
        .bind(&synonyms.versions)
        .bind(&synonyms.positions)
        .bind(&synonyms.states)
        .bind(&phrases)
        .execute(&mut *conn)
        .await?;
    }
    if !products.is_empty() {
        write_products(conn, &products, existed, &mut words).await?;
    }
    trade.write(conn, history).await?;
    words.write(conn).await
}

/// Products take their family's, brand's and category's columns as those rows stand now; the
/// trigger derives the search vector and the missing required specs.
async fn write_products(
    conn: &mut PgConnection,
    products: &[(Uuid, &Row, &Product)],
    existed: &HashSet<Uuid>,
    words: &mut Lexicon,
) -> Result<(), ApplyError> {
    // The searchable keys of the products' families, as they stand now.
    let family_ids: Vec<Uuid> =
        products.iter().map(|(_, _, p)| p.family_id).collect::<HashSet<_>>().into_iter().collect();
    let searchable: HashMap<Uuid, Vec<String>> =
        sqlx::query_as::<_, (Uuid, Vec<String>)>("SELECT id, searchable_keys FROM families WHERE id = ANY($1)")
            .bind(&family_ids)
            .persistent(false)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
    let mut ids = Vec::with_capacity(products.len());
    let (mut versions, mut positions, mut families, mut names) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut skus, mut specs, mut variant_keys, mut retired) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut name_terms, mut spec_term_lists) = (Vec::new(), Vec::new());
    let mut external_ids: Vec<Option<&str>> = Vec::new();
    let mut numbers: Vec<(Uuid, &str, f64, Option<&str>)> = Vec::new();
    let mut facets: Vec<String> = Vec::new();
    for (id, row, product) in products {
        ids.push(*id);
        let named = terms(&format!("{} {}", product.name, product.sku.as_str()));
        words.add(&named);
        name_terms.push(tsvector_text(named));
        let keys = searchable.get(&product.family_id).map_or(&[][..], Vec::as_slice);
        let held = spec_terms(&product.specs, keys);
        words.add(&held);
        spec_term_lists.push(tsvector_text(held));
        versions.push(row.version);
        positions.push(row.position);
        families.push(product.family_id);
        names.push(product.name.as_str());
        skus.push(product.sku.as_str());
        specs.push(serde_json::to_string(&product.specs).map_err(|e| unreadable(*id, e))?);
        facets.push(facet_entries(&product.specs));
        for (key, value) in &product.specs {
            if let domain::specs::SpecValue::Number(q) = value {
                numbers.push((*id, key.as_str(), q.base_value, q.base_unit.map(|u| u.symbol())));
            }
        }
        variant_keys.push(product.variant_key.as_deref());
        retired.push(product.retired);
        external_ids.push(product.external_id.as_ref().map(|e| e.as_str()));
    }
    sqlx::query(
        "INSERT INTO products (id, version, position, family_id, name, sku, specs, variant_key, retired, \
                               family_name, brand_id, brand_name, category_id, category_path, required_keys, \
                               searchable_keys, name_terms, family_terms, brand_terms, spec_terms, facets, \
                               external_id) \
         SELECT x.id, x.version, x.position, x.family_id, x.name, x.sku, x.specs::jsonb, x.variant_key, x.retired, \
                f.name, f.brand_id, b.name, f.category_id, c.path, coalesce(f.required_keys, '{}'), \
                coalesce(f.searchable_keys, '{}'), x.name_terms::tsvector, coalesce(f.search, ''), \
                coalesce(b.search, ''), x.spec_terms::tsvector, string_to_array(x.facets, E'\\x1e'), \
                x.external_id \
           FROM unnest($1::uuid[], $2::int8[], $3::int8[], $4::uuid[], $5::text[], $6::text[], $7::text[], \
                       $8::text[], $9::bool[], $10::text[], $11::text[], $12::text[], $13::text[]) \
                AS x(id, version, position, family_id, name, sku, specs, variant_key, retired, name_terms, \
                     spec_terms, facets, external_id) \
           LEFT JOIN families f ON f.id = x.family_id \
           LEFT JOIN brands b ON b.id = f.brand_id \
           LEFT JOIN categories c ON c.id = f.category_id \
         ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, position = EXCLUDED.position, \
                name = EXCLUDED.name, sku = EXCLUDED.sku, specs = EXCLUDED.specs, \
                variant_key = EXCLUDED.variant_key, retired = EXCLUDED.retired, name_terms = EXCLUDED.name_terms, \
                spec_terms = EXCLUDED.spec_terms, facets = EXCLUDED.facets, external_id = EXCLUDED.external_id",
    )
    .bind(&ids)
    .bind(&versions)
    .bind(&positions)
    .bind(&families)
    .bind(&names)
    .bind(&skus)
    .bind(&specs)
    .bind(&variant_keys)
    .bind(&retired)
    .bind(&name_terms)
    .bind(&spec_term_lists)
    .bind(&facets)
    .bind(&external_ids)
    .execute(&mut *conn)
    .await?;
    // A product new in this batch has no numbers yet (a rebuild's products are nearly all new).
    let replaced: Vec<Uuid> = ids.iter().filter(|id| existed.contains(id)).copied().collect();
    if !replaced.is_empty() {
        sqlx::query("DELETE FROM product_numbers WHERE product_id = ANY($1)")
            .bind(&replaced)
            .persistent(false)
            .execute(&mut *conn)
            .await?;
    }
    if !numbers.is_empty() {
        let (mut ids, mut keys, mut values, mut units) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (id, key, value, unit) in numbers {
            ids.push(id);
            keys.push(key);
            values.push(value);
            units.push(unit);
        }
        sqlx::query(
            "INSERT INTO product_numbers (product_id, key, value, unit) \
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::float8[], $4::text[])",
        )
        .bind(&ids)
        .bind(&keys)
        .bind(&values)
        .bind(&units)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// After categories, families or brands changed: the resolved attribute sets and ancestor names of
/// every category at or below a changed one, the resolved sets of the families there (and of the
/// changed families), and the denormalized columns of those families' products.
async fn refresh_derived(conn: &mut PgConnection, changed: &[(Uuid, &Row)]) -> Result<(), ApplyError> {
    let mut changed_categories = Vec::new();
    let mut changed_families = Vec::new();
    let mut changed_brands = Vec::new();
    for (id, row) in changed {
        match row.state {
            Aggregate::Category(_) => changed_categories.push(*id),
            Aggregate::Family(_) => changed_families.push(*id),
            Aggregate::Brand(_) => changed_brands.push(*id),
            Aggregate::Product(_)
            | Aggregate::Synonyms(_)
            | Aggregate::User(_)
            | Aggregate::Company(_)
            | Aggregate::ProductTerms(_)
            | Aggregate::PriceList(_)
            | Aggregate::Stock(_)
            | Aggregate::Cart(_)
            | Aggregate::Order(_) => {}
        }
    }
    if changed_categories.is_empty() && changed_families.is_empty() && changed_brands.is_empty() {
        return Ok(());
    }
    let states: Vec<Value> = sqlx::query_scalar("SELECT state FROM categories").fetch_all(&mut *conn).await?;
    let mut all = Vec::with_capacity(states.len());
    for state in states {
        if let Ok(Aggregate::Category(category)) = serde_json::from_value::<Aggregate>(state) {
            all.push(category);
        }
    }
    let affected: Vec<&Category> =
        all.iter().filter(|c| c.path.iter().any(|a| changed_categories.contains(a))).collect();
    let affected_ids: Vec<Uuid> = affected.iter().map(|c| c.id).collect();
    let tree = CategoryTree::new(all.iter().cloned(), std::iter::empty());
    if !affected.is_empty() {
        let mut resolved = Vec::with_capacity(affected.len());
        let mut names = Vec::with_capacity(affected.len());
        let mut path_terms = Vec::with_capacity(affected.len());
        for category in &affected {
            resolved.push(json!(tree.schema(category.id).iter().collect::<Vec<_>>()));
            let chain = tree.chain(category.id);
            let ancestors: Vec<&str> = chain.iter().filter(|c| c.id != category.id).map(|c| c.name.as_str()).collect();
            let ancestors = ancestors.join(" ");
            path_terms.push(tsvector_text(terms(&ancestors)));
            names.push(ancestors);
        }
        sqlx::query(
            "UPDATE categories SET resolved = x.resolved, path_names = x.names, \
                    path_terms = x.path_terms::tsvector \
               FROM unnest($1::uuid[], $2::jsonb[], $3::text[], $4::text[]) AS x(id, resolved, names, path_terms) \
              WHERE categories.id = x.id",
        )
        .bind(&affected_ids)
        .bind(&resolved)
        .bind(&names)
        .bind(&path_terms)
        .execute(&mut *conn)
        .await?;
    }

    let families: Vec<Value> = sqlx::query_scalar(
        "SELECT state FROM families WHERE id = ANY($1) OR category_id = ANY($2) OR brand_id = ANY($3)",
    )
    .bind(&changed_families)
    .bind(&affected_ids)
    .bind(&changed_brands)
    .fetch_all(&mut *conn)
    .await?;
    let mut ids = Vec::new();
    let mut resolved = Vec::new();
    let mut required = Vec::new();
    let mut searchable = Vec::new();
    for state in families {
        let Ok(Aggregate::Family(family)) = serde_json::from_value::<Aggregate>(state) else { continue };
        let schema = family_schema(&tree, &family);
        ids.push(family.id);
        resolved.push(json!(schema.iter().collect::<Vec<_>>()));
        required.push(keys(&schema, |a| a.definition.required));
        searchable.push(keys(&schema, |a| a.definition.searchable));
    }
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE families SET resolved = x.resolved, \
                required_keys = ARRAY(SELECT jsonb_array_elements_text(x.required)), \
                searchable_keys = ARRAY(SELECT jsonb_array_elements_text(x.searchable)) \
           FROM unnest($1::uuid[], $2::jsonb[], $3::jsonb[], $4::jsonb[]) AS x(id, resolved, required, searchable) \
          WHERE families.id = x.id",
    )
    .bind(&ids)
    .bind(&resolved)
    .bind(&required)
    .bind(&searchable)
    .execute(&mut *conn)
    .await?;
    refresh_spec_terms(conn, &ids).await?;
    // Only products whose columns change are rewritten (the trigger then refreshes their search
    // vector and completeness).
    sqlx::query(
        "UPDATE products p SET family_name = f.name, brand_id = f.brand_id, brand_name = b.name, \
                category_id = f.category_id, category_path = c.path, required_keys = f.required_keys, \
                family_terms = f.search, brand_terms = coalesce(b.search, '') \
           FROM families f \
           LEFT JOIN brands b ON b.id = f.brand_id \
           LEFT JOIN categories c ON c.id = f.category_id \
          WHERE p.family_id = f.id AND f.id = ANY($1) \
            AND (p.family_name, p.brand_id, p.brand_name, p.category_id, p.category_path, p.required_keys, \
                 p.family_terms, p.brand_terms) \
                IS DISTINCT FROM (f.name, f.brand_id, b.name, f.category_id, c.path, f.required_keys, \
                 f.search, coalesce(b.search, ''))",
    )
    .bind(&ids)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Products of the families named whose family's searchable keys changed get their spec terms
/// anew, a page at a time (the terms come from the domain's normalizer, so this is done here
/// rather than in SQL).
async fn refresh_spec_terms(conn: &mut PgConnection, families: &[Uuid]) -> Result<(), ApplyError> {
    const PAGE: i64 = 5_000;
    loop {
        let page: Vec<(Uuid, Value, Vec<String>)> = sqlx::query_as(
            "SELECT p.id, p.specs, f.searchable_keys FROM products p JOIN families f ON f.id = p.family_id \
              WHERE f.id = ANY($1) AND p.searchable_keys IS DISTINCT FROM f.searchable_keys LIMIT $2",
        )
        .bind(families)
        .bind(PAGE)
        .persistent(false)
        .fetch_all(&mut *conn)
        .await?;
        if page.is_empty() {
            return Ok(());
        }
        let mut ids = Vec::with_capacity(page.len());
        let mut keys = Vec::with_capacity(page.len());
        let mut spec_term_lists = Vec::with_capacity(page.len());
        for (id, specs, searchable) in page {
            let specs: Specs = serde_json::from_value(specs).map_err(|e| unreadable(id, e))?;
            spec_term_lists.push(tsvector_text(spec_terms(&specs, &searchable)));
            keys.push(searchable.join(" "));
            ids.push(id);
        }
        sqlx::query(
            "UPDATE products SET searchable_keys = string_to_array(x.keys, ' '), \
                    spec_terms = x.terms::tsvector \
               FROM unnest($1::uuid[], $2::text[], $3::text[]) AS x(id, keys, terms) \
              WHERE products.id = x.id",
        )
        .bind(&ids)
        .bind(&keys)
        .bind(&spec_term_lists)
        .execute(&mut *conn)
        .await?;
    }
}

fn family_schema(tree: &CategoryTree, family: &Family) -> domain::ResolvedSchema {
    family.schema_over(tree.chain(family.category_id).into_iter())
}

fn keys(schema: &domain::ResolvedSchema, pick: impl Fn(&domain::attributes::ResolvedAttribute) -> bool) -> Value {
    Value::Array(schema.iter().filter(|a| pick(a)).map(|a| Value::String(a.key.as_str().to_owned())).collect())
}
