//! The chainer: hashes committed events into the chain (`event_store::chain`) after commit, in
//! global order, never past the gap-safe horizon, and writes signed checkpoints of its head.
//!
//! Exactly one chainer is active however many replicas run (a session advisory lock, as the
//! relay's). Each round reads the head again inside its transaction and inserts its links there,
//! so even a second chainer that believed itself active could only fail on the chain's unique
//! seq, never fork it. Commands never wait for it: the chain trails the appends.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use auth_tokens::AuditSigner;
use chrono::Utc;
use event_store::chain::{chain_events, checkpoint_message, to_micros};
use event_store::{EventStore, Link};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};

/// The key of the chainer lock (one active chainer per write database).
pub const CHAIN_LOCK: i64 = 7_308_604_897_068_083_203;

/// The chainer's settings (FERRULE_CHAIN…).
#[derive(Clone, Debug, clap::Args)]
pub struct ChainConfig {
    /// Whether this replica may run the chainer (one replica at a time does, by an advisory lock).
    #[arg(long = "chain", env = "FERRULE_CHAIN", default_value_t = true, action = clap::ArgAction::Set)]
    pub enabled: bool,

    /// Events hashed and recorded per chain transaction at most.
    #[arg(long, env = "FERRULE_CHAIN_BATCH", default_value_t = 2_000, value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub chain_batch: i64,

    /// A checkpoint of the chain head is written after this many newly chained events…
    #[arg(long, env = "FERRULE_CHAIN_CHECKPOINT_EVENTS", default_value_t = 10_000, value_parser = clap::value_parser!(i64).range(1..))]
    pub chain_checkpoint_events: i64,

    /// …or this many seconds after the last one, whichever comes first (when anything new was chained).
    #[arg(long, env = "FERRULE_CHAIN_CHECKPOINT_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub chain_checkpoint_secs: u64,

    /// Milliseconds the chainer waits before looking again when nothing was new.
    #[arg(long, env = "FERRULE_CHAIN_IDLE_MS", default_value_t = 200)]
    pub chain_idle_ms: u64,
}

impl Default for ChainConfig {
    fn default() -> Self {
        ChainConfig {
            enabled: true,
            chain_batch: 2_000,
            chain_checkpoint_events: 10_000,
            chain_checkpoint_secs: 60,
            chain_idle_ms: 200,
        }
    }
}

/// What one round did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChainRound {
    /// Events chained.
    pub chained: usize,
    /// The chain head after the round, if anything is chained.
    pub head: Option<(i64, i64)>,
    /// Whether the round wrote a checkpoint.
    pub checkpoint: bool,
}

pub struct Chainer {
    options: PgConnectOptions,
    config: ChainConfig,
    signer: Option<Arc<AuditSigner>>,
    scratch: Vec<u8>,
}

impl Chainer {
    pub fn new(options: PgConnectOptions, config: ChainConfig, signer: Option<Arc<AuditSigner>>) -> Self {
        Chainer {
            options: options.log_statements(tracing::log::LevelFilter::Trace),
            config,
            signer,
            scratch: Vec::new(),
        }
    }

    /// Chains until `stop` completes: standing by while another replica holds the chainer lock,
    /// chaining while this one does, and starting over after any failure.
    #[tracing::instrument(skip_all, name = "chainer")]
    pub async fn run(mut self, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => return,
                result = self.lead() => {
                    if let Err(error) = result {
                        tracing::warn!(%error, "chainer interrupted; retrying");
                    }
                }
            }
            tokio::select! {
                () = &mut stop => return,
                () = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
    }

    /// Takes the chainer lock (or returns when another replica has it) and chains until an error.
    async fn lead(&mut self) -> Result<(), sqlx::Error> {
        let mut conn = PgConnection::connect_with(&self.options).await?;
        let leader: bool =
            sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(CHAIN_LOCK).fetch_one(&mut conn).await?;
        if !leader {
            return Ok(());
        }
        tracing::info!("this replica is the active chainer");
        loop {
            let round = self.round(&mut conn).await?;
            if round.chained == 0 {
                tokio::time::sleep(Duration::from_millis(self.config.chain_idle_ms)).await;
            }
        }
    }

    /// One round in one transaction: the head (read again), the next events below the horizon,
    /// their links, and a checkpoint when one is due. Public for tests and benchmarks, which run
    /// rounds on a connection of their own.
    #[tracing::instrument(skip_all)]
    pub async fn round(&mut self, conn: &mut PgConnection) -> Result<ChainRound, sqlx::Error> {
        let mut tx = conn.begin().await?;
        let last = EventStore::last_link(&mut *tx).await?;
        let after = last.as_ref().map_or(0, |link| link.position);
        let events = EventStore::read_all(&mut *tx, after, self.config.chain_batch).await?;
        let links = chain_events(last.as_ref(), &events, &mut self.scratch);
        if !links.is_empty() {
            EventStore::insert_links(&mut *tx, &links).await?;
        }
        let head = links.last().cloned().or(last);
        let checkpoint = match &head {
            Some(head) if self.checkpoint_due(&mut tx, head).await? => {
                self.checkpoint(&mut tx, head).await?;
                true
            }
            _ => false,
        };
        tx.commit().await?;
        Ok(ChainRound { chained: links.len(), head: head.map(|l| (l.position, l.seq)), checkpoint })
    }

    async fn checkpoint_due(&self, conn: &mut PgConnection, head: &Link) -> Result<bool, sqlx::Error> {
        let Some(latest) = EventStore::latest_checkpoint(&mut *conn).await? else {
            return Ok(true);
        };
        if latest.seq >= head.seq {
            return Ok(false);
        }
        let age = Utc::now().signed_duration_since(latest.signed_at).num_seconds();
        Ok(head.seq - latest.seq >= self.config.chain_checkpoint_events
            || age >= i64::try_from(self.config.chain_checkpoint_secs).unwrap_or(i64::MAX))
    }

    async fn checkpoint(&self, conn: &mut PgConnection, head: &Link) -> Result<(), sqlx::Error> {
        let signed_at = to_micros(Utc::now());
        let signature = self.signer.as_ref().map(|signer| {
            let message = checkpoint_message(head.position, head.seq, &head.hash, signed_at, signer.key_id());
            (signer.key_id().to_owned(), signer.sign(&message).signature)
        });
        EventStore::insert_checkpoint(&mut *conn, head, signed_at, signature).await
    }
}
