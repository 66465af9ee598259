//! `ferrule audit`: the audit trail from the command line. Through the command API's audit
//! endpoints with an admin's, ops' or auditor's token: `history` (a table with coloured diffs, or
//! NDJSON), `state` (an entity as of a time, version or position) and `export` (a signed NDJSON
//! export to a file, and `--check` of a saved one). On the write database itself: `verify` (walk
//! the hash chain, name the first broken link) and `replay` (the read model as it was at a moment,
//! into a database of its own).

mod export;
mod history;
pub mod replay;
mod state;
pub mod verify;

use clap::{Args, Subcommand};

use crate::api::Api;
use crate::cli::AdminLogin;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Events of the audit trail by filter, as a table (coloured `from → to` diffs on a
    /// terminal) or, with --json, one event per line.
    #[command(long_about = "Events of the audit trail by filter (GET /v1/audit/events), oldest first, every \
        page of them up to --max: who (email and role), when, which request, which entity and version, and what \
        changed, as `field: from → to` (coloured on a terminal). --json writes one event per line (NDJSON) for \
        scripts.\n\n\
        A query must be bounded: give --stream-id, --actor, --correlation-id, --request-id, a time range (--from \
        and --to) or a position range (--after-position and --before-position).\n\n\
        Example: ferrule audit history --actor 0b6e…-… --from 2026-03-01T00:00:00Z --to 2026-04-01T00:00:00Z")]
    History(HistoryArgs),

    /// An entity's state as of a time, version or position (folded by the domain's own evolve).
    #[command(long_about = "An entity's state as it was at a time (--at), after a version (--version) or at a \
        global position (--position), folded from its events by the same code the write side uses \
        (GET /v1/audit/{type}/{id}/state), with the event that produced it.\n\n\
        Types: product, category, family, brand, price_list, stock, order, user, company.\n\n\
        Example: ferrule audit state product 5f0c…-… --at 2026-03-01T00:00:00Z")]
    State(StateArgs),

    /// Export what a filter selects as signed NDJSON (-o FILE), or --check a saved export.
    #[command(long_about = "Export what a history filter selects (GET /v1/audit/export) to a file, streamed: one \
        event per line, then a manifest line with the event count, first and last position, the SHA-256 of \
        every byte before it, the hash chain's head and an Ed25519 signature by the installation's audit key. \
        Progress is shown while it downloads; a summary at the end.\n\n\
        `ferrule audit export --check FILE --public-key KEY` checks a saved export offline: the hash of its \
        events, their count and the manifest's signature (KEY: a PEM public key file, or the key's base64). \
        Exit code 0 when it checks, 1 when it does not.")]
    Export(ExportArgs),

    /// Walk the hash chain over the events and name the first broken link.
    #[command(long_about = verify::ABOUT)]
    Verify(verify::VerifyArgs),

    /// Build the read model as it was at a moment (or a position) into a separate database.
    #[command(long_about = replay::ABOUT)]
    Replay(replay::ReplayArgs),
}

/// Where the command API is and who calls it.
#[derive(Args, Clone)]
pub struct Connection {
    /// Base URL of the command API.
    #[arg(long, env = "FERRULE_API_URL", default_value = "http://127.0.0.1:8080")]
    pub api: String,

    /// An access token (an admin's, ops' or auditor's); without it the tool logs in as --admin-email.
    #[arg(long, env = "FERRULE_ACCESS_TOKEN", hide_env_values = true)]
    pub token: Option<String>,

    #[command(flatten)]
    pub login: AdminLogin,
}

impl Connection {
    pub async fn api(&self) -> anyhow::Result<Api> {
        let token = match &self.token {
            Some(token) => token.clone(),
            None => self.login.token(&self.api).await?,
        };
        Api::new(&self.api, &token, 2)
    }
}

/// The filters of `history` and `export` (the query parameters of GET /v1/audit/events).
#[derive(Args, Clone, Default)]
pub struct Filters {
    /// Only this stream (repeatable).
    #[arg(long = "stream-id")]
    pub stream_id: Vec<uuid::Uuid>,

    /// Only streams of this type (product, category, price_list, …).
    #[arg(long = "stream-type")]
    pub stream_type: Option<String>,

    /// Only this event type (repeatable): ProductUpdated, …
    #[arg(long = "event-type")]
    pub event_type: Vec<String>,

    /// Only events recorded by this actor (a user id).
    #[arg(long)]
    pub actor: Option<String>,

    #[arg(long = "correlation-id")]
    pub correlation_id: Option<uuid::Uuid>,

    #[arg(long = "request-id")]
    pub request_id: Option<String>,

    /// Recorded at or after (RFC 3339).
    #[arg(long)]
    pub from: Option<String>,

    /// Recorded before (RFC 3339).
    #[arg(long)]
    pub to: Option<String>,

    #[arg(long = "after-position")]
    pub after_position: Option<i64>,

    #[arg(long = "before-position")]
    pub before_position: Option<i64>,
}

impl Filters {
    /// The query string (without `?`).
    pub fn query(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for id in &self.stream_id {
            query.append_pair("stream_id", &id.to_string());
        }
        for event_type in &self.event_type {
            query.append_pair("event_type", event_type);
        }
        let optional = [
            ("stream_type", self.stream_type.clone()),
            ("actor", self.actor.clone()),
            ("correlation_id", self.correlation_id.map(|id| id.to_string())),
            ("request_id", self.request_id.clone()),
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            ("after_position", self.after_position.map(|p| p.to_string())),
            ("before_position", self.before_position.map(|p| p.to_string())),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                query.append_pair(name, &value);
            }
        }
        query.finish()
    }
}

#[derive(Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub filters: Filters,

    /// Stop after this many events (pages of 500 are fetched until then).
    #[arg(long, default_value_t = 1000)]
    pub max: usize,

    /// One event per line as JSON (NDJSON), for scripts.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub connection: Connection,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("as_of").required(true).args(["at", "version", "position"])))]
pub struct StateArgs {
    /// product, category, family, brand, price_list, stock, order, user or company.
    pub stream_type: String,

    /// The entity's id.
    pub id: uuid::Uuid,

    /// As it was at this time (RFC 3339).
    #[arg(long)]
    pub at: Option<String>,

    /// As it was at this version.
    #[arg(long)]
    pub version: Option<i64>,

    /// As it was at this global position.
    #[arg(long)]
    pub position: Option<i64>,

    /// The answer as JSON.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub connection: Connection,
}

#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub filters: Filters,

    /// The file to write.
    #[arg(long, short, required_unless_present = "check")]
    pub output: Option<std::path::PathBuf>,

    /// Check this saved export instead of exporting (needs --public-key).
    #[arg(long, requires = "public_key", conflicts_with = "output")]
    pub check: Option<std::path::PathBuf>,

    /// The audit key's public half: a PEM file (`openssl pkey -pubout`), or its 32 bytes in base64.
    #[arg(long = "public-key")]
    pub public_key: Option<String>,

    #[command(flatten)]
    pub connection: Connection,
}

pub async fn run(command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::History(args) => history::run(args).await,
        AuditCommand::State(args) => state::run(args).await,
        AuditCommand::Export(args) => export::run(args).await,
        AuditCommand::Verify(args) => verify::run(args).await,
        AuditCommand::Replay(args) => replay::run(args).await,
    }
}

/// `GET path` with the token; a refused token is an error, any other status the caller's.
pub async fn get(api: &Api, path: &str) -> anyhow::Result<crate::api::Answer> {
    let response = ferrule_seed::send_within_rate_limits(api.request(reqwest::Method::GET, path))
        .await
        .map_err(|e| anyhow::Error::new(e).context(format!("cannot reach the command API at {}", api.base())))?;
    let status = response.status();
    let body = response.bytes().await?;
    if status == reqwest::StatusCode::UNAUTHORIZED {
        anyhow::bail!("the command API refused the access token: it expired or was revoked; log in again");
    }
    Ok(crate::api::Answer { status, body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null) })
}
