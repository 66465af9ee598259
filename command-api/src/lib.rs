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
use axum::Router;
use event_store::{EventStore, GroupOptions};
use sqlx::postgres::PgConnectOptions;
use tokio::net::TcpListener;

pub use config::Config;
use service::Catalog;
use state::AppState;

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
        Ok(Application { listener, router: router(state, config)? })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until the process is asked to stop (Ctrl-C or SIGTERM), finishing requests in flight.
    pub async fn run(self) -> std::io::Result<()> {
        axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(service_http::shutdown_signal())
            .await
    }

    /// Serves until the future returned by `stop` completes (for tests and benchmarks).
    pub async fn run_until(self, stop: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(stop)
            .await
    }
}

/// The routes inside the shared outer layers (`service_http::layers`: body limit, rate limit,
/// timeout, CORS, security headers, gzip, request id).
pub fn router(state: AppState, config: &Config) -> anyhow::Result<Router> {
    let layers = service_http::Service {
        config: &config.http,
        timeout: Duration::from_secs(config.request_timeout_secs),
        body_limit: config.body_limit_bytes,
        redis_url: config.redis_url.as_deref(),
        // Until identity lands every client is rate limited by its IP; then: the verified subject.
        identity: service_http::Identity::anonymous(),
    };
    service_http::outer_layers(http::router().with_state(state), layers)
}
