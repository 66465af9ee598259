//! `ferrule bench pipeline`: projection lag at a sustained command rate, and rebuild speed next to
//! raw batched INSERTs of the same event rows, in the same run (see `ferrule bench pipeline --help`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use event_store::{EventFilter, EventStore, StoredEvent};
use futures::StreamExt;
use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressStyle};
use projector::{Progress, Projector, RebuildOptions};
use relay::{Names, Relay, RelayConfig};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::postgres::{PgListener, PgPoolOptions};
use sqlx::PgPool;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::histogram;
use super::write::{product, redact, HttpTarget, Scratch};
use crate::cli::{PipelineArgs, WriteArgs};

const LAG_TARGET_MS: f64 = 100.0;
const REBUILD_TARGET_RATE: f64 = 20_000.0;
const REBUILD_TARGET_RATIO: f64 = 0.75;

pub async fn run(args: PipelineArgs) -> anyhow::Result<()> {
    println!(
        "ferrule bench pipeline: {} commands/s for {}s after {}s warm-up; rebuild of {} events, {} per transaction; \
         {} CPU(s)\nPostgreSQL at {}, NATS at {}",
        args.rate,
        args.duration_secs,
        args.warmup_secs,
        args.rebuild_events,
        args.page,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        redact(&args.server.database_url),
        args.nats_url,
    );
    let mut scratch = Scratch { admin_url: args.server.database_url.clone(), names: Vec::new() };
    let names = bench_names();
    let result = stages(&args, &mut scratch, &names).await;
    if let Ok(client) = async_nats::connect(&args.nats_url).await {
        let _ = async_nats::jetstream::new(client).delete_stream(&names.stream).await;
    }
    scratch.drop_all().await;
    let (lag, rebuild) = result?;
    lag.report();
    rebuild.report();
    Ok(())
}

pub(super) fn bench_names() -> Names {
    let tag = Uuid::new_v4().simple().to_string()[..10].to_owned();
    Names {
        stream: format!("FERRULE_BENCH_{}", tag.to_ascii_uppercase()),
        subject_prefix: format!("bench.{tag}.events"),
        max_bytes: Some(1024 * 1024 * 1024),
        ..Names::default()
    }
}

async fn stages(args: &PipelineArgs, scratch: &mut Scratch, names: &Names) -> anyhow::Result<(Lag, Rebuild)> {
    let write_args = WriteArgs {
        clients: 64,
        duration_secs: args.duration_secs,
        warmup_secs: args.warmup_secs,
        api_pool_size: 32,
        append_workers: 2,
        append_batch_max: 32,
        contested_every: 0,
        server: args.server.clone(),
    };
    let target = HttpTarget::start(&write_args, scratch).await?;
    let result = async {
        let read_options = event_store::scratch::fresh_database_from(
            &args.server.database_url,
            "ferrule_bench",
            &read_store::READ_MIGRATOR,
            "read",
        )
        .await
        .context("cannot create the scratch read database")?;
        scratch.names.push(read_options.get_database().unwrap_or_default().to_owned());
        let read = PgPoolOptions::new().max_connections(8).connect_with(read_options).await?;
        let pipeline = Running::start(&args.nats_url, names, &target.store, &read).await?;
        let lag = lag_phase(args, &target, &read, &pipeline).await;
        pipeline.stop().await;
        let lag = lag?;
        let rebuild = rebuild_phase(args, &target, &read, scratch).await?;
        Ok((lag, rebuild))
    }
    .await;
    target.stop().await;
    result
}

/// The relay and the projector, running in this process.
pub(super) struct Running {
    relay: (oneshot::Sender<()>, JoinHandle<()>),
    projector: (oneshot::Sender<()>, JoinHandle<()>),
}

impl Running {
    pub(super) async fn start(
        nats_url: &str,
        names: &Names,
        store: &EventStore,
        read: &PgPool,
    ) -> anyhow::Result<Self> {
        let client = async_nats::connect(nats_url)
            .await
            .with_context(|| format!("cannot reach NATS at {nats_url}: is it running (with -js)?"))?;
        let jetstream = async_nats::jetstream::new(client);
        let consumer = relay::jetstream::ensure_consumer(&jetstream, names)
            .await
            .context("cannot create the benchmark's JetStream stream and consumer")?;
        let options = store.pool().connect_options().as_ref().clone();
        let relay = Relay::new(options, jetstream, RelayConfig { names: names.clone(), ..RelayConfig::default() });
        let projector = Projector::new(read.clone(), store.pool().clone(), consumer, 500);
        Ok(Running { relay: spawn_until(|stop| relay.run(stop)), projector: spawn_until(|stop| projector.run(stop)) })
    }

    pub(super) async fn stop(self) {
        for (stop, task) in [self.relay, self.projector] {
            let _ = stop.send(());
            let _ = task.await;
        }
    }
}

fn spawn_until<F, Fut>(run: F) -> (oneshot::Sender<()>, JoinHandle<()>)
where
    F: FnOnce(std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(run(Box::pin(async {
        let _ = stopped.await;
    })));
    (stop, task)
}

struct Lag {
    rate: f64,
    commands: u64,
    errors: u64,
    lag: Histogram<u64>,
}

impl Lag {
    fn report(&self) {
        let ms = |q: f64| self.lag.value_at_quantile(q) as f64 / 1000.0;
        println!("\nprojection lag (command answered → its position committed in the read model and notified):");
        println!(
            "  {} commands at {:.0}/s ({} errors): p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.commands,
            self.rate,
            self.errors,
            ms(0.50),
            ms(0.95),
            ms(0.99),
            self.lag.max() as f64 / 1000.0
        );
        let verdict = if ms(0.99) <= LAG_TARGET_MS { "meets the target" } else { "ABOVE TARGET" };
        println!("  p99 target ≤ {LAG_TARGET_MS:.0} ms: {verdict}");
    }
}

/// Sends product creates at a fixed rate (open loop: a slow answer does not slow the sender) and
/// measures, for each, the time from its answer until the read model's checkpoint reached its
/// position (as the projector's notification arrives).
async fn lag_phase(args: &PipelineArgs, target: &HttpTarget, read: &PgPool, _running: &Running) -> anyhow::Result<Lag> {
    let reached: Arc<Mutex<Vec<(i64, Instant)>>> = Arc::default();
    let mut listener = PgListener::connect_with(read).await?;
    listener.listen(read_store::CHECKPOINT_CHANNEL).await?;
    let watcher = {
        let reached = reached.clone();
        tokio::spawn(async move {
            let mut stream = listener.into_stream();
            while let Some(Ok(notification)) = stream.next().await {
                if let Ok(position) = notification.payload().parse::<i64>() {
                    if let Ok(mut reached) = reached.lock() {
                        reached.push((position, Instant::now()));
                    }
                }
            }
        })
    };
    let answered: Arc<Mutex<Vec<(i64, Instant, bool)>>> = Arc::default();
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let total = Duration::from_secs(args.warmup_secs + args.duration_secs);
    let measure_from = Instant::now() + Duration::from_secs(args.warmup_secs);
    let bar = seconds_bar("lag at a steady rate", total);
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(args.rate)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut sent = Vec::new();
    let mut n = 0u64;
    while started.elapsed() < total && !super::interrupted() {
        ticker.tick().await;
        n += 1;
        bar.set_position(started.elapsed().as_secs());
        let request = target.api.request(Method::POST, "/v1/products").json(&product(&target.family_id, 9_999, n));
        let (answered, errors) = (answered.clone(), errors.clone());
        sent.push(tokio::spawn(async move {
            let counted = Instant::now() >= measure_from;
            let result = async {
                let response = request.send().await?;
                let status = response.status();
                let body: Value = response.json().await?;
                anyhow::Ok((status, body))
            }
            .await;
            match result {
                Ok((StatusCode::CREATED, body)) => {
                    let position = body["position"].as_i64().unwrap_or(i64::MAX);
                    if let Ok(mut answered) = answered.lock() {
                        answered.push((position, Instant::now(), counted));
                    }
                }
                _ => {
                    errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }));
    }
    for task in sent {
        let _ = task.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    // Wait for the read model to reach the last command, then compute every command's lag.
    let last = answered.lock().map(|a| a.iter().map(|(p, _, _)| *p).max().unwrap_or(0)).unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(60);
    while read_store::checkpoint(read).await?.position < last {
        if Instant::now() > deadline {
            bail!("the read model did not reach position {last} within 60 s of the last command");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The notification may trail the checkpoint by a moment.
    tokio::time::sleep(Duration::from_millis(200)).await;
    watcher.abort();
    let reached = reached.lock().map(|r| r.clone()).unwrap_or_default();
    let answered = answered.lock().map(|a| a.clone()).unwrap_or_default();
    let mut lag = histogram()?;
    let mut commands = 0;
    for (position, at, counted) in answered {
        if !counted {
            continue;
        }
        let Some((_, visible)) = reached.iter().find(|(p, _)| *p >= position) else { continue };
        lag.saturating_record(u64::try_from(visible.saturating_duration_since(at).as_micros()).unwrap_or(u64::MAX));
        commands += 1;
    }
    Ok(Lag {
        rate: n as f64 / elapsed.max(1e-9),
        commands,
        errors: errors.load(std::sync::atomic::Ordering::Relaxed),
        lag,
    })
}

fn seconds_bar(name: &str, total: Duration) -> ProgressBar {
    let bar = ProgressBar::new(total.as_secs());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix:<26} [{bar:24}] {pos:>3}/{len}s")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_prefix(name.to_owned());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

struct Rebuild {
    events: u64,
    rebuild: Duration,
    replay: Duration,
    indexing: Duration,
    raw_before: f64,
    raw_after: f64,
}

impl Rebuild {
    fn rate(&self) -> f64 {
        self.events as f64 / self.rebuild.as_secs_f64().max(1e-9)
    }

    fn report(&self) {
        let baseline = (self.raw_before + self.raw_after) / 2.0;
        let ratio = self.rate() / baseline.max(1e-9);
        println!(
            "\nrebuild of {} events (replay {:.1}s, indexing {:.1}s, swap included):",
            self.events,
            self.replay.as_secs_f64(),
            self.indexing.as_secs_f64()
        );
        println!(
            "  raw batched INSERT baseline: {baseline:>8.0} rows/s (mean of {:.0} before and {:.0} after)",
            self.raw_before, self.raw_after
        );
        println!("  projector rebuild:           {:>8.0} events/s", self.rate());
        let verdict = if self.rate() >= REBUILD_TARGET_RATE && ratio >= REBUILD_TARGET_RATIO {
            "meets the targets"
        } else {
            "BELOW TARGET"
        };
        println!(
            "  ratio rebuild / raw:         {ratio:>8.2}   targets ≥ {REBUILD_TARGET_RATE:.0} events/s and ≥ \
             {REBUILD_TARGET_RATIO:.2}: {verdict}"
        );
    }
}

/// Adds events up to `rebuild_events` (copies of a real ProductCreated, each its own product),
/// then: raw batched INSERT, rebuild, raw batched INSERT.
async fn rebuild_phase(
    args: &PipelineArgs,
    target: &HttpTarget,
    read: &PgPool,
    scratch: &mut Scratch,
) -> anyhow::Result<Rebuild> {
    seed(args, target).await?;
    let write = target.store.pool();
    let events = load_all(write).await?;
    let raw_pool = {
        let options = scratch.fresh().await?;
        PgPoolOptions::new().max_connections(2).connect_with(options).await?
    };
    let raw_before = raw_inserts(&raw_pool, &events, args.page, "raw_before").await?;
    let bar = ProgressBar::new(events.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix:<26} [{bar:24}] {human_pos}/{human_len} {per_sec} {msg}")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_prefix("projector rebuild");
    let started = Instant::now();
    let done = projector::rebuild(
        read,
        write,
        RebuildOptions { page: args.page, lanes: args.lanes as usize, until: None },
        &RebuildBar(bar.clone()),
    )
    .await?;
    let rebuild = started.elapsed();
    bar.finish_and_clear();
    let raw_after = raw_inserts(&raw_pool, &events, args.page, "raw_after").await?;
    raw_pool.close().await;
    Ok(Rebuild { events: done.events, rebuild, replay: done.replay, indexing: done.indexing, raw_before, raw_after })
}

struct RebuildBar(ProgressBar);

impl Progress for RebuildBar {
    fn replayed(&self, events: u64, _: i64) {
        self.0.set_position(events);
    }
    fn phase(&self, name: &str) {
        self.0.set_message(name.to_owned());
    }
}

/// Appends copies of the benchmark's ProductCreated event until the write database holds
/// `rebuild_events` events.
async fn seed(args: &PipelineArgs, target: &HttpTarget) -> anyhow::Result<()> {
    let sample = target.sample().await?;
    let pool = target.store.pool();
    let have: i64 = EventStore::count_events(pool, &EventFilter::all()).await?;
    let wanted = i64::try_from(args.rebuild_events).unwrap_or(i64::MAX);
    let missing = u64::try_from(wanted - have).unwrap_or(0);
    let bar = ProgressBar::new(missing);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix:<26} [{bar:24}] {human_pos}/{human_len} {per_sec}")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_prefix("seeding events");
    let metadata = event_store::Metadata {
        actor_id: "bench".into(),
        actor_role: "admin".into(),
        request_id: "bench-seed".into(),
        correlation_id: Uuid::new_v4(),
        causation_id: None,
    };
    let mut seeded = 0u64;
    while seeded < missing && !super::interrupted() {
        let n = (missing - seeded).min(5_000);
        let mut append = event_store::Append::default();
        for i in 0..n {
            let id = Uuid::now_v7();
            let mut payload = sample.payload.clone();
            let k = seeded + i;
            payload["name"] = Value::String(format!("Hex bolt DIN 933, lot {k}"));
            payload["sku"] = Value::String(format!("HB933-SEED-{k}"));
            payload["variant_key"] = Value::String(format!("seed-{k}"));
            if let Some(specs) = payload["specs"].as_object_mut() {
                specs.insert("lot".into(), Value::String(format!("L{k}-0")));
            }
            append.events.push(event_store::EventToAppend {
                event_id: Uuid::now_v7(),
                stream_id: id,
                stream_type: "product",
                version: 1,
                event_type: "ProductCreated",
                schema_version: sample.schema_version,
                payload,
            });
        }
        EventStore::append(pool, &append, &metadata, chrono::Utc::now()).await?;
        seeded += n;
        bar.set_position(seeded);
    }
    bar.finish_and_clear();
    Ok(())
}

async fn load_all(write: &PgPool) -> anyhow::Result<Vec<StoredEvent>> {
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let page = EventStore::read_all(write, after, 10_000).await?;
        let Some(last) = page.last() else { break };
        after = last.position;
        events.extend(page);
    }
    Ok(events)
}

/// Batched INSERTs of the events' rows, `page` per transaction, into a fresh table shaped like
/// `events`: what PostgreSQL takes when nothing is decided. Returns rows/s.
async fn raw_inserts(pool: &PgPool, events: &[StoredEvent], page: i64, table: &str) -> anyhow::Result<f64> {
    event_store::scratch::create_events_copy(pool, table).await?;
    let bar = ProgressBar::new(events.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix:<26} [{bar:24}] {human_pos}/{human_len} {per_sec}")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_prefix(format!("raw batched INSERT ({})", table.trim_start_matches("raw_")));
    let started = Instant::now();
    for chunk in events.chunks(usize::try_from(page).unwrap_or(5_000)) {
        event_store::scratch::insert_into_events_copy(pool, table, chunk).await?;
        bar.inc(chunk.len() as u64);
    }
    let rate = events.len() as f64 / started.elapsed().as_secs_f64().max(1e-9);
    bar.finish_and_clear();
    Ok(rate)
}
