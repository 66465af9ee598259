//! Reading: stream heads and snapshots, one stream's events, and the global order, gap-safe.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{FromRow, PgExecutor};
use uuid::Uuid;

use crate::EventStore;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, FromRow)]
pub struct StoredEvent {
    pub position: i64,
    pub event_id: Uuid,
    pub stream_id: Uuid,
    pub stream_type: String,
    pub version: i64,
    pub event_type: String,
    pub schema_version: i16,
    pub payload: Value,
    pub actor_id: String,
    pub actor_role: String,
    pub request_id: String,
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Clone, Debug, FromRow)]
pub struct StreamRow {
    pub stream_id: Uuid,
    pub stream_type: String,
    pub version: i64,
    pub parent_id: Option<Uuid>,
    pub snapshot: Value,
}

const EVENT_COLUMNS: &str =
    "position, event_id, stream_id, stream_type, version, event_type, schema_version, payload, \
     actor_id, actor_role, request_id, correlation_id, causation_id, recorded_at";

impl EventStore {
    /// The streams holding the claims named (`(claim, stream)`; a claim no stream holds is absent):
    /// a unique value resolved to its stream as the last committed append left it.
    pub async fn claim_holders(
        executor: impl PgExecutor<'_>,
        claims: &[String],
    ) -> Result<Vec<(String, Uuid)>, sqlx::Error> {
        if claims.is_empty() {
            return Ok(Vec::new());
        }
        sqlx::query_as("SELECT claim, stream_id FROM claims WHERE claim = ANY($1)")
            .bind(claims)
            .fetch_all(executor)
            .await
    }

    /// The first of `requires` (`(stream, object)`, as `Append::requires` takes them) whose
    /// stream's head snapshot does not contain its object, if any: what an append would refuse
    /// with `AppendError::Unmet`, for commands that append nothing and for reads.
    pub async fn unmet(executor: impl PgExecutor<'_>, requires: &[(Uuid, Value)]) -> Result<Option<Uuid>, sqlx::Error> {
        if requires.is_empty() {
            return Ok(None);
        }
        let (ids, objects): (Vec<Uuid>, Vec<Value>) = requires.iter().cloned().unzip();
        sqlx::query_scalar(
            "SELECT r.stream_id FROM unnest($1::uuid[], $2::jsonb[]) AS r(stream_id, snapshot) \
              WHERE NOT EXISTS (SELECT 1 FROM streams s WHERE s.stream_id = r.stream_id AND s.snapshot @> r.snapshot) \
              LIMIT 1",
        )
        .bind(ids)
        .bind(objects)
        .fetch_optional(executor)
        .await
    }

    /// Stream heads by id; missing streams are simply absent.
    pub async fn load_streams(executor: impl PgExecutor<'_>, ids: &[Uuid]) -> Result<Vec<StreamRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT stream_id, stream_type, version, parent_id, snapshot FROM streams WHERE stream_id = ANY($1)",
        )
        .bind(ids)
        .fetch_all(executor)
        .await
    }

    /// Which of `claims` some stream holds now.
    pub async fn held_claims(executor: impl PgExecutor<'_>, claims: &[String]) -> Result<Vec<String>, sqlx::Error> {
        if claims.is_empty() {
            return Ok(Vec::new());
        }
        sqlx::query_scalar("SELECT claim FROM claims WHERE claim = ANY($1)").bind(claims).fetch_all(executor).await
    }

    /// Every head of one stream type: categories or families (the only types indexed by type).
    pub async fn load_streams_of_type(
        executor: impl PgExecutor<'_>,
        stream_type: &str,
    ) -> Result<Vec<StreamRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT stream_id, stream_type, version, parent_id, snapshot FROM streams WHERE stream_type = $1",
        )
        .bind(stream_type)
        .fetch_all(executor)
        .await
    }

    /// The distinct parents of the streams of one type (for families: the categories holding them).
    pub async fn parents_of_type(executor: impl PgExecutor<'_>, stream_type: &str) -> Result<Vec<Uuid>, sqlx::Error> {
        sqlx::query_scalar("SELECT DISTINCT parent_id FROM streams WHERE stream_type = $1 AND parent_id IS NOT NULL")
            .bind(stream_type)
            .fetch_all(executor)
            .await
    }

    /// A stream head and every ancestor above it through `parent_id`, nearest first.
    pub async fn load_lineage(executor: impl PgExecutor<'_>, stream_id: Uuid) -> Result<Vec<StreamRow>, sqlx::Error> {
        sqlx::query_as(
            "WITH RECURSIVE lineage AS ( \
                 SELECT stream_id, stream_type, version, parent_id, snapshot, 0 AS depth FROM streams WHERE stream_id = $1 \
                 UNION ALL \
                 SELECT s.stream_id, s.stream_type, s.version, s.parent_id, s.snapshot, l.depth + 1 \
                   FROM streams s JOIN lineage l ON s.stream_id = l.parent_id WHERE l.depth < 64 \
             ) SELECT stream_id, stream_type, version, parent_id, snapshot FROM lineage ORDER BY depth",
        )
        .bind(stream_id)
        .fetch_all(executor)
        .await
    }

    /// The events of several streams, each stream's in version order.
    pub async fn read_streams(executor: impl PgExecutor<'_>, ids: &[Uuid]) -> Result<Vec<StoredEvent>, sqlx::Error> {
        sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = ANY($1) ORDER BY stream_id, version"
        ))
        .bind(ids)
        .fetch_all(executor)
        .await
    }

    /// One stream's events in version order.
    pub async fn read_stream(executor: impl PgExecutor<'_>, stream_id: Uuid) -> Result<Vec<StoredEvent>, sqlx::Error> {
        sqlx::query_as(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = $1 ORDER BY version"))
            .bind(stream_id)
            .fetch_all(executor)
            .await
    }

    /// The position of a stream's latest event.
    pub async fn stream_position(executor: impl PgExecutor<'_>, stream_id: Uuid) -> Result<Option<i64>, sqlx::Error> {
        // The stream's last event by version, through the (stream_id, version) key: `max(position)`
        // is planned as a backward walk of the whole events table.
        sqlx::query_scalar("SELECT position FROM events WHERE stream_id = $1 ORDER BY version DESC LIMIT 1")
            .bind(stream_id)
            .fetch_optional(executor)
            .await
    }

    /// The position of the latest event of any of the streams named, in one round trip (each
    /// stream's last event through the (stream_id, version) key, as `stream_position`).
    pub async fn streams_position(executor: impl PgExecutor<'_>, ids: &[Uuid]) -> Result<Option<i64>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT max(last.position) FROM unnest($1::uuid[]) AS s(id) \
             CROSS JOIN LATERAL (SELECT position FROM events WHERE stream_id = s.id \
                                  ORDER BY version DESC LIMIT 1) AS last",
        )
        .bind(ids)
        .fetch_one(executor)
        .await
    }

    /// Up to `limit` events after `after` in global order, never past an event whose transaction
    /// may still commit below it. Positions follow transaction ids (see migrations/write/0001), and
    /// every transaction below the oldest one still running has ended, so what this returns is a
    /// prefix of the final order: nothing can later appear at or below the last position read.
    /// A long transaction in the write database holds the reader back until it ends (see
    /// `migrations/write/0006_read_horizon.sql`).
    pub async fn read_all(
        executor: impl PgExecutor<'_>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, sqlx::Error> {
        sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM events \
              WHERE position > $1 AND position < (SELECT events_horizon()) \
              ORDER BY position LIMIT $2"
        ))
        .bind(after)
        .bind(limit)
        .fetch_all(executor)
        .await
    }

    /// The highest position committed so far (whether or not it is safe to read yet).
    pub async fn head_position(executor: impl PgExecutor<'_>) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT coalesce(max(position), 0) FROM events").fetch_one(executor).await
    }
}
