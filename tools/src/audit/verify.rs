//! `ferrule audit verify`: recomputes the hash chain from the write database and names the
//! first broken link (exit 1), or prints what was checked (exit 0).

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use event_store::{EventStore, Verification, VerifyOptions};
use indicatif::{ProgressBar, ProgressStyle};
use sqlx::postgres::PgPoolOptions;

pub const ABOUT: &str = "Walk the hash chain over the events in position order, recompute every link from the \
    genesis hash (hash(n) = SHA-256(hash(n-1) || canonical bytes of event n), layout in event-store/src/chain.rs), \
    check every checkpoint against the chain and, with a public key, its Ed25519 signature.\n\n\
    The first broken link is named with its position, seq and what is wrong: payload altered, event missing, \
    order changed, chain row missing, event not chained, checkpoint mismatch or checkpoint signature invalid.\n\n\
    The public key is the one GET /v1/audit/chain/head serves (base64), a PEM file (`openssl pkey -pubout`), or \
    derived from FERRULE_AUDIT_SIGNING_KEY when that is set. Without any, checkpoint signatures are not checked \
    (the summary says so).\n\n\
    Exit codes: 0 the chain verifies; 1 a broken link (or the database could not be read).";

#[derive(Args)]
pub struct VerifyArgs {
    /// PostgreSQL URL of the write database.
    #[arg(long, env = "FERRULE_WRITE_DATABASE_URL", hide_env_values = true)]
    pub write_database_url: String,

    /// The audit key's public half: a PEM file (SPKI "PUBLIC KEY") or a file holding the base64
    /// key the API serves.
    #[arg(long, value_name = "FILE")]
    pub public_key: Option<std::path::PathBuf>,

    /// The audit signing key (its public half is used when --public-key is not given).
    #[command(flatten)]
    pub audit_key: auth_tokens::AuditKeyConfig,

    /// Events and chain rows read per page.
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub batch: i64,

    /// Print the result as one JSON object (for scripts) instead of a summary.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: VerifyArgs) -> anyhow::Result<()> {
    let public_key = public_key(&args)?;
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(&args.write_database_url)
        .await
        .context("cannot connect to the write database (FERRULE_WRITE_DATABASE_URL)")?;
    let head = EventStore::chain_head(&pool).await?;
    let bar = if args.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(head.as_ref().map_or(0, |h| h.event_count) as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} verifying [{bar:32}] {pos}/{len} events {per_sec} {msg}")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let started = Instant::now();
    let options = VerifyOptions { batch: args.batch, public_key: public_key.as_deref() };
    let verification = EventStore::verify_chain(&pool, options, |events, position| {
        bar.set_position(events);
        bar.set_message(format!("at position {position}"));
    })
    .await
    .context("reading the chain failed")?;
    bar.finish_and_clear();
    let elapsed = started.elapsed();
    if args.json {
        let mut value = serde_json::to_value(&verification)?;
        value["seconds"] = serde_json::json!(elapsed.as_secs_f64());
        value["signatures_checked"] = serde_json::json!(public_key.is_some());
        println!("{value}");
    } else {
        summary(&verification, elapsed, public_key.is_some());
    }
    if verification.broken.is_some() {
        std::process::exit(1);
    }
    Ok(())
}

fn summary(verification: &Verification, elapsed: Duration, signatures_checked: bool) {
    let rate = verification.events as f64 / elapsed.as_secs_f64().max(1e-9);
    println!("events checked       {:>12}", verification.events);
    println!("checkpoints checked  {:>12}", verification.checkpoints);
    if signatures_checked {
        println!("signatures verified  {:>12}", verification.signatures);
    } else {
        println!("signatures verified  {:>12}  (no public key given: --public-key or FERRULE_AUDIT_SIGNING_KEY)", "-");
    }
    println!("time                 {:>11.2}s", elapsed.as_secs_f64());
    println!("rate                 {rate:>12.0} events/s");
    match (&verification.broken, verification.head) {
        (None, None) => println!("nothing is chained yet (is the command API's chainer on? FERRULE_CHAIN)"),
        (None, Some((position, seq))) => println!("the chain verifies up to position {position} (seq {seq})"),
        (Some(broken), _) => {
            println!();
            println!("BROKEN at position {} (seq {}): {}", broken.position, broken.seq, broken.what.describe());
            println!("  {}", broken.detail);
            println!(
                "next: keep the database as it is; compare the event at position {} with a backup or an export \
                 taken before, and with the checkpoints anchored elsewhere (GET /v1/audit/chain/checkpoints); \
                 everything after this link is unverified",
                broken.position
            );
        }
    }
}

/// The public key from --public-key, or the signing key's public half.
fn public_key(args: &VerifyArgs) -> anyhow::Result<Option<Vec<u8>>> {
    if let Some(path) = &args.public_key {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        return auth_tokens::audit_signer::parse_public_key(&text).map(Some).with_context(|| {
            format!("{} holds no Ed25519 public key (a PEM PUBLIC KEY or 32 base64 bytes)", path.display())
        });
    }
    Ok(args.audit_key.signer()?.map(|signer| signer.public_key().to_vec()))
}
