//! Benchmarks. Shared machines are noisy, so every figure is printed next to a baseline measured
//! in the same run, and as a ratio to it: the noise hits both and cancels out.

mod write;

use std::time::{Duration, Instant};

use clap::Subcommand;
use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Subcommand)]
pub enum Bench {
    /// Product-create commands/s over HTTP at N concurrent clients, next to the raw PostgreSQL
    /// INSERT rate of equivalent event rows (same clients, same run). Target ratio ≥ 0.5.
    ///
    /// Each phase runs on a fresh database cloned from the migrated template. The raw phase runs
    /// before and after the HTTP phase and their mean is the baseline.
    Write(write::Args),
}

pub async fn run(bench: Bench) -> anyhow::Result<()> {
    match bench {
        Bench::Write(args) => write::run(args).await,
    }
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

    pub fn row(&self) -> String {
        format!(
            "{:<28} {:>9} {:>7} {:>11.0} {:>8.2} {:>8.2} {:>8.2}",
            self.name,
            self.ops,
            self.errors,
            self.rate(),
            self.ms(0.50),
            self.ms(0.95),
            self.ms(0.99)
        )
    }

    pub fn header() -> String {
        format!(
            "{:<28} {:>9} {:>7} {:>11} {:>8} {:>8} {:>8}",
            "phase", "ops", "errors", "ops/s", "p50 ms", "p95 ms", "p99 ms"
        )
    }
}

/// A spinner that shows a phase's live rate.
pub fn spinner(name: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix:<28} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_prefix(name.to_owned());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Runs `clients` workers calling `op` until `duration` has passed (after `warmup`, whose
/// operations are not counted), and measures them.
pub async fn measure<F, Fut>(
    name: &str,
    clients: usize,
    warmup: Duration,
    duration: Duration,
    op: F,
) -> anyhow::Result<Phase>
where
    F: Fn(usize, u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    let bar = spinner(name);
    let started = Instant::now();
    let measure_from = started + warmup;
    let end = measure_from + duration;
    let counted = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for client in 0..clients {
        let op = op.clone();
        let counted = counted.clone();
        workers.push(tokio::spawn(async move {
            let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
            let (mut ops, mut errors, mut first_error) = (0u64, 0u64, None);
            let mut n = 0u64;
            while Instant::now() < end {
                let t = Instant::now();
                let result = op(client, n).await;
                n += 1;
                if t < measure_from {
                    continue;
                }
                match result {
                    Ok(()) => {
                        ops += 1;
                        counted.fetch_add(1, Ordering::Relaxed);
                        latency.record(t.elapsed().as_micros() as u64)?;
                    }
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(e);
                    }
                }
            }
            anyhow::Ok((latency, ops, errors, first_error))
        }));
    }
    let ticker = {
        let bar = bar.clone();
        let counted = counted.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                let now = Instant::now();
                if now < measure_from {
                    bar.set_message("warming up…");
                } else {
                    let rate = counted.load(Ordering::Relaxed) as f64 / (now - measure_from).as_secs_f64().max(1e-3);
                    bar.set_message(format!("{rate:.0} ops/s"));
                }
            }
        })
    };
    let mut phase = Phase {
        name: name.to_owned(),
        ops: 0,
        errors: 0,
        elapsed: duration,
        latency: Histogram::new_with_bounds(1, 60_000_000, 3)?,
    };
    for worker in workers {
        let (latency, ops, errors, first_error) = worker.await??;
        phase.latency.add(&latency)?;
        phase.ops += ops;
        phase.errors += errors;
        if let Some(e) = first_error {
            eprintln!("  {name}: first error: {e:#}");
        }
    }
    phase.elapsed = started.elapsed().saturating_sub(warmup);
    ticker.abort();
    bar.finish_with_message(format!("{:.0} ops/s", phase.rate()));
    Ok(phase)
}
