//! The audit trail, for audit and replay tooling (admins, ops and auditors; buyers never): one
//! stream's events, history queries (`history`), the state as of a moment (`state`) and signed
//! exports (`export`). Secrets in payloads (password hashes) are blanked: they are never served.

mod export;
mod history;
pub(crate) mod params;
mod state;

use axum::extract::{Path, State};
use axum::Json;
use event_store::{EventStore, StoredEvent};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::ApiError;
use crate::extract::AuditReader;
use crate::identity::rights;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(stream_events))
        .routes(routes!(history::events))
        .routes(routes!(export::export))
        .routes(routes!(history::entity))
        .routes(routes!(history::field))
        .routes(routes!(state::state_as_of))
}

/// Every event of one stream, oldest first, with its metadata (the audit trail).
#[utoipa::path(get, path = "/v1/streams/{id}/events", tag = "audit", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The stream (an aggregate's id)")),
    responses((status = 200, description = "The stream's events", body = Vec<StoredEvent>),
              (status = 403, description = "Not an admin, ops or auditor", body = service_http::openapi::Problem),
              (status = 404, description = "No such stream", body = service_http::openapi::Problem)))]
async fn stream_events(
    State(state): State<AppState>,
    AuditReader(reader): AuditReader,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<StoredEvent>>, ApiError> {
    rights::check(state.catalog.store(), &reader).await?;
    let mut events = EventStore::read_stream(state.catalog.store().pool(), id).await?;
    for event in &mut events {
        domain::identity::redact(&mut event.payload);
    }
    if events.is_empty() {
        return Err(ApiError::NotFound(format!("stream {id} does not exist")));
    }
    Ok(Json(events))
}
