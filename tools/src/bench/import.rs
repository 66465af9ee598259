//! `ferrule bench import`: the seed generator's catalog through an import job, next to a raw COPY
//! of the event rows it appended, in the same run (see `ferrule bench import --help`).

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use command_api::config::Config;
use event_store::EventStore;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use uuid::Uuid;

use super::pipeline::{bench_names, Running};
use super::write::{redact, Scratch};
use crate::api::Api;
use crate::cli::ImportBenchArgs;
use ferrule_seed::local::LocalApi;

const TARGET_RATE: f64 = 20_000.0;
const TARGET_RATIO: f64 = 0.3;

pub async fn run(args: ImportBenchArgs) -> anyhow::Result<()> {
    println!(
        "ferrule bench import: the seed generator's catalog (seed {}, {} products) through POST /v1/imports, \
         {} import worker(s); {} CPU(s)\nPostgreSQL at {}, NATS at {}",
        args.seed,
        args.products,
        args.import_workers,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        redact(&args.server.database_url),
        args.nats_url,
    );
    let dir = std::env::temp_dir().join(format!("ferrule-bench-import-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut scratch = Scratch { admin_url: args.server.database_url.clone(), names: Vec::new() };
    let names = bench_names();
    let result = stages(&args, &mut scratch, &names, &dir).await;
    if let Ok(client) = async_nats::connect(&args.nats_url).await {
        let _ = async_nats::jetstream::new(client).delete_stream(&names.stream).await;
    }
    scratch.drop_all().await;
    let _ = std::fs::remove_dir_all(&dir);
    result?.report();
    Ok(())
}

/// What the run measured.
struct Figures {
    file_rows: u64,
    products: u64,
    file_mib: f64,
    import: Duration,
    job_rate: Option<f64>,
    caught_up: Duration,
    events: u64,
    copies: Vec<Duration>,
    peak_first_tenth: Option<u64>,
    peak_whole: Option<u64>,
}

impl Figures {
    fn report(&self) {
        let rate = self.file_rows as f64 / self.import.as_secs_f64().max(1e-9);
        let copy_secs = self.copies.iter().map(Duration::as_secs_f64).sum::<f64>() / self.copies.len().max(1) as f64;
        let copy_rate = self.events as f64 / copy_secs.max(1e-9);
        let ratio = rate / copy_rate;
        println!(
            "\nimport of {} rows ({} products, {:.1} MiB of NDJSON):",
            self.file_rows, self.products, self.file_mib
        );
        println!(
            "  upload to done      {:>8.1} s   {:>9.0} rows/s{}",
            self.import.as_secs_f64(),
            rate,
            self.job_rate.map(|r| format!("   (the job's own figure: {r:.0} rows/s)")).unwrap_or_default()
        );
        for (n, copy) in self.copies.iter().enumerate() {
            println!(
                "  raw COPY ({})        {:>8.1} s   {:>9.0} rows/s   ({} event rows)",
                if n == 0 { "before" } else { "after" },
                copy.as_secs_f64(),
                self.events as f64 / copy.as_secs_f64().max(1e-9),
                self.events
            );
        }
        println!("  ratio to raw COPY   {ratio:>8.2}×   (import rows/s ÷ mean COPY rows/s)");
        println!(
            "  read model caught up {:.1} s after the job ended (GET /v1/health: nothing behind)",
            self.caught_up.as_secs_f64()
        );
        let mib = |m: Option<u64>| m.map_or("?".to_owned(), |m| format!("{m} MiB"));
        println!(
            "  peak resident memory of this process: {} over the first tenth of the rows, {} over the whole import",
            mib(self.peak_first_tenth),
            mib(self.peak_whole)
        );
        let verdict = |ok: bool| if ok { "meets the target" } else { "BELOW TARGET" };
        println!(
            "  targets: ≥ {TARGET_RATE:.0} rows/s: {}; ≥ {TARGET_RATIO}× raw COPY: {}",
            verdict(rate >= TARGET_RATE),
            verdict(ratio >= TARGET_RATIO)
        );
    }
}

async fn stages(
    args: &ImportBenchArgs,
    scratch: &mut Scratch,
    names: &relay::Names,
    dir: &std::path::Path,
) -> anyhow::Result<Figures> {
    let file = dir.join("catalog.ndjson");
    let started = Instant::now();
    let (seed, products, path) = (args.seed, args.products, file.clone());
    let (file_rows, made) = tokio::task::spawn_blocking(move || {
        let plan = ferrule_seed::Plan::new(seed, products)?;
        let out = std::fs::File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
        ferrule_seed::write_catalog_file(&plan, out)
    })
    .await??;
    let file_mib = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0) as f64 / (1024.0 * 1024.0);
    println!(
        "catalog file: {file_rows} rows ({made} products), {file_mib:.1} MiB, written in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let write_options = scratch.fresh().await?;
    let store = EventStore::connect(write_options, 16).await.context("cannot connect to the scratch write database")?;
    let config =
        Config { import_workers: args.import_workers, import_max_bytes: 8 << 30, ..ferrule_seed::local::config(16) };
    let local = LocalApi::start(store.clone(), config).await?;
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
        let running = Running::start(&args.nats_url, names, &store, &read).await?;
        let measured = measure(&local, &store, &read, &file, file_rows, made, file_mib).await;
        running.stop().await;
        measured
    }
    .await;
    local.stop().await;
    result
}

async fn measure(
    local: &LocalApi,
    store: &EventStore,
    read: &PgPool,
    file: &std::path::Path,
    file_rows: u64,
    products: u64,
    file_mib: f64,
) -> anyhow::Result<Figures> {
    let api = Api::new(&local.base, &local.token, 2)?;
    let health = query_api(read.clone(), store.pool().clone()).await?;
    let reset = super::reset_peak_memory();
    let started = Instant::now();
    let (id, _) = crate::transfer::upload(&api, file, "application/x-ndjson", false).await?;
    let bar = indicatif::ProgressBar::new(file_rows).with_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} importing [{bar:40}] {human_pos}/{human_len} rows, {per_sec}, eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let mut peak_first_tenth = None;
    let job = loop {
        let answer = api.call(Method::GET, &format!("/v1/imports/{id}"), &Value::Null).await?;
        if answer.status != StatusCode::OK {
            bail!("reading import job {id} answered {}", crate::api::describe(&answer));
        }
        let job = answer.body;
        let read_rows = job["rows_read"].as_u64().unwrap_or(0);
        bar.set_position(read_rows);
        if peak_first_tenth.is_none() && read_rows * 10 >= file_rows {
            peak_first_tenth = super::memory_mib("VmHWM");
        }
        if matches!(job["state"].as_str(), Some("done" | "failed" | "cancelled")) {
            break job;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        super::stop_if_interrupted()?;
    };
    let import = started.elapsed();
    bar.finish_and_clear();
    let peak_whole = super::memory_mib("VmHWM").filter(|_| reset);
    let peak_first_tenth = peak_first_tenth.filter(|_| reset);
    if job["state"] != "done" || job["refused"].as_u64() != Some(0) || job["rows_read"].as_u64() != Some(file_rows) {
        let errors = api.call(Method::GET, &format!("/v1/imports/{id}/errors?limit=5"), &Value::Null).await?;
        bail!("the import did not take every row: {job}\nfirst errors: {}", errors.body);
    }
    println!("import job {id} done in {:.1} s: {}", import.as_secs_f64(), counts(&job));

    let job_id = Uuid::parse_str(&id)?;
    let copy_file = file.with_extension("events.copy");
    let events = event_store::scratch::dump_events_of(store.pool(), job_id, &copy_file).await?;
    let mut copies = vec![event_store::scratch::copy_events_into_a_copy(store.pool(), &copy_file, 1).await?];
    let caught_up = wait_caught_up(&health, started + import).await?;
    copies.push(event_store::scratch::copy_events_into_a_copy(store.pool(), &copy_file, 2).await?);
    Ok(Figures {
        file_rows,
        products,
        file_mib,
        import,
        job_rate: job["rows_per_second"].as_f64(),
        caught_up,
        events,
        copies,
        peak_first_tenth,
        peak_whole,
    })
}

fn counts(job: &Value) -> String {
    let n = |name: &str| job[name].as_u64().unwrap_or(0);
    format!(
        "{} read, {} created, {} updated, {} unchanged, {} refused",
        n("rows_read"),
        n("created"),
        n("updated"),
        n("unchanged"),
        n("refused")
    )
}

/// A query API over the scratch read model that knows the write database (for its health's
/// `behind`), in this process; its base URL.
async fn query_api(read: PgPool, write: PgPool) -> anyhow::Result<String> {
    let config = query_api::Config {
        read_database_url: String::new().into(),
        write_database_url: None,
        addr: "127.0.0.1:0".parse()?,
        read_pool_size: 4,
        min_position_wait_ms: 5_000,
        request_timeout_secs: 30,
        redis_url: None,
        cache_prefix: read_store::cache_keys::DEFAULT_PREFIX.to_owned(),
        revocation_prefix: service_http::revocations::DEFAULT_PREFIX.into(),
        body_limit_bytes: 16 * 1024,
        http: service_http::HttpConfig::unlimited(),
        log_format: Default::default(),
        auth: Default::default(),
        // Benchmarks serve no media: the local defaults, never contacted.
        s3: media_store::S3Config::local("http://127.0.0.1:8014", "ferrule-media", ""),
    };
    let app = query_api::Application::with_pool(&config, read, Some(write)).await?;
    let addr = app.local_addr()?;
    tokio::spawn(app.run_until(std::future::pending()));
    Ok(format!("http://{addr}"))
}

/// Polls the query API's health until nothing is behind; the time since `since`.
async fn wait_caught_up(base: &str, since: Instant) -> anyhow::Result<Duration> {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(1800);
    loop {
        let health: Value = client.get(format!("{base}/v1/health")).send().await?.json().await?;
        if health["behind"].as_i64() == Some(0) {
            return Ok(since.elapsed());
        }
        if Instant::now() > deadline {
            bail!("the read model was still {} events behind 30 minutes after the import", health["behind"]);
        }
        super::stop_if_interrupted()?;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
