//! Ferrule's command API: the write side over HTTP.

pub mod config;
pub mod error;
pub mod extract;
pub mod http;
pub mod service;
pub mod state;

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::Router;
use event_store::{EventStore, GroupOptions};
use sqlx::postgres::PgConnectOptions;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use config::Config;
use service::Catalog;
use state::AppState;

const REQUEST_ID: &str = "x-request-id";

/// The service, bound to its port and ready to run. Tests bind port 0 and read `port()`.
pub struct Application {
    listener: TcpListener,
    router: Router,
}

impl Application {
    /// Connects to the write database, applies its migrations and binds the listener.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        let options = PgConnectOptions::from_str(&config.database_url)
            .context("FERRULE_WRITE_DATABASE_URL is not a valid PostgreSQL URL")?;
        let store = EventStore::connect(options, config.db_pool_size).await.context(
            "cannot connect to the write database: is PostgreSQL running and FERRULE_WRITE_DATABASE_URL right?",
        )?;
        store.migrate().await.context("applying the write database migrations failed")?;
        Self::with_store(config, store).await
    }

    /// As `build`, over an event store that is already connected and migrated.
    pub async fn with_store(config: &Config, store: EventStore) -> anyhow::Result<Self> {
        let state = AppState {
            catalog: Catalog::new(
                store,
                GroupOptions { workers: config.append_workers.into(), max_commands: config.append_batch_max.into() },
            ),
            admin_token: Arc::from(config.admin_token.0.as_str()),
            admin_actor: config.admin_actor.clone(),
        };
        let listener =
            TcpListener::bind(config.addr).await.with_context(|| format!("cannot listen on {}", config.addr))?;
        Ok(Application { listener, router: router(state, config) })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until the process is asked to stop (Ctrl-C or SIGTERM), finishing requests in flight.
    pub async fn run(self) -> std::io::Result<()> {
        axum::serve(self.listener, self.router).with_graceful_shutdown(shutdown_signal()).await
    }

    /// Serves until the future returned by `stop` completes (for tests and benchmarks).
    pub async fn run_until(self, stop: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        axum::serve(self.listener, self.router).with_graceful_shutdown(stop).await
    }
}

pub fn router(state: AppState, config: &Config) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID);
    http::router()
        .with_state(state)
        .layer(DefaultBodyLimit::max(config.body_limit_bytes))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(config.request_timeout_secs),
        ))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %request.method(), uri = %request.uri(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
