//! Applying events to the read model, inside the caller's transaction, with the search path set to
//! the schema being written (the live `catalog`, or a rebuild's copy).
//!
//! A batch is applied in three steps: the touched rows' states are loaded and the events folded
//! into them with the domain's own `evolve` (so the read model can never disagree with the write
//! side on what an event means); the changed rows are written back, one statement per table; then
//! what derives from other rows is refreshed — resolved attribute sets and ancestor names below a
//! changed category, and every product's family, brand, category and schema columns when those
//! changed (and the thumbnails of products whose media changed). Per stream, an event at or below the row's version is skipped: applying a batch twice
//! changes nothing. Commerce streams are written by `commerce`,
//! media lists by `media`.

mod catalog;
mod commerce;
mod derived;
mod lexicon;
mod media;
mod products;

use std::collections::{HashMap, HashSet};

use domain::product::Product;
use domain::{evolve, Aggregate, Event, StreamType};
use event_store::StoredEvent;
use serde_json::Value;
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
#[tracing::instrument(skip_all, fields(events = events.len()))]
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
    catalog::write(conn, &changed, &existed, &history).await?;
    derived::refresh(conn, &changed).await?;
    media::refresh_thumbnails(conn, &changed).await?;
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
         UNION ALL SELECT id, version, position, state FROM orders WHERE id = ANY($1) \
         UNION ALL SELECT id, version, position, state FROM media_lists WHERE id = ANY($1)",
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

pub(crate) fn unreadable(id: Uuid, error: serde_json::Error) -> ApplyError {
    ApplyError::Database(sqlx::Error::Decode(format!("read-model row {id} is unreadable: {error}").into()))
}
