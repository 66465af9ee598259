//! History queries over the audit trail (issue 17): events selected by stream, type, actor,
//! request, correlation, time and position, paged by position. The filters are optional, so the
//! SQL is built with only the predicates given (each one planned against its own index of write
//! migration 0016), never one statement of `$n IS NULL OR …` that plans for none of them.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::{EventStore, StoredEvent};

/// Which events a history query selects; every field set narrows it (empty vectors select all).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct AuditFilter {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stream_ids: Vec<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_type: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub event_types: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Recorded at or after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    /// Recorded before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<DateTime<Utc>>,
    /// Only positions above.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_position: Option<i64>,
    /// Only positions below.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before_position: Option<i64>,
    /// One stream's versions from (inclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_version: Option<i64>,
    /// One stream's versions to (inclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_version: Option<i64>,
}

impl AuditFilter {
    /// Whether the filter narrows the events to something an index bounds: a stream, an actor, a
    /// correlation or request id, a closed time range or a closed position range. Types alone do
    /// not: each is a large share of ten million events.
    pub fn is_bounded(&self) -> bool {
        !self.stream_ids.is_empty()
            || self.actor.is_some()
            || self.correlation_id.is_some()
            || self.request_id.is_some()
            || (self.from.is_some() && self.to.is_some())
            || (self.after_position.is_some() && self.before_position.is_some())
    }

    fn push_where(&self, qb: &mut QueryBuilder<'_, Postgres>) {
        qb.push(" WHERE TRUE");
        if !self.stream_ids.is_empty() {
            qb.push(" AND stream_id = ANY(").push_bind(self.stream_ids.clone()).push(")");
        }
        if let Some(stream_type) = &self.stream_type {
            qb.push(" AND stream_type = ").push_bind(stream_type.clone());
        }
        if !self.event_types.is_empty() {
            qb.push(" AND event_type = ANY(").push_bind(self.event_types.clone()).push(")");
        }
        if let Some(actor) = &self.actor {
            qb.push(" AND actor_id = ").push_bind(actor.clone());
        }
        if let Some(correlation_id) = self.correlation_id {
            qb.push(" AND correlation_id = ").push_bind(correlation_id);
        }
        if let Some(request_id) = &self.request_id {
            qb.push(" AND request_id = ").push_bind(request_id.clone());
        }
        if let Some(from) = self.from {
            qb.push(" AND recorded_at >= ").push_bind(from);
        }
        if let Some(to) = self.to {
            qb.push(" AND recorded_at < ").push_bind(to);
        }
        if let Some(after) = self.after_position {
            qb.push(" AND position > ").push_bind(after);
        }
        if let Some(before) = self.before_position {
            qb.push(" AND position < ").push_bind(before);
        }
        if let Some(from_version) = self.from_version {
            qb.push(" AND version >= ").push_bind(from_version);
        }
        if let Some(to_version) = self.to_version {
            qb.push(" AND version <= ").push_bind(to_version);
        }
    }
}

const COLUMNS: &str = "SELECT position, event_id, stream_id, stream_type, version, event_type, schema_version, \
                       payload, actor_id, actor_role, request_id, correlation_id, causation_id, recorded_at FROM events";

/// Where a stream starts: its type and the position of its first event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamStart {
    pub stream_type: String,
    pub first_position: i64,
}

impl EventStore {
    /// Up to `limit` events `filter` selects, in global order (committed ones).
    #[tracing::instrument(skip_all, fields(limit))]
    pub async fn audit_events(
        executor: impl PgExecutor<'_>,
        filter: &AuditFilter,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, sqlx::Error> {
        let mut qb = QueryBuilder::new(COLUMNS);
        filter.push_where(&mut qb);
        qb.push(" ORDER BY position LIMIT ").push_bind(limit);
        qb.build_query_as::<StoredEvent>().fetch_all(executor).await
    }

    /// The same query as `audit_events` with the index scans the planner may use switched off, in
    /// one transaction of its own: the naive baseline of `ferrule bench audit`.
    pub async fn audit_events_unindexed(
        pool: &sqlx::PgPool,
        filter: &AuditFilter,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, sqlx::Error> {
        let mut tx = pool.begin().await?;
        sqlx::query("SET LOCAL enable_indexscan = off").execute(&mut *tx).await?;
        sqlx::query("SET LOCAL enable_bitmapscan = off").execute(&mut *tx).await?;
        sqlx::query("SET LOCAL enable_indexonlyscan = off").execute(&mut *tx).await?;
        let events = Self::audit_events(&mut *tx, filter, limit).await?;
        tx.rollback().await?;
        Ok(events)
    }

    /// The highest position that is safe to read now (every transaction below it has ended): an
    /// export reads up to it, so a transaction committing late cannot land inside what it read.
    pub async fn audit_horizon(executor: impl PgExecutor<'_>) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar::<_, i64>("SELECT events_horizon()").fetch_one(executor).await
    }

    /// A stream's type and the position of its first event, if it has any events.
    pub async fn stream_start(
        executor: impl PgExecutor<'_>,
        stream_id: Uuid,
    ) -> Result<Option<StreamStart>, sqlx::Error> {
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT stream_type, position FROM events WHERE stream_id = $1 ORDER BY version LIMIT 1")
                .bind(stream_id)
                .fetch_optional(executor)
                .await?;
        Ok(row.map(|(stream_type, first_position)| StreamStart { stream_type, first_position }))
    }
}
