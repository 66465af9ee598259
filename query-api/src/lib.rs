//! Ferrule's query API: the read side over HTTP, answering from the read database the projector
//! keeps, with read-your-writes through `X-Min-Position`, and a Redis cache in front (`cache`).

pub mod cache;
pub mod caller;
pub mod config;
pub mod error;
pub mod freshness;
pub mod http;
pub mod prices;
pub mod search;
pub mod state;
pub mod write_head;

use secrecy::ExposeSecret;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use std::sync::Arc;

use anyhow::Context;
use auth_tokens::Keyring;
use axum::Router;
use cache::Cache;
use service_http::revocations::Revocations;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use tokio::net::TcpListener;

pub use config::Config;
use freshness::Freshness;
/// The read database's crate, for callers (tests, tools) that prepare one.
pub use read_store;
use state::AppState;

/// The service, bound to its port and ready to run. Tests bind port 0 and read `local_addr()`.
pub struct Application {
    listener: TcpListener,
    router: Router,
}

impl Application {
    /// Connects to the read database (applying its migrations) and, when configured, lazily to
    /// the write database; then binds the listener.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        let read =
            read_store::prepare_read_database(config.read_database_url.expose_secret(), config.read_pool_size).await?;
        let write = match config.write_database_url.as_ref().map(ExposeSecret::expose_secret) {
            Some(url) => Some(write_pool(url)?),
            None => None,
        };
        Self::with_pool(config, read, write).await
    }

    /// As `build`, over pools that are already connected (the read database migrated). The
    /// cache's Redis, when configured, is connected to in the background.
    pub async fn with_pool(config: &Config, read: PgPool, write: Option<PgPool>) -> anyhow::Result<Self> {
        let keyring = config.auth.verifying_keyring().context("the token keys (FERRULE_JWT_KEYS_DIR)")?;
        if config.auth.holds_private_key_text() {
            tracing::warn!(
                "FERRULE_JWT_SIGNING_KEY holds a private key: the query API only verifies, give it the public half \
                 as FERRULE_JWT_PUBLIC_KEY (openssl pkey -in key.pem -pubout) instead"
            );
        }
        if keyring.is_empty() {
            tracing::warn!(
                "no token keys are configured (FERRULE_JWT_PUBLIC_KEY, FERRULE_JWT_KEYS_DIR): commerce reads refuse \
                 every token (401); browsing and search stay public and unpriced"
            );
        }
        Self::with_keyring(config, read, write, keyring).await
    }

    /// As `with_pool`, verifying tokens with `keyring` (tests: the command API's own keys).
    pub async fn with_keyring(
        config: &Config,
        read: PgPool,
        write: Option<PgPool>,
        keyring: Keyring,
    ) -> anyhow::Result<Self> {
        let keyring = Arc::new(keyring.verify_only());
        let cache = match config.redis_url.as_ref().map(ExposeSecret::expose_secret) {
            Some(url) => Cache::connect(url, &config.cache_prefix)?,
            None => Cache::off(),
        };
        let revocations = match config.redis_url.as_ref().map(ExposeSecret::expose_secret) {
            Some(url) => Revocations::connect(url, &config.revocation_prefix)?,
            None => {
                tracing::warn!(
                    "no FERRULE_REDIS_URL: the revocation entries cannot be read, so the access tokens of users \
                     disabled or demoted since they were issued are honoured here until they expire"
                );
                Revocations::off()
            }
        };
        let wait = Duration::from_millis(config.min_position_wait_ms);
        let freshness = Freshness::start(read.clone(), write.clone(), wait).await;
        let search = search::Caches::start(&read);
        let media = media_store::MediaStore::new(&config.s3);
        let state = AppState { read, write, freshness, search, keyring, revocations, media };
        let listener =
            TcpListener::bind(config.addr).await.with_context(|| format!("cannot listen on {}", config.addr))?;
        Ok(Application { listener, router: router(state, cache, config)? })
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

    /// Serves until `stop` completes (for tests and benchmarks).
    pub async fn run_until(self, stop: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(stop)
            .await
    }
}

/// The write database is optional, for the health check and the write head `X-Min-Position` is
/// checked against: two connections, opened when first needed, so the query API starts (and
/// serves) while it is down.
fn write_pool(url: &str) -> anyhow::Result<PgPool> {
    let options =
        PgConnectOptions::from_str(url).context("FERRULE_WRITE_DATABASE_URL is not a valid PostgreSQL URL")?;
    Ok(PgPoolOptions::new().max_connections(2).acquire_timeout(Duration::from_secs(2)).connect_lazy_with(options))
}

/// The answers no cache may keep: the commerce reads (a buyer's cart and orders, stock, price
/// lists) and whatever is asked with a token (products and searches carry the caller's prices).
/// Browsing and searching without one stay cacheable.
const PRIVATE: service_http::Private = service_http::Private::Credentialed {
    paths: &["/v1/cart", "/v1/orders", "/v1/stock", "/v1/price-lists", "/v1/media"],
};

/// The routes inside the shared outer layers (`service_http::layers`). Browsing and search are
/// public: a client is rate limited by its IP, or as its user when it sends a valid token.
pub fn router(state: AppState, cache: Cache, config: &Config) -> anyhow::Result<Router> {
    let keyring = state.keyring.clone();
    // The cache runs inside read-your-writes: it needs the request's `ReadAt`. The caller's prices
    // are added outside the cache, so that no cached answer ever holds one.
    let watch = state.freshness.clone();
    let pricing = state.clone();
    let (routes, _) = http::api(|routes| {
        routes
            .layer(axum::middleware::from_fn_with_state(cache, cache::respond))
            .layer(axum::middleware::from_fn_with_state(pricing, prices::respond))
            .layer(axum::middleware::from_fn_with_state(watch, freshness::read_your_writes))
    })?;
    let routes = routes.with_state(state);
    service_http::outer_layers(
        routes,
        service_http::Service {
            config: &config.http,
            timeout: Duration::from_secs(config.request_timeout_secs),
            body_limit: config.body_limit_bytes,
            uploads: &[],
            redis_url: config.redis_url.as_ref().map(ExposeSecret::expose_secret),
            // As in the command API: staff signed in to the admin portal get the staff class.
            identity: service_http::Identity::tokens(keyring),
            private: PRIVATE,
        },
    )
}
