//! Liveness and readiness: the read database answers, how far the read model has got and, when the
//! write database is configured, how far behind the event store it is.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use sqlx::PgPool;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health)).routes(routes!(live))
}

/// Liveness: the process answers HTTP. Nothing is read, so an orchestrator restarts the service
/// for a hang, not for a database outage (which `/v1/health` reports).
#[utoipa::path(get, path = "/v1/health/live", tag = "health",
    responses((status = 200, description = "Alive", body = super::schemas::Live)))]
async fn live() -> Json<Value> {
    Json(json!({ "status": "live" }))
}

/// How far the read model trails the event store.
#[derive(sqlx::FromRow)]
struct Lag {
    /// The last position in the write database.
    write_head: Option<i64>,
    /// Events not applied yet (counted up to a million, so the check stays cheap).
    behind: i64,
    /// Seconds since the oldest unapplied event was recorded (0: none).
    lag_seconds: f64,
}

/// Readiness: the read database answers, how far the read model has got and how far behind the
/// event store it is (when the write database is configured).
#[utoipa::path(get, path = "/v1/health", tag = "health",
    responses((status = 200, description = "Ready", body = super::schemas::Health),
              (status = 503, description = "The read database is unreachable", body = super::schemas::Health)))]
async fn health(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let checkpoint = match read_store::checkpoint(&state.read).await {
        Ok(checkpoint) => checkpoint,
        Err(error) => {
            tracing::warn!(error = %error, "health check: read database unreachable");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": "unreachable" })),
            );
        }
    };
    let mut body = json!({
        "status": "ok",
        "database": "ok",
        "checkpoint": {
            "position": checkpoint.position,
            "event_at": checkpoint.event_at,
            "updated_at": checkpoint.updated_at,
        },
        "search_index": search_index(&state),
        "write_database": "not_configured",
        "write_head": null,
        "behind": null,
        "lag_seconds": null,
    });
    if let Some(write) = &state.write {
        match lag(write, checkpoint.position).await {
            Ok(lag) => {
                body["write_database"] = json!("ok");
                body["write_head"] = json!(lag.write_head);
                body["behind"] = json!(lag.behind);
                body["lag_seconds"] = json!(lag.lag_seconds);
            }
            Err(error) => {
                // The read side still serves; the lag is merely unknown.
                tracing::warn!(error = %error, "health check: write database unreachable");
                body["write_database"] = json!("unreachable");
            }
        }
    }
    (StatusCode::OK, Json(body))
}

async fn lag(write: &PgPool, position: i64) -> Result<Lag, sqlx::Error> {
    sqlx::query_as(
        "SELECT (SELECT max(position) FROM events) AS write_head,
                (SELECT count(*) FROM (SELECT 1 FROM events WHERE position > $1 LIMIT 1000000) AS unapplied) AS behind,
                coalesce((SELECT greatest(extract(epoch FROM now() - recorded_at), 0)::float8
                            FROM events WHERE position > $1 ORDER BY position LIMIT 1), 0) AS lag_seconds",
    )
    .bind(position)
    .fetch_one(write)
    .await
}

/// The in-memory search index: the checkpoint it reflects (null while it loads at start; searches
/// wait for it) and the products it finds.
fn search_index(state: &AppState) -> Value {
    let (position, products) = state.search.index.status();
    json!({ "loaded": position.is_some(), "position": position, "products": products })
}
