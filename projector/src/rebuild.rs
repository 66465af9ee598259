//! `projector rebuild`: replays the whole events table into a fresh copy of the read model beside
//! the live one, indexes it, and swaps it in atomically.
//!
//! The query API keeps reading the live schema until the swap commits. The swap locks the live
//! checkpoint table (the live projector waits), brings the copy up to the live checkpoint if the
//! live projection got further during the replay, and renames the schemas, so the read model
//! never goes back. A live projector that waited carries on over the new tables (its next batch
//! starts from their checkpoint).

use std::time::{Duration, Instant};

use event_store::{EventStore, StoredEvent};
use sqlx::{PgConnection, PgPool};
use tokio::task::JoinHandle;

use crate::apply::apply;
use crate::checkpoint;
use crate::consume::ProjectError;
use crate::invalidate::Invalidator;

/// The copy's schema while it is built.
pub const REBUILD_SCHEMA: &str = "catalog_rebuild";
const RETIRED_SCHEMA: &str = "catalog_retired";

#[derive(Clone, Copy, Debug)]
pub struct RebuildOptions {
    /// Events read from the write database per page.
    pub page: i64,
    /// Connections a page's product events are split over, applied at once.
    pub lanes: usize,
    /// Replay only the events up to this position (`ferrule audit replay`: the read model as it
    /// was then); `None` replays everything.
    pub until: Option<i64>,
}

impl Default for RebuildOptions {
    fn default() -> Self {
        RebuildOptions { page: 5_000, lanes: 2, until: None }
    }
}

/// What a rebuild did.
#[derive(Clone, Copy, Debug, Default)]
pub struct Rebuilt {
    pub events: u64,
    /// Events applied in the swap transaction, which the live projection had reached meanwhile.
    pub caught_up: u64,
    pub checkpoint: i64,
    pub replay: Duration,
    pub indexing: Duration,
    pub swap: Duration,
}

/// Progress: events replayed so far, and the position reached.
pub trait Progress {
    fn replayed(&self, events: u64, position: i64);
    fn phase(&self, name: &str);
}

impl Progress for () {
    fn replayed(&self, _: u64, _: i64) {}
    fn phase(&self, _: &str) {}
}

/// Rebuilds the read model from the event store and swaps it in.
#[tracing::instrument(skip_all)]
pub async fn rebuild(
    read: &PgPool,
    write: &PgPool,
    options: RebuildOptions,
    progress: &impl Progress,
) -> Result<Rebuilt, ProjectError> {
    rebuild_and_invalidate(read, write, options, progress, &Invalidator::off()).await
}

/// As `rebuild`, and turns away every answer the query cache holds from the old read model.
#[tracing::instrument(skip_all)]
pub async fn rebuild_and_invalidate(
    read: &PgPool,
    write: &PgPool,
    options: RebuildOptions,
    progress: &impl Progress,
    invalidator: &Invalidator,
) -> Result<Rebuilt, ProjectError> {
    let mut done = Rebuilt::default();
    let started = Instant::now();
    prepare(read).await?;

    // Replay, reading the next page while the current one is applied.
    let page = options.page.max(1);
    let mut after = 0;
    let mut next = read_page(write, after, page);
    loop {
        let mut events = next.await.map_err(|e| ProjectError::Task(e.to_string()))??;
        if let Some(until) = options.until {
            events.retain(|e| e.position <= until);
        }
        let Some(last) = events.last() else { break };
        let recorded_at = last.recorded_at;
        after = last.position;
        next = read_page(write, after, page);
        done.events += events.len() as u64;
        apply_page(read, events, options.lanes).await?;
        let mut tx = read.begin().await?;
        loading(&mut tx).await?;
        checkpoint::advance(&mut tx, after, Some(recorded_at)).await?;
        tx.commit().await?;
        progress.replayed(done.events, after);
    }
    done.replay = started.elapsed();

    progress.phase("indexing");
    let indexing = Instant::now();
    index_copy(read, options.lanes).await?;
    done.indexing = indexing.elapsed();

    progress.phase("swapping");
    let swap = Instant::now();
    let (caught_up, position) = swap_in(read, write, after, invalidator).await?;
    done.caught_up = caught_up;
    done.checkpoint = position;
    done.swap = swap.elapsed();
    Ok(done)
}

/// Applies one page to the copy: the catalog's structure (categories, brands, families) first, in
/// order, then the products, split by product over `lanes` connections applied at once. A product
/// depends only on the structure rows it takes its columns from, which are then as they stand at
/// the end of the page, as applying in order ends with too; each product's own events stay in
/// order in its lane.
#[tracing::instrument(skip_all, fields(events = events.len(), lanes))]
async fn apply_page(read: &PgPool, events: Vec<StoredEvent>, lanes: usize) -> Result<(), ProjectError> {
    let lanes = lanes.max(1);
    let (products, structure): (Vec<StoredEvent>, Vec<StoredEvent>) =
        events.into_iter().partition(|e| e.stream_type == "product");
    if !structure.is_empty() {
        let mut tx = read.begin().await?;
        loading(&mut tx).await?;
        apply(&mut tx, &structure).await?;
        tx.commit().await?;
    }
    let mut split: Vec<Vec<StoredEvent>> = vec![Vec::new(); lanes];
    for event in products {
        split[(event.stream_id.as_u128() % lanes as u128) as usize].push(event);
    }
    let applying: Vec<JoinHandle<Result<(), ProjectError>>> = split
        .into_iter()
        .filter(|lane| !lane.is_empty())
        .map(|lane| {
            let read = read.clone();
            tokio::spawn(async move {
                let mut tx = read.begin().await?;
                loading(&mut tx).await?;
                apply(&mut tx, &lane).await?;
                tx.commit().await?;
                Ok(())
            })
        })
        .collect();
    for lane in applying {
        lane.await.map_err(|e| ProjectError::Task(e.to_string()))??;
    }
    Ok(())
}

/// Builds the copy's indexes, `lanes` at a time, each with room to sort in memory.
#[tracing::instrument(skip_all)]
async fn index_copy(read: &PgPool, lanes: usize) -> Result<(), ProjectError> {
    let mut statements: Vec<String> = sqlx::query_scalar("SELECT read_model_indexes()").fetch_all(read).await?;
    // Longest first (they are listed so): the others fill in beside them.
    statements.reverse();
    let queue = std::sync::Arc::new(tokio::sync::Mutex::new(statements));
    let builders: Vec<JoinHandle<Result<(), ProjectError>>> = (0..lanes.max(1))
        .map(|_| {
            let (read, queue) = (read.clone(), queue.clone());
            tokio::spawn(async move {
                loop {
                    let Some(statement) = queue.lock().await.pop() else { return Ok(()) };
                    let mut tx = read.begin().await?;
                    into_copy(&mut tx).await?;
                    sqlx::query("SET LOCAL maintenance_work_mem = '256MB'").execute(&mut *tx).await?;
                    sqlx::query(&statement).execute(&mut *tx).await?;
                    tx.commit().await?;
                }
            })
        })
        .collect();
    for builder in builders {
        builder.await.map_err(|e| ProjectError::Task(e.to_string()))??;
    }
    let mut tx = read.begin().await?;
    into_copy(&mut tx).await?;
    sqlx::query("ANALYZE products").execute(&mut *tx).await?;
    sqlx::query("ANALYZE product_numbers").execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// A fresh, empty copy (dropping what an interrupted rebuild left).
async fn prepare(read: &PgPool) -> Result<(), ProjectError> {
    let mut tx = read.begin().await?;
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {RETIRED_SCHEMA} CASCADE")).execute(&mut *tx).await?;
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {REBUILD_SCHEMA} CASCADE")).execute(&mut *tx).await?;
    sqlx::query("SELECT create_read_model($1)").bind(REBUILD_SCHEMA).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

async fn into_copy(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query(&format!("SET LOCAL search_path TO {REBUILD_SCHEMA}, public")).execute(&mut *conn).await?;
    Ok(())
}

/// For a transaction that loads the copy: its commit need not wait for the disk. A crash before
/// the swap discards the copy whatever it holds (the next rebuild starts afresh), and the swap's
/// own commit is durable, which flushes everything the loads wrote before it.
async fn loading(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    into_copy(&mut *conn).await?;
    sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *conn).await?;
    Ok(())
}

fn read_page(write: &PgPool, after: i64, limit: i64) -> JoinHandle<Result<Vec<StoredEvent>, ProjectError>> {
    let write = write.clone();
    tokio::spawn(async move { EventStore::read_all(&write, after, limit).await.map_err(ProjectError::Write) })
}

/// In one transaction: hold the live projection, catch the copy up to it, rename the schemas.
/// Returns the events caught up and the checkpoint the new live schema starts from. The old
/// tables are dropped afterwards, apart: dropping them takes each table's exclusive lock, and
/// doing that while holding the others would deadlock with a query reading two of them.
async fn swap_in(
    read: &PgPool,
    write: &PgPool,
    mut position: i64,
    invalidator: &Invalidator,
) -> Result<(u64, i64), ProjectError> {
    let mut tx = read.begin().await?;
    sqlx::query("LOCK TABLE catalog.checkpoint IN ACCESS EXCLUSIVE MODE").execute(&mut *tx).await?;
    let live: i64 = sqlx::query_scalar("SELECT position FROM catalog.checkpoint").fetch_one(&mut *tx).await?;
    let mut caught_up = 0;
    if live > position {
        let missing = crate::consume::fill(write, position, live + 1).await?;
        if let Some(last) = missing.last() {
            into_copy(&mut tx).await?;
            apply(&mut tx, &missing).await?;
            checkpoint::advance(&mut tx, last.position, Some(last.recorded_at)).await?;
            position = last.position;
            caught_up = missing.len() as u64;
        }
    }
    sqlx::query(&format!("ALTER SCHEMA catalog RENAME TO {RETIRED_SCHEMA}")).execute(&mut *tx).await?;
    sqlx::query(&format!("ALTER SCHEMA {REBUILD_SCHEMA} RENAME TO catalog")).execute(&mut *tx).await?;
    checkpoint::notify(&mut tx, position).await?;
    // Answers read from the old tables may carry the swap's position itself as their stamp: the
    // marker goes one beyond, so the cache holds nothing from them once the new ones are live
    // (and stores answers again from the next projected event on).
    invalidator.everything_before(position + 1).await;
    tx.commit().await?;
    drop_retired(read).await;
    Ok((caught_up, position))
}

/// Drops the tables a swap retired once the queries still reading them have finished; each
/// attempt waits a little for its locks and gives way rather than stall new queries. What is left
/// after the attempts, the next rebuild drops.
async fn drop_retired(read: &PgPool) {
    for attempt in 1..=20 {
        let dropped = async {
            let mut tx = read.begin().await?;
            sqlx::query("SET LOCAL lock_timeout = '500ms'").execute(&mut *tx).await?;
            sqlx::query(&format!("DROP SCHEMA IF EXISTS {RETIRED_SCHEMA} CASCADE")).execute(&mut *tx).await?;
            tx.commit().await
        }
        .await;
        match dropped {
            Ok(()) => return,
            Err(error) => tracing::debug!(%error, attempt, "the retired read model is still in use"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tracing::warn!("the retired read model ({RETIRED_SCHEMA}) is still in use; the next rebuild drops it");
}
