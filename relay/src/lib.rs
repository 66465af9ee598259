//! The transactional outbox relay. Commands write only to PostgreSQL; the relay publishes what
//! they committed to NATS JetStream in gap-safe global order, each message with `Nats-Msg-Id` =
//! event id and a header naming the previous position, waits for the PubAcks, then records how far
//! it got. A crash between publishing and recording republishes the same events, which JetStream
//! drops as duplicates (within its window) and the projector skips (by its checkpoint).
//!
//! Exactly one relay is active however many command API replicas run: each tries to take a
//! PostgreSQL session advisory lock on a dedicated connection; the holder relays, the others wait
//! and take over when its connection (and with it the lock) goes away.

pub mod jetstream;

use domain::StreamType;
use std::future::Future;
use std::time::Duration;

use async_nats::HeaderMap;
use event_store::{EventStore, StoredEvent};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};

pub use jetstream::Names;

/// The key of the relay lock (one active relay per write database).
pub const RELAY_LOCK: i64 = 7_308_604_897_068_083_202;

/// Headers every published event carries.
pub const POSITION_HEADER: &str = "Ferrule-Position";
pub const PREVIOUS_HEADER: &str = "Ferrule-Previous-Position";

#[derive(Clone, Debug)]
pub struct RelayConfig {
    pub names: Names,
    /// Events read and published per round.
    pub batch_size: i64,
    /// How long to wait before looking again when there was nothing to publish.
    pub idle_wait: Duration,
    /// How long a standby waits before trying the lock again, and the back-off after a failure.
    pub retry_wait: Duration,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            names: Names::default(),
            batch_size: 500,
            idle_wait: Duration::from_millis(5),
            retry_wait: Duration::from_millis(500),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("write database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("JetStream publish failed: {0}")]
    Publish(String),
}

pub struct Relay {
    options: PgConnectOptions,
    jetstream: async_nats::jetstream::Context,
    config: RelayConfig,
}

/// What one round did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub published: usize,
    pub duplicates: usize,
    pub position: i64,
}

impl Relay {
    pub fn new(options: PgConnectOptions, jetstream: async_nats::jetstream::Context, config: RelayConfig) -> Self {
        Relay { options: options.log_statements(tracing::log::LevelFilter::Trace), jetstream, config }
    }

    /// Relays until `stop` completes: standing by while another replica holds the relay lock,
    /// publishing while this one does, and starting over after any failure.
    #[tracing::instrument(skip_all, name = "relay")]
    pub async fn run(self, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => return,
                result = self.lead() => {
                    if let Err(error) = result {
                        tracing::warn!(%error, "relay interrupted; retrying");
                    }
                }
            }
            tokio::select! {
                () = &mut stop => return,
                () = tokio::time::sleep(self.config.retry_wait) => {}
            }
        }
    }

    /// Takes the relay lock (or returns when another relay has it) and publishes until an error.
    #[tracing::instrument(skip_all)]
    async fn lead(&self) -> Result<(), RelayError> {
        let mut conn = PgConnection::connect_with(&self.options).await?;
        let leader: bool =
            sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(RELAY_LOCK).fetch_one(&mut conn).await?;
        if !leader {
            return Ok(());
        }
        tracing::info!("this replica is the active relay");
        // Progress is a resume point, not a guarantee: if a crash loses its last updates, the
        // relay publishes those events again, JetStream drops the copies by Msg-Id and the
        // projector skips any that get through. So its commits need not wait for the disk, and
        // the relay does not stall behind a WAL flush every round.
        sqlx::query("SET synchronous_commit = off").execute(&mut conn).await?;
        jetstream::ensure_stream(&self.jetstream, &self.config.names)
            .await
            .map_err(|e| RelayError::Publish(e.to_string()))?;
        loop {
            let round = self.round(&mut conn).await?;
            if round.published == 0 {
                tokio::time::sleep(self.config.idle_wait).await;
            }
        }
    }

    /// One round on a connection that holds the relay lock: read the next events after the
    /// recorded progress, publish them, wait for their PubAcks, record the new progress.
    #[tracing::instrument(skip_all)]
    pub async fn round(&self, conn: &mut PgConnection) -> Result<Round, RelayError> {
        let from = progress(&mut *conn).await?;
        let events = EventStore::read_all(&mut *conn, from, self.config.batch_size).await?;
        let Some(last) = events.last().map(|e| e.position) else {
            return Ok(Round { position: from, ..Round::default() });
        };
        let duplicates = self.publish(&events, from).await?;
        EventStore::record_relay_position(&mut *conn, last).await?;
        Ok(Round { published: events.len(), duplicates, position: last })
    }

    /// Publishes in order, pipelined, and waits for every PubAck. Returns how many JetStream
    /// reported as duplicates (already published by an earlier, interrupted round).
    #[tracing::instrument(skip_all, fields(events = events.len(), after = previous))]
    pub async fn publish(&self, events: &[StoredEvent], mut previous: i64) -> Result<usize, RelayError> {
        let mut pending = Vec::with_capacity(events.len());
        for event in events {
            let payload = if StreamType::projected(&event.stream_type) {
                serde_json::to_vec(event)
            } else {
                // Identity events go out for completeness of the global order, secrets blanked.
                let mut shown = event.clone();
                domain::identity::redact(&mut shown.payload);
                serde_json::to_vec(&shown)
            }
            .map_err(|e| RelayError::Publish(e.to_string()))?;
            let mut headers = HeaderMap::new();
            headers.insert("Nats-Msg-Id", event.event_id.to_string().as_str());
            headers.insert(POSITION_HEADER, event.position.to_string().as_str());
            headers.insert(PREVIOUS_HEADER, previous.to_string().as_str());
            previous = event.position;
            let subject = self.config.names.subject(&event.stream_type, &event.event_type);
            let ack = self
                .jetstream
                .publish_with_headers(subject, headers, payload.into())
                .await
                .map_err(|e| RelayError::Publish(e.to_string()))?;
            pending.push(ack);
        }
        let mut duplicates = 0;
        for ack in pending {
            let ack = ack.await.map_err(|e| RelayError::Publish(e.to_string()))?;
            duplicates += usize::from(ack.duplicate);
        }
        Ok(duplicates)
    }
}

/// The relay's recorded progress.
pub async fn progress(executor: impl sqlx::PgExecutor<'_>) -> Result<i64, sqlx::Error> {
    EventStore::relay_position(executor).await
}
