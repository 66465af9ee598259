//! Catalog records by the source system's id: resolving an external id to its stream, and the
//! upserts an import (or `PUT …/by-external-id/{external_id}`) runs — create when the id is
//! unknown, else bring the record to what the row says, appending nothing when it already is.
//!
//! The external id's claim (`external:<kind>:<id>`, `domain::names::ExternalId::claim`) is taken
//! and released in the same append as the events that give or drop it, so resolving it reads the
//! committed mapping, never a guess from the read model. Two upserts of one new id can both find
//! it unknown; the claim lets one create and refuses the other's append, which then finds the id
//! taken and is decided again as an update (`ATTEMPTS`). A second import of the same file thus
//! appends nothing: every row resolves, decides no events, and says `unchanged`.
//!
//! These are service functions, callable in-process with any `CommandContext` (an import worker
//! passes its job's); the HTTP handlers are thin over them.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};

use domain::category::CategoryCommand;
use domain::family::{self, CreateFamily};
use domain::names::{change_external_id, ExternalId, FamilyCode};
use domain::product::{self, CreateProduct};
use domain::{brand, Aggregate, DomainError, StreamType};
use event_store::EventStore;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiError;
use crate::service::{Catalog, CommandContext, Committed, Head};

/// How often an upsert is decided at most: a create that lost the race for its external id is
/// decided again as an update, and an update that lost a race for its stream's version (another
/// command wrote it in between) on what that one left.
const ATTEMPTS: usize = 3;

/// What an upsert did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The external id was unknown: the record was created (HTTP 201).
    Created,
    /// The record existed and some of its fields changed.
    Updated,
    /// The record already was as described: no event was appended.
    Unchanged,
}

/// An upsert's result: the record, what happened to it, and the command's commit (its
/// `position` is the global position of its last event, or, unchanged, of the record's).
#[derive(Debug)]
pub struct Upserted {
    pub id: Uuid,
    pub outcome: Outcome,
    pub committed: Committed,
}

impl Upserted {
    pub fn position(&self) -> i64 {
        self.committed.position
    }
}

/// A category as a source row describes it: `parent_id` none is a root, so an upsert moves an
/// existing category to the parent given (or to the top).
#[derive(Clone, Debug)]
pub struct CategoryFields {
    pub name: String,
    pub parent_id: Option<Uuid>,
}

#[derive(Clone, Debug)]
pub struct BrandFields {
    pub name: String,
}

/// A family as a source row describes it; on an existing family only the name may differ (see
/// `domain::family::revise`), and no `code` keeps the family's own.
#[derive(Clone, Debug)]
pub struct FamilyFields {
    pub category_id: Uuid,
    pub brand_id: Option<Uuid>,
    pub name: String,
    pub code: Option<String>,
}

/// A product as a source row describes it; on an existing product the specs merge as an update
/// merges them, and the family and a given SKU must be its own (`domain::product::revise`).
#[derive(Clone, Debug)]
pub struct ProductFields {
    pub family_id: Uuid,
    pub name: String,
    pub sku: Option<String>,
    pub specs: Map<String, Value>,
}

impl Catalog {
    /// The stream of `kind` holding `external_id`, if any.
    pub async fn resolve_external_id(
        &self,
        kind: StreamType,
        external_id: &ExternalId,
    ) -> Result<Option<Uuid>, ApiError> {
        let found = self.resolve_external_ids(kind, std::slice::from_ref(external_id)).await?;
        Ok(found.get(external_id).copied())
    }

    /// The streams of `kind` holding each of `external_ids` (unknown ones are absent), in one
    /// round trip: an import resolves a batch of rows' references at once.
    pub async fn resolve_external_ids(
        &self,
        kind: StreamType,
        external_ids: &[ExternalId],
    ) -> Result<HashMap<ExternalId, Uuid>, ApiError> {
        let by_claim: HashMap<String, &ExternalId> = external_ids.iter().map(|e| (e.claim(kind), e)).collect();
        let claims: Vec<String> = by_claim.keys().cloned().collect();
        let held = EventStore::claim_holders(self.store().pool(), &claims).await?;
        Ok(held.into_iter().filter_map(|(claim, id)| by_claim.get(&claim).map(|e| ((*e).clone(), id))).collect())
    }

    /// Creates a category (`external_id` checked as the domain checks it).
    pub async fn create_category(
        &self,
        ctx: &CommandContext,
        id: Uuid,
        fields: &CategoryFields,
        external_id: Option<&str>,
    ) -> Result<Committed, ApiError> {
        self.change_structure(ctx, &[], |tree, _| {
            let command = CategoryCommand::Create {
                id,
                name: fields.name.clone(),
                parent_id: fields.parent_id,
                external_id: external_id.map(str::to_owned),
            };
            Ok(tree.decide(command)?)
        })
        .await
    }

    pub async fn upsert_category(
        &self,
        ctx: &CommandContext,
        external_id: &ExternalId,
        fields: &CategoryFields,
    ) -> Result<Upserted, ApiError> {
        self.upsert(
            StreamType::Category,
            external_id,
            || async {
                let id = Uuid::now_v7();
                Ok((id, self.create_category(ctx, id, fields, Some(external_id.as_str())).await?))
            },
            |id| async move {
                let changed = AtomicBool::new(false);
                let committed = self
                    .change_structure(ctx, &[], |tree, _| {
                        let command = CategoryCommand::Update {
                            id,
                            name: Some(fields.name.clone()),
                            parent_id: Some(fields.parent_id),
                        };
                        let events = tree.decide(command)?;
                        changed.store(!events.is_empty(), Ordering::Relaxed);
                        Ok(events)
                    })
                    .await?;
                Ok((committed, changed.load(Ordering::Relaxed)))
            },
        )
        .await
    }

    pub async fn create_brand(
        &self,
        ctx: &CommandContext,
        id: Uuid,
        fields: &BrandFields,
        external_id: Option<&str>,
    ) -> Result<Committed, ApiError> {
        self.change_streams(ctx, &[], |_| Ok(brand::create(id, &fields.name, external_id)?)).await
    }

    pub async fn upsert_brand(
        &self,
        ctx: &CommandContext,
        external_id: &ExternalId,
        fields: &BrandFields,
    ) -> Result<Upserted, ApiError> {
        self.upsert(
            StreamType::Brand,
            external_id,
            || async {
                let id = Uuid::now_v7();
                Ok((id, self.create_brand(ctx, id, fields, Some(external_id.as_str())).await?))
            },
            |id| async move {
                let changed = AtomicBool::new(false);
                let committed = self
                    .change_streams(ctx, &[id], |heads| {
                        let events = match heads.get(&id).map(|h| &h.state) {
                            Some(Aggregate::Brand(b)) => brand::rename(b, &fields.name)?,
                            _ => return Err(DomainError::not_found("brand", id).into()),
                        };
                        changed.store(!events.is_empty(), Ordering::Relaxed);
                        Ok(events)
                    })
                    .await?;
                Ok((committed, changed.load(Ordering::Relaxed)))
            },
        )
        .await
    }

    /// Creates a family in a leaf category, under the schema lock (it makes the category a leaf).
    pub async fn create_family(
        &self,
        ctx: &CommandContext,
        id: Uuid,
        fields: &FamilyFields,
        external_id: Option<&str>,
    ) -> Result<Committed, ApiError> {
        let extra: Vec<Uuid> = fields.brand_id.into_iter().collect();
        // A code derived from the name is the first of its candidates no family holds.
        let candidates = if fields.code.is_none() { FamilyCode::candidates(&fields.name) } else { Vec::new() };
        let claims: Vec<String> = candidates.iter().map(FamilyCode::claim).collect();
        self.change_structure_seeing(ctx, &extra, &claims, |tree, heads, held| {
            let brand = fields.brand_id.and_then(|b| match heads.get(&b).map(|h| &h.state) {
                Some(Aggregate::Brand(brand)) => Some(brand),
                _ => None,
            });
            let taken: BTreeSet<FamilyCode> = candidates.into_iter().filter(|c| held.contains(&c.claim())).collect();
            Ok(family::create(tree, brand, &taken, family_command(id, fields, external_id))?)
        })
        .await
    }

    pub async fn upsert_family(
        &self,
        ctx: &CommandContext,
        external_id: &ExternalId,
        fields: &FamilyFields,
    ) -> Result<Upserted, ApiError> {
        self.upsert(
            StreamType::Family,
            external_id,
            || async {
                let id = Uuid::now_v7();
                Ok((id, self.create_family(ctx, id, fields, Some(external_id.as_str())).await?))
            },
            |id| async move {
                let changed = AtomicBool::new(false);
                let committed = self
                    .change_structure(ctx, &[id], |_, heads| {
                        let events = match heads.get(&id).map(|h| &h.state) {
                            Some(Aggregate::Family(f)) => family::revise(f, &family_command(id, fields, None))?,
                            _ => return Err(DomainError::not_found("family", id).into()),
                        };
                        changed.store(!events.is_empty(), Ordering::Relaxed);
                        Ok(events)
                    })
                    .await?;
                Ok((committed, changed.load(Ordering::Relaxed)))
            },
        )
        .await
    }

    /// Creates a product, checked against its family's schema (through the group appender).
    pub async fn create_product(
        &self,
        ctx: &CommandContext,
        id: Uuid,
        fields: &ProductFields,
        external_id: Option<&str>,
    ) -> Result<Committed, ApiError> {
        self.change_product(ctx, fields.family_id, None, |schema, _| {
            product::create(&schema.family, &schema.schema, product_command(id, fields, external_id))
        })
        .await
    }

    pub async fn upsert_product(
        &self,
        ctx: &CommandContext,
        external_id: &ExternalId,
        fields: &ProductFields,
    ) -> Result<Upserted, ApiError> {
        self.upsert(
            StreamType::Product,
            external_id,
            || async {
                let id = Uuid::now_v7();
                Ok((id, self.create_product(ctx, id, fields, Some(external_id.as_str())).await?))
            },
            |id| async move {
                let head = self.product(id).await?.ok_or_else(|| DomainError::not_found("product", id))?;
                let Head { state: Aggregate::Product(current), .. } = &head else {
                    return Err(DomainError::not_found("product", id).into());
                };
                let family_id = current.family_id;
                let changed = AtomicBool::new(false);
                let committed = self
                    .change_product(ctx, family_id, Some(head), |schema, current| {
                        let current = current.ok_or_else(|| DomainError::not_found("product", id))?;
                        let command = product_command(id, fields, None);
                        let events =
                            product::revise(current, fields.family_id, &schema.family, &schema.schema, &command)?;
                        changed.store(!events.is_empty(), Ordering::Relaxed);
                        Ok(events)
                    })
                    .await?;
                Ok((committed, changed.load(Ordering::Relaxed)))
            },
        )
        .await
    }

    /// Gives the record `id` of `kind` an external id, changes or removes it (`None`): for records
    /// made before their source system's ids were known, so that an import finds them rather
    /// than making them anew. Returns the commit and whether anything changed. Categories and
    /// families change under the schema lock, as every change to them does.
    pub async fn set_external_id(
        &self,
        ctx: &CommandContext,
        kind: StreamType,
        id: Uuid,
        external_id: Option<&str>,
    ) -> Result<(Committed, bool), ApiError> {
        let changed = AtomicBool::new(false);
        let decide = |head: Option<&Head>| {
            let current = match head.map(|h| &h.state) {
                Some(Aggregate::Category(c)) if kind == StreamType::Category => c.external_id.as_ref(),
                Some(Aggregate::Brand(b)) if kind == StreamType::Brand => b.external_id.as_ref(),
                Some(Aggregate::Family(f)) if kind == StreamType::Family => f.external_id.as_ref(),
                Some(Aggregate::Product(p)) if kind == StreamType::Product => p.external_id.as_ref(),
                _ => return Err(DomainError::not_found(kind.as_str(), id)),
            };
            let events = change_external_id(id, kind, current, external_id)?;
            changed.store(!events.is_empty(), Ordering::Relaxed);
            Ok(events)
        };
        let committed = match kind {
            StreamType::Category | StreamType::Family => {
                self.change_structure(ctx, &[id], |_, heads| Ok(decide(heads.get(&id))?)).await?
            }
            StreamType::Product => {
                let heads: HashMap<Uuid, Head> = self.product(id).await?.map(|head| (id, head)).into_iter().collect();
                self.change_loaded(ctx, heads, |heads| decide(heads.get(&id))).await?
            }
            _ => self.change_streams(ctx, &[id], |heads| Ok(decide(heads.get(&id))?)).await?,
        };
        Ok((committed, changed.load(Ordering::Relaxed)))
    }

    /// Resolves, then creates or updates; see the module comment for the retries.
    async fn upsert<C, CF, U, UF>(
        &self,
        kind: StreamType,
        external_id: &ExternalId,
        create: C,
        update: U,
    ) -> Result<Upserted, ApiError>
    where
        C: Fn() -> CF,
        CF: std::future::Future<Output = Result<(Uuid, Committed), ApiError>>,
        U: Fn(Uuid) -> UF,
        UF: std::future::Future<Output = Result<(Committed, bool), ApiError>>,
    {
        let mut attempt = 1;
        loop {
            let result = match self.resolve_external_id(kind, external_id).await? {
                None => match create().await {
                    Ok((id, committed)) => Ok(Upserted { id, outcome: Outcome::Created, committed }),
                    // Refused as a duplicate (its claim, a sibling's name, …): if the external id
                    // was taken meanwhile, it is this record, and the row is an update of it.
                    Err(error @ ApiError::Conflict { .. }) if attempt < ATTEMPTS => {
                        if self.resolve_external_id(kind, external_id).await?.is_none() {
                            return Err(error);
                        }
                        attempt += 1;
                        continue;
                    }
                    Err(error) => Err(error),
                },
                Some(id) => update(id).await.map(|(committed, changed)| Upserted {
                    id,
                    outcome: if changed { Outcome::Updated } else { Outcome::Unchanged },
                    committed,
                }),
            };
            match result {
                Err(error) if attempt < ATTEMPTS && is_stale(&error) => attempt += 1,
                other => return other,
            }
        }
    }
}

fn is_stale(error: &ApiError) -> bool {
    matches!(error, ApiError::Conflict { errors, .. } if errors.iter().any(|e| e.code == "stale_version"))
}

fn family_command(id: Uuid, fields: &FamilyFields, external_id: Option<&str>) -> CreateFamily {
    CreateFamily {
        id,
        category_id: fields.category_id,
        brand_id: fields.brand_id,
        name: fields.name.clone(),
        code: fields.code.clone(),
        external_id: external_id.map(str::to_owned),
    }
}

pub(crate) fn product_command(id: Uuid, fields: &ProductFields, external_id: Option<&str>) -> CreateProduct {
    CreateProduct {
        id,
        name: fields.name.clone(),
        sku: fields.sku.clone(),
        specs: fields.specs.clone(),
        external_id: external_id.map(str::to_owned),
    }
}
