//! `ferrule bench audit`: the tamper-evidence chain over a generated history (see
//! `ferrule bench audit --help`): chaining and verifying in events/s next to raw SHA-256 over the
//! same canonical bytes, and command append latency with the chainer on and off, interleaved.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, TimeDelta, Utc};
use command_api::chainer::{ChainConfig, Chainer};
use event_store::chain::{canonical_bytes, link_hash, GENESIS};
use event_store::{EventStore, VerifyOptions};
use indicatif::{ProgressBar, ProgressStyle};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection};
use tokio::sync::oneshot;
use uuid::Uuid;

use super::write::{HttpTarget, Scratch};
use super::{print_table, stop_if_interrupted, Phase};
use crate::cli::{BenchServer, WriteArgs};

pub const ABOUT: &str = "The tamper-evidence chain (issue 17) over a generated history, each figure next to its \
    baseline in the same run.\n\n\
    1. A history of --events events (default ten million) by --actors actors, recorded over the year before now, \
    is written by COPY into a scratch write database: product streams of about five events each (creates with \
    specs, renames, spec and price changes with their diffs).\n\
    2. It is chained as the command API's chainer does, in rounds of --chain-batch events (events/s).\n\
    3. `verify` walks it (events/s), next to raw SHA-256 over the same canonical bytes (a sample of \
    --raw-sample events held in memory, hashed as the chain links them): the ratio is what reading and \
    comparing cost on top of hashing.\n\
    4. Product creates through a command API in this process over another scratch database, in phases with \
    the chainer off and on, interleaved (--pairs pairs), each --duration-secs after --warmup-secs: append p99 \
    with chaining next to without; the spread between the off phases is the noise.\n\n\
    The scratch databases are dropped at the end (--keep keeps the history database, for the history queries' \
    own measurements).";

#[derive(clap::Args)]
pub struct AuditBenchArgs {
    /// Events in the generated history.
    #[arg(long, default_value_t = 10_000_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub events: u64,

    /// Distinct actors in the history.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub actors: u64,

    /// Events per chain round (FERRULE_CHAIN_BATCH) while chaining the history.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub chain_batch: i64,

    /// Events whose canonical bytes are held in memory for the raw SHA-256 baseline.
    #[arg(long, default_value_t = 200_000, value_parser = clap::value_parser!(u64).range(1..=5_000_000))]
    pub raw_sample: u64,

    /// Concurrent clients in the append phases.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub clients: u32,

    /// Seconds each append phase is measured.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub duration_secs: u64,

    /// Seconds each append phase runs before measuring starts.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=600))]
    pub warmup_secs: u64,

    /// Pairs of append phases (chainer off, then on).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub pairs: u32,

    /// Keep the history database at the end (its name is printed).
    #[arg(long)]
    pub keep: bool,

    #[command(flatten)]
    pub server: BenchServer,
}

/// What `generated_history` wrote.
#[derive(Clone, Debug)]
pub struct History {
    pub events: u64,
    /// The actor ids, as the events carry them (`actor_id`).
    pub actors: Vec<String>,
    /// `recorded_at` of the first and the last event.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub last_position: i64,
}

/// A deterministic, fast generator (splitmix64): the history is the same on every run.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const THREADS: [&str; 6] = ["M6", "M8", "M10", "M12", "M16", "M20"];
const MATERIALS: [&str; 4] = ["steel 8.8", "steel 10.9", "A2", "A4"];

/// Writes a generated history of `events` events by `actors` actors (about one in ten of them ops,
/// the others admins), recorded over the year before now, into the (empty, migrated) write
/// database at `options`, by COPY: product streams of about five events each (a create, then
/// renames, spec changes and price changes with their diffs), positions 1…events in recording
/// order. `progress` counts the events written.
pub async fn generated_history(
    options: &PgConnectOptions,
    events: u64,
    actors: usize,
    progress: &ProgressBar,
) -> anyhow::Result<History> {
    let actors: Vec<String> =
        (0..actors.max(1)).map(|i| Uuid::from_u128(0xa0d1_7000_u128 << 64 | i as u128).to_string()).collect();
    let to = Utc::now();
    let from = to - TimeDelta::days(365);
    let step = TimeDelta::days(365).num_microseconds().unwrap_or(1) / events.max(1) as i64;
    let streams = (events / 5).max(1);
    let mut conn = PgConnection::connect_with(options).await.context("cannot connect to the history database")?;
    // Nothing here needs to survive a crash: the benchmark drops the database at the end.
    sqlx::query("SET synchronous_commit = off").execute(&mut conn).await?;
    let mut copy = conn
        .copy_in_raw(
            "COPY events (position, event_id, stream_id, stream_type, version, event_type, schema_version, payload, \
                          actor_id, actor_role, request_id, correlation_id, causation_id, recorded_at) FROM STDIN",
        )
        .await?;
    let mut dice = Dice(0x5eed);
    let mut chunk = String::with_capacity(4 << 20);
    for i in 0..events {
        let stream = i % streams;
        let version = i / streams + 1;
        let actor = dice.below(actors.len() as u64) as usize;
        let role = if actor.is_multiple_of(10) { "ops" } else { "admin" };
        let recorded_at = DateTime::from_timestamp_micros(from.timestamp_micros() + i as i64 * step).unwrap_or(to);
        let (event_type, payload) = payload(&mut dice, stream, version);
        let causation = if version > 1 { Uuid::from_u128(u128::from(dice.next())).to_string() } else { "\\N".into() };
        let _ = writeln!(
            chunk,
            "{}\t{}\t{}\tproduct\t{version}\t{event_type}\t1\t{}\t{}\t{role}\treq-{}\t{}\t{causation}\t{}",
            i + 1,
            Uuid::from_u128(u128::from(i) << 64 | u128::from(dice.next())),
            Uuid::from_u128(0x5eed_0000_u128 << 64 | u128::from(stream)),
            payload.replace('\\', "\\\\"),
            actors[actor],
            dice.next() % 100_000_000,
            Uuid::from_u128(u128::from(dice.next()) << 64 | u128::from(i)),
            recorded_at.format("%Y-%m-%d %H:%M:%S%.6f+00"),
        );
        if chunk.len() >= 4 << 20 {
            copy.send(chunk.as_bytes()).await?;
            chunk.clear();
            progress.set_position(i + 1);
        }
    }
    copy.send(chunk.as_bytes()).await?;
    copy.finish().await?;
    progress.set_position(events);
    sqlx::query("ANALYZE events").execute(&mut conn).await?;
    conn.close().await?;
    let last = DateTime::from_timestamp_micros(from.timestamp_micros() + events.saturating_sub(1) as i64 * step);
    Ok(History { events, actors, from, to: last.unwrap_or(to), last_position: events as i64 })
}

/// A realistic product event: a create with specs, or a change carrying its diff.
fn payload(dice: &mut Dice, stream: u64, version: u64) -> (&'static str, String) {
    let thread = THREADS[(stream % 6) as usize];
    if version == 1 {
        let material = MATERIALS[dice.below(4) as usize];
        let length = 10 + dice.below(200);
        return (
            "ProductCreated",
            format!(
                r#"{{"family_id":"{}","name":"Hex bolt {thread}x{length} {material}","sku":"HB933-{thread}-{length}-{stream}","specs":{{"length":{{"unit":"mm","value":{length}}},"material":"{material}","thread_size":"{thread}"}}}}"#,
                Uuid::from_u128(0xfa00_u128 << 64 | u128::from(stream % 500)),
            ),
        );
    }
    match dice.below(3) {
        0 => (
            "ProductRenamed",
            format!(
                r#"{{"name":{{"from":"Hex bolt {thread} v{}","to":"Hex bolt {thread} v{version}"}}}}"#,
                version - 1
            ),
        ),
        1 => {
            let (a, b) = (MATERIALS[dice.below(4) as usize], MATERIALS[dice.below(4) as usize]);
            ("ProductSpecsChanged", format!(r#"{{"changes":{{"material":{{"from":"{a}","to":"{b}"}}}}}}"#))
        }
        _ => {
            let (a, b) = (100 + dice.below(10_000), 100 + dice.below(10_000));
            (
                "ListPriceChanged",
                format!(r#"{{"currency":"EUR","amount_minor":{{"from":{a},"to":{b}}},"price_list":"list"}}"#),
            )
        }
    }
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {what:<22} [{{bar:32}}] {{pos}}/{{len}} {{per_sec}} {{msg}}"
        ))
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

pub async fn run(args: AuditBenchArgs) -> anyhow::Result<()> {
    println!(
        "ferrule bench audit: {} generated events by {} actors over a year; append phases {}s after {}s warm-up at {} clients, {} pairs; {} CPU(s)",
        args.events,
        args.actors,
        args.duration_secs,
        args.warmup_secs,
        args.clients,
        args.pairs,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    );
    let mut scratch = Scratch { admin_url: args.server.database_url.clone(), names: Vec::new() };
    let result = measured(&args, &mut scratch).await;
    if args.keep {
        if let Some(name) = scratch.names.first() {
            println!("kept the history database {name} (--keep); drop it by hand");
        }
        if !scratch.names.is_empty() {
            scratch.names.remove(0);
        }
    }
    scratch.drop_all().await;
    result
}

async fn measured(args: &AuditBenchArgs, scratch: &mut Scratch) -> anyhow::Result<()> {
    // 1. The history, by COPY.
    let options = scratch.fresh().await?;
    let progress = bar(args.events, "writing history");
    let started = Instant::now();
    let history = generated_history(&options, args.events, args.actors as usize, &progress).await?;
    progress.finish_and_clear();
    let written = started.elapsed();
    println!(
        "history: {} events by {} actors, {} → {}, written in {:.1}s ({:.0} events/s)",
        history.events,
        history.actors.len(),
        history.from.format("%Y-%m-%d"),
        history.to.format("%Y-%m-%d"),
        written.as_secs_f64(),
        history.events as f64 / written.as_secs_f64().max(1e-9)
    );
    stop_if_interrupted()?;

    // 2. Chain it, as the command API's chainer does (rounds of FERRULE_CHAIN_BATCH).
    let config =
        ChainConfig { chain_batch: args.chain_batch, chain_checkpoint_events: 100_000, ..ChainConfig::default() };
    let mut chainer = Chainer::new(options.clone(), config, None);
    let mut conn = PgConnection::connect_with(&options).await?;
    let progress = bar(history.events, "chaining");
    let started = Instant::now();
    loop {
        let round = chainer.round(&mut conn).await?;
        let (position, _) = round.head.unwrap_or_default();
        progress.set_position(position as u64);
        if position >= history.last_position || super::interrupted() {
            break;
        }
        if round.chained == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    progress.finish_and_clear();
    let chained = started.elapsed();
    stop_if_interrupted()?;

    // 3. Verify, and raw SHA-256 over the same canonical bytes (a sample held in memory).
    let pool = PgPoolOptions::new().max_connections(2).connect_with(options.clone()).await?;
    let progress = bar(history.events, "verifying");
    let started = Instant::now();
    let verification =
        EventStore::verify_chain(&pool, VerifyOptions { batch: 10_000, public_key: None }, |events, _| {
            progress.set_position(events);
        })
        .await?;
    progress.finish_and_clear();
    let verified = started.elapsed();
    if let Some(broken) = &verification.broken {
        anyhow::bail!("the generated chain does not verify at {}: {}", broken.position, broken.what.describe());
    }
    let sample =
        EventStore::read_range(&pool, 0, history.last_position, args.raw_sample.min(history.events) as i64).await?;
    let mut bytes = Vec::with_capacity(sample.len());
    for event in &sample {
        let mut out = Vec::with_capacity(512);
        canonical_bytes(event, &mut out);
        bytes.push(out);
    }
    let started = Instant::now();
    let mut hash = GENESIS;
    for _ in 0..3 {
        for event in &bytes {
            hash = link_hash(&hash, event);
        }
    }
    let raw = started.elapsed() / 3;
    std::hint::black_box(hash);
    pool.close().await;
    stop_if_interrupted()?;

    // 4. Command appends with the chainer off and on, interleaved.
    let phases = append_phases(args, scratch).await?;

    let rate = |n: u64, d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
    let raw_rate = rate(bytes.len() as u64, raw);
    let mean_bytes = verification.bytes as f64 / verification.events.max(1) as f64;
    println!();
    println!("{:<34} {:>14} {:>12}", "", "events/s", "vs raw");
    println!("{:<34} {:>14.0} {:>12}", "raw SHA-256 (canonical bytes)", raw_rate, "1.00");
    println!(
        "{:<34} {:>14.0} {:>12.2}",
        "chain (read, hash, insert)",
        rate(history.events, chained),
        rate(history.events, chained) / raw_rate
    );
    println!(
        "{:<34} {:>14.0} {:>12.2}",
        "verify (read, rehash, compare)",
        rate(verification.events, verified),
        rate(verification.events, verified) / raw_rate
    );
    println!(
        "canonical bytes: {mean_bytes:.0} per event on average; raw SHA-256 over {} events: {:.0} MB/s",
        bytes.len(),
        bytes.iter().map(Vec::len).sum::<usize>() as f64 / raw.as_secs_f64().max(1e-9) / 1e6
    );
    println!();
    let refs: Vec<&Phase> = phases.iter().collect();
    print_table(&refs);
    let p99 = |on: bool| {
        let picked: Vec<f64> = phases
            .iter()
            .filter(|p| p.name.ends_with(if on { "on" } else { "off" }))
            .map(|p| p.latency.value_at_quantile(0.99) as f64 / 1000.0)
            .collect();
        picked.iter().sum::<f64>() / picked.len().max(1) as f64
    };
    let (off, on) = (p99(false), p99(true));
    println!(
        "append p99: chainer off {off:.2} ms, on {on:.2} ms (ratio {:.2}; the off phases' spread is the noise)",
        on / off.max(1e-9)
    );
    Ok(())
}

/// Product creates through a command API without a chainer of its own, in phases off, on, off,
/// on…; in the "on" phases a chainer runs in this process on the same database, as a replica's
/// would.
async fn append_phases(args: &AuditBenchArgs, scratch: &mut Scratch) -> anyhow::Result<Vec<Phase>> {
    let write_args = WriteArgs {
        clients: args.clients,
        duration_secs: args.duration_secs,
        warmup_secs: args.warmup_secs,
        api_pool_size: 40,
        append_workers: 2,
        append_batch_max: 32,
        contested_every: 0,
        server: args.server.clone(),
    };
    let off = ChainConfig { enabled: false, ..ChainConfig::default() };
    let target = HttpTarget::start_with_chain(&write_args, scratch, off).await?;
    let options = (*target.pool().connect_options()).clone();
    let (warmup, duration) = (Duration::from_secs(args.warmup_secs), Duration::from_secs(args.duration_secs));
    let result = async {
        let mut phases = Vec::new();
        for pair in 0..args.pairs {
            let first = pair * 2 * args.clients;
            phases.push(
                target
                    .phase(&format!("append {}, chainer off", pair + 1), (first, args.clients), warmup, duration)
                    .await?,
            );
            stop_if_interrupted()?;
            let (stop, stopped) = oneshot::channel::<()>();
            let chainer =
                Chainer::new(options.clone(), ChainConfig { chain_idle_ms: 20, ..ChainConfig::default() }, None);
            let task = tokio::spawn(chainer.run(async move {
                let _ = stopped.await;
            }));
            let on = target
                .phase(
                    &format!("append {}, chainer on", pair + 1),
                    (first + args.clients, args.clients),
                    warmup,
                    duration,
                )
                .await;
            let _ = stop.send(());
            let _ = task.await;
            phases.push(on?);
            stop_if_interrupted()?;
        }
        anyhow::Ok(phases)
    }
    .await;
    target.stop().await;
    result
}
