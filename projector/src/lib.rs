//! Ferrule's projector. For now it owns the read database's schema (it applies the read
//! migrations); consuming JetStream into the read model arrives with the event-pipeline issue.

use std::str::FromStr;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

/// The read database's migrations (`migrations/read`), apart from the write side's.
pub static READ_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/read");

#[derive(Clone, Debug, clap::Parser)]
#[command(
    name = "projector",
    version,
    about = "Ferrule's projector: keeps the read database in step with the event store.",
    long_about = "Ferrule's projector: keeps the read database in step with the event store. At start it applies \
                  the read database's migrations. Every option can also be set by the environment variable shown."
)]
pub struct Config {
    /// PostgreSQL URL of the read database.
    #[arg(
        long,
        env = "FERRULE_READ_DATABASE_URL",
        hide_env_values = true,
        default_value = "postgres://postgres@127.0.0.1:5432/ferrule_read"
    )]
    pub read_database_url: String,

    /// Log format.
    #[arg(long, env = "FERRULE_LOG_FORMAT", value_enum, default_value_t = telemetry::LogFormat::Pretty)]
    pub log_format: telemetry::LogFormat,
}

/// Connects to the read database and applies its migrations.
pub async fn prepare_read_database(url: &str) -> anyhow::Result<PgPool> {
    let options = PgConnectOptions::from_str(url).context("FERRULE_READ_DATABASE_URL is not a valid PostgreSQL URL")?;
    let pool =
        PgPoolOptions::new().max_connections(4).connect_with(options).await.context(
            "cannot connect to the read database: is PostgreSQL running and FERRULE_READ_DATABASE_URL right?",
        )?;
    READ_MIGRATOR.run(&pool).await.context("applying the read database migrations failed")?;
    Ok(pool)
}
