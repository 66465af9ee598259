//! Seeding the write database in process: the structure one command at a time under the schema
//! lock, then the products `--concurrency` at a time through the group appender; a re-run skips
//! what exists.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};
use event_store::{GroupOptions, Metadata};
use futures::StreamExt;

use crate::plan::Plan;
use crate::write::{stands, Writer};
use crate::{bar, dice, redact, Options, Report};

/// The audit metadata of every seeded event: who and which run.
fn metadata(seed: u64) -> Metadata {
    Metadata {
        actor_id: "ferrule-seed".into(),
        actor_role: "admin".into(),
        request_id: format!("seed-{seed}"),
        correlation_id: dice::Dice::new(seed, "correlation").uuid(),
        causation_id: None,
    }
}

/// Seeds the write database in process, through the command API's service layer.
pub async fn seed_database(options: &Options) -> anyhow::Result<Report> {
    let started = Instant::now();
    let plan = Plan::new(options.seed, options.products)?;
    let grouping =
        GroupOptions { workers: options.append_workers.max(1), max_commands: options.append_batch_max.max(1) };
    let writer = Writer::connect(&options.database_url, grouping, metadata(options.seed)).await?;
    let mut report = Report { seed: options.seed, target: redact(&options.database_url), ..Report::default() };
    let resuming = !writer.existing(&[plan.marker().id]).await?.is_empty();
    if !resuming {
        if let Some(request) = writer.first_category_request().await? {
            bail!(
                "the write database at {} already holds a catalog that is not seed {}'s (its first category was \
                 written by request {request:?}; `ferrule seed` writes request ids seed-N): seed into an empty \
                 write database, or re-run with the seed that made it",
                report.target,
                options.seed
            );
        }
    }
    let stop = stop_on_ctrl_c();
    structure(&writer, &plan, resuming, options.progress, &mut report).await?;
    let existing = if resuming { writer.existing_products().await? } else { HashSet::new() };
    let phase = Instant::now();
    writer.warm_schemas(plan.families.iter().map(|f| f.id)).await?;
    products(&writer, &plan, existing, options, &stop, &mut report).await?;
    report.products_elapsed = phase.elapsed();
    report.already_complete = resuming && report.events == 0 && !report.interrupted;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Brands, categories with their definitions, families with their overrides, one at a time.
async fn structure(
    writer: &Writer,
    plan: &Plan,
    resuming: bool,
    progress: bool,
    report: &mut Report,
) -> anyhow::Result<()> {
    let mut ids: Vec<uuid::Uuid> = plan.brands.iter().map(|b| b.id).collect();
    ids.extend(plan.categories.iter().map(|c| c.id));
    ids.extend(plan.families.iter().map(|f| f.id));
    let existing = if resuming { writer.existing(&ids).await? } else { HashMap::new() };
    let steps =
        plan.brands.len() + plan.categories.len() + plan.definitions() + plan.families.len() + plan.family_overrides();
    let bar = bar(progress, steps as u64, "commands", "structure");
    for brand in &plan.brands {
        if existing.contains_key(&brand.id) {
            report.brands.skipped += 1;
        } else {
            report.events +=
                writer.brand(brand).await.with_context(|| format!("creating brand {:?}", brand.name))? as u64;
            report.brands.created += 1;
        }
        bar.inc(1);
    }
    for category in &plan.categories {
        if existing.contains_key(&category.id) {
            report.categories.skipped += 1;
        } else {
            let events =
                writer.category(category).await.with_context(|| format!("creating category {:?}", category.name))?;
            report.events += events as u64;
            report.categories.created += 1;
        }
        bar.inc(1);
        // A re-run completes a category whose definitions were cut short.
        for (key, definition) in &category.attributes {
            if stands(existing.get(&category.id), key, definition) {
                bar.inc(1);
                continue;
            }
            let events = writer
                .define_on_category(category.id, key, definition)
                .await
                .with_context(|| format!("defining {key} on category {:?}", category.name))?;
            report.events += events as u64;
            report.definitions += events as u64;
            bar.inc(1);
        }
    }
    for family in &plan.families {
        if existing.contains_key(&family.id) {
            report.families.skipped += 1;
        } else {
            report.events +=
                writer.family(family).await.with_context(|| format!("creating family {:?}", family.name))? as u64;
            report.families.created += 1;
        }
        bar.inc(1);
        for (key, definition) in &family.overrides {
            if stands(existing.get(&family.id), key, definition) {
                bar.inc(1);
                continue;
            }
            let events = writer
                .define_on_family(family.id, key, definition)
                .await
                .with_context(|| format!("overriding {key} on family {:?}", family.name))?;
            report.events += events as u64;
            report.family_overrides += events as u64;
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    Ok(())
}

/// The products, `concurrency` at a time; the first failure stops the run after the commands in
/// flight have finished.
async fn products(
    writer: &Writer,
    plan: &Plan,
    existing: HashSet<uuid::Uuid>,
    options: &Options,
    stop: &Arc<AtomicBool>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let bar = bar(options.progress, plan.products, "products", "products");
    let failed = Arc::new(AtomicBool::new(false));
    let halt = (stop.clone(), failed.clone());
    let skipped = AtomicU64::new(0);
    let mut wanted = example_families(plan);
    let mut examples = Vec::new();
    let todo = plan.products().filter(|p| {
        if wanted.remove(&p.family) {
            examples.push(p.clone());
        }
        let there = existing.contains(&p.id);
        skipped.fetch_add(u64::from(there), Ordering::Relaxed);
        !there
    });
    let todo = todo.take_while(|_| !halt.0.load(Ordering::Relaxed) && !halt.1.load(Ordering::Relaxed));
    let mut results = futures::stream::iter(todo)
        .map(|product| {
            let writer = writer.clone();
            tokio::spawn(async move { writer.product(product).await })
        })
        .buffer_unordered(options.concurrency.max(1));
    let mut first_error = None;
    while let Some(joined) = results.next().await {
        match joined.context("a product task panicked").and_then(|r| r) {
            Ok(()) => {
                report.products.created += 1;
                report.events += 1;
            }
            Err(error) => {
                failed.store(true, Ordering::Relaxed);
                first_error.get_or_insert(error);
            }
        }
        bar.set_position(report.products.created + skipped.load(Ordering::Relaxed));
    }
    drop(results);
    bar.finish_and_clear();
    report.examples = examples;
    report.products.skipped = skipped.load(Ordering::Relaxed);
    report.interrupted = stop.load(Ordering::Relaxed);
    if let Some(error) = first_error {
        return Err(error.context(format!(
            "seeding stopped after {} new products; the catalog holds what was created — fix the cause and run the \
             same command again: it skips what exists and creates the rest",
            report.products.created
        )));
    }
    Ok(())
}

/// The first family of a few telling lines: hex bolts, bearings, motors, valves, cables, drills.
fn example_families(plan: &Plan) -> HashSet<uuid::Uuid> {
    ["HB933", "DG", "3PA", "PMDC", "BVB", "NYM", "DD"]
        .iter()
        .filter_map(|code| plan.families.iter().find(|f| plan.lines[f.line].code == *code))
        .map(|f| f.id)
        .collect()
}

/// The first Ctrl-C stops drawing new products; those in flight finish and the run reports.
fn stop_on_ctrl_c() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\nstopping: finishing the products in flight (Ctrl-C again to quit at once)");
            flag.store(true, Ordering::Relaxed);
        }
        if tokio::signal::ctrl_c().await.is_ok() {
            std::process::exit(130);
        }
    });
    stop
}
