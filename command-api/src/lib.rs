//! Ferrule's command API: the write side over HTTP.

pub mod audit_manifest;
pub mod chainer;
pub mod commerce;
pub mod config;
pub mod error;
pub mod extract;
pub mod http;
pub mod idempotency;
pub mod identity;
pub mod import;
pub mod jobs;
pub mod media;
pub mod service;
pub mod state;
pub mod upsert;

use secrecy::ExposeSecret;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use auth_tokens::Keyring;
use axum::Router;
use event_store::{EventStore, GroupOptions};
use service_http::revocations::Revocations;
use sqlx::postgres::PgConnectOptions;
use tokio::net::TcpListener;

pub use config::Config;
use identity::{accounts, Identity};
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
        let options = PgConnectOptions::from_str(config.database_url.expose_secret())
            .context("FERRULE_WRITE_DATABASE_URL is not a valid PostgreSQL URL")?;
        let store = EventStore::connect(options, config.db_pool_size).await.context(
            "cannot connect to the write database: is PostgreSQL running and FERRULE_WRITE_DATABASE_URL right?",
        )?;
        store.migrate().await.context("applying the write database migrations failed")?;
        Self::with_store(config, store).await
    }

    /// As `build`, over an event store that is already connected and migrated.
    pub async fn with_store(config: &Config, store: EventStore) -> anyhow::Result<Self> {
        Self::with_keyring(config, store, config.auth.keyring()?).await
    }

    /// As `with_store`, with the token keys given (tests sign tokens of their own with them).
    /// Creates the first admin when configured and none exists yet.
    pub async fn with_keyring(config: &Config, store: EventStore, keyring: Keyring) -> anyhow::Result<Self> {
        let revocations = match config.redis_url.as_ref().map(ExposeSecret::expose_secret) {
            Some(url) => Revocations::connect(url, &config.revocation_prefix)?,
            None => Revocations::off(),
        };
        let identity = Identity::new(keyring, config.auth.passwords()?, revocations);
        let catalog = Catalog::new(
            store,
            GroupOptions { workers: config.append_workers.into(), max_commands: config.append_batch_max.into() },
        );
        if let Some((email, password)) = config.auth.bootstrap_admin()? {
            match accounts::bootstrap_admin(&identity.passwords, &catalog, &email, password).await {
                Ok(Some(id)) => tracing::info!(%id, %email, "first admin created"),
                Ok(None) => tracing::debug!("an admin exists: FERRULE_BOOTSTRAP_ADMIN_EMAIL left alone"),
                Err(error) => anyhow::bail!("cannot create the first admin {email}: {error:?}"),
            }
        }
        tokio::spawn(idempotency::sweep(
            catalog.store().clone(),
            Duration::from_secs(u64::from(config.idempotency_retention_hours) * 3600),
        ));
        let imports = std::sync::Arc::new(tokio::sync::Notify::new());
        for _ in 0..config.import_workers {
            tokio::spawn(jobs::work(catalog.clone(), imports.clone()));
        }
        let media = start_media(&config.media, &catalog).await?;
        let audit_signer = config.audit.signer()?.map(std::sync::Arc::new);
        if config.chain.enabled {
            let options = (*catalog.store().pool().connect_options()).clone();
            let chainer = chainer::Chainer::new(options, config.chain.clone(), audit_signer.clone());
            tokio::spawn(chainer.run(std::future::pending()));
        }
        let state =
            AppState { catalog, identity, show_availability: config.show_availability, imports, media, audit_signer };
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

/// The media bucket (created when FERRULE_S3_CREATE_BUCKET says so) and the media background
/// tasks: variant workers, the upload sweeper and the orphan GC. The bucket is not required to be
/// reachable at start: uploads answer 503 while it is not.
async fn start_media(config: &config::MediaConfig, catalog: &Catalog) -> anyhow::Result<state::MediaState> {
    let store = media_store::MediaStore::new(&config.s3);
    if config.create_bucket {
        store.ensure_bucket().await.context("cannot create the media bucket (FERRULE_S3_CREATE_BUCKET)")?;
    }
    let variants = std::sync::Arc::new(tokio::sync::Notify::new());
    // One render at a time per replica: the CPU work must leave cores for requests.
    let cpu = std::sync::Arc::new(tokio::sync::Semaphore::new(1));
    for _ in 0..config.workers {
        tokio::spawn(media::variants::work_forever(catalog.clone(), store.clone(), cpu.clone(), variants.clone()));
    }
    tokio::spawn(media::sweep::sweep_forever(catalog.store().pool().clone(), store.clone()));
    if config.gc_interval_minutes > 0 {
        tokio::spawn(media::gc::gc_forever(
            catalog.store().pool().clone(),
            store.clone(),
            Duration::from_secs(u64::from(config.gc_grace_hours) * 3600),
            Duration::from_secs(u64::from(config.gc_interval_minutes) * 60),
        ));
    }
    Ok(state::MediaState {
        store,
        upload_expiry: Duration::from_secs(u64::from(config.upload_expiry_minutes) * 60),
        variants,
    })
}

/// The routes inside the shared outer layers (`service_http::layers`: body limit, rate limit,
/// timeout, CORS, security headers, gzip, request id).
pub fn router(state: AppState, config: &Config) -> anyhow::Result<Router> {
    let keyring = state.identity.keyring.clone();
    let uploads = [(http::IMPORTS_PATH, config.import_max_bytes)];
    let layers = service_http::Service {
        config: &config.http,
        timeout: Duration::from_secs(config.request_timeout_secs),
        body_limit: config.body_limit_bytes,
        uploads: &uploads,
        redis_url: config.redis_url.as_ref().map(ExposeSecret::expose_secret),
        // A client with a valid access token is limited as its user (staff in the staff class);
        // any other by its IP.
        identity: service_http::Identity::tokens(keyring),
        // Tokens, users, carts and orders: no answer of the command API is for a cache.
        private: service_http::Private::All,
    };
    let (routes, _) = http::api()?;
    // On the routes only: a method a path does not serve is a 405 whatever its Idempotency-Key.
    let routes = routes.route_layer(axum::middleware::from_fn_with_state(state.clone(), idempotency::layer));
    service_http::outer_layers(routes.with_state(state), layers)
}
