//! `ferrule audit replay`: the read model as it was at a moment, built by the projector's rebuild
//! from the events up to a position, into a separate read database that a query API can serve.

use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use projector::{Progress, RebuildOptions};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

pub const ABOUT: &str = "Build the read model as it was at a moment into a separate read database, by replaying \
    the events up to that moment through the projector's rebuild, so that a query API pointed at it \
    (FERRULE_READ_DATABASE_URL) answers what the storefront showed then.\n\n\
    --at TIME takes the last position recorded at or before TIME (RFC 3339); --to-position P replays up to and \
    including P. The target database is created when it does not exist, migrated, and must hold no read model yet \
    (its checkpoint at 0): a replay never mixes with a live read model.";

#[derive(Args)]
pub struct ReplayArgs {
    /// PostgreSQL URL of the write database (the events).
    #[arg(long, env = "FERRULE_WRITE_DATABASE_URL", hide_env_values = true)]
    pub write_database_url: String,

    /// Replay the events recorded at or before this time (RFC 3339, e.g. 2026-03-01T00:00:00Z).
    #[arg(long, required_unless_present = "to_position", conflicts_with = "to_position")]
    pub at: Option<DateTime<Utc>>,

    /// Replay the events up to and including this global position.
    #[arg(long, value_parser = clap::value_parser!(i64).range(1..))]
    pub to_position: Option<i64>,

    /// PostgreSQL URL of the read database to build (created if missing; must be empty).
    #[arg(long, value_name = "URL")]
    pub into_database: String,

    /// Events read per page.
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub page: i64,

    /// Connections a page's product events are applied over.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub lanes: u64,
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn replayed(&self, events: u64, position: i64) {
        self.0.set_position(events);
        self.0.set_message(format!("at position {position}"));
    }
    fn phase(&self, name: &str) {
        self.0.set_message(name.to_owned());
    }
}

pub async fn run(args: ReplayArgs) -> anyhow::Result<()> {
    let write = PgPoolOptions::new()
        .max_connections(4)
        .connect(&args.write_database_url)
        .await
        .context("cannot connect to the write database (FERRULE_WRITE_DATABASE_URL)")?;
    let until = match (args.at, args.to_position) {
        (Some(at), _) => position_at(&write, at).await?,
        (None, Some(position)) => position,
        (None, None) => bail!("give --at TIME or --to-position P"),
    };
    wait_for_horizon(&write, until).await?;
    let events: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE position <= $1").bind(until).fetch_one(&write).await?;
    let read = target_database(&args.into_database).await?;
    println!("replaying {events} events up to position {until} into {}", redacted(&args.into_database));
    let bar = ProgressBar::new(events as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} replay [{bar:32}] {pos}/{len} events {per_sec} {msg}")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let started = Instant::now();
    let options = RebuildOptions { page: args.page, lanes: args.lanes as usize, until: Some(until) };
    let rebuilt = projector::rebuild(&read, &write, options, &Bar(bar.clone())).await?;
    bar.finish_and_clear();
    let last_at: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT event_at FROM catalog.checkpoint").fetch_one(&read).await?;
    println!("events replayed   {:>12}", rebuilt.events);
    println!("position          {:>12}", rebuilt.checkpoint);
    println!("last event at     {:>12}", last_at.map_or("-".into(), |t| t.to_rfc3339()));
    println!(
        "time              {:>11.1}s (replay {:.1}s, indexing {:.1}s)",
        started.elapsed().as_secs_f64(),
        rebuilt.replay.as_secs_f64(),
        rebuilt.indexing.as_secs_f64()
    );
    println!("serve it: FERRULE_READ_DATABASE_URL=<that URL> query-api (no projector: it stays as it was then)");
    Ok(())
}

/// The last position recorded at or before `at`.
async fn position_at(write: &PgPool, at: DateTime<Utc>) -> anyhow::Result<i64> {
    let position: Option<i64> = sqlx::query_scalar("SELECT max(position) FROM events WHERE recorded_at <= $1")
        .bind(at)
        .fetch_one(write)
        .await?;
    position.with_context(|| format!("no event was recorded at or before {at}"))
}

/// Waits (up to a minute) until every transaction that could still commit at or below `until`
/// has ended, so that the replay reads the final prefix.
async fn wait_for_horizon(write: &PgPool, until: i64) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let horizon: i64 = sqlx::query_scalar("SELECT events_horizon()").fetch_one(write).await?;
        if horizon > until {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("position {until} is not settled yet: a transaction that may still write below it is open");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Creates the target database if missing, migrates it, and checks it holds no read model.
async fn target_database(url: &str) -> anyhow::Result<PgPool> {
    let options = PgConnectOptions::from_str(url).context("--into-database is not a PostgreSQL URL")?;
    let name = options.get_database().context("--into-database names no database")?.to_owned();
    let mut admin = PgConnection::connect_with(&options.clone().database("postgres"))
        .await
        .context("cannot connect to the target server's postgres database")?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(&name)
        .fetch_one(&mut admin)
        .await?;
    if !exists {
        sqlx::query(&format!(r#"CREATE DATABASE "{}""#, name.replace('"', "\"\""))).execute(&mut admin).await?;
    }
    admin.close().await?;
    let read = read_store::prepare_read_database(url, 4).await?;
    let position: i64 = sqlx::query_scalar("SELECT position FROM catalog.checkpoint").fetch_one(&read).await?;
    if position != 0 {
        bail!("database {name} already holds a read model (at position {position}): give a new or empty database");
    }
    Ok(read)
}

fn redacted(url: &str) -> String {
    match PgConnectOptions::from_str(url) {
        Ok(options) => {
            format!("{}:{}/{}", options.get_host(), options.get_port(), options.get_database().unwrap_or_default())
        }
        Err(_) => "the target database".into(),
    }
}
