//! Liveness and readiness: the write database answers, and how far the event store has got.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use event_store::EventStore;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health))
}

/// Readiness: the write database answers, and the event store's last position.
#[utoipa::path(get, path = "/v1/health", tag = "health",
    responses((status = 200, description = "Ready", body = super::schemas::Health),
              (status = 503, description = "The write database is unreachable", body = super::schemas::Health)))]
async fn health(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match EventStore::head_position(state.catalog.store().pool()).await {
        Ok(position) => (StatusCode::OK, Json(json!({ "status": "ok", "database": "ok", "position": position }))),
        Err(error) => {
            tracing::warn!(error = %error, "health check: write database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "database": "unreachable" })))
        }
    }
}
