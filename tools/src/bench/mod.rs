//! Benchmarks. Shared machines are noisy, so every figure is printed next to a baseline measured
//! in the same run, and as a ratio to it: the noise hits both and cancels out.
//!
//! This module holds what every benchmark shares: running N concurrent clients for a timed phase
//! with a live rate, latency histograms, the results table, and stopping cleanly on Ctrl-C.

pub mod audit;
pub mod audit_history;
mod import;
mod login;
pub mod media;
mod orders;
mod pipeline;
mod search;
mod write;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::BenchCommand;

pub async fn run(command: BenchCommand) -> anyhow::Result<()> {
    watch_for_ctrl_c();
    match command {
        BenchCommand::Write(args) => write::run(args).await,
        BenchCommand::Import(args) => import::run(args).await,
        BenchCommand::Pipeline(args) => pipeline::run(args).await,
        BenchCommand::Search(args) => search::run(args).await,
        BenchCommand::Login(args) => login::run(args).await,
        BenchCommand::Orders(args) => orders::run(args).await,
        BenchCommand::Media(args) => media::run(args).await,
        BenchCommand::Audit(args) => audit::run(args).await,
    }
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Whether Ctrl-C asked the run to stop: phases end early and the scratch databases are dropped.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// Ends a run that Ctrl-C cut short, between phases.
pub fn stop_if_interrupted() -> anyhow::Result<()> {
    if interrupted() {
        anyhow::bail!("interrupted: no figures, the run was cut short");
    }
    Ok(())
}

/// The first Ctrl-C stops the phases and lets the cleanup run; a second one exits at once.
fn watch_for_ctrl_c() {
    tokio::spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\nstopping: dropping the scratch databases (Ctrl-C again to quit at once)");
            INTERRUPTED.store(true, Ordering::Relaxed);
        }
        if tokio::signal::ctrl_c().await.is_ok() {
            std::process::exit(130);
        }
    });
}

/// A figure of this process's memory (Linux, `/proc/self/status`) in MiB: `VmRSS` (resident now)
/// or `VmHWM` (the peak resident since the start or `reset_peak_memory`).
pub fn memory_mib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.strip_prefix(field).is_some_and(|rest| rest.starts_with(':')))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// Starts `VmHWM` again from the memory resident now (Linux ≥ 4.0: `5` to `clear_refs`).
pub fn reset_peak_memory() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Latencies are recorded in microseconds, from 1 µs to 60 s, to 3 significant digits.
fn histogram() -> anyhow::Result<Histogram<u64>> {
    Ok(Histogram::new_with_bounds(1, 60_000_000, 3)?)
}

/// What one phase measured.
pub struct Phase {
    pub name: String,
    pub ops: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub latency: Histogram<u64>,
}

impl Phase {
    pub fn rate(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn ms(&self, quantile: f64) -> f64 {
        self.latency.value_at_quantile(quantile) as f64 / 1000.0
    }
}

/// The results table: one row per phase.
pub fn print_table(phases: &[&Phase]) {
    println!(
        "{:<26} {:>9} {:>7} {:>10} {:>8} {:>8} {:>8}",
        "phase", "ops", "errors", "ops/s", "p50 ms", "p95 ms", "p99 ms"
    );
    for phase in phases {
        println!(
            "{:<26} {:>9} {:>7} {:>10.0} {:>8.2} {:>8.2} {:>8.2}",
            phase.name,
            phase.ops,
            phase.errors,
            phase.rate(),
            phase.ms(0.50),
            phase.ms(0.95),
            phase.ms(0.99)
        );
    }
}

/// Why one operation failed. Failures are grouped by `kind` (e.g. "HTTP 409 Conflict"), and the
/// `detail` (e.g. the response body) of the first of each kind is shown once.
pub struct Failure {
    pub kind: String,
    pub detail: String,
}

/// What the workers of one phase share.
struct Tally {
    ops: AtomicU64,
    errors: AtomicU64,
    failures: Mutex<BTreeMap<String, u64>>,
    bar: ProgressBar,
    phase: String,
}

impl Tally {
    fn fail(&self, failure: Failure, counted: bool) {
        if counted {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        let Ok(mut failures) = self.failures.lock() else { return };
        let seen = failures.entry(failure.kind.clone()).or_insert(0);
        *seen += 1;
        if *seen == 1 {
            let line = format!("  {}: {} (first of its kind): {}", self.phase, failure.kind, failure.detail);
            // A hidden bar (output not a terminal) prints nothing, not even println.
            if self.bar.is_hidden() {
                eprintln!("{line}");
            } else {
                self.bar.println(line);
            }
        }
    }
}

/// How one operation ended, when it did not fail: done, or refused as the benchmark meant it to
/// be (a conflicting create's 409), which is timed apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Refused,
}

/// Runs `clients` workers, each calling `op(client, n)` for n = 0, 1, 2… until `warmup` and then
/// `duration` have passed, and measures the operations that started after the warm-up.
pub async fn measure<F, Fut>(
    name: &str,
    clients: u32,
    warmup: Duration,
    duration: Duration,
    op: F,
) -> anyhow::Result<Phase>
where
    F: Fn(u32, u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), Failure>> + Send,
{
    let op = move |client, n| {
        let done = op(client, n);
        async move { done.await.map(|()| Outcome::Done) }
    };
    let (done, _) = measure_outcomes(name, "", clients, warmup, duration, op).await?;
    Ok(done)
}

/// As `measure`, for operations of which some are meant to be refused: the done and the refused
/// ones are counted and timed apart, as two phases (the second named `refused_name`).
pub async fn measure_outcomes<F, Fut>(
    name: &str,
    refused_name: &str,
    clients: u32,
    warmup: Duration,
    duration: Duration,
    op: F,
) -> anyhow::Result<(Phase, Phase)>
where
    F: Fn(u32, u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Outcome, Failure>> + Send,
{
    let started = Instant::now();
    let measure_from = started + warmup;
    let end = measure_from + duration;
    let tally = Arc::new(Tally {
        ops: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        failures: Mutex::new(BTreeMap::new()),
        bar: phase_bar(name, warmup + duration),
        phase: name.to_owned(),
    });
    let mut workers = Vec::new();
    for client in 0..clients {
        let (op, tally) = (op.clone(), tally.clone());
        workers.push(tokio::spawn(async move {
            let (mut done, mut refused) = (histogram()?, histogram()?);
            for n in 0.. {
                let start = Instant::now();
                if start >= end || interrupted() {
                    break;
                }
                let result = op(client, n).await;
                let counted = start >= measure_from;
                let micros = || u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
                match result {
                    Ok(Outcome::Done) if counted => {
                        done.saturating_record(micros());
                        tally.ops.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(Outcome::Refused) if counted => refused.saturating_record(micros()),
                    Ok(_) => {}
                    Err(failure) => tally.fail(failure, counted),
                }
            }
            anyhow::Ok((done, refused))
        }));
    }
    let ticker = tokio::spawn(tick(tally.clone(), started, measure_from));
    let (mut done, mut refused) = (histogram()?, histogram()?);
    for worker in workers {
        let (d, r) = worker.await??;
        done.add(d)?;
        refused.add(r)?;
    }
    ticker.abort();
    let elapsed = started.elapsed().saturating_sub(warmup);
    let errors = tally.errors.load(Ordering::Relaxed);
    let done = Phase { name: name.to_owned(), ops: tally.ops.load(Ordering::Relaxed), errors, elapsed, latency: done };
    let refused = Phase { name: refused_name.to_owned(), ops: refused.len(), errors: 0, elapsed, latency: refused };
    tally.bar.finish_with_message(format!("{:.0} ops/s, {} errors", done.rate(), done.errors));
    Ok((done, refused))
}

fn phase_bar(name: &str, total: Duration) -> ProgressBar {
    let bar = ProgressBar::new(total.as_secs());
    let style = ProgressStyle::with_template("{spinner} {prefix:<26} [{bar:24}] {pos:>3}/{len}s {msg}")
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_prefix(name.to_owned());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Keeps the phase's bar moving with the elapsed time and the live rate.
async fn tick(tally: Arc<Tally>, started: Instant, measure_from: Instant) {
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = Instant::now();
        tally.bar.set_position(now.duration_since(started).as_secs());
        if now < measure_from {
            tally.bar.set_message("warming up…");
        } else {
            let seconds = now.duration_since(measure_from).as_secs_f64().max(1e-3);
            let rate = tally.ops.load(Ordering::Relaxed) as f64 / seconds;
            let errors = tally.errors.load(Ordering::Relaxed);
            tally.bar.set_message(format!("{rate:.0} ops/s, {errors} errors"));
        }
    }
}
