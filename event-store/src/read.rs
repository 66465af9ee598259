//! Reading: stream heads and snapshots, one stream's events, and the global order, gap-safe.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{FromRow, PgExecutor};
use uuid::Uuid;

use crate::EventStore;

/// One event of a stream with its metadata.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoredEvent {
    /// The global position.
    pub position: i64,
    pub event_id: Uuid,
    pub stream_id: Uuid,
    pub stream_type: String,
    /// The per-stream version.
    pub version: i64,
    pub event_type: String,
    pub schema_version: i16,
    /// The event's data (served with secrets such as password hashes redacted).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
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

/// What folding a stream needs of one of its events.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamEvent {
    pub stream_id: Uuid,
    pub stream_type: String,
    pub version: i64,
    pub event_type: String,
    pub schema_version: i16,
    pub payload: Value,
}

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
        let rows = sqlx::query!("SELECT claim, stream_id FROM claims WHERE claim = ANY($1)", claims)
            .fetch_all(executor)
            .await?;
        Ok(rows.into_iter().map(|row| (row.claim, row.stream_id)).collect())
    }

    /// The head of the stream holding the first of `claims` (in their order) that some stream
    /// holds, if any: one lookup for a value that may be claimed in one of several forms.
    pub async fn head_by_claims(
        executor: impl PgExecutor<'_>,
        claims: &[String],
    ) -> Result<Option<StreamRow>, sqlx::Error> {
        if claims.is_empty() {
            return Ok(None);
        }
        sqlx::query_as!(
            StreamRow,
            "SELECT s.stream_id, s.stream_type, s.version, s.parent_id, s.snapshot \
               FROM claims c JOIN streams s ON s.stream_id = c.stream_id \
              WHERE c.claim = ANY($1) ORDER BY array_position($1, c.claim) LIMIT 1",
            claims
        )
        .fetch_optional(executor)
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
        sqlx::query_scalar!(
            r#"SELECT r.stream_id AS "stream_id!" FROM unnest($1::uuid[], $2::jsonb[]) AS r(stream_id, snapshot)
                WHERE NOT EXISTS (SELECT 1 FROM streams s WHERE s.stream_id = r.stream_id AND s.snapshot @> r.snapshot)
                LIMIT 1"#,
            &ids,
            &objects
        )
        .fetch_optional(executor)
        .await
    }

    /// Stream heads by id; missing streams are simply absent.
    #[tracing::instrument(skip_all, fields(streams = ids.len()))]
    pub async fn load_streams(executor: impl PgExecutor<'_>, ids: &[Uuid]) -> Result<Vec<StreamRow>, sqlx::Error> {
        sqlx::query_as!(
            StreamRow,
            "SELECT stream_id, stream_type, version, parent_id, snapshot FROM streams WHERE stream_id = ANY($1)",
            ids
        )
        .fetch_all(executor)
        .await
    }

    /// One stream's head, if the stream exists.
    pub async fn stream_head(executor: impl PgExecutor<'_>, stream_id: Uuid) -> Result<Option<StreamRow>, sqlx::Error> {
        sqlx::query_as!(
            StreamRow,
            "SELECT stream_id, stream_type, version, parent_id, snapshot FROM streams WHERE stream_id = $1",
            stream_id
        )
        .fetch_optional(executor)
        .await
    }

    /// Which of `claims` some stream holds now.
    pub async fn held_claims(executor: impl PgExecutor<'_>, claims: &[String]) -> Result<Vec<String>, sqlx::Error> {
        if claims.is_empty() {
            return Ok(Vec::new());
        }
        sqlx::query_scalar!("SELECT claim FROM claims WHERE claim = ANY($1)", claims).fetch_all(executor).await
    }

    /// Every head of one stream type. Only categories and families are indexed by type: for
    /// other types this reads the whole streams table.
    pub async fn load_streams_of_type(
        executor: impl PgExecutor<'_>,
        stream_type: &str,
    ) -> Result<Vec<StreamRow>, sqlx::Error> {
        sqlx::query_as!(
            StreamRow,
            "SELECT stream_id, stream_type, version, parent_id, snapshot FROM streams WHERE stream_type = $1",
            stream_type
        )
        .fetch_all(executor)
        .await
    }

    /// The distinct parents of the streams of one type (for families: the categories holding them).
    pub async fn parents_of_type(executor: impl PgExecutor<'_>, stream_type: &str) -> Result<Vec<Uuid>, sqlx::Error> {
        sqlx::query_scalar!(
            r#"SELECT DISTINCT parent_id AS "parent_id!" FROM streams WHERE stream_type = $1 AND parent_id IS NOT NULL"#,
            stream_type
        )
        .fetch_all(executor)
        .await
    }

    /// A stream head and every ancestor above it through `parent_id`, nearest first.
    #[tracing::instrument(skip_all, fields(%stream_id))]
    pub async fn load_lineage(executor: impl PgExecutor<'_>, stream_id: Uuid) -> Result<Vec<StreamRow>, sqlx::Error> {
        sqlx::query_as!(
            StreamRow,
            r#"WITH RECURSIVE lineage AS (
                   SELECT stream_id, stream_type, version, parent_id, snapshot, 0 AS depth FROM streams WHERE stream_id = $1
                   UNION ALL
                   SELECT s.stream_id, s.stream_type, s.version, s.parent_id, s.snapshot, l.depth + 1
                     FROM streams s JOIN lineage l ON s.stream_id = l.parent_id WHERE l.depth < 64
               ) SELECT stream_id AS "stream_id!", stream_type AS "stream_type!", version AS "version!", parent_id,
                        snapshot AS "snapshot!"
                   FROM lineage ORDER BY depth"#,
            stream_id
        )
        .fetch_all(executor)
        .await
    }

    /// The events of several streams, each stream's in version order.
    #[tracing::instrument(skip_all, fields(streams = ids.len()))]
    pub async fn read_streams(executor: impl PgExecutor<'_>, ids: &[Uuid]) -> Result<Vec<StoredEvent>, sqlx::Error> {
        sqlx::query_as!(
            StoredEvent,
            "SELECT position, event_id, stream_id, stream_type, version, event_type, schema_version, payload, \
                    actor_id, actor_role, request_id, correlation_id, causation_id, recorded_at \
               FROM events WHERE stream_id = ANY($1) ORDER BY stream_id, version",
            ids
        )
        .fetch_all(executor)
        .await
    }

    /// One stream's events in version order.
    #[tracing::instrument(skip_all, fields(%stream_id))]
    pub async fn read_stream(executor: impl PgExecutor<'_>, stream_id: Uuid) -> Result<Vec<StoredEvent>, sqlx::Error> {
        sqlx::query_as!(
            StoredEvent,
            "SELECT position, event_id, stream_id, stream_type, version, event_type, schema_version, payload, \
                    actor_id, actor_role, request_id, correlation_id, causation_id, recorded_at \
               FROM events WHERE stream_id = $1 ORDER BY version",
            stream_id
        )
        .fetch_all(executor)
        .await
    }

    /// Stream heads by id and the events of one stream without a head row (a product), in one
    /// round trip and so in one snapshot: heads as `load_streams`, events in version order.
    pub async fn heads_and_stream(
        executor: impl PgExecutor<'_>,
        ids: &[Uuid],
        stream_id: Uuid,
    ) -> Result<(Vec<StreamRow>, Vec<StreamEvent>), sqlx::Error> {
        let rows = sqlx::query!(
            r#"SELECT stream_id AS "stream_id!", stream_type AS "stream_type!", version AS "version!", parent_id,
                      snapshot AS "body!", NULL::text AS event_type, NULL::int2 AS schema_version
                 FROM streams WHERE stream_id = ANY($1)
               UNION ALL
               SELECT stream_id, stream_type, version, NULL::uuid, payload, event_type, schema_version
                 FROM events WHERE stream_id = $2
               ORDER BY 1, 3"#,
            ids,
            stream_id
        )
        .fetch_all(executor)
        .await?;
        let (mut heads, mut events) = (Vec::new(), Vec::new());
        for row in rows {
            match (row.event_type, row.schema_version) {
                (Some(event_type), Some(schema_version)) => events.push(StreamEvent {
                    stream_id: row.stream_id,
                    stream_type: row.stream_type,
                    version: row.version,
                    event_type,
                    schema_version,
                    payload: row.body,
                }),
                _ => heads.push(StreamRow {
                    stream_id: row.stream_id,
                    stream_type: row.stream_type,
                    version: row.version,
                    parent_id: row.parent_id,
                    snapshot: row.body,
                }),
            }
        }
        Ok((heads, events))
    }

    /// The position of a stream's latest event.
    pub async fn stream_position(executor: impl PgExecutor<'_>, stream_id: Uuid) -> Result<Option<i64>, sqlx::Error> {
        // The stream's last event by version, through the (stream_id, version) key: `max(position)`
        // is planned as a backward walk of the whole events table.
        sqlx::query_scalar!("SELECT position FROM events WHERE stream_id = $1 ORDER BY version DESC LIMIT 1", stream_id)
            .fetch_optional(executor)
            .await
    }

    /// The position of the latest event of any of the streams named, in one round trip (each
    /// stream's last event through the (stream_id, version) key, as `stream_position`).
    pub async fn streams_position(executor: impl PgExecutor<'_>, ids: &[Uuid]) -> Result<Option<i64>, sqlx::Error> {
        sqlx::query_scalar!(
            "SELECT max(last.position) FROM unnest($1::uuid[]) AS s(id) \
             CROSS JOIN LATERAL (SELECT position FROM events WHERE stream_id = s.id \
                                  ORDER BY version DESC LIMIT 1) AS last",
            ids
        )
        .fetch_one(executor)
        .await
    }

    /// Up to `limit` events after `after` in global order, never past an event whose transaction
    /// may still commit below it. Positions follow transaction ids (see migrations/write/0001), and
    /// every transaction below the oldest one still running has ended, so what this returns is a
    /// prefix of the final order: nothing can later appear at or below the last position read.
    /// A long transaction in the write database holds the reader back until it ends (see
    /// `migrations/write/0006_read_horizon.sql`).
    #[tracing::instrument(skip_all, fields(after, limit))]
    pub async fn read_all(
        executor: impl PgExecutor<'_>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, sqlx::Error> {
        sqlx::query_as!(
            StoredEvent,
            "SELECT position, event_id, stream_id, stream_type, version, event_type, schema_version, payload, \
                    actor_id, actor_role, request_id, correlation_id, causation_id, recorded_at \
               FROM events WHERE position > $1 AND position < (SELECT events_horizon()) \
              ORDER BY position LIMIT $2",
            after,
            limit
        )
        .fetch_all(executor)
        .await
    }

    /// The highest position committed so far (whether or not it is safe to read yet).
    pub async fn head_position(executor: impl PgExecutor<'_>) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar!(r#"SELECT coalesce(max(position), 0) AS "position!" FROM events"#).fetch_one(executor).await
    }
}
