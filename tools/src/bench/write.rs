//! `ferrule bench write`: product creates over HTTP against raw INSERTs of equivalent event rows,
//! at the same concurrency, in the same run (see `ferrule bench write --help`).

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use command_api::config::Config;
use event_store::scratch::{insert_raw_event, RawEvent};
use event_store::{EventStore, StoredEvent};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

use super::{measure, measure_outcomes, print_table, Failure, Outcome, Phase};
use crate::api::{describe, Api};
use crate::cli::WriteArgs;
use ferrule_seed::local::LocalApi;

const TARGET: f64 = 0.5;
const REFUSED_TARGET: f64 = 2.0;

/// The benchmark's client number for contested creates: their lots are shared by two creates.
const CONTESTED: u32 = u32::MAX - 1;

pub async fn run(args: WriteArgs) -> anyhow::Result<()> {
    let server = check_server(&args).await?;
    println!(
        "ferrule bench write: {} clients, {}s per phase after {}s warm-up; command API pool {}, {} append \
         workers, batches of ≤ {}; {} CPU(s)\n\
         PostgreSQL at {}: {server}",
        args.clients,
        args.duration_secs,
        args.warmup_secs,
        args.api_pool_size,
        args.append_workers,
        args.append_batch_max,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        redact(&args.server.database_url),
    );
    let mut scratch = Scratch { admin_url: args.server.database_url.clone(), names: Vec::new() };
    let result = phases(&args, &mut scratch).await;
    scratch.drop_all().await;
    let (raw_before, http, contested, raw_after) = result?;
    println!();
    match &contested {
        Some((accepted, refused)) => print_table(&[&raw_before, &http, accepted, refused, &raw_after]),
        None => print_table(&[&raw_before, &http, &raw_after]),
    }
    report(&raw_before, &http, &raw_after);
    if let Some((accepted, refused)) = &contested {
        report_contested(args.contested_every, accepted, refused);
    }
    Ok(())
}

/// Two phases of one contested run: the accepted creates and the refused ones.
type Contested = (Phase, Phase);

/// raw, HTTP, HTTP with conflicts (unless `--contested-every 0`), raw: the raw phases' mean is the
/// baseline, so a drift of the machine's speed during the run cancels out.
async fn phases(args: &WriteArgs, scratch: &mut Scratch) -> anyhow::Result<(Phase, Phase, Option<Contested>, Phase)> {
    let warmup = Duration::from_secs(args.warmup_secs);
    let duration = Duration::from_secs(args.duration_secs);
    let target = HttpTarget::start(args, scratch).await?;
    let result = async {
        let sample = target.sample().await?;
        let raw_before = raw_phase(args, "raw INSERT (before)", &sample, scratch, warmup, duration).await?;
        super::stop_if_interrupted()?;
        let http = target.phase("product create (HTTP)", (0, args.clients), warmup, duration).await?;
        super::stop_if_interrupted()?;
        let contested = if args.contested_every > 0 {
            let every = args.contested_every;
            Some(target.contested_phase((args.clients, args.clients), every, warmup, duration).await?)
        } else {
            None
        };
        super::stop_if_interrupted()?;
        Ok::<_, anyhow::Error>((sample, raw_before, http, contested))
    }
    .await;
    target.stop().await;
    let (sample, raw_before, http, contested) = result?;
    let raw_after = raw_phase(args, "raw INSERT (after)", &sample, scratch, warmup, duration).await?;
    super::stop_if_interrupted()?;
    Ok((raw_before, http, contested, raw_after))
}

fn report(raw_before: &Phase, http: &Phase, raw_after: &Phase) {
    let baseline = (raw_before.rate() + raw_after.rate()) / 2.0;
    let ratio = http.rate() / baseline.max(1e-9);
    println!();
    println!(
        "raw INSERT baseline:       {baseline:>8.0} rows/s (mean of {:.0} before and {:.0} after)",
        raw_before.rate(),
        raw_after.rate()
    );
    println!("product creates over HTTP: {:>8.0} commands/s", http.rate());
    let verdict = if ratio >= TARGET { "meets the target" } else { "BELOW TARGET" };
    println!("ratio http / raw:          {ratio:>8.2}   target ≥ {TARGET:.2}: {verdict}");
    let drift = (raw_before.rate() - raw_after.rate()).abs() / baseline.max(1e-9);
    if drift > 0.2 {
        println!(
            "note: the raw rate moved {:.0}% between the phases; the machine's load changed during the run, \
             so run it again for a steadier figure",
            drift * 100.0
        );
    }
    if http.errors > 0 {
        println!("note: {} product creates failed (not counted); their first answers are shown above", http.errors);
    }
}

/// Refused commands must stay cheap: at p99, a create refused for a conflict takes at most twice
/// as long as an accepted one of the same phase.
fn report_contested(every: u32, accepted: &Phase, refused: &Phase) {
    if refused.ops == 0 {
        println!("contested phase: no create was refused, so there is nothing to compare");
        return;
    }
    let ratio = refused.ms(0.99) / accepted.ms(0.99).max(1e-9);
    let verdict = if ratio <= REFUSED_TARGET { "meets the target" } else { "ABOVE TARGET" };
    println!(
        "with 1 in {every} creates contested: {:.0} accepted/s, {:.0} refused/s; p99 accepted {:.2} ms, refused {:.2} ms",
        accepted.rate(),
        refused.rate(),
        accepted.ms(0.99),
        refused.ms(0.99)
    );
    println!("ratio refused / accepted p99: {ratio:>5.2}   target ≤ {REFUSED_TARGET:.2}: {verdict}");
}

/// `postgres://user:secret@host/db` without the credentials.
pub(super) fn redact(url: &str) -> String {
    match url.split_once("://").and_then(|(scheme, rest)| rest.split_once('@').map(|(_, host)| (scheme, host))) {
        Some((scheme, host)) => format!("{scheme}://…@{host}"),
        None => url.to_owned(),
    }
}

/// The server's version, and a check that both phases' connections fit under max_connections.
async fn check_server(args: &WriteArgs) -> anyhow::Result<String> {
    let mut conn = PgConnection::connect(&args.server.database_url).await.with_context(|| {
        format!(
            "cannot connect to PostgreSQL at {}: is it running? pass another server with --database-url or \
             FERRULE_TEST_DATABASE_URL",
            redact(&args.server.database_url)
        )
    })?;
    let (version, max, used): (String, i64, i64) = sqlx::query_as(
        "SELECT current_setting('server_version'), current_setting('max_connections')::int8, \
                (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')",
    )
    .fetch_one(&mut conn)
    .await?;
    conn.close().await?;
    // The command API's pool is mostly idle during the raw phases, and closed after its own.
    let needed = i64::from(args.clients.max(args.api_pool_size)) + 4;
    if used + needed > max {
        bail!(
            "PostgreSQL allows {max} connections, {used} are in use and this run needs up to {needed}: lower \
             --clients or --api-pool-size, or raise max_connections"
        );
    }
    Ok(format!("version {version}, {used} of {max} connections in use"))
}

/// The scratch databases of this run, dropped at the end whatever happened.
pub(super) struct Scratch {
    pub(super) admin_url: String,
    pub(super) names: Vec<String>,
}

impl Scratch {
    pub(super) async fn fresh(&mut self) -> anyhow::Result<PgConnectOptions> {
        let options =
            event_store::scratch::fresh_database(&self.admin_url, "ferrule_bench").await.with_context(|| {
                format!(
                    "cannot create a scratch database on {}: the role must be allowed to create databases",
                    redact(&self.admin_url)
                )
            })?;
        self.names.push(options.get_database().unwrap_or_default().to_owned());
        Ok(options)
    }

    pub(super) async fn drop_all(&self) {
        for name in &self.names {
            if let Err(e) = event_store::scratch::drop_database(&self.admin_url, name).await {
                eprintln!("could not drop the scratch database {name}: {e}; drop it by hand");
            }
        }
    }
}

/// A ProductCreated event row as the command API wrote it, copied by the raw phases.
#[derive(Clone)]
pub(super) struct Sample {
    pub(super) stream_type: String,
    pub(super) event_type: String,
    pub(super) schema_version: i16,
    pub(super) payload: Value,
}

/// N connections, each INSERTing one event row per autocommit transaction. The position is
/// computed as `append_events` computes it (transaction id × 65536 + ordinal).
async fn raw_phase(
    args: &WriteArgs,
    name: &str,
    sample: &Sample,
    scratch: &mut Scratch,
    warmup: Duration,
    duration: Duration,
) -> anyhow::Result<Phase> {
    let options = scratch.fresh().await?;
    // The event store's own pool settings, so that pool behaviour (e.g. sqlx's ping before each
    // acquire) costs both sides alike and the ratio shows the work per command.
    let store = EventStore::connect(options, args.clients)
        .await
        .context("cannot connect to the raw phase's scratch database")?;
    let shared = Arc::new((store.clone(), sample.clone()));
    let phase = measure(name, args.clients, warmup, duration, move |_, _| {
        let shared = shared.clone();
        async move {
            let (store, sample) = &*shared;
            insert_event(store.pool(), sample)
                .await
                .map_err(|e| Failure { kind: "INSERT failed".into(), detail: e.to_string() })
        }
    })
    .await;
    store.pool().close().await;
    phase
}

async fn insert_event(pool: &PgPool, sample: &Sample) -> Result<(), sqlx::Error> {
    let event = RawEvent {
        position: None,
        event_id: Uuid::now_v7(),
        stream_id: Uuid::now_v7(),
        stream_type: sample.stream_type.clone(),
        version: 1,
        event_type: sample.event_type.clone(),
        schema_version: sample.schema_version,
        payload: sample.payload.clone(),
        actor_id: "bench".into(),
        actor_role: "admin".into(),
        request_id: Uuid::new_v4().to_string(),
        correlation_id: Uuid::new_v4(),
        recorded_at: chrono::Utc::now(),
    };
    insert_raw_event(pool, &event).await
}

/// The command API, in this process, over its own scratch database with the benchmark's catalog.
pub(super) struct HttpTarget {
    pub(super) api: Api,
    pub(super) store: EventStore,
    pub(super) family_id: String,
    local: LocalApi,
}

impl HttpTarget {
    pub(super) async fn start(args: &WriteArgs, scratch: &mut Scratch) -> anyhow::Result<Self> {
        Self::start_with_chain(args, scratch, command_api::chainer::ChainConfig::default()).await
    }

    /// As `start`, with the command API's chainer settings `chain`.
    pub(super) async fn start_with_chain(
        args: &WriteArgs,
        scratch: &mut Scratch,
        chain: command_api::chainer::ChainConfig,
    ) -> anyhow::Result<Self> {
        let options = scratch.fresh().await?;
        let store = EventStore::connect(options, args.api_pool_size)
            .await
            .context("cannot connect the command API to its scratch database")?;
        let config = Config {
            append_workers: args.append_workers,
            append_batch_max: args.append_batch_max,
            chain,
            ..ferrule_seed::local::config(args.api_pool_size)
        };
        let local = LocalApi::start(store.clone(), config).await?;
        let api = Api::new(&local.base, &local.token, args.clients as usize)?;
        let family_id = match setup_catalog(&api).await {
            Ok(id) => id,
            Err(e) => {
                let target = HttpTarget { api, store, family_id: String::new(), local };
                target.stop().await;
                return Err(e.context("setting up the benchmark's catalog through the command API failed"));
            }
        };
        println!(
            "command API at {} over scratch database {}: Fasteners > Bolts > Hex bolts, 4 attributes, family HB933",
            api.base(),
            scratch.names.last().map_or("?", String::as_str)
        );
        Ok(HttpTarget { api, store, family_id, local })
    }

    /// Creates one product and reads back the event row it wrote.
    pub(super) async fn sample(&self) -> anyhow::Result<Sample> {
        let answer = self.api.call(Method::POST, "/v1/products", &product(&self.family_id, u32::MAX, 0)).await?;
        if answer.status != StatusCode::CREATED {
            bail!("the sample product create answered {}", describe(&answer));
        }
        let id = answer.body["id"].as_str().and_then(|id| Uuid::from_str(id).ok()).context("no product id")?;
        let events =
            EventStore::read_stream(self.store.pool(), id).await.context("reading the sample product's event")?;
        let event = events.into_iter().next().context("the sample product has no event")?;
        let StoredEvent { stream_type, event_type, schema_version, payload, .. } = event;
        Ok(Sample { stream_type, event_type, schema_version, payload })
    }

    /// Product creates by `clients` clients, numbered from `first_client` (each client's products
    /// are variants of their own, so a second phase must number its clients apart).
    pub(super) async fn phase(
        &self,
        name: &str,
        (first_client, clients): (u32, u32),
        warmup: Duration,
        duration: Duration,
    ) -> anyhow::Result<Phase> {
        let (api, family_id) = (self.api.clone(), Arc::<str>::from(self.family_id.as_str()));
        measure(name, clients, warmup, duration, move |client, n| {
            let body = product(&family_id, first_client + client, n);
            let request = api.request(Method::POST, "/v1/products").json(&body);
            async move {
                match send_create(request).await? {
                    (StatusCode::CREATED, _) => Ok(()),
                    (status, body) => Err(unexpected(status, &body)),
                }
            }
        })
        .await
    }

    /// As `phase`, but every `every`-th create of each client is contested: it takes a ticket, and
    /// the two creates of tickets 2k and 2k + 1 — drawn by two clients at about the same moment —
    /// are the same product, so one of them is refused (409) by the append, often while the other
    /// is in a concurrent batch. The refused creates are timed apart.
    pub(super) async fn contested_phase(
        &self,
        (first_client, clients): (u32, u32),
        every: u32,
        warmup: Duration,
        duration: Duration,
    ) -> anyhow::Result<(Phase, Phase)> {
        let (api, family_id) = (self.api.clone(), Arc::<str>::from(self.family_id.as_str()));
        let tickets = Arc::new(AtomicU64::new(0));
        let name = format!("create, 1 in {every} contested");
        measure_outcomes(&name, "  of which refused (409)", clients, warmup, duration, move |client, n| {
            let contested = n % u64::from(every) == u64::from(every) - 1;
            let body = if contested {
                product(&family_id, CONTESTED, tickets.fetch_add(1, Ordering::Relaxed) / 2)
            } else {
                product(&family_id, first_client + client, n)
            };
            let request = api.request(Method::POST, "/v1/products").json(&body);
            async move {
                match send_create(request).await? {
                    (StatusCode::CREATED, _) => Ok(Outcome::Done),
                    (StatusCode::CONFLICT, _) if contested => Ok(Outcome::Refused),
                    (status, body) => Err(unexpected(status, &body)),
                }
            }
        })
        .await
    }

    /// The write database's pool.
    pub(super) fn pool(&self) -> &PgPool {
        self.store.pool()
    }

    /// Stops the server (finishing requests in flight) and closes its pool.
    pub(super) async fn stop(self) {
        drop(self.api);
        self.local.stop().await;
        self.store.pool().close().await;
    }
}

/// Sends a product create and reads its whole answer (so that the connection goes back to the
/// pool): its status and body.
async fn send_create(request: reqwest::RequestBuilder) -> Result<(StatusCode, bytes::Bytes), Failure> {
    let transport =
        |e: reqwest::Error| Failure { kind: "transport error".into(), detail: format!("{:#}", anyhow::Error::new(e)) };
    let response = request.send().await.map_err(transport)?;
    let status = response.status();
    Ok((status, response.bytes().await.map_err(transport)?))
}

fn unexpected(status: StatusCode, body: &[u8]) -> Failure {
    Failure { kind: format!("HTTP {status}"), detail: String::from_utf8_lossy(body).into_owned() }
}

/// A realistic create: a hex bolt with four specs, its length given in inches (converted and
/// range-checked against the attribute's mm), and a lot number that makes every product its own
/// variant.
pub(super) fn product(family_id: &str, client: u32, n: u64) -> Value {
    const THREADS: [&str; 5] = ["M6", "M8", "M10", "M12", "M16"];
    const INCHES: [f64; 6] = [0.75, 1.0, 1.25, 1.5, 2.0, 2.5];
    let thread = THREADS[(n % 5) as usize];
    let inches = INCHES[(n % 6) as usize];
    json!({
        "family_id": family_id,
        "name": format!("Hex bolt DIN 933 {thread}×{inches} in stainless A4, lot {client}-{n}"),
        "specs": {
            "thread_size": thread,
            "length": {"value": inches, "unit": "in"},
            "material": "stainless A4",
            "lot": format!("L{client}-{n}"),
        },
    })
}

/// The walk-through's fasteners, attributes on three levels: cluster > node > leaf, and a family.
/// Returns the family's id.
async fn setup_catalog(api: &Api) -> anyhow::Result<String> {
    let id = |body: Value| body["id"].as_str().map(str::to_owned).context("the answer has no id");
    let cluster = id(api.create("/v1/categories", &json!({"name": "Fasteners"})).await?)?;
    let node = id(api.create("/v1/categories", &json!({"name": "Bolts", "parent_id": cluster})).await?)?;
    let leaf = id(api.create("/v1/categories", &json!({"name": "Hex bolts", "parent_id": node})).await?)?;
    let thread_size = json!({
        "label": "Thread size", "type": "select", "options": ["M6", "M8", "M10", "M12", "M16", "M20", "M24"],
        "required": true, "variant_defining": true, "filterable": true, "searchable": true,
    });
    let material = json!({
        "label": "Material", "type": "select", "options": ["steel 8.8", "steel 10.9", "stainless A2", "stainless A4"],
        "filterable": true, "searchable": true,
    });
    let length = json!({
        "label": "Length", "type": "number", "unit": "mm", "min": 1, "max": 1000,
        "required": true, "variant_defining": true, "filterable": true,
    });
    let lot = json!({"label": "Lot", "type": "text", "regex": "L[0-9]+-[0-9]+", "variant_defining": true});
    let definitions = [
        (&cluster, "thread_size", thread_size),
        (&cluster, "material", material),
        (&node, "length", length),
        (&leaf, "lot", lot),
    ];
    for (owner, key, definition) in definitions {
        api.expect_success(Method::PUT, &format!("/v1/categories/{owner}/attributes/{key}"), &definition).await?;
    }
    let family = json!({"category_id": leaf, "name": "DIN 933 hex bolt", "code": "HB933"});
    id(api.create("/v1/families", &family).await?)
}
