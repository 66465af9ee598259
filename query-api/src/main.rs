//! Ferrule's query API. For now it answers its health check from the read database; browsing and
//! search arrive with the pipeline and search issues.

use std::net::SocketAddr;

use axum::extract::State;
use axum::http::{HeaderName, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use clap::Parser;
use serde_json::{json, Value};
use sqlx::PgPool;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

#[derive(Clone, Debug, Parser)]
#[command(name = "query-api", version, about = "Ferrule's query API: browse and search from the read database.")]
struct Config {
    /// PostgreSQL URL of the read database.
    #[arg(
        long,
        env = "FERRULE_READ_DATABASE_URL",
        hide_env_values = true,
        default_value = "postgres://postgres@127.0.0.1:5432/ferrule_read"
    )]
    read_database_url: String,

    /// Address to listen on.
    #[arg(long, env = "FERRULE_QUERY_ADDR", default_value = "127.0.0.1:8081")]
    addr: SocketAddr,

    /// Log format.
    #[arg(long, env = "FERRULE_LOG_FORMAT", value_enum, default_value_t = telemetry::LogFormat::Pretty)]
    log_format: telemetry::LogFormat,
}

async fn health(State(pool): State<PgPool>) -> (StatusCode, Json<Value>) {
    let checkpoint: Result<Option<i64>, _> =
        sqlx::query_scalar("SELECT max(position) FROM projection_checkpoints").fetch_one(&pool).await;
    match checkpoint {
        Ok(position) => {
            (StatusCode::OK, Json(json!({ "status": "ok", "database": "ok", "checkpoint": position.unwrap_or(0) })))
        }
        Err(error) => {
            tracing::warn!(error = %error, "health check: read database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "database": "unreachable" })))
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    telemetry::init(config.log_format);
    let pool = projector::prepare_read_database(&config.read_database_url).await?;
    let request_id = HeaderName::from_static("x-request-id");
    let app = Router::new()
        .route("/v1/health", get(health))
        .with_state(pool)
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid));
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "query API listening");
    axum::serve(listener, app).await?;
    Ok(())
}
