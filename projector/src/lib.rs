//! Ferrule's projector: keeps the read database in step with the event store. It consumes the
//! relay's JetStream stream (`consume`), applies events to the read model (`apply`), and can
//! rebuild the whole read model from the events table (`rebuild`); it moves the query cache's
//! invalidation markers in Redis as it goes (`invalidate`).

pub mod apply;
mod checkpoint;
pub mod consume;
pub mod invalidate;
pub mod rebuild;

use secrecy::{ExposeSecret, SecretString};
use std::str::FromStr;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

pub use consume::{Batch, ProjectError, Projector, Stats};
pub use invalidate::Invalidator;
pub use rebuild::{rebuild, rebuild_and_invalidate, Progress, RebuildOptions, Rebuilt};

#[derive(Clone, Debug, clap::Parser)]
#[command(
    name = "projector",
    version,
    about = "Ferrule's projector: keeps the read database in step with the event store.",
    long_about = "Ferrule's projector: keeps the read database in step with the event store.\n\n\
                  Without a subcommand it runs: it consumes committed events from NATS JetStream (published \
                  by the command API's relay) and applies them to the read database in batches, each batch \
                  with its checkpoint in one transaction, acking only after the commit. With `rebuild` it \
                  replays the whole events table into a fresh copy of the read model and swaps it in.\n\n\
                  At start it applies the read database's migrations. Every option can also be set by the \
                  environment variable shown."
)]
pub struct Config {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// PostgreSQL URL of the read database.
    #[arg(
        long,
        global = true,
        env = "FERRULE_READ_DATABASE_URL",
        hide_env_values = true,
        default_value = "postgres://postgres@127.0.0.1:5432/ferrule_read"
    )]
    pub read_database_url: SecretString,

    /// PostgreSQL URL of the write database (read only: to fill holes and to rebuild).
    #[arg(
        long,
        global = true,
        env = "FERRULE_WRITE_DATABASE_URL",
        hide_env_values = true,
        default_value = "postgres://postgres@127.0.0.1:5432/ferrule_write"
    )]
    pub write_database_url: SecretString,

    /// NATS server with JetStream.
    #[arg(long, global = true, env = "FERRULE_NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub nats_url: SecretString,

    /// Messages applied in one read-database transaction at most.
    #[arg(long, global = true, env = "FERRULE_PROJECTOR_BATCH", default_value_t = 500,
          value_parser = clap::value_parser!(u32).range(1..=20_000))]
    pub batch: u32,

    /// Redis URL of the query API's response cache: before each batch commits, the projector moves
    /// the markers that invalidate the cached answers it changes (and `rebuild` all of them).
    /// Unset: no cache to invalidate. When Redis is down the projection goes on; the invalidation
    /// is delivered when it answers again.
    #[arg(long, global = true, env = "FERRULE_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<SecretString>,

    /// Prefix of the cache's Redis keys: the query API's.
    #[arg(long, global = true, env = "FERRULE_CACHE_PREFIX", default_value = read_store::cache_keys::DEFAULT_PREFIX)]
    pub cache_prefix: String,

    /// Prefix of the revocation entries in Redis: the command API's and the query API's. The
    /// projector records each change of a user's rights it projects there again, so that a crash
    /// of the command API right after such a change cannot lose its entry.
    #[arg(long, global = true, env = "FERRULE_REVOCATION_PREFIX", default_value = service_http::revocations::DEFAULT_PREFIX)]
    pub revocation_prefix: String,

    /// Lifetime of access tokens in seconds (the command API's): how long a revocation entry is kept.
    #[arg(long, global = true, env = "FERRULE_ACCESS_TOKEN_TTL_SECS", default_value_t = 15 * 60)]
    pub access_token_ttl_secs: u32,

    /// Log format.
    #[arg(long, global = true, env = "FERRULE_LOG_FORMAT", value_enum, default_value_t = telemetry::LogFormat::Pretty)]
    pub log_format: telemetry::LogFormat,
}

#[derive(Clone, Debug, clap::Subcommand)]
pub enum Command {
    /// Consume events and apply them (the default).
    Run,
    /// Replay the whole events table into fresh read-model tables beside the live ones, with a
    /// progress bar, then swap them in atomically; the query API serves the old tables until then.
    Rebuild {
        /// Events read from the write database per page.
        #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(i64).range(1..=100_000))]
        page: i64,
        /// Connections each page's product events are split over (by product), applied at once.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
        lanes: u16,
    },
}

impl Config {
    /// The cache invalidation this configuration asks for (none without `FERRULE_REDIS_URL`).
    pub fn invalidator(&self) -> anyhow::Result<Invalidator> {
        match self.redis_url.as_ref().map(ExposeSecret::expose_secret) {
            Some(url) => Invalidator::connect(url, &self.cache_prefix),
            None => Ok(Invalidator::off()),
        }
    }
}

impl Config {
    /// The revocation entries this configuration records (none without `FERRULE_REDIS_URL`).
    pub fn revocations(&self) -> anyhow::Result<service_http::revocations::Revocations> {
        match self.redis_url.as_ref().map(ExposeSecret::expose_secret) {
            Some(url) => service_http::revocations::Revocations::connect(url, &self.revocation_prefix),
            None => Ok(service_http::revocations::Revocations::off()),
        }
    }
}

/// Connects to the write database, read only in spirit: the projector never writes there.
pub async fn connect_write(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    let options =
        PgConnectOptions::from_str(url).context("FERRULE_WRITE_DATABASE_URL is not a valid PostgreSQL URL")?;
    PgPoolOptions::new()
        .max_connections(max_connections)
        .connect_with(options)
        .await
        .context("cannot connect to the write database: is PostgreSQL running and FERRULE_WRITE_DATABASE_URL right?")
}
