//! `ferrule seed`: a realistic industrial catalog generated from a seed number and written
//! through the command path (see `ferrule seed --help`). A library of its own so that the
//! integration tests seed databases the way the command does.
//!
//! - `catalog`: the category tree, definitions, brands and product lines, one module per cluster;
//! - `plan`: what the seed and product count make of them — ids, families, product streams;
//! - `database` sends the plan in process through the command API's service layer (`write`),
//!   `http` to a running command API; `offline` decides it with the domain in memory
//!   (`--dry-run`); `report` says what a run did.

mod catalog;
mod database;
mod dice;
mod http;
pub mod local;
pub mod login;
pub mod offline;
pub mod plan;
mod report;
mod rows;
mod write;

use std::time::{Duration, Instant};

use anyhow::bail;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub use database::seed_database;
pub use http::{seed_over_http, send_within_rate_limits, HttpOptions};
pub use plan::{Plan, PlannedProduct};
pub use report::{Count, Report};
pub use rows::{catalog_rows, write_catalog_file};

/// Where and how to seed in process.
#[derive(Clone, Debug)]
pub struct Options {
    pub seed: u64,
    pub products: u64,
    pub database_url: String,
    /// Product commands in flight at once.
    pub concurrency: usize,
    pub append_workers: usize,
    pub append_batch_max: usize,
    /// Draw progress bars (on a terminal).
    pub progress: bool,
}

/// `postgres://user:secret@host/db` without the credentials.
pub fn redact(url: &str) -> String {
    match url.split_once("://").and_then(|(scheme, rest)| rest.split_once('@').map(|(_, host)| (scheme, host))) {
        Some((scheme, host)) => format!("{scheme}://…@{host}"),
        None => url.to_owned(),
    }
}

fn bar(progress: bool, length: u64, unit: &str, phase: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr());
    if !progress {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {{msg:10}} [{{bar:40}}] {{human_pos}}/{{human_len}} {unit}, {{per_sec}}, eta {{eta}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(phase.to_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// What `ferrule seed` was asked to do.
pub enum Target {
    Database(Options),
    Http(HttpOptions),
    DryRun { seed: u64, products: u64 },
}

/// Runs `ferrule seed`: seeds, then prints what it did and what to do next.
pub async fn run(target: Target) -> anyhow::Result<()> {
    let (report, wrote) = match &target {
        Target::Database(options) => (seed_database(options).await?, true),
        Target::Http(options) => (seed_over_http(options).await?, true),
        Target::DryRun { seed, products } => (dry_run(*seed, *products)?, false),
    };
    print!("{report}");
    if wrote && report.already_complete {
        println!("(to seed another catalog, give another --seed and an empty write database)");
    } else if wrote {
        println!(
            "next: bring the read model up to date. A running projector follows these events through NATS once the \
             command API's relay has published them; for a large seed `projector rebuild` is the fast way (it replays \
             the events table into a fresh read model and swaps it in)."
        );
    }
    Ok(())
}

/// Draws the whole plan and decides every command in memory.
pub fn dry_run(seed: u64, products: u64) -> anyhow::Result<Report> {
    let started = Instant::now();
    let plan = Plan::new(seed, products)?;
    let mut offline = offline::Offline::structure(&plan)?;
    let mut drawn = plan.products();
    let mut made = 0;
    for product in drawn.by_ref() {
        offline.product(&product)?;
        made += 1;
    }
    if let Some((family, got, wanted)) = drawn.short().first() {
        bail!("family {family} ran out of new variants after {got} of {wanted} products");
    }
    let created = |n: usize| Count { created: n as u64, skipped: 0 };
    Ok(Report {
        seed,
        categories: created(plan.categories.len()),
        definitions: plan.definitions() as u64,
        brands: created(plan.brands.len()),
        families: created(plan.families.len()),
        family_overrides: plan.family_overrides() as u64,
        products: Count { created: made, skipped: 0 },
        events: (plan.categories.len()
            + plan.definitions()
            + plan.brands.len()
            + plan.families.len()
            + plan.family_overrides()) as u64
            + made,
        elapsed: started.elapsed(),
        target: "nothing (dry run: decided in memory)".into(),
        ..Report::default()
    })
}

#[cfg(test)]
mod tests;
