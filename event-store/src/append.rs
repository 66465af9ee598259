//! Appending a command's events (see `migrations/write/0003_append_events.sql` for the guarantees).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::EventStore;

/// Who did it and within which request; stored with every event of the command.
#[derive(Clone, Debug, Serialize)]
pub struct Metadata {
    pub actor_id: String,
    pub actor_role: String,
    pub request_id: String,
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
}

#[derive(Clone, Debug)]
pub struct EventToAppend {
    pub event_id: Uuid,
    pub stream_id: Uuid,
    pub stream_type: &'static str,
    pub version: i64,
    pub event_type: &'static str,
    pub schema_version: i16,
    pub payload: Value,
}

/// A stream's head after the append: the version the command saw (0 for a new stream) and the
/// version and snapshot it leaves.
#[derive(Clone, Debug, Serialize)]
pub struct StreamWrite {
    pub stream_id: Uuid,
    pub stream_type: &'static str,
    pub expected_version: i64,
    pub version: i64,
    pub parent_id: Option<Uuid>,
    pub snapshot: Value,
}

#[derive(Clone, Debug, Default)]
pub struct Append {
    pub events: Vec<EventToAppend>,
    pub streams: Vec<StreamWrite>,
    /// `(claim, stream)`: unique values the streams take.
    pub claims: Vec<(String, Uuid)>,
    /// Claims the streams give up.
    pub releases: Vec<String>,
    /// `(stream, version)`: schema streams the command was validated against.
    pub guards: Vec<(Uuid, i64)>,
    /// `(stream, object)`: streams whose head snapshot must still contain the object when the
    /// append commits (the acting user's rights); else `AppendError::Unmet`.
    pub requires: Vec<(Uuid, Value)>,
    /// The caller's `Idempotency-Key`, recorded with the events (else `AppendError::KeyUsed`).
    pub idempotency: Option<IdempotencyKey>,
}

/// An `Idempotency-Key` as the store records it: whose it is, the key, and a hash of the request
/// it was first sent with (see `migrations/write/0011_idempotency_and_batch_requirements.sql`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey {
    pub scope: Uuid,
    pub key: String,
    pub request_hash: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error("stream {0} is not at the expected version")]
    StaleVersion(String),
    #[error("the schema changed while the command was decided")]
    SchemaChanged,
    #[error("{0} is already taken")]
    ClaimTaken(String),
    /// A requirement's stream (named) no longer holds what the command required of it.
    #[error("stream {0} no longer holds what the command requires")]
    Unmet(String),
    /// Another request recorded the same idempotency key first.
    #[error("the idempotency key is already used")]
    KeyUsed,
    #[error("the event store failed")]
    Database(#[source] Arc<sqlx::Error>),
    /// A group append refused one command for a reason other than the ones above.
    #[error("the event store refused the append: {message} (SQLSTATE {code})")]
    Refused { code: String, message: String },
    #[error("the event store's group appender has stopped")]
    Stopped,
}

impl AppendError {
    /// The refusal a database error stands for, from its SQLSTATE, constraint and detail; `None`
    /// for any other failure.
    pub(crate) fn refusal(code: Option<&str>, constraint: Option<&str>, detail: &str) -> Option<AppendError> {
        match (code, constraint) {
            (Some("FR001"), _) => Some(AppendError::SchemaChanged),
            (Some("FR002"), _) => Some(AppendError::StaleVersion(detail.to_owned())),
            (Some("23505"), Some("events_stream_version_key" | "streams_pkey")) => {
                Some(AppendError::StaleVersion(detail.to_owned()))
            }
            (Some("FR003"), _) => Some(AppendError::ClaimTaken(detail.to_owned())),
            (Some("FR004"), _) => Some(AppendError::Unmet(detail.to_owned())),
            (Some("FR005"), _) | (Some("23505"), Some("idempotency_keys_pkey")) => Some(AppendError::KeyUsed),
            _ => None,
        }
    }
}

impl From<sqlx::Error> for AppendError {
    fn from(error: sqlx::Error) -> Self {
        let refusal = error.as_database_error().and_then(|db| {
            let detail = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().and_then(|e| e.detail());
            AppendError::refusal(db.code().as_deref(), db.constraint(), detail.unwrap_or_default())
        });
        refusal.unwrap_or_else(|| AppendError::Database(Arc::new(error)))
    }
}

/// One command's append as `append_events` and `append_batch` take it.
pub(crate) fn arguments(append: &Append, metadata: &Metadata, recorded_at: DateTime<Utc>) -> Value {
    let events: Vec<Value> = append
        .events
        .iter()
        .map(|e| {
            json!({
                "event_id": e.event_id,
                "stream_id": e.stream_id,
                "stream_type": e.stream_type,
                "version": e.version,
                "event_type": e.event_type,
                "schema_version": e.schema_version,
                "payload": e.payload,
                "actor_id": metadata.actor_id,
                "actor_role": metadata.actor_role,
                "request_id": metadata.request_id,
                "correlation_id": metadata.correlation_id,
                "causation_id": metadata.causation_id,
                "recorded_at": recorded_at,
            })
        })
        .collect();
    let mut claims: Vec<&(String, Uuid)> = append.claims.iter().collect();
    claims.sort();
    let claims: Vec<Value> =
        claims.iter().map(|(claim, stream_id)| json!({"claim": claim, "stream_id": stream_id})).collect();
    let guards: Vec<Value> =
        append.guards.iter().map(|(stream_id, version)| json!({"stream_id": stream_id, "version": version})).collect();
    let requires: Vec<Value> = append
        .requires
        .iter()
        .map(|(stream_id, snapshot)| json!({"stream_id": stream_id, "snapshot": snapshot}))
        .collect();
    let mut arguments = json!({
        "events": events,
        "streams": append.streams,
        "claims": claims,
        "releases": append.releases,
        "guards": guards,
        "requires": requires,
    });
    if let Some(key) = &append.idempotency {
        arguments["idempotency"] = json!({
            "scope": key.scope,
            "key": key.key,
            "request_hash": hex::encode(&key.request_hash),
        });
    }
    arguments
}

impl EventStore {
    /// Appends atomically. On a pool connection this is a transaction of its own; inside an open
    /// transaction it must come before any other write of that transaction. Returns the global
    /// position of the last event.
    #[tracing::instrument(skip_all, fields(events = append.events.len()))]
    pub async fn append(
        executor: impl PgExecutor<'_>,
        append: &Append,
        metadata: &Metadata,
        recorded_at: DateTime<Utc>,
    ) -> Result<i64, AppendError> {
        let arguments = arguments(append, metadata, recorded_at);
        let position = sqlx::query_scalar!(
            r#"SELECT append_events($1, $2, $3, $4, $5, $6) AS "position!""#,
            &arguments["events"],
            &arguments["streams"],
            &arguments["claims"],
            &append.releases,
            &arguments["guards"],
            &arguments["requires"],
        )
        .fetch_one(executor)
        .await?;
        Ok(position)
    }

    /// Records an idempotency key in the transaction that has just appended its command's events
    /// (`append` on the same connection): the group appender does this inside `append_batch`.
    #[tracing::instrument(skip_all)]
    pub async fn record_key(
        executor: impl PgExecutor<'_>,
        key: &IdempotencyKey,
        position: i64,
    ) -> Result<(), AppendError> {
        sqlx::query!(
            "INSERT INTO idempotency_keys (scope, key, request_hash, position) VALUES ($1, $2, $3, $4)",
            key.scope,
            key.key,
            key.request_hash,
            position,
        )
        .execute(executor)
        .await?;
        Ok(())
    }
}
