//! Liveness and readiness: the write database answers, and how far the event store has got.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use event_store::EventStore;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health))
}

/// Whether the command API can write.
#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    status: &'static str,
    #[schema(example = "ok")]
    database: &'static str,
    /// The event store's last global position (absent when the database is unreachable).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, minimum = 0)]
    position: Option<i64>,
}

/// Readiness: the write database answers, and the event store's last position.
#[utoipa::path(get, path = "/v1/health", tag = "health",
    responses((status = 200, description = "Ready", body = Health),
              (status = 503, description = "The write database is unreachable", body = Health)))]
async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    match EventStore::head_position(state.catalog.store().pool()).await {
        Ok(position) => (StatusCode::OK, Json(Health { status: "ok", database: "ok", position: Some(position) })),
        Err(error) => {
            tracing::warn!(error = %error, "health check: write database unreachable");
            let health = Health { status: "unavailable", database: "unreachable", position: None };
            (StatusCode::SERVICE_UNAVAILABLE, Json(health))
        }
    }
}
