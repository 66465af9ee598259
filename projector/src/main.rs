use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use event_store::{EventFilter, EventStore};
use indicatif::{ProgressBar, ProgressStyle};
use projector::{
    connect_write, rebuild_and_invalidate, Command, Config, Invalidator, Progress, Projector, RebuildOptions,
};
use relay::jetstream::ensure_consumer;
use relay::Names;
use secrecy::ExposeSecret;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    telemetry::init(config.log_format);
    let read = read_store::prepare_read_database(config.read_database_url.expose_secret(), 8).await?;
    let write = connect_write(config.write_database_url.expose_secret(), 4).await?;
    let invalidator = config.invalidator()?;
    if config.redis_url.is_none() {
        tracing::info!("FERRULE_REDIS_URL is not set: no query cache to invalidate");
    }
    let result = match config.command {
        None | Some(Command::Run) => run(&config, read, write, invalidator.clone()).await,
        Some(Command::Rebuild { page, lanes }) => rebuild_command(read, write, page, lanes.into(), &invalidator).await,
    };
    // What Redis did not take dies with the process (the next start invalidates everything).
    if !invalidator.flush(Duration::from_secs(3)).await {
        tracing::warn!(
            owed = invalidator.owed().await,
            "Redis did not take the last cache invalidation: the query API may serve answers older than the read \
             model for up to the cache's lifetime (5 minutes)"
        );
    }
    result
}

async fn run(config: &Config, read: sqlx::PgPool, write: sqlx::PgPool, invalidator: Invalidator) -> anyhow::Result<()> {
    let client = async_nats::ConnectOptions::new()
        .retry_on_initial_connect()
        .connect(config.nats_url.expose_secret())
        .await
        .with_context(|| "cannot reach NATS: is it running and FERRULE_NATS_URL right?".to_owned())?;
    let jetstream = async_nats::jetstream::new(client);
    let consumer = ensure_consumer(&jetstream, &Names::default())
        .await
        .context("cannot set up the JetStream stream and the projector's consumer (is JetStream enabled: -js?)")?;
    let checkpoint = read_store::checkpoint(&read).await?;
    tracing::info!(position = checkpoint.position, "projecting events from JetStream");
    // A batch may have committed while its invalidation was owed, and what is owed died with the
    // process that owed it: nothing cached before this start is trusted.
    invalidator.everything_before(checkpoint.position).await;
    Projector::new(read, write, consumer, config.batch as usize)
        .with_invalidator(invalidator)
        .with_revocations(config.revocations()?, Duration::from_secs(config.access_token_ttl_secs.into()))
        .run(service_http::shutdown_signal())
        .await;
    tracing::info!("projector stopped");
    Ok(())
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn replayed(&self, events: u64, _position: i64) {
        self.0.set_position(events);
    }
    fn phase(&self, name: &str) {
        self.0.set_message(name.to_owned());
    }
}

async fn rebuild_command(
    read: sqlx::PgPool,
    write: sqlx::PgPool,
    page: i64,
    lanes: usize,
    invalidator: &Invalidator,
) -> anyhow::Result<()> {
    let total: i64 = EventStore::count_events(&write, &EventFilter::all()).await?;
    let bar = ProgressBar::new(u64::try_from(total).unwrap_or(0));
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg:10} [{bar:40}] {human_pos}/{human_len} events, {per_sec}, eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message("replaying");
    bar.enable_steady_tick(Duration::from_millis(200));
    let done = rebuild_and_invalidate(
        &read,
        &write,
        RebuildOptions { page, lanes, until: None },
        &Bar(bar.clone()),
        invalidator,
    )
    .await;
    bar.finish_and_clear();
    let done = done.context("the rebuild failed; the live read model is untouched — run it again")?;
    let seconds = done.replay.as_secs_f64().max(1e-9);
    println!(
        "rebuilt the read model: {} events replayed in {:.1}s ({:.0} events/s), indexed in {:.1}s, swapped in {:.2}s \
         ({} events caught up with the live projection); checkpoint {}",
        done.events,
        done.replay.as_secs_f64(),
        done.events as f64 / seconds,
        done.indexing.as_secs_f64(),
        done.swap.as_secs_f64(),
        done.caught_up,
        done.checkpoint
    );
    Ok(())
}
