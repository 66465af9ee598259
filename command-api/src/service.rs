//! Runs domain decisions against the event store: load the state a command needs, decide, fold
//! the new events into the streams' snapshots, and append — all or nothing.
//!
//! Consistency guarantee for product writes: a product is validated against the schema (its
//! family and the family's categories) at the versions named in its append's guards, and
//! `append_events` checks those versions under the schema lock that every schema change holds
//! exclusively until it commits. A product can therefore never commit validated against a schema
//! a concurrent change has replaced; when that race happens the append fails with
//! `SchemaChanged`, the cached schema is dropped and the command is decided again.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use chrono::{DateTime, Utc};
use domain::category::{Category, CategoryTree};
use domain::family::Family;
use domain::product::Product;
use domain::{evolve, Aggregate, DomainError, Event, NewEvent, ResolvedSchema, StreamType};
use event_store::{
    Append, AppendError, EventStore, EventToAppend, GroupAppender, GroupOptions, Metadata, StreamRow, StreamWrite,
};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::ApiError;

/// A stream's state as loaded: its version and folded state.
#[derive(Clone, Debug)]
pub struct Head {
    pub version: i64,
    pub state: Aggregate,
}

impl TryFrom<StreamRow> for Head {
    type Error = anyhow::Error;
    fn try_from(row: StreamRow) -> Result<Self, Self::Error> {
        let state = serde_json::from_value(row.snapshot)
            .with_context(|| format!("snapshot of stream {} is unreadable", row.stream_id))?;
        Ok(Head { version: row.version, state })
    }
}

/// What a successful command leaves: the global position of its last event and the heads of the
/// streams it loaded, as it left them.
#[derive(Debug)]
pub struct Committed {
    pub position: i64,
    pub heads: HashMap<Uuid, Head>,
}

impl Committed {
    pub fn head(&self, id: Uuid) -> Option<&Head> {
        self.heads.get(&id)
    }
}

/// Who and when, for every event a command appends, and what must still hold of the actor when
/// it commits (`identity::rights::required`: the caller's current role and status).
#[derive(Clone, Debug)]
pub struct CommandContext {
    pub metadata: Metadata,
    pub now: DateTime<Utc>,
    /// `(stream, object)`: heads whose snapshot must contain the object (`Append::requires`).
    pub requires: Vec<(Uuid, serde_json::Value)>,
    /// The request's `Idempotency-Key` (see `crate::idempotency`), recorded with the first of its
    /// appends.
    pub idempotency: Option<Arc<crate::idempotency::KeyUse>>,
}

/// The schema a family's products are checked against, with the stream versions it was built from.
#[derive(Debug)]
pub struct FamilySchema {
    pub family: Family,
    pub schema: ResolvedSchema,
    pub guards: Vec<(Uuid, i64)>,
}

const SCHEMA_CACHE_LIMIT: usize = 10_000;
const SCHEMA_RETRIES: usize = 5;
/// How often a contended command (see `change_contended`) loads and decides again before it
/// gives up: every round commits at least one of the commands contending for a stream, so this
/// bounds how many may queue for one stream at once before some are refused.
const CONTENDED_RETRIES: u32 = 100;

#[derive(Clone)]
pub struct Catalog {
    store: EventStore,
    appender: GroupAppender,
    schemas: Arc<Mutex<HashMap<Uuid, Arc<FamilySchema>>>>,
}

/// Turns decided events into an append: versions after each stream's head, snapshots folded
/// forward, and the claims each stream takes up or gives up.
pub fn prepare(heads: &HashMap<Uuid, Head>, events: Vec<NewEvent>) -> Result<(Append, HashMap<Uuid, Head>), ApiError> {
    let mut append = Append::default();
    let mut after: HashMap<Uuid, Head> = HashMap::new();
    let mut order: Vec<(Uuid, StreamType, i64)> = Vec::new();
    for new in events {
        let current = after.get(&new.stream_id).or_else(|| heads.get(&new.stream_id));
        let (version, state) = match current {
            Some(head) => (head.version, Some(head.state.clone())),
            None => (0, None),
        };
        if !order.iter().any(|(id, _, _)| *id == new.stream_id) {
            order.push((new.stream_id, new.stream_type, version));
        }
        let next = evolve(state, new.stream_id, &new.event).map_err(|e| ApiError::Internal(e.into()))?;
        append.events.push(EventToAppend {
            event_id: Uuid::now_v7(),
            stream_id: new.stream_id,
            stream_type: new.stream_type.as_str(),
            version: version + 1,
            event_type: new.event.type_name(),
            schema_version: domain::events::SCHEMA_VERSION,
            payload: new.event.payload(),
        });
        after.insert(new.stream_id, Head { version: version + 1, state: next });
    }
    for (stream_id, stream_type, expected_version) in order {
        let Some(head) = after.get(&stream_id) else { continue };
        let before = heads.get(&stream_id).map(|h| h.state.claims()).unwrap_or_default();
        let now = head.state.claims();
        append.claims.extend(now.iter().filter(|c| !before.contains(c)).map(|c| (c.clone(), stream_id)));
        append.releases.extend(before.into_iter().filter(|c| !now.contains(c)));
        if !keeps_head(stream_type) {
            continue;
        }
        append.streams.push(StreamWrite {
            stream_id,
            stream_type: stream_type.as_str(),
            expected_version,
            version: head.version,
            parent_id: head.state.parent_id(),
            snapshot: serde_json::to_value(&head.state).map_err(|e| ApiError::Internal(e.into()))?,
        });
    }
    Ok((append, after))
}

/// Streams other commands read without their own events keep a head row (version and snapshot):
/// categories, families and brands. Products are by far the most numerous and the shortest
/// streams: they are folded from their events when loaded, and the unique (stream_id, version)
/// on events alone keeps their writes in order.
fn keeps_head(stream_type: StreamType) -> bool {
    !matches!(stream_type, StreamType::Product)
}

/// Where a command's events are appended: inside the transaction it decided in (structure
/// changes, under the schema lock), or by the group appender, in a transaction shared with other
/// commands (everything decided outside a transaction).
enum Via<'c> {
    Transaction(&'c mut PgConnection),
    Group,
}

impl Catalog {
    pub fn new(store: EventStore, grouping: GroupOptions) -> Self {
        let appender = GroupAppender::start(store.clone(), grouping);
        Catalog { store, appender, schemas: Default::default() }
    }

    pub fn store(&self) -> &EventStore {
        &self.store
    }

    /// Runs a command that changes the catalog's structure or schema, under the exclusive schema
    /// lock: it sees the whole category tree as committed and nothing changes it until commit.
    pub async fn change_structure(
        &self,
        ctx: &CommandContext,
        extra: &[Uuid],
        decide: impl FnOnce(&CategoryTree, &HashMap<Uuid, Head>) -> Result<Vec<NewEvent>, ApiError>,
    ) -> Result<Committed, ApiError> {
        self.change_structure_seeing(ctx, extra, &[], |tree, heads, _| decide(tree, heads)).await
    }

    /// The same, telling `decide` which of `claims` are held. They are read under the schema
    /// lock, so for claims only structure changes take (family codes) nothing takes one before
    /// this command commits.
    pub async fn change_structure_seeing(
        &self,
        ctx: &CommandContext,
        extra: &[Uuid],
        claims: &[String],
        decide: impl FnOnce(&CategoryTree, &HashMap<Uuid, Head>, &HashSet<String>) -> Result<Vec<NewEvent>, ApiError>,
    ) -> Result<Committed, ApiError> {
        let mut tx = self.store.begin_schema_change().await?;
        let (tree, mut heads) = load_tree(&mut tx).await?;
        for row in EventStore::load_streams(&mut *tx, extra).await? {
            heads.insert(row.stream_id, Head::try_from(row)?);
        }
        let held: HashSet<String> = EventStore::held_claims(&mut *tx, claims).await?.into_iter().collect();
        let events = decide(&tree, &heads, &held)?;
        let committed = self.commit(Via::Transaction(&mut tx), &heads, events, Vec::new(), ctx).await??;
        tx.commit().await?;
        // Any family's schema may have changed: cached schemas are checked by their guards anyway,
        // but dropping them now saves the failed attempt.
        if let Ok(mut schemas) = self.schemas.lock() {
            schemas.clear();
        }
        Ok(committed)
    }

    /// Runs a command on streams that no schema depends on (brands), or a product retirement.
    pub async fn change_streams(
        &self,
        ctx: &CommandContext,
        ids: &[Uuid],
        decide: impl FnOnce(&HashMap<Uuid, Head>) -> Result<Vec<NewEvent>, ApiError>,
    ) -> Result<Committed, ApiError> {
        let heads = load_heads(&mut *self.store.pool().acquire().await?, ids).await?;
        let events = decide(&heads)?;
        Ok(self.commit(Via::Group, &heads, events, Vec::new(), ctx).await??)
    }

    /// Runs a command on streams that other commands write at the same moment — stock during
    /// checkouts, above all. `load` reads the heads it needs (and anything else, `X`), `decide`
    /// decides on them, and the append names every written stream's expected version. When
    /// another command appended to one of them first, the append is refused as stale and the
    /// command is loaded and decided again on what that one left: this is what makes 50
    /// concurrent orders for 10 units reserve exactly 10. Returns what was committed and what
    /// the last round loaded.
    pub async fn change_contended<X, F>(
        &self,
        ctx: &CommandContext,
        mut load: impl FnMut() -> F,
        mut decide: impl FnMut(&HashMap<Uuid, Head>, &X) -> Result<Vec<NewEvent>, ApiError>,
    ) -> Result<(Committed, X), ApiError>
    where
        F: std::future::Future<Output = Result<(HashMap<Uuid, Head>, X), ApiError>>,
    {
        let mut attempt = 0;
        loop {
            let (heads, loaded) = load().await?;
            let events = decide(&heads, &loaded)?;
            match self.commit(Via::Group, &heads, events, Vec::new(), ctx).await? {
                Err(AppendError::StaleVersion(_)) if attempt < CONTENDED_RETRIES => {
                    attempt += 1;
                    // A little jitter, so the losers of one round do not all meet again in the next.
                    let jitter = Uuid::new_v4().as_u128() % u128::from(attempt.min(8) + 1);
                    tokio::time::sleep(std::time::Duration::from_millis(jitter as u64)).await;
                }
                other => return Ok((other?, loaded)),
            }
        }
    }

    /// Appends decided events inside the caller's transaction, so that rows of its own (media:
    /// which keys a medium references) commit with them or not at all. The append's own refusals
    /// come back apart.
    pub async fn append_in(
        &self,
        tx: &mut PgConnection,
        heads: &HashMap<Uuid, Head>,
        events: Vec<NewEvent>,
        ctx: &CommandContext,
    ) -> Result<Result<Committed, AppendError>, ApiError> {
        self.commit(Via::Transaction(tx), heads, events, Vec::new(), ctx).await
    }

    /// Stream heads by id as `conn` sees them (inside a caller's transaction).
    pub async fn heads_in(conn: &mut PgConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Head>, ApiError> {
        load_heads(conn, ids).await
    }

    /// Stream heads by id, as committed now (absent streams are simply missing).
    pub async fn heads(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Head>, ApiError> {
        load_heads(&mut *self.store.pool().acquire().await?, ids).await
    }

    /// Folds and appends decided events. The append's own refusals come back apart (inner
    /// result), so that callers can retry some of them.
    async fn commit(
        &self,
        via: Via<'_>,
        heads: &HashMap<Uuid, Head>,
        events: Vec<NewEvent>,
        guards: Vec<(Uuid, i64)>,
        ctx: &CommandContext,
    ) -> Result<Result<Committed, AppendError>, ApiError> {
        if events.is_empty() {
            // Nothing changed: answer with where the streams already are.
            let mut pooled;
            let conn = match via {
                Via::Transaction(tx) => tx,
                Via::Group => {
                    pooled = self.store.pool().acquire().await?;
                    &mut *pooled
                }
            };
            if let Some(stream) = EventStore::unmet(&mut *conn, &ctx.requires).await? {
                return Ok(Err(AppendError::Unmet(stream.to_string())));
            }
            let ids: Vec<Uuid> = heads.keys().copied().collect();
            let position = EventStore::streams_position(&mut *conn, &ids).await?.unwrap_or(0);
            return Ok(Ok(Committed { position, heads: heads.clone() }));
        }
        let (mut append, after) = prepare(heads, events)?;
        append.guards = guards;
        append.requires = ctx.requires.clone();
        let key = ctx.idempotency.as_ref().filter(|key| !key.is_recorded());
        append.idempotency = key.map(|key| key.key.clone());
        let appended = match via {
            Via::Transaction(tx) => match EventStore::append(&mut *tx, &append, &ctx.metadata, ctx.now).await {
                Ok(position) => match &append.idempotency {
                    Some(key) => EventStore::record_key(&mut *tx, key, position).await.map(|()| position),
                    None => Ok(position),
                },
                refused => refused,
            },
            Via::Group => self.appender.append(&append, &ctx.metadata, ctx.now).await,
        };
        if let (Some(key), Ok(_)) = (key, &appended) {
            key.recorded();
        }
        // The heads as the command leaves them: the streams it wrote, and those it only read.
        let mut heads = heads.clone();
        heads.extend(after);
        Ok(appended.map(|position| Committed { position, heads }))
    }

    /// The schema of a family's products, from the cache or the write database.
    pub async fn family_schema(&self, family_id: Uuid) -> Result<Option<Arc<FamilySchema>>, ApiError> {
        if let Some(found) = self.schemas.lock().ok().and_then(|s| s.get(&family_id).cloned()) {
            return Ok(Some(found));
        }
        let lineage = EventStore::load_lineage(self.store.pool(), family_id).await?;
        let guards: Vec<(Uuid, i64)> = lineage.iter().map(|r| (r.stream_id, r.version)).collect();
        let mut heads = lineage.into_iter().map(Head::try_from);
        let Some(Aggregate::Family(family)) = heads.next().transpose()?.map(|h| h.state) else {
            return Ok(None);
        };
        let mut chain: Vec<Category> = Vec::new();
        for head in heads {
            if let Aggregate::Category(category) = head?.state {
                chain.push(category);
            }
        }
        chain.reverse();
        let schema = family.schema_over(chain.iter());
        let found = Arc::new(FamilySchema { family, schema, guards });
        if let Ok(mut schemas) = self.schemas.lock() {
            if schemas.len() >= SCHEMA_CACHE_LIMIT {
                schemas.clear();
            }
            schemas.insert(family_id, found.clone());
        }
        Ok(Some(found))
    }

    /// Drops the cached schema of a family (an append was refused as decided on an old one).
    pub fn forget_schema(&self, family_id: Uuid) {
        if let Ok(mut schemas) = self.schemas.lock() {
            schemas.remove(&family_id);
        }
    }

    /// Runs a product command validated against its family's schema, guarded against concurrent
    /// schema changes (see the module comment). `product` is the product's head, if it exists.
    pub async fn change_product(
        &self,
        ctx: &CommandContext,
        family_id: Uuid,
        product: Option<Head>,
        decide: impl Fn(&FamilySchema, Option<&Product>) -> Result<Vec<NewEvent>, DomainError>,
    ) -> Result<Committed, ApiError> {
        let current = match product.as_ref().map(|h| &h.state) {
            Some(Aggregate::Product(p)) => Some(p.clone()),
            _ => None,
        };
        let mut heads = HashMap::new();
        if let (Some(head), Some(p)) = (product, &current) {
            heads.insert(p.id, head);
        }
        for _ in 0..SCHEMA_RETRIES {
            let schema = self.family_schema(family_id).await?.ok_or(DomainError::referenced(
                "family",
                family_id,
                "family_id",
            ))?;
            let events = decide(&schema, current.as_ref())?;
            match self.commit(Via::Group, &heads, events, schema.guards.clone(), ctx).await? {
                Err(AppendError::SchemaChanged) => self.forget_schema(family_id),
                other => return Ok(other?),
            }
        }
        Err(AppendError::SchemaChanged.into())
    }

    /// A product's head, folded from its events, if the id names a product.
    pub async fn product(&self, id: Uuid) -> Result<Option<Head>, ApiError> {
        let stored = EventStore::read_stream(self.store.pool(), id).await?;
        if stored.first().is_none_or(|e| e.stream_type != StreamType::Product.as_str()) {
            return Ok(None);
        }
        let mut state = None;
        let mut version = 0;
        for event in stored {
            state = Some(fold(state, id, &event.event_type, event.schema_version, &event.payload)?);
            version = event.version;
        }
        Ok(state.map(|state| Head { version, state }))
    }

    /// Stream heads by id and one product folded from its events, in one round trip (a cart line:
    /// the buyer, the cart, the company and the product's terms, and the product).
    pub async fn heads_and_product(
        &self,
        ids: &[Uuid],
        product_id: Uuid,
    ) -> Result<(HashMap<Uuid, Head>, Option<Product>), ApiError> {
        let (rows, events) = EventStore::heads_and_stream(self.store.pool(), ids, product_id).await?;
        let mut product = None;
        for event in events.iter().filter(|e| e.stream_type == StreamType::Product.as_str()) {
            product = Some(fold(product, event.stream_id, &event.event_type, event.schema_version, &event.payload)?);
        }
        let mut heads = HashMap::new();
        for row in rows {
            heads.insert(row.stream_id, Head::try_from(row)?);
        }
        let product = match product {
            Some(Aggregate::Product(product)) => Some(product),
            _ => None,
        };
        Ok((heads, product))
    }

    /// Products by id, each folded from its events (ids that name no product are absent).
    pub async fn products(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Product>, ApiError> {
        Ok(self
            .product_heads(ids)
            .await?
            .into_iter()
            .filter_map(|(id, head)| match head.state {
                Aggregate::Product(product) => Some((id, product)),
                _ => None,
            })
            .collect())
    }

    /// Products' heads by id (version and state), each folded from its events, in one round
    /// trip (ids that name no product are absent).
    pub async fn product_heads(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Head>, ApiError> {
        let mut folded: HashMap<Uuid, Head> = HashMap::new();
        for event in EventStore::read_streams(self.store.pool(), ids).await? {
            if event.stream_type != StreamType::Product.as_str() {
                continue;
            }
            let state = folded.remove(&event.stream_id).map(|head| head.state);
            let next = fold(state, event.stream_id, &event.event_type, event.schema_version, &event.payload)?;
            folded.insert(event.stream_id, Head { version: event.version, state: next });
        }
        Ok(folded)
    }

    /// Appends many commands' appends (each `prepare`d on its own streams) as one transaction on
    /// a connection of its own, outside the group appender: all or none. The guards are the union
    /// of theirs, and the context's requirements are checked once. For bulk work (an import's
    /// batch of products), whose caller decides again one by one when the whole is refused.
    pub async fn append_all(
        &self,
        ctx: &CommandContext,
        appends: Vec<Append>,
        guards: &[(Uuid, i64)],
    ) -> Result<Result<i64, AppendError>, ApiError> {
        let mut merged = Append { guards: guards.to_vec(), requires: ctx.requires.clone(), ..Append::default() };
        for append in appends {
            merged.events.extend(append.events);
            merged.streams.extend(append.streams);
            merged.claims.extend(append.claims);
            merged.releases.extend(append.releases);
        }
        if merged.events.is_empty() {
            return Ok(Ok(0));
        }
        match EventStore::append(self.store.pool(), &merged, &ctx.metadata, ctx.now).await {
            Err(error @ AppendError::Database(_)) => Err(error.into()),
            other => Ok(other),
        }
    }

    /// Runs a command on streams already loaded (a product retirement).
    pub async fn change_loaded(
        &self,
        ctx: &CommandContext,
        heads: HashMap<Uuid, Head>,
        decide: impl FnOnce(&HashMap<Uuid, Head>) -> Result<Vec<NewEvent>, DomainError>,
    ) -> Result<Committed, ApiError> {
        let events = decide(&heads)?;
        Ok(self.commit(Via::Group, &heads, events, Vec::new(), ctx).await??)
    }
}

/// A stream's state with one more stored event folded in.
fn fold(
    state: Option<Aggregate>,
    stream_id: Uuid,
    event_type: &str,
    schema_version: i16,
    payload: &serde_json::Value,
) -> Result<Aggregate, ApiError> {
    let decoded = Event::from_stored(event_type, schema_version, payload).map_err(|e| ApiError::Internal(e.into()))?;
    evolve(state, stream_id, &decoded).map_err(|e| ApiError::Internal(e.into()))
}

async fn load_heads(conn: &mut PgConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Head>, ApiError> {
    let mut heads = HashMap::new();
    for row in EventStore::load_streams(&mut *conn, ids).await? {
        heads.insert(row.stream_id, Head::try_from(row)?);
    }
    Ok(heads)
}

/// The whole category tree and which categories hold families.
async fn load_tree(conn: &mut PgConnection) -> Result<(CategoryTree, HashMap<Uuid, Head>), ApiError> {
    let mut heads = HashMap::new();
    let mut categories = Vec::new();
    for row in EventStore::load_streams_of_type(&mut *conn, StreamType::Category.as_str()).await? {
        let head = Head::try_from(row)?;
        if let Aggregate::Category(category) = &head.state {
            categories.push(category.clone());
            heads.insert(category.id, head);
        }
    }
    let holding = EventStore::parents_of_type(&mut *conn, StreamType::Family.as_str()).await?;
    Ok((CategoryTree::new(categories, holding), heads))
}
