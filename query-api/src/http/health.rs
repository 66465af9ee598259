//! Liveness and readiness: the read database answers, how far the read model has got and, when the
//! write database is configured, how far behind the event store it is.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use event_store::{Backlog, EventStore};
use read_store::Checkpoint;
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health)).routes(routes!(live))
}

#[derive(Serialize, ToSchema)]
pub struct Live {
    #[schema(example = "live")]
    status: String,
}

#[derive(Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Readiness {
    Ok,
    Unavailable,
}

#[derive(Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reachable {
    Ok,
    Unreachable,
    /// No write database is configured (`FERRULE_WRITE_DATABASE_URL`).
    NotConfigured,
}

/// How far the query API's in-memory search index has followed the read model.
#[derive(Serialize, ToSchema)]
pub struct SearchIndexStatus {
    /// False while it loads at start (searches wait for it).
    loaded: bool,
    /// The read-model checkpoint it reflects.
    position: Option<i64>,
    /// Products it finds (not retired).
    products: u64,
}

/// Readiness and how far the read model trails the event store; the fields after `database` are
/// null when the read database is unreachable.
#[derive(Serialize, ToSchema)]
pub struct Health {
    status: Readiness,
    /// The read database.
    database: Reachable,
    checkpoint: Option<Checkpoint>,
    /// The in-memory search index.
    search_index: Option<SearchIndexStatus>,
    write_database: Option<Reachable>,
    /// The last position in the write database.
    write_head: Option<i64>,
    /// Events not applied yet (counted up to a million).
    behind: Option<i64>,
    /// Seconds since the oldest unapplied event was recorded (0: none).
    lag_seconds: Option<f64>,
}

/// Liveness: the process answers HTTP. Nothing is read, so an orchestrator restarts the service
/// for a hang, not for a database outage (which `/v1/health` reports).
#[utoipa::path(get, path = "/v1/health/live", tag = "health",
    responses((status = 200, description = "Alive", body = Live)))]
async fn live() -> Json<Live> {
    Json(Live { status: "live".to_owned() })
}

/// Readiness: the read database answers, how far the read model has got and how far behind the
/// event store it is (when the write database is configured).
#[utoipa::path(get, path = "/v1/health", tag = "health",
    responses((status = 200, description = "Ready", body = Health),
              (status = 503, description = "The read database is unreachable", body = Health)))]
async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let checkpoint = match read_store::checkpoint(&state.read).await {
        Ok(checkpoint) => checkpoint,
        Err(error) => {
            tracing::warn!(error = %error, "health check: read database unreachable");
            let body = Health {
                status: Readiness::Unavailable,
                database: Reachable::Unreachable,
                checkpoint: None,
                search_index: None,
                write_database: None,
                write_head: None,
                behind: None,
                lag_seconds: None,
            };
            return (StatusCode::SERVICE_UNAVAILABLE, Json(body));
        }
    };
    let mut body = Health {
        status: Readiness::Ok,
        database: Reachable::Ok,
        checkpoint: Some(checkpoint),
        search_index: Some(search_index(&state)),
        write_database: Some(Reachable::NotConfigured),
        write_head: None,
        behind: None,
        lag_seconds: None,
    };
    if let Some(write) = &state.write {
        match lag(write, checkpoint.position).await {
            Ok(lag) => {
                body.write_database = Some(Reachable::Ok);
                body.write_head = lag.write_head;
                body.behind = Some(lag.behind);
                body.lag_seconds = Some(lag.lag_seconds);
            }
            Err(error) => {
                // The read side still serves; the lag is merely unknown.
                tracing::warn!(error = %error, "health check: write database unreachable");
                body.write_database = Some(Reachable::Unreachable);
            }
        }
    }
    (StatusCode::OK, Json(body))
}

/// How far the read model trails the event store: the write head, the events not applied yet
/// (counted up to a million, so the check stays cheap) and how old the oldest of them is.
async fn lag(write: &PgPool, position: i64) -> Result<Backlog, sqlx::Error> {
    EventStore::backlog_after(write, position).await
}

/// The in-memory search index: the checkpoint it reflects (null while it loads at start; searches
/// wait for it) and the products it finds.
fn search_index(state: &AppState) -> SearchIndexStatus {
    let (position, products) = state.search.index.status();
    SearchIndexStatus { loaded: position.is_some(), position, products }
}
