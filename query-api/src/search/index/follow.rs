//! Keeping the in-memory index at the read model's position.
//!
//! At start the index is built from every product (in name order, so the first matches of any
//! set are its first names). Then it applies the rows changed after the checkpoint it last saw:
//! the projector marks each product row it writes with the checkpoint its batch started from + 1
//! (`changed_at`, migrations/read/0003), in the transaction that moves the checkpoint, so one
//! snapshot's checkpoint and changed rows agree. A rebuild swaps in new tables, which the index
//! notices by the table's identity and answers by loading again, serving the old index meanwhile.
//!
//! A search asks for the index at the position its request saw (`ReadAt`), so a search never
//! reflects less than the read model did when the request arrived.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row as _};
use tokio::sync::Mutex;
use uuid::Uuid;

use super::{Index, Row};
use crate::error::ApiError;

/// How often the follower looks for changes when no request asks for them first.
const FOLLOW_EVERY: Duration = Duration::from_millis(250);

const COLUMNS: &str = "SELECT id, name, category_id, retired, tsvector_to_array(name_terms), \
                       tsvector_to_array(family_terms), tsvector_to_array(brand_terms), \
                       tsvector_to_array(spec_terms), facets FROM catalog.products";

struct State {
    index: Index,
    /// The read model's checkpoint the index reflects.
    position: i64,
    /// The identity (oid) of the products table it was loaded from; none before the first load.
    table: Option<i64>,
}

/// The index and what keeps it current; clones share it.
#[derive(Clone)]
pub struct SearchIndex {
    read: PgPool,
    state: Arc<RwLock<State>>,
    /// One refresh at a time; others wait for it and then find the index current.
    refreshing: Arc<Mutex<()>>,
}

impl SearchIndex {
    /// An index over the read database, loaded and then followed in the background.
    pub fn start(read: PgPool) -> SearchIndex {
        let index = SearchIndex::new(read);
        let follower = index.clone();
        tokio::spawn(async move {
            loop {
                if let Err(error) = follower.refresh(i64::MAX).await {
                    tracing::warn!(error = %error, "the search index could not follow the read model; retrying");
                }
                tokio::time::sleep(FOLLOW_EVERY).await;
            }
        });
        index
    }

    /// An index that is loaded only when asked (tests).
    pub fn new(read: PgPool) -> SearchIndex {
        let state = State { index: Index::default(), position: -1, table: None };
        SearchIndex { read, state: Arc::new(RwLock::new(state)), refreshing: Arc::new(Mutex::new(())) }
    }

    /// Runs `query` over the index once it reflects at least `position` of the read model.
    pub async fn read<R>(&self, position: i64, query: impl FnOnce(&Index) -> R) -> Result<R, ApiError> {
        if self.position() < position.max(0) {
            self.refresh(position.max(0)).await?;
        }
        let state = self.state.read().map_err(|_| poisoned())?;
        Ok(query(&state.index))
    }

    /// The checkpoint the index reflects (-1 before it is loaded).
    pub fn position(&self) -> i64 {
        self.state.read().map(|state| state.position).unwrap_or(-1)
    }

    /// The checkpoint the index reflects (none before it is loaded) and the products it finds.
    pub fn status(&self) -> (Option<i64>, u64) {
        self.state
            .read()
            .map(|state| ((state.position >= 0).then_some(state.position), state.index.len()))
            .unwrap_or((None, 0))
    }

    /// Brings the index to the read model's checkpoint, unless it is at `wanted` already.
    async fn refresh(&self, wanted: i64) -> Result<(), ApiError> {
        let _one = self.refreshing.lock().await;
        let (position, table) = {
            let state = self.state.read().map_err(|_| poisoned())?;
            (state.position, state.table)
        };
        if wanted != i64::MAX && position >= wanted {
            return Ok(());
        }
        let mut tx = self.read.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
        let (checkpoint, now) = head(&mut tx).await?;
        if table == Some(now) && checkpoint == position {
            return Ok(());
        }
        if table != Some(now) {
            let started = Instant::now();
            let index = load(&mut tx).await?;
            // A swap between the first look and the load would have mixed two tables.
            if head(&mut tx).await?.1 != now {
                return Err(ApiError::Internal(anyhow::anyhow!("the read model was swapped while loading")));
            }
            tracing::info!(
                products = index.len(),
                position = checkpoint,
                millis = started.elapsed().as_millis() as u64,
                "search index loaded"
            );
            let old = {
                let mut state = self.state.write().map_err(|_| poisoned())?;
                let old = std::mem::replace(&mut state.index, index);
                (state.position, state.table) = (checkpoint, Some(now));
                old
            };
            drop(old);
            return Ok(());
        }
        let rows: Vec<Row> = sqlx::query(&format!("{COLUMNS} WHERE changed_at > $1"))
            .bind(position)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(row)
            .collect::<Result<_, _>>()?;
        let mut state = self.state.write().map_err(|_| poisoned())?;
        for row in rows {
            state.index.upsert(row);
        }
        state.position = checkpoint;
        Ok(())
    }
}

/// A writer panicked while changing the index: it may be half-changed, so it is not served.
fn poisoned() -> ApiError {
    ApiError::Internal(anyhow::anyhow!("the search index lock is poisoned"))
}

/// The read model's checkpoint and the identity of its products table.
async fn head(conn: &mut PgConnection) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as("SELECT (SELECT position FROM catalog.checkpoint), 'catalog.products'::regclass::oid::int8")
        .fetch_one(conn)
        .await
}

async fn load(conn: &mut PgConnection) -> Result<Index, ApiError> {
    let mut index = Index::default();
    let sql = format!("{COLUMNS} ORDER BY name, id");
    let mut rows = sqlx::query(&sql).fetch(conn);
    while let Some(found) = rows.try_next().await? {
        index.upsert(row(&found)?);
    }
    Ok(index)
}

fn row(found: &PgRow) -> Result<Row, sqlx::Error> {
    Ok(Row {
        id: found.try_get(0)?,
        name: found.try_get(1)?,
        category: found.try_get::<Option<Uuid>, _>(2)?,
        retired: found.try_get(3)?,
        terms: [found.try_get(4)?, found.try_get(5)?, found.try_get(6)?, found.try_get(7)?],
        facets: found.try_get(8)?,
    })
}
