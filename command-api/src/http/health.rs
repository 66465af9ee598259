//! Liveness and readiness: the write database answers, and how far the event store has got.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use event_store::EventStore;
use serde_json::{json, Value};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/health", get(health))
}

async fn health(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match EventStore::head_position(state.catalog.store().pool()).await {
        Ok(position) => (StatusCode::OK, Json(json!({ "status": "ok", "database": "ok", "position": position }))),
        Err(error) => {
            tracing::warn!(error = %error, "health check: write database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "database": "unreachable" })))
        }
    }
}
