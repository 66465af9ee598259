//! The audit trail of one stream: every event with its metadata, for audit and replay tooling
//! (admins only). Secrets in payloads (password hashes) are blanked: they are never served.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use event_store::{EventStore, StoredEvent};

use super::parse_id;
use crate::error::ApiError;
use crate::extract::Admin;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/streams/{id}/events", get(stream_events))
}

async fn stream_events(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<Vec<StoredEvent>>, ApiError> {
    let id = parse_id(&id, "stream")?;
    let mut events = EventStore::read_stream(state.catalog.store().pool(), id).await?;
    for event in &mut events {
        domain::identity::redact(&mut event.payload);
    }
    if events.is_empty() {
        return Err(ApiError::NotFound(format!("stream {id} does not exist")));
    }
    Ok(Json(events))
}
