//! State as of a moment: `GET /v1/audit/{stream_type}/{id}/state?at=|version=|position=`, the
//! stream's prefix folded by the domain's own `evolve` (`domain::audit::fold_stored`).

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use chrono::{DateTime, Utc};
use domain::FieldError;
use event_store::{AuditFilter, EventStore, StoredEvent};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::history::{present, AuditEvent};
use super::params;
use crate::error::ApiError;
use crate::extract::AuditReader;
use crate::identity::rights;
use crate::state::AppState;

/// An entity's state as it was after one of its events.
#[derive(Debug, Serialize, ToSchema)]
pub struct StateAsOf {
    /// The folded state (the aggregate, tagged by `kind`; secrets redacted).
    #[schema(value_type = Object)]
    pub state: Value,
    /// The version the state is at.
    pub version: i64,
    /// The global position of the event that produced it.
    pub position: i64,
    pub recorded_at: DateTime<Utc>,
    /// The event that produced it.
    pub event: AuditEvent,
}

/// Which prefix of the stream: up to a time, a version or a position (inclusive).
enum AsOf {
    At(DateTime<Utc>),
    Version(i64),
    Position(i64),
}

fn as_of(raw: Option<&str>) -> Result<AsOf, ApiError> {
    let (mut found, mut errors) = (Vec::new(), Vec::new());
    for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let number = |value: &str| value.parse::<i64>().ok().filter(|n| *n >= 1);
        match name.as_ref() {
            "at" => match DateTime::parse_from_rfc3339(&value) {
                Ok(at) => found.push(AsOf::At(at.with_timezone(&Utc))),
                Err(_) => errors.push(FieldError::new(
                    "at",
                    "invalid_time",
                    format!("at is an RFC 3339 time; {value:?} is not"),
                )),
            },
            "version" => match number(&value) {
                Some(n) => found.push(AsOf::Version(n)),
                None => errors.push(FieldError::new("version", "invalid_number", "version is a whole number from 1")),
            },
            "position" => match number(&value) {
                Some(n) => found.push(AsOf::Position(n)),
                None => errors.push(FieldError::new("position", "invalid_number", "position is a whole number from 1")),
            },
            other => {
                errors.push(FieldError::new(other, "unknown_parameter", format!("{other:?} is not a parameter here")))
            }
        }
    }
    if errors.is_empty() && found.len() > 1 {
        let message = "give at most one of at, version or position";
        errors.push(FieldError::new("at", "ambiguous", message));
    }
    // None of them: the state now, after every event of the stream.
    if errors.is_empty() && found.is_empty() {
        found.push(AsOf::Position(i64::MAX));
    }
    match (errors.is_empty(), found.pop()) {
        (true, Some(as_of)) => Ok(as_of),
        _ => Err(ApiError::Invalid(errors)),
    }
}

/// The entity's state as it was at a time, after a version, or at a global position (or now), folded by
/// the same `evolve` as the write side, with the event that produced it.
#[utoipa::path(get, path = "/v1/audit/{stream_type}/{id}/state", tag = "audit", security(("bearer" = [])),
    params(
        ("stream_type" = String, Path, description = "product, category, family, brand, price_list, stock, order, user or company"),
        ("id" = Uuid, Path, description = "The entity"),
        ("at" = Option<DateTime<Utc>>, Query, description = "As it was at this time (RFC 3339); give at most one of at, version and position, none for the state now"),
        ("version" = Option<i64>, Query, minimum = 1, description = "As it was at this version"),
        ("position" = Option<i64>, Query, minimum = 1, description = "As it was at this global position"),
    ),
    responses((status = 200, description = "The state then", body = StateAsOf),
              (status = 401, description = "No valid access token", body = service_http::openapi::Problem),
              (status = 403, description = "Not an admin, ops or auditor", body = service_http::openapi::Problem),
              (status = 404, description = "No such entity, or it did not exist yet then", body = service_http::openapi::Problem),
              (status = 422, description = "An unknown kind, or more than one of at, version, position", body = service_http::openapi::Problem)))]
#[tracing::instrument(skip_all)]
pub async fn state_as_of(
    State(state): State<AppState>,
    AuditReader(reader): AuditReader,
    Path((stream_type, id)): Path<(String, Uuid)>,
    RawQuery(query): RawQuery,
) -> Result<Json<StateAsOf>, ApiError> {
    let kind = params::path_stream_type(&stream_type)?;
    if !domain::audit::STATE_KINDS.contains(&kind) {
        let kinds: Vec<&str> = domain::audit::STATE_KINDS.iter().map(|k| k.as_str()).collect();
        let message = format!("the state of a {stream_type} is not served; kinds: {}", kinds.join(", "));
        return Err(ApiError::Invalid(vec![FieldError::new("stream_type", "unknown_kind", message)]));
    }
    let as_of = as_of(query.as_deref())?;
    rights::check(state.catalog.store(), &reader).await?;
    super::history::entity_exists(&state, &stream_type, id).await?;
    let pool = state.catalog.store().pool();
    let mut filter = AuditFilter { stream_ids: vec![id], ..AuditFilter::default() };
    match as_of {
        AsOf::At(at) => filter.to = Some(at + chrono::Duration::microseconds(1)),
        AsOf::Version(version) => filter.to_version = Some(version),
        AsOf::Position(position) => filter.before_position = Some(position.saturating_add(1)),
    }
    // A stream's prefix, read in pages (a stock stream may be long).
    let mut events: Vec<StoredEvent> = Vec::new();
    loop {
        let page = EventStore::audit_events(pool, &filter, 10_000).await?;
        let done = page.len() < 10_000;
        filter.after_position = page.last().map(|e| e.position).or(filter.after_position);
        events.extend(page);
        if done {
            break;
        }
    }
    if let AsOf::Version(version) = as_of {
        if events.last().map(|e| e.version) != Some(version) {
            return Err(ApiError::NotFound(format!("{stream_type} {id} has no version {version}")));
        }
    }
    let Some(last) = events.last().cloned() else {
        return Err(ApiError::NotFound(format!("{stream_type} {id} did not exist yet then: its first event is later")));
    };
    let stored = events.iter().map(|e| domain::audit::Stored {
        event_type: &e.event_type,
        schema_version: e.schema_version,
        payload: &e.payload,
    });
    let folded = domain::audit::fold_stored(id, stored).map_err(|e| ApiError::Internal(e.into()))?;
    let mut state_json = serde_json::to_value(&folded).map_err(|e| ApiError::Internal(e.into()))?;
    domain::identity::redact(&mut state_json);
    let event = present(pool, vec![last]).await?.into_iter().next();
    let event = event.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the producing event vanished")))?;
    Ok(Json(StateAsOf {
        state: state_json,
        version: event.stream.version,
        position: event.position,
        recorded_at: event.recorded_at,
        event,
    }))
}
