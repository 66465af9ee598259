//! Reads that inspect the store as a whole rather than serve a command: counts and selections of
//! events, claims and heads, for operators' tools, benchmarks and tests.

use serde_json::Value;
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::{EventStore, StoredEvent};

/// Which events to read: each field set narrows the selection; the default is every event.
#[derive(Clone, Copy, Debug, Default)]
pub struct EventFilter<'a> {
    pub stream_id: Option<Uuid>,
    pub stream_type: Option<&'a str>,
    pub event_type: Option<&'a str>,
    pub version: Option<i64>,
    pub correlation_id: Option<Uuid>,
    pub actor_id: Option<&'a str>,
    /// Only events after this global position.
    pub after: Option<i64>,
    /// At most this many (the first in global order).
    pub limit: Option<i64>,
}

impl<'a> EventFilter<'a> {
    /// Every event.
    pub fn all() -> Self {
        EventFilter::default()
    }

    pub fn stream(self, stream_id: Uuid) -> Self {
        EventFilter { stream_id: Some(stream_id), ..self }
    }

    pub fn stream_type(self, stream_type: &'a str) -> Self {
        EventFilter { stream_type: Some(stream_type), ..self }
    }

    pub fn event_type(self, event_type: &'a str) -> Self {
        EventFilter { event_type: Some(event_type), ..self }
    }

    pub fn version(self, version: i64) -> Self {
        EventFilter { version: Some(version), ..self }
    }

    pub fn correlation(self, correlation_id: Uuid) -> Self {
        EventFilter { correlation_id: Some(correlation_id), ..self }
    }

    pub fn actor(self, actor_id: &'a str) -> Self {
        EventFilter { actor_id: Some(actor_id), ..self }
    }

    pub fn after(self, position: i64) -> Self {
        EventFilter { after: Some(position), ..self }
    }

    pub fn limit(self, limit: i64) -> Self {
        EventFilter { limit: Some(limit), ..self }
    }
}

impl EventStore {
    /// The events `filter` selects, in global order (committed ones, whatever the read horizon).
    pub async fn events(
        executor: impl PgExecutor<'_>,
        filter: &EventFilter<'_>,
    ) -> Result<Vec<StoredEvent>, sqlx::Error> {
        sqlx::query_as!(
            StoredEvent,
            "SELECT position, event_id, stream_id, stream_type, version, event_type, schema_version, payload, \
                    actor_id, actor_role, request_id, correlation_id, causation_id, recorded_at \
               FROM events \
              WHERE ($1::uuid IS NULL OR stream_id = $1) AND ($2::text IS NULL OR stream_type = $2) \
                AND ($3::text IS NULL OR event_type = $3) AND ($4::int8 IS NULL OR version = $4) \
                AND ($5::uuid IS NULL OR correlation_id = $5) AND ($6::text IS NULL OR actor_id = $6) \
                AND ($7::int8 IS NULL OR position > $7) \
              ORDER BY position LIMIT $8",
            filter.stream_id,
            filter.stream_type,
            filter.event_type,
            filter.version,
            filter.correlation_id,
            filter.actor_id,
            filter.after,
            filter.limit,
        )
        .fetch_all(executor)
        .await
    }

    /// The stream of each event `filter` selects, in global order (no payloads read).
    pub async fn stream_ids(executor: impl PgExecutor<'_>, filter: &EventFilter<'_>) -> Result<Vec<Uuid>, sqlx::Error> {
        sqlx::query_scalar!(
            "SELECT stream_id FROM events \
              WHERE ($1::uuid IS NULL OR stream_id = $1) AND ($2::text IS NULL OR stream_type = $2) \
                AND ($3::text IS NULL OR event_type = $3) AND ($4::int8 IS NULL OR version = $4) \
                AND ($5::uuid IS NULL OR correlation_id = $5) AND ($6::text IS NULL OR actor_id = $6) \
                AND ($7::int8 IS NULL OR position > $7) \
              ORDER BY position LIMIT $8",
            filter.stream_id,
            filter.stream_type,
            filter.event_type,
            filter.version,
            filter.correlation_id,
            filter.actor_id,
            filter.after,
            filter.limit,
        )
        .fetch_all(executor)
        .await
    }

    /// How many events `filter` selects (its `limit` aside).
    pub async fn count_events(executor: impl PgExecutor<'_>, filter: &EventFilter<'_>) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar!(
            r#"SELECT count(*) AS "count!" FROM events
                WHERE ($1::uuid IS NULL OR stream_id = $1) AND ($2::text IS NULL OR stream_type = $2)
                  AND ($3::text IS NULL OR event_type = $3) AND ($4::int8 IS NULL OR version = $4)
                  AND ($5::uuid IS NULL OR correlation_id = $5) AND ($6::text IS NULL OR actor_id = $6)
                  AND ($7::int8 IS NULL OR position > $7)"#,
            filter.stream_id,
            filter.stream_type,
            filter.event_type,
            filter.version,
            filter.correlation_id,
            filter.actor_id,
            filter.after,
        )
        .fetch_one(executor)
        .await
    }

    /// How many claims are held whose value starts with `prefix` (`""`: all of them).
    pub async fn count_claims(executor: impl PgExecutor<'_>, prefix: &str) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM claims WHERE starts_with(claim, $1)"#, prefix)
            .fetch_one(executor)
            .await
    }

    /// How many stream heads there are of `stream_type` (any, if `None`) whose snapshot contains
    /// `containing` (any, if `None`).
    pub async fn count_heads(
        executor: impl PgExecutor<'_>,
        stream_type: Option<&str>,
        containing: Option<&Value>,
    ) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar!(
            r#"SELECT count(*) AS "count!" FROM streams
                WHERE ($1::text IS NULL OR stream_type = $1) AND ($2::jsonb IS NULL OR snapshot @> $2)"#,
            stream_type,
            containing,
        )
        .fetch_one(executor)
        .await
    }

    /// Whether some head of `stream_type` has a snapshot containing `containing`.
    pub async fn any_head(
        executor: impl PgExecutor<'_>,
        stream_type: &str,
        containing: &Value,
    ) -> Result<bool, sqlx::Error> {
        sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM streams WHERE stream_type = $1 AND snapshot @> $2) AS "exists!""#,
            stream_type,
            containing,
        )
        .fetch_one(executor)
        .await
    }

    /// How many callers recorded the idempotency key `key`.
    pub async fn count_keys(executor: impl PgExecutor<'_>, key: &str) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM idempotency_keys WHERE key = $1"#, key)
            .fetch_one(executor)
            .await
    }
}
