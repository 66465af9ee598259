//! History queries: events by filter (`GET /v1/audit/events`), one entity's history by version
//! (`GET /v1/audit/{stream_type}/{id}`) and one field's changes over time (`…/fields/{field}`),
//! each event with who did it, in which request, and what changed.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use chrono::{DateTime, Utc};
use event_store::{AuditFilter, EventStore, StoredEvent};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgExecutor;
use utoipa::ToSchema;
use uuid::Uuid;

use super::params::{self, Shape, LIMIT_CAP};
use crate::error::ApiError;
use crate::extract::AuditReader;
use crate::identity::rights;
use crate::state::AppState;

/// Who recorded an event: the user (with their email as their stream holds it now, when the actor
/// is a user) or a system actor, and the role the token carried.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuditActor {
    /// A user id, or a system actor's name (`system:…`).
    pub id: String,
    pub email: Option<String>,
    pub role: String,
}

/// The stream an event belongs to, and the version it made.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuditStream {
    #[serde(rename = "type")]
    pub stream_type: String,
    pub id: Uuid,
    pub version: i64,
}

/// One field's change: what it was and what it became (`null`: absent).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct FieldChange {
    #[schema(schema_with = any_value)]
    pub from: Value,
    #[schema(schema_with = any_value)]
    pub to: Value,
}

/// One event of the audit trail, secrets redacted.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    /// The global position (the paging key).
    pub position: i64,
    pub event_id: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub actor: AuditActor,
    pub request_id: String,
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
    pub stream: AuditStream,
    #[serde(rename = "type")]
    pub event_type: String,
    pub schema_version: i16,
    /// `field → {from, to}`: a change event's changes as it recorded them (nested fields joined
    /// with '.', as `specs.voltage`); a stream's first event, every field of its payload from null.
    pub diff: BTreeMap<String, FieldChange>,
    /// The payload as stored (secrets redacted).
    #[schema(value_type = Object)]
    pub payload: Value,
}

/// Any JSON value (a field's value before or after a change).
fn any_value() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::schema::SchemaType::AnyValue).build()
}

/// One page of events, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    /// Pass as `after_position` (with the same filters) for the next page; `null` on the last.
    pub next_after_position: Option<i64>,
}

/// The diff of a stored payload (see `AuditEvent::diff`).
pub fn diff_of(version: i64, payload: &Value) -> BTreeMap<String, FieldChange> {
    let mut diff = BTreeMap::new();
    let Value::Object(fields) = payload else { return diff };
    let change = |value: &Value| match value {
        Value::Object(map) if map.len() == 2 && map.contains_key("from") && map.contains_key("to") => {
            Some(FieldChange { from: map["from"].clone(), to: map["to"].clone() })
        }
        _ => None,
    };
    for (key, value) in fields {
        if let Some(c) = change(value) {
            diff.insert(key.clone(), c);
        } else if let (true, Value::Object(changes)) = (key == "changes", value) {
            diff.extend(changes.iter().filter_map(|(field, v)| change(v).map(|c| (field.clone(), c))));
        } else if version == 1 {
            diff.insert(key.clone(), FieldChange { from: Value::Null, to: value.clone() });
        }
    }
    diff
}

/// The events with their actors' emails (one lookup for the page's users).
pub async fn present(executor: impl PgExecutor<'_>, events: Vec<StoredEvent>) -> Result<Vec<AuditEvent>, ApiError> {
    let mut users: Vec<Uuid> = events.iter().filter_map(|e| Uuid::parse_str(&e.actor_id).ok()).collect();
    users.sort_unstable();
    users.dedup();
    let emails: HashMap<Uuid, String> = EventStore::load_streams(executor, &users)
        .await?
        .into_iter()
        .filter(|head| head.stream_type == "user")
        .filter_map(|head| {
            head.snapshot.get("email").and_then(Value::as_str).map(|email| (head.stream_id, email.to_owned()))
        })
        .collect();
    Ok(events.into_iter().map(|event| audit_event(event, &emails)).collect())
}

fn audit_event(mut event: StoredEvent, emails: &HashMap<Uuid, String>) -> AuditEvent {
    domain::identity::redact(&mut event.payload);
    let email = Uuid::parse_str(&event.actor_id).ok().and_then(|id| emails.get(&id).cloned());
    AuditEvent {
        position: event.position,
        event_id: event.event_id,
        recorded_at: event.recorded_at,
        actor: AuditActor { id: event.actor_id, email, role: event.actor_role },
        request_id: event.request_id,
        correlation_id: event.correlation_id,
        causation_id: event.causation_id,
        stream: AuditStream { stream_type: event.stream_type, id: event.stream_id, version: event.version },
        diff: diff_of(event.version, &event.payload),
        event_type: event.event_type,
        schema_version: event.schema_version,
        payload: event.payload,
    }
}

/// One page of what `filter` selects (one event more is read to know whether another page follows).
async fn page(state: &AppState, filter: &AuditFilter, limit: i64) -> Result<AuditPage, ApiError> {
    let pool = state.catalog.store().pool();
    let mut events = EventStore::audit_events(pool, filter, limit + 1).await?;
    let more = events.len() as i64 > limit;
    events.truncate(limit.max(0) as usize);
    let next_after_position = if more { events.last().map(|e| e.position) } else { None };
    Ok(AuditPage { events: present(pool, events).await?, next_after_position })
}

/// Events of the whole trail by filter, oldest first, paged by position. Filters combine (AND);
/// `stream_id` and `event_type` repeat (OR within each). A query must be bounded by a stream,
/// an actor, a correlation or request id, a time range (`from` and `to`) or a position range.
#[utoipa::path(get, path = "/v1/audit/events", tag = "audit", security(("bearer" = [])),
    params(
        ("stream_id" = Option<Vec<Uuid>>, Query, explode = true, description = "Only these streams (repeatable)"),
        ("stream_type" = Option<String>, Query, description = "Only streams of this type (`product`, `price_list`, …)"),
        ("event_type" = Option<Vec<String>>, Query, explode = true, description = "Only these event types (repeatable)"),
        ("actor" = Option<String>, Query, description = "Only events recorded by this actor (a user id)"),
        ("correlation_id" = Option<Uuid>, Query, description = "Only events of this correlation"),
        ("request_id" = Option<String>, Query, description = "Only events of this request"),
        ("from" = Option<DateTime<Utc>>, Query, description = "Recorded at or after (RFC 3339)"),
        ("to" = Option<DateTime<Utc>>, Query, description = "Recorded before (RFC 3339)"),
        ("after_position" = Option<i64>, Query, minimum = 0, description = "Only positions above (the paging cursor)"),
        ("before_position" = Option<i64>, Query, minimum = 1, description = "Only positions below"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Events per page (default 100, at most 500)"),
    ),
    responses((status = 200, description = "One page of events", body = AuditPage),
              (status = 401, description = "No valid access token", body = service_http::openapi::Problem),
              (status = 403, description = "Not an admin, ops or auditor", body = service_http::openapi::Problem),
              (status = 422, description = "Bad parameters, every one named: malformed, unknown stream or event type, inverted range, limit over 500, or `unbounded`", body = service_http::openapi::Problem)))]
#[tracing::instrument(skip_all)]
pub async fn events(
    State(state): State<AppState>,
    AuditReader(reader): AuditReader,
    RawQuery(query): RawQuery,
) -> Result<Json<AuditPage>, ApiError> {
    let (filter, limit) = params::read(query.as_deref(), Shape::Events { paged: true }).finish()?;
    rights::check(state.catalog.store(), &reader).await?;
    Ok(Json(page(&state, &filter, limit).await?))
}

/// 404 unless `id` is a stream of `stream_type` with events.
pub async fn entity_exists(state: &AppState, stream_type: &str, id: Uuid) -> Result<i64, ApiError> {
    let kind = params::path_stream_type(stream_type)?;
    match EventStore::stream_start(state.catalog.store().pool(), id).await? {
        Some(start) if start.stream_type == kind.as_str() => Ok(start.first_position),
        _ => Err(ApiError::NotFound(format!("{stream_type} {id} does not exist"))),
    }
}

/// One entity's history, by version (oldest first), paged by position.
#[utoipa::path(get, path = "/v1/audit/{stream_type}/{id}", tag = "audit", security(("bearer" = [])),
    params(
        ("stream_type" = String, Path, description = "The entity's stream type (`product`, `category`, `price_list`, …)"),
        ("id" = Uuid, Path, description = "The entity"),
        ("from_version" = Option<i64>, Query, minimum = 1, description = "From this version (inclusive)"),
        ("to_version" = Option<i64>, Query, minimum = 1, description = "To this version (inclusive)"),
        ("after_position" = Option<i64>, Query, minimum = 0, description = "The paging cursor"),
        ("before_position" = Option<i64>, Query, minimum = 1, description = "Only positions below"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Events per page (default 100, at most 500)"),
    ),
    responses((status = 200, description = "One page of the entity's events", body = AuditPage),
              (status = 401, description = "No valid access token", body = service_http::openapi::Problem),
              (status = 403, description = "Not an admin, ops or auditor", body = service_http::openapi::Problem),
              (status = 404, description = "No such entity of that type", body = service_http::openapi::Problem),
              (status = 422, description = "Unknown stream type or bad parameters, every one named", body = service_http::openapi::Problem)))]
#[tracing::instrument(skip_all)]
pub async fn entity(
    State(state): State<AppState>,
    AuditReader(reader): AuditReader,
    Path((stream_type, id)): Path<(String, Uuid)>,
    RawQuery(query): RawQuery,
) -> Result<Json<AuditPage>, ApiError> {
    params::path_stream_type(&stream_type)?;
    let (mut filter, limit) = params::read(query.as_deref(), Shape::Entity).finish()?;
    rights::check(state.catalog.store(), &reader).await?;
    entity_exists(&state, &stream_type, id).await?;
    filter.stream_ids = vec![id];
    Ok(Json(page(&state, &filter, limit).await?))
}

/// One change of one field.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldHistoryEntry {
    pub position: i64,
    pub version: i64,
    pub recorded_at: DateTime<Utc>,
    #[serde(rename = "type")]
    pub event_type: String,
    pub actor: AuditActor,
    pub request_id: String,
    /// The field changed (`specs` matches `specs.voltage`).
    pub field: String,
    #[schema(schema_with = any_value)]
    pub from: Value,
    #[schema(schema_with = any_value)]
    pub to: Value,
}

/// One field's changes over time.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldHistory {
    pub stream: AuditStream,
    pub field: String,
    pub changes: Vec<FieldHistoryEntry>,
    /// Pass as `after_position` for the next page; `null` on the last.
    pub next_after_position: Option<i64>,
}

/// The changes of one field of one entity over time, oldest first (its first value included).
/// `specs` matches every spec (`specs.voltage`, …); `specs.voltage` that one.
#[utoipa::path(get, path = "/v1/audit/{stream_type}/{id}/fields/{field}", tag = "audit", security(("bearer" = [])),
    params(
        ("stream_type" = String, Path, description = "The entity's stream type"),
        ("id" = Uuid, Path, description = "The entity"),
        ("field" = String, Path, description = "The field (`name`, `specs.voltage`, `price`, …)"),
        ("after_position" = Option<i64>, Query, minimum = 0, description = "The paging cursor"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Changes per page (default 100, at most 500)"),
    ),
    responses((status = 200, description = "The field's changes", body = FieldHistory),
              (status = 401, description = "No valid access token", body = service_http::openapi::Problem),
              (status = 403, description = "Not an admin, ops or auditor", body = service_http::openapi::Problem),
              (status = 404, description = "No such entity of that type", body = service_http::openapi::Problem),
              (status = 422, description = "Unknown stream type or bad parameters, every one named", body = service_http::openapi::Problem)))]
#[tracing::instrument(skip_all)]
pub async fn field(
    State(state): State<AppState>,
    AuditReader(reader): AuditReader,
    Path((stream_type, id, field)): Path<(String, Uuid, String)>,
    RawQuery(query): RawQuery,
) -> Result<Json<FieldHistory>, ApiError> {
    params::path_stream_type(&stream_type)?;
    let (filter, limit) = params::read(query.as_deref(), Shape::Entity).finish()?;
    rights::check(state.catalog.store(), &reader).await?;
    entity_exists(&state, &stream_type, id).await?;
    let pool = state.catalog.store().pool();
    let mut scan = AuditFilter { stream_ids: vec![id], ..filter };
    let (mut changes, mut version, mut next) = (Vec::new(), 0, None);
    let matches =
        |key: &str| key == field || key.strip_prefix(field.as_str()).is_some_and(|rest| rest.starts_with('.'));
    'scan: loop {
        let batch = EventStore::audit_events(pool, &scan, LIMIT_CAP).await?;
        let last = batch.len() < LIMIT_CAP as usize;
        for event in present(pool, batch).await? {
            // A page ends between events, so that an event's changes are never split.
            if changes.len() as i64 >= limit {
                next = scan.after_position;
                break 'scan;
            }
            version = event.stream.version;
            scan.after_position = Some(event.position);
            for (key, change) in event.diff.iter().filter(|(key, _)| matches(key)) {
                changes.push(FieldHistoryEntry {
                    position: event.position,
                    version: event.stream.version,
                    recorded_at: event.recorded_at,
                    event_type: event.event_type.clone(),
                    actor: event.actor.clone(),
                    request_id: event.request_id.clone(),
                    field: key.clone(),
                    from: change.from.clone(),
                    to: change.to.clone(),
                });
            }
        }
        if last {
            break;
        }
    }
    let stream = AuditStream { stream_type, id, version };
    Ok(Json(FieldHistory { stream, field, changes, next_after_position: next }))
}
