//! `ferrule bench write`: product creates over HTTP against raw INSERTs of equivalent event rows.

use std::str::FromStr;
use std::time::Duration;

use anyhow::{bail, Context};
use command_api::config::{Config, Secret};
use command_api::Application;
use event_store::EventStore;
use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use uuid::Uuid;

use super::{measure, Phase};

#[derive(clap::Args)]
pub struct Args {
    /// Concurrent clients (HTTP clients, and INSERTing connections for the baseline).
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Seconds each phase is measured.
    #[arg(long, default_value_t = 15)]
    duration_secs: u64,
    /// Seconds each phase runs before measuring starts.
    #[arg(long, default_value_t = 2)]
    warmup_secs: u64,
    /// PostgreSQL URL of a database on the server to benchmark, as a role that may create
    /// databases (scratch databases are created beside it and dropped at the end).
    #[arg(long, env = "FERRULE_TEST_DATABASE_URL", default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    database_url: String,
}

const TOKEN: &str = "bench-admin-token-0123456789";

pub async fn run(args: Args) -> anyhow::Result<()> {
    let warmup = Duration::from_secs(args.warmup_secs);
    let duration = Duration::from_secs(args.duration_secs);
    println!(
        "ferrule bench write: {} clients, {}s per phase (+{}s warm-up), PostgreSQL {}",
        args.clients,
        args.duration_secs,
        args.warmup_secs,
        redact(&args.database_url)
    );
    let mut scratch = Vec::new();
    let result = phases(&args, warmup, duration, &mut scratch).await;
    for name in scratch {
        if let Err(e) = event_store::scratch::drop_database(&args.database_url, &name).await {
            eprintln!("could not drop scratch database {name}: {e}");
        }
    }
    let (raw_before, http, raw_after) = result?;
    let baseline = (raw_before.rate() + raw_after.rate()) / 2.0;
    let ratio = http.rate() / baseline;
    println!();
    println!("{}", Phase::header());
    for phase in [&raw_before, &http, &raw_after] {
        println!("{}", phase.row());
    }
    println!();
    println!("raw INSERT baseline (mean of both raw phases): {baseline:.0} rows/s");
    println!("product creates over HTTP:                     {:.0} commands/s", http.rate());
    let verdict = if ratio >= 0.5 { "meets the target" } else { "below target" };
    println!("ratio http / raw: {ratio:.2}  (target ≥ 0.50: {verdict})");
    Ok(())
}

type Phases = (Phase, Phase, Phase);

async fn phases(
    args: &Args,
    warmup: Duration,
    duration: Duration,
    scratch: &mut Vec<String>,
) -> anyhow::Result<Phases> {
    let raw_before = raw_phase(args, "raw INSERT (before)", warmup, duration, scratch).await?;
    let http = http_phase(args, warmup, duration, scratch).await?;
    let raw_after = raw_phase(args, "raw INSERT (after)", warmup, duration, scratch).await?;
    Ok((raw_before, http, raw_after))
}

fn redact(url: &str) -> String {
    match url.split_once('@') {
        Some((_, host)) => format!("…@{host}"),
        None => url.to_owned(),
    }
}

async fn fresh(args: &Args, scratch: &mut Vec<String>) -> anyhow::Result<PgConnectOptions> {
    let options =
        event_store::scratch::fresh_database(&args.database_url, "ferrule_bench").await.with_context(|| {
            format!("cannot create a scratch database on {}: is PostgreSQL running?", redact(&args.database_url))
        })?;
    scratch.push(options.get_database().unwrap_or_default().to_owned());
    Ok(options)
}

/// A ProductCreated payload of the size and shape the HTTP phase writes.
fn product_payload(n: u64) -> Value {
    json!({
        "family_id": Uuid::now_v7(),
        "name": format!("Hex bolt M12x{n} A4"),
        "sku": format!("HB933-M12-{n}-A4"),
        "specs": {
            "thread_size": "M12",
            "length": {"value": 2.0, "unit": "in", "base_value": 50.8, "base_unit": "mm"},
            "material": "A4",
            "batch": format!("c0-{n}"),
        },
        "variant_key": format!("thread_size=m12|length=50.8|material=a4|batch=c0-{n}"),
    })
}

async fn raw_phase(
    args: &Args,
    name: &str,
    warmup: Duration,
    duration: Duration,
    scratch: &mut Vec<String>,
) -> anyhow::Result<Phase> {
    let options = fresh(args, scratch).await?;
    let pool = PgPoolOptions::new().max_connections(args.clients as u32).connect_with(options).await?;
    measure(name, args.clients, warmup, duration, move |client, n| {
        let pool = pool.clone();
        async move {
            sqlx::query(
                "INSERT INTO events (position, event_id, stream_id, stream_type, version, event_type, schema_version, \
                 payload, actor_id, actor_role, request_id, correlation_id, causation_id, recorded_at) \
                 VALUES (pg_current_xact_id()::text::bigint * 65536 + 1, $1, $2, 'product', 1, 'ProductCreated', 1, $3, 'bench', 'admin', $4, $5, NULL, now())",
            )
            .bind(Uuid::now_v7())
            .bind(Uuid::now_v7())
            .bind(product_payload(n))
            .bind(format!("req-{client}-{n}"))
            .bind(Uuid::now_v7())
            .execute(&pool)
            .await?;
            Ok(())
        }
    })
    .await
}

async fn http_phase(
    args: &Args,
    warmup: Duration,
    duration: Duration,
    scratch: &mut Vec<String>,
) -> anyhow::Result<Phase> {
    let options = fresh(args, scratch).await?;
    let store = EventStore::connect(options, (args.clients as u32 + 8).min(60)).await?;
    let config = Config {
        database_url: String::new(),
        addr: "127.0.0.1:0".parse()?,
        admin_token: Secret(TOKEN.into()),
        admin_actor: "bench".into(),
        body_limit_bytes: 256 * 1024,
        db_pool_size: 0,
        request_timeout_secs: 30,
        nats_url: None,
        log_format: Default::default(),
    };
    let app = Application::with_store(&config, store).await?;
    let base = format!("http://{}", app.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.clients).build()?;
    let family = catalog(&client, &base).await?;
    let phase = measure("product create over HTTP", args.clients, warmup, duration, move |c, n| {
        let client = client.clone();
        let url = format!("{base}/v1/products");
        async move {
            let thread = ["M6", "M8", "M10", "M12", "M16"][(n % 5) as usize];
            let body = json!({
                "family_id": family,
                "name": format!("Hex bolt M12 {c}-{n}"),
                "specs": {
                    "thread_size": thread,
                    "length": {"value": 2, "unit": "in"},
                    "material": "A4",
                    "batch": format!("c{c}-{n}"),
                },
            });
            let response = client.post(&url).bearer_auth(TOKEN).json(&body).send().await?;
            let status = response.status();
            if status != reqwest::StatusCode::CREATED {
                bail!("{status}: {}", response.text().await.unwrap_or_default());
            }
            Ok(())
        }
    })
    .await;
    let _ = stop.send(());
    let _ = server.await;
    phase
}

/// The walk-through's hex bolts, with a variant-defining `batch` so that every product is its own
/// variant. Returns the family id.
async fn catalog(client: &reqwest::Client, base: &str) -> anyhow::Result<Uuid> {
    let call = |method: reqwest::Method, path: String, body: Value| {
        let request = client.request(method, format!("{base}{path}")).bearer_auth(TOKEN).json(&body);
        async move {
            let response = request.send().await?;
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            if !status.is_success() {
                bail!("setting up the catalog failed: {status} {body}");
            }
            let id = body["id"].as_str().map(Uuid::from_str).transpose()?;
            Ok(id)
        }
    };
    use reqwest::Method;
    let root = call(Method::POST, "/v1/categories".into(), json!({"name": "Fasteners"})).await?;
    let node = call(Method::POST, "/v1/categories".into(), json!({"name": "Bolts", "parent_id": root})).await?;
    let leaf = call(Method::POST, "/v1/categories".into(), json!({"name": "Hex bolts", "parent_id": node}))
        .await?
        .context("no category id")?;
    let attributes = [
        (
            "thread_size",
            json!({"label": "Thread size", "type": "select", "options": ["M6", "M8", "M10", "M12", "M16"], "required": true, "variant_defining": true, "filterable": true}),
        ),
        (
            "length",
            json!({"label": "Length", "type": "number", "unit": "mm", "min": 1, "max": 1000, "variant_defining": true, "filterable": true}),
        ),
        (
            "material",
            json!({"label": "Material", "type": "select", "options": ["steel 8.8", "A2", "A4"], "filterable": true}),
        ),
        ("batch", json!({"label": "Batch", "type": "text", "variant_defining": true})),
    ];
    for (key, definition) in attributes {
        call(Method::PUT, format!("/v1/categories/{leaf}/attributes/{key}"), definition).await?;
    }
    call(Method::POST, "/v1/families".into(), json!({"category_id": leaf, "name": "DIN 933", "code": "HB933"}))
        .await?
        .context("no family id")
}
