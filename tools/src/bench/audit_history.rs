//! History query latency for `ferrule bench audit` (issue 17): actor + time-range queries
//! (a random actor, a random one-month window, the first page of 100) through the event store's
//! own `audit_events`, next to the same queries with index scans switched off in the same run
//! (the naive baseline: what the query costs without write migration 0016's indexes).
//!
//! `ferrule bench audit` generates the history and calls `history_query_p95` on it.

// Called by `ferrule bench audit`, which the chain helper's branch adds: until both are merged
// nothing in this binary calls it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use event_store::{AuditFilter, EventStore};
use hdrhistogram::Histogram;
use sqlx::PgPool;

/// Events per query (the first page).
const PAGE: i64 = 100;

/// What `history_query_p95` measured, in milliseconds.
#[derive(Clone, Debug)]
pub struct HistoryLatency {
    /// Indexed queries run.
    pub queries: usize,
    /// Baseline queries run (fewer: each may read the whole table).
    pub baseline_queries: usize,
    /// Distinct actors the queries were drawn from.
    pub actors: usize,
    /// Events the indexed queries answered, in all.
    pub events: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub baseline_p50_ms: f64,
    pub baseline_p95_ms: f64,
}

impl HistoryLatency {
    /// How many times faster the indexed p95 is than the baseline's.
    pub fn speedup_p95(&self) -> f64 {
        if self.p95_ms > 0.0 {
            self.baseline_p95_ms / self.p95_ms
        } else {
            f64::INFINITY
        }
    }
}

/// A small deterministic generator (xorshift64*), so that the same seed draws the same queries.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

/// The actors of the history (up to 10,000), by a loose index scan of (actor_id, …): one index
/// probe per actor, not a read of every event.
async fn actors(pool: &PgPool) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "WITH RECURSIVE a(id) AS ( \
             SELECT min(actor_id) FROM events \
             UNION ALL \
             SELECT (SELECT min(actor_id) FROM events WHERE actor_id > a.id) FROM a WHERE a.id IS NOT NULL) \
         SELECT id FROM a WHERE id IS NOT NULL LIMIT 10000",
    )
    .fetch_all(pool)
    .await
}

async fn span(pool: &PgPool) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>, sqlx::Error> {
    let (first, last): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) =
        sqlx::query_as("SELECT min(recorded_at), max(recorded_at) FROM events").fetch_one(pool).await?;
    Ok(first.zip(last))
}

fn ms(histogram: &Histogram<u64>, quantile: f64) -> f64 {
    histogram.value_at_quantile(quantile) as f64 / 1000.0
}

/// Runs `queries` actor + one-month-window history queries (and `baseline_queries` of the same,
/// drawn alike, with index scans off) on the write database `pool`; `seed` picks the actors and
/// windows. Fails when the database holds no events.
pub async fn history_query_p95(
    pool: &PgPool,
    queries: usize,
    baseline_queries: usize,
    seed: u64,
) -> anyhow::Result<HistoryLatency> {
    let actors = actors(pool).await.context("cannot list the actors of the history")?;
    let (first, last) = span(pool).await?.context("the events table is empty: generate a history first")?;
    anyhow::ensure!(!actors.is_empty(), "the history has no actors");
    let actor_count = actors.len();
    let month = chrono::Duration::days(30);
    let room = (last - first - month).num_seconds().max(0) as u64;
    let mut draw = Draw(seed | 1);
    let mut filter = move || {
        let from = first + chrono::Duration::seconds(draw.below(room + 1) as i64);
        AuditFilter {
            actor: Some(actors[draw.below(actors.len() as u64) as usize].clone()),
            from: Some(from),
            to: Some(from + month),
            ..AuditFilter::default()
        }
    };
    let mut indexed = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3)?;
    let mut naive = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3)?;
    let mut events = 0u64;
    let micros = |elapsed: Duration| (elapsed.as_micros() as u64).max(1);
    // Warm the indexes and the plan cache once, unmeasured.
    EventStore::audit_events(pool, &filter(), PAGE).await?;
    for _ in 0..queries {
        let query = filter();
        let started = Instant::now();
        events += EventStore::audit_events(pool, &query, PAGE).await?.len() as u64;
        indexed.record(micros(started.elapsed()))?;
    }
    for _ in 0..baseline_queries {
        let query = filter();
        let started = Instant::now();
        EventStore::audit_events_unindexed(pool, &query, PAGE).await?;
        naive.record(micros(started.elapsed()))?;
    }
    Ok(HistoryLatency {
        queries,
        baseline_queries,
        actors: actor_count,
        events,
        p50_ms: ms(&indexed, 0.50),
        p95_ms: ms(&indexed, 0.95),
        baseline_p50_ms: ms(&naive, 0.50),
        baseline_p95_ms: ms(&naive, 0.95),
    })
}
