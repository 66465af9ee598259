//! `ferrule bench search`: search through the query API over HTTP on a large seeded catalog, next
//! to the naive SQL (rank every match, count every match, facet every match) in the same run; and
//! cached product GETs next to a trivial handler of the same server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use domain::search::terms;
use indicatif::{ProgressBar, ProgressStyle};
use projector::{Progress, RebuildOptions};
use read_store::{lexeme, READ_MIGRATOR};
use serde_json::Value;
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::write::Scratch;
use super::{measure, print_table, Failure, Phase};
use crate::cli::SearchArgs;

/// One query of the mix, in a form both the HTTP request and the naive SQL are made from.
#[derive(Clone, Debug)]
struct Probe {
    kind: &'static str,
    q: Option<String>,
    scope: Option<Uuid>,
    /// Select values: `filter.KEY=V`.
    filters: Vec<(String, String)>,
    /// Ranges in the attribute's base unit: `range.KEY=MIN..MAX`.
    ranges: Vec<(String, f64, f64)>,
}

impl Probe {
    fn query_string(&self) -> String {
        let mut pairs = form_urlencoded::Serializer::new(String::new());
        if let Some(q) = &self.q {
            pairs.append_pair("q", q);
        }
        if let Some(scope) = self.scope {
            pairs.append_pair("category_id", &scope.to_string());
        }
        for (key, value) in &self.filters {
            pairs.append_pair(&format!("filter.{key}"), value);
        }
        for (key, min, max) in &self.ranges {
            pairs.append_pair(&format!("range.{key}"), &format!("{min}..{max}"));
        }
        pairs.finish()
    }

    /// The naive query: every match ranked with `ts_rank_cd`, counted, and its specs grouped
    /// for facets.
    fn naive(&self) -> QueryBuilder<'static, Postgres> {
        let tsquery = self.q.as_deref().map(|q| terms(q).iter().map(|t| lexeme(t)).collect::<Vec<_>>().join(" & "));
        let mut qb = QueryBuilder::new(
            "WITH m AS MATERIALIZED (SELECT p.id, p.name, p.specs, p.search FROM catalog.products p WHERE NOT p.retired",
        );
        if let Some(tsquery) = &tsquery {
            qb.push(" AND p.search @@ ").push_bind(tsquery.clone()).push("::tsquery");
        }
        if let Some(scope) = self.scope {
            qb.push(" AND p.category_path @> ARRAY[").push_bind(scope).push("]::uuid[]");
        }
        for (key, value) in &self.filters {
            // Filters match as the query API's do (the facet entries' index): only ranking and
            // facets differ.
            qb.push(" AND p.facets && ").push_bind(vec![format!("{key}={value}")]).push("::text[]");
        }
        for (key, min, max) in &self.ranges {
            qb.push(" AND p.id IN (SELECT product_id FROM catalog.product_numbers WHERE key = ")
                .push_bind(key.clone())
                .push(" AND value BETWEEN ")
                .push_bind(*min)
                .push(" AND ")
                .push_bind(*max)
                .push(")");
        }
        qb.push(") SELECT (SELECT count(*) FROM m), (SELECT count(*) FROM (SELECT id FROM m ORDER BY ");
        match &tsquery {
            Some(tsquery) => qb.push("ts_rank_cd(search, ").push_bind(tsquery.clone()).push("::tsquery) DESC, name"),
            None => qb.push("name"),
        };
        qb.push(
            " LIMIT 20) hits), (SELECT count(*) FROM (SELECT e.key, e.value, count(*) FROM m, jsonb_each(m.specs) e \
             GROUP BY 1, 2) facets)",
        );
        qb
    }
}

pub async fn run(args: SearchArgs) -> anyhow::Result<()> {
    let mut scratch = Scratch { admin_url: args.server.database_url.clone(), names: Vec::new() };
    let result = stages(&args, &mut scratch).await;
    if args.keep && args.read_database_url.is_none() {
        eprintln!(
            "kept the scratch databases {}: give --read-database-url to search them again",
            scratch.names.join(", ")
        );
    } else {
        scratch.drop_all().await;
    }
    result
}

async fn stages(args: &SearchArgs, scratch: &mut Scratch) -> anyhow::Result<()> {
    let read = match &args.read_database_url {
        Some(url) => {
            let read = PgPoolOptions::new()
                .max_connections(args.clients + 8)
                .connect(url)
                .await
                .with_context(|| format!("cannot connect to the read database {}", ferrule_seed::redact(url)))?;
            // A read model kept by an earlier run gets this build's migrations.
            READ_MIGRATOR.run(&read).await.context("migrating the read database failed")?;
            read
        }
        None => catalog(args, scratch).await?,
    };
    let products: i64 = sqlx::query_scalar("SELECT count(*) FROM catalog.products").fetch_one(&read).await?;
    println!(
        "read model: {products} products; {} clients, {}s per phase after {}s warm-up",
        args.clients, args.duration_secs, args.warmup_secs
    );
    let probes = probes(&read).await?;
    println!("query mix ({} queries, each client goes round them):", probes.len());
    for probe in &probes {
        println!("  {:<9} /v1/search?{}", probe.kind, probe.query_string());
    }

    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    let before = super::memory_mib("VmRSS");
    let started = Instant::now();
    let api = query_api(read.clone(), args, None).await?;
    searchable(&client, &api).await?;
    println!(
        "search index loaded in {:.1}s; this process's resident memory went from {} to {} MiB",
        started.elapsed().as_secs_f64(),
        before.map_or("?".into(), |m| m.to_string()),
        super::memory_mib("VmRSS").map_or("?".into(), |m| m.to_string()),
    );
    let (warmup, duration) = (Duration::from_secs(args.warmup_secs), Duration::from_secs(args.duration_secs));
    let urls: Arc<Vec<String>> =
        Arc::new(probes.iter().map(|p| format!("{api}/v1/search?{}", p.query_string())).collect());
    let ours = {
        let (client, urls) = (client.clone(), urls.clone());
        measure("search over HTTP", args.clients, warmup, duration, move |c, n| {
            let (client, urls) = (client.clone(), urls.clone());
            async move {
                let url = &urls[((u64::from(c) + n) % urls.len() as u64) as usize];
                // Past any cache: the search itself is measured.
                get(&client, url, true).await
            }
        })
        .await?
    };
    let naive = {
        let (read, probes) = (read.clone(), Arc::new(probes.clone()));
        measure("naive SQL", args.clients, warmup, duration, move |c, n| {
            let (read, probes) = (read.clone(), probes.clone());
            async move {
                let probe = &probes[((u64::from(c) + n) % probes.len() as u64) as usize];
                probe
                    .naive()
                    .build()
                    .fetch_one(&read)
                    .await
                    .map(|_| ())
                    .map_err(|e| Failure { kind: "SQL error".into(), detail: e.to_string() })
            }
        })
        .await?
    };
    println!();
    print_table(&[&ours, &naive]);
    let p95 = |phase: &Phase| phase.latency.value_at_quantile(0.95) as f64 / 1000.0;
    let speedup = p95(&naive) / p95(&ours).max(1e-6);
    println!(
        "search p95 {:.1} ms (target ≤ 25 ms with facets): {}; naive p95 / search p95 = {speedup:.1}× (target ≥ 20×): {}",
        p95(&ours),
        verdict(p95(&ours) <= 25.0),
        verdict(speedup >= 20.0)
    );

    // Cached product GETs.
    let Some(redis_url) = &args.redis_url else {
        println!("cached product GET: skipped (no --redis-url)");
        return Ok(());
    };
    let prefix = format!("ferrule-bench-{}", Uuid::new_v4().simple());
    let cached = query_api(read.clone(), args, Some((redis_url.clone(), prefix))).await?;
    // Its own search index loads in the background: not while the GETs are measured.
    searchable(&client, &cached).await?;
    let ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM catalog.products WHERE NOT retired ORDER BY id LIMIT 1000")
        .fetch_all(&read)
        .await?;
    let urls: Arc<Vec<String>> = Arc::new(ids.iter().map(|id| format!("{cached}/v1/products/{id}")).collect());
    for url in urls.iter() {
        let _ = get(&client, url, false).await;
    }
    let hits = {
        let (client, urls) = (client.clone(), urls.clone());
        measure("cached product GET", args.clients, warmup, duration, move |c, n| {
            let (client, urls) = (client.clone(), urls.clone());
            async move { get(&client, &urls[((u64::from(c) * 97 + n) % urls.len() as u64) as usize], false).await }
        })
        .await?
    };
    let live = format!("{cached}/v1/health/live");
    let trivial = {
        let client = client.clone();
        measure("trivial handler", args.clients, warmup, duration, move |_, _| {
            let (client, live) = (client.clone(), live.clone());
            async move { get(&client, &live, false).await }
        })
        .await?
    };
    println!();
    print_table(&[&hits, &trivial]);
    println!("cached product GET: {:.2} of the trivial handler's requests/s", hits.rate() / trivial.rate().max(1e-9));
    Ok(())
}

fn verdict(met: bool) -> &'static str {
    if met {
        "meets the target"
    } else {
        "BELOW TARGET"
    }
}

async fn get(client: &reqwest::Client, url: &str, bypass: bool) -> Result<(), Failure> {
    let mut request = client.get(url);
    if bypass {
        request = request.header("Cache-Control", "no-cache");
    }
    let response =
        request.send().await.map_err(|e| Failure { kind: "request failed".into(), detail: e.to_string() })?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| Failure { kind: "body".into(), detail: e.to_string() })?;
    if status.is_success() {
        Ok(())
    } else {
        Err(Failure { kind: format!("HTTP {status}"), detail: String::from_utf8_lossy(&body).into_owned() })
    }
}

/// Waits until the query API answers a search (its index loaded), for up to ten minutes.
async fn searchable(client: &reqwest::Client, api: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        match get(client, &format!("{api}/v1/search?q=bolt&per_page=1"), true).await {
            Ok(()) => return Ok(()),
            Err(failure) if Instant::now() > deadline => {
                anyhow::bail!("the query API did not answer a search within 10 minutes: {}", failure.detail)
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// A query API over the read pool, in this process; its base URL.
async fn query_api(read: PgPool, args: &SearchArgs, cache: Option<(String, String)>) -> anyhow::Result<String> {
    let (redis_url, cache_prefix) = match cache {
        Some((url, prefix)) => (Some(url), prefix),
        None => (None, read_store::cache_keys::DEFAULT_PREFIX.to_owned()),
    };
    let config = query_api::Config {
        read_database_url: String::new().into(),
        write_database_url: None,
        addr: "127.0.0.1:0".parse()?,
        read_pool_size: args.clients + 8,
        min_position_wait_ms: 5_000,
        request_timeout_secs: 30,
        redis_url: redis_url.map(Into::into),
        cache_prefix,
        revocation_prefix: service_http::revocations::DEFAULT_PREFIX.into(),
        body_limit_bytes: 16 * 1024,
        // Benchmarks measure the API, not the limiter.
        http: service_http::HttpConfig::unlimited(),
        log_format: Default::default(),
        // No token keys: benchmarks read the public endpoints.
        auth: Default::default(),
        // The seeded catalog has no media: the local defaults, never contacted.
        s3: media_store::S3Config::local("http://127.0.0.1:8014", "ferrule-media", ""),
    };
    let app = query_api::Application::with_pool(&config, read, None).await?;
    let addr = app.local_addr()?;
    tokio::spawn(app.run_until(std::future::pending()));
    Ok(format!("http://{addr}"))
}

/// Seeds `--products` into a scratch write database and rebuilds a scratch read model from it.
async fn catalog(args: &SearchArgs, scratch: &mut Scratch) -> anyhow::Result<PgPool> {
    let write_options = scratch.fresh().await?;
    let write_name = write_options.get_database().unwrap_or_default().to_owned();
    let write_url = database_url(&args.server.database_url, &write_name);
    let started = Instant::now();
    let report = ferrule_seed::seed_database(&ferrule_seed::Options {
        seed: args.seed,
        products: args.products,
        database_url: write_url.clone(),
        concurrency: 64,
        append_workers: 2,
        append_batch_max: 32,
        progress: true,
    })
    .await?;
    println!("seeded {} products in {:.0}s", report.products.created, started.elapsed().as_secs_f64());
    let read_options = event_store::scratch::fresh_database_from(
        &args.server.database_url,
        "ferrule_bench_read",
        &READ_MIGRATOR,
        "read",
    )
    .await
    .context("cannot create the scratch read database")?;
    scratch.names.push(read_options.get_database().unwrap_or_default().to_owned());
    let read = PgPoolOptions::new().max_connections(args.clients + 8).connect_with(read_options).await?;
    let write = PgPoolOptions::new().max_connections(4).connect(&write_url).await?;
    let bar = ProgressBar::new(report.events);
    bar.set_style(
        ProgressStyle::with_template("{spinner} rebuild {msg:10} [{bar:40}] {human_pos}/{human_len} events, {per_sec}")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let rebuilt = projector::rebuild(&read, &write, RebuildOptions::default(), &Bar(bar.clone())).await?;
    bar.finish_and_clear();
    println!("read model rebuilt: {} events in {:.0}s", rebuilt.events, started.elapsed().as_secs_f64());
    sqlx::query("VACUUM ANALYZE catalog.products").execute(&read).await?;
    Ok(read)
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn replayed(&self, events: u64, _: i64) {
        self.0.set_position(events);
    }
    fn phase(&self, name: &str) {
        self.0.set_message(name.to_owned());
    }
}

/// The URL of database `name` on the server of `admin_url`.
fn database_url(admin_url: &str, name: &str) -> String {
    let (base, query) = admin_url.split_once('?').map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(server, _)| server);
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// The fixed mix: broad terms, narrow ones taken from real products, a filtered browse and a
/// filtered, ranged search in the largest category (facets come with every one).
async fn probes(read: &PgPool) -> anyhow::Result<Vec<Probe>> {
    let probe = |kind, q: Option<&str>| Probe {
        kind,
        q: q.map(str::to_owned),
        scope: None,
        filters: Vec::new(),
        ranges: Vec::new(),
    };
    let mut probes =
        vec![probe("broad", Some("motor")), probe("broad", Some("stainless")), probe("broad", Some("M12"))];
    let named: Vec<(String, String)> =
        sqlx::query_as("SELECT name, sku FROM catalog.products WHERE NOT retired ORDER BY id LIMIT 2 OFFSET 1000")
            .fetch_all(read)
            .await?;
    for (name, sku) in named {
        probes.push(probe("narrow", Some(&name)));
        probes.push(probe("narrow", Some(&sku)));
    }
    let largest: Option<(Uuid, Value)> = sqlx::query_as(
        "SELECT c.id, c.resolved FROM catalog.categories c JOIN (SELECT category_id, count(*) AS n FROM \
         catalog.products GROUP BY 1) counted ON counted.category_id = c.id ORDER BY counted.n DESC, c.id LIMIT 1",
    )
    .fetch_optional(read)
    .await?;
    let Some((category, resolved)) = largest else { return Ok(probes) };
    let attributes = resolved.as_array().cloned().unwrap_or_default();
    let filterable = |kind: &str| {
        attributes
            .iter()
            .filter(|a| a["filterable"] == true && a["type"] == kind)
            .filter_map(|a| a["key"].as_str().map(str::to_owned))
            .collect::<Vec<_>>()
    };
    let mut filters = Vec::new();
    if let Some(key) = filterable("select").first() {
        let common: Option<String> = sqlx::query_scalar(
            "SELECT v FROM (SELECT specs->>$1 AS v FROM catalog.products WHERE category_id = $2 LIMIT 20000) s \
             WHERE v IS NOT NULL GROUP BY v ORDER BY count(*) DESC LIMIT 1",
        )
        .bind(key)
        .bind(category)
        .fetch_optional(read)
        .await?
        .flatten();
        if let Some(value) = common {
            filters.push((key.clone(), value));
        }
    }
    let mut ranges = Vec::new();
    if let Some(key) = filterable("number").first() {
        let bounds: Option<(Option<f64>, Option<f64>)> = sqlx::query_as(
            "SELECT percentile_cont(0.25) WITHIN GROUP (ORDER BY value), percentile_cont(0.75) WITHIN GROUP (ORDER BY value) \
             FROM (SELECT value FROM catalog.product_numbers WHERE key = $1 LIMIT 20000) s",
        )
        .bind(key)
        .fetch_optional(read)
        .await?;
        if let Some((Some(min), Some(max))) = bounds {
            ranges.push((key.clone(), min, max));
        }
    }
    let word: Option<String> =
        sqlx::query_scalar("SELECT split_part(name, ' ', 1) FROM catalog.products WHERE category_id = $1 LIMIT 1")
            .bind(category)
            .fetch_optional(read)
            .await?;
    probes.push(Probe {
        kind: "filtered",
        q: None,
        scope: Some(category),
        filters: filters.clone(),
        ranges: Vec::new(),
    });
    probes.push(Probe { kind: "faceted", q: word, scope: Some(category), filters, ranges });
    Ok(probes)
}
