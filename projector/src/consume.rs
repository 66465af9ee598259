//! The live projection: a durable JetStream pull consumer applies events to the read model in
//! batches.
//!
//! Guarantees (DESIGN.md): a batch's rows and the checkpoint commit in one read-database
//! transaction, and its messages are acked only after that commit, so a crash at any point leaves
//! either nothing or everything of a batch, and unacked messages come again. An event at or below
//! the checkpoint was applied already and is skipped (a redelivery, a republish, or a late copy of
//! an event a hole fill applied). A message whose `Ferrule-Previous-Position` is not the position
//! applied before it reveals a hole — events published but not (yet) delivered, or lost from the
//! stream — and the hole is filled from the write database, in order, before the message itself.
//! Just before a batch commits, the query cache's markers move for what it changed (`invalidate`).

use domain::StreamType;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::pull;
use async_nats::jetstream::consumer::Consumer;
use async_nats::jetstream::{AckKind, Message};
use event_store::{EventStore, StoredEvent};
use futures::{FutureExt, StreamExt};
use sqlx::{PgConnection, PgPool};

use crate::apply::{apply, ApplyError};
use crate::checkpoint;
use crate::invalidate::{Changes, Invalidator};
use service_http::revocations::Revocations;

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error(transparent)]
    Apply(#[from] ApplyError),
    #[error("read database: {0}")]
    Read(#[source] sqlx::Error),
    #[error("write database (filling a hole): {0}")]
    Write(#[source] sqlx::Error),
    #[error("JetStream: {0}")]
    Nats(String),
    #[error("a projector task failed: {0}")]
    Task(String),
    #[error("the write database lacks events between positions {after} and {before}: is it the primary?")]
    Hole { after: i64, before: i64 },
}

impl From<sqlx::Error> for ProjectError {
    fn from(error: sqlx::Error) -> Self {
        ProjectError::Read(error)
    }
}

/// What one batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    pub messages: usize,
    /// Events applied, including those a hole fill read from the write database.
    pub applied: usize,
    /// Events read from the write database to fill holes.
    pub filled: usize,
    /// Messages at or below the checkpoint.
    pub duplicates: usize,
    pub checkpoint: i64,
}

/// Totals since the projector started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub batches: u64,
    pub messages: u64,
    pub applied: u64,
    pub filled: u64,
    pub duplicates: u64,
}

#[derive(Debug, Default)]
struct Counters([AtomicU64; 5]);

impl Counters {
    fn add(&self, batch: &Batch) {
        let values = [1, batch.messages, batch.applied, batch.filled, batch.duplicates];
        for (counter, value) in self.0.iter().zip(values) {
            counter.fetch_add(value as u64, Ordering::Relaxed);
        }
    }

    fn read(&self) -> Stats {
        let [batches, messages, applied, filled, duplicates] = self.0.each_ref().map(|c| c.load(Ordering::Relaxed));
        Stats { batches, messages, applied, filled, duplicates }
    }
}

#[derive(Clone)]
pub struct Projector {
    read: PgPool,
    write: PgPool,
    consumer: Consumer<pull::Config>,
    max_batch: usize,
    counters: Arc<Counters>,
    invalidator: Invalidator,
    revocations: Revocations,
    access_ttl: Duration,
}

impl Projector {
    pub fn new(read: PgPool, write: PgPool, consumer: Consumer<pull::Config>, max_batch: usize) -> Self {
        Projector {
            read,
            write,
            consumer,
            max_batch: max_batch.max(1),
            counters: Arc::default(),
            invalidator: Invalidator::off(),
            revocations: Revocations::off(),
            access_ttl: Duration::ZERO,
        }
    }

    /// Records the revocation entries of the changes of rights it projects (none without), for
    /// access tokens that live `access_ttl`: the backstop of the command API's own record.
    pub fn with_revocations(mut self, revocations: Revocations, access_ttl: Duration) -> Self {
        self.revocations = revocations;
        self.access_ttl = access_ttl;
        self
    }

    /// Moves the query cache's markers for each batch (none without).
    pub fn with_invalidator(mut self, invalidator: Invalidator) -> Self {
        self.invalidator = invalidator;
        self
    }

    pub fn stats(&self) -> Stats {
        self.counters.read()
    }

    /// Projects until `stop` completes, starting over after any failure.
    #[tracing::instrument(skip_all, name = "projector")]
    pub async fn run(self, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => return,
                result = self.consume() => {
                    if let Err(error) = result {
                        tracing::warn!(%error, "projection interrupted; retrying");
                    }
                }
            }
            tokio::select! {
                () = &mut stop => return,
                () = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
    }

    /// Pulls messages and applies them: each batch is what has arrived by the time the previous
    /// one committed, so batches grow with the load and a lone event goes through at once.
    #[tracing::instrument(skip_all)]
    async fn consume(&self) -> Result<(), ProjectError> {
        let mut messages = self
            .consumer
            .stream()
            .max_messages_per_batch(self.max_batch)
            .heartbeat(Duration::from_secs(5))
            .expires(Duration::from_secs(30))
            .messages()
            .await
            .map_err(|e| ProjectError::Nats(e.to_string()))?;
        loop {
            let Some(first) = messages.next().await else {
                return Err(ProjectError::Nats("the message stream ended".into()));
            };
            let mut batch = vec![first.map_err(|e| ProjectError::Nats(e.to_string()))?];
            while batch.len() < self.max_batch {
                match messages.next().now_or_never() {
                    Some(Some(Ok(message))) => batch.push(message),
                    _ => break,
                }
            }
            match self.handle(&batch).await {
                Ok(done) => tracing::debug!(?done, "batch applied"),
                Err(error) => {
                    // Let them come again now rather than after the ack wait.
                    for message in &batch {
                        let _ = message.ack_with(AckKind::Nak(None)).await;
                    }
                    return Err(error);
                }
            }
        }
    }

    /// Applies one batch of messages and acks them after the commit.
    #[tracing::instrument(skip_all, fields(messages = messages.len()))]
    pub async fn handle(&self, messages: &[Message]) -> Result<Batch, ProjectError> {
        let mut tx = self.read.begin().await?;
        let mut changes = Changes::default();
        let done = apply_messages(&mut tx, &self.write, messages, &mut changes).await?;
        // Before the commit, so that no cached answer older than the batch is served once the
        // read model shows it; a marker for a batch that then fails to commit costs a cache miss.
        self.invalidator.changed(&changes, done.checkpoint).await;
        // Before the commit too, so that once the read model shows a change of rights the query
        // API refuses the tokens it revoked (the event itself committed long before).
        for (change, at) in &changes.rights {
            if let Err(error) = self.revocations.record(*change, *at, self.access_ttl).await {
                tracing::warn!(%error, ?change, "cannot record a revocation entry in Redis");
            }
        }
        tx.commit().await?;
        self.counters.add(&done);
        for message in messages {
            // A lost ack means a redelivery, which the checkpoint turns into a no-op.
            if let Err(error) = message.ack().await {
                tracing::warn!(%error, "ack failed; the message will be redelivered and skipped");
            }
        }
        Ok(done)
    }
}

/// Inside the caller's transaction: locks the live checkpoint, applies what is new in the
/// messages (filling holes from the write database), moves the checkpoint and notifies; notes
/// what changed in `changes`.
async fn apply_messages(
    conn: &mut PgConnection,
    write: &PgPool,
    messages: &[Message],
    changes: &mut Changes,
) -> Result<Batch, ProjectError> {
    sqlx::query("SET LOCAL search_path TO catalog, public").execute(&mut *conn).await?;
    let position: i64 = sqlx::query_scalar("SELECT position FROM checkpoint FOR UPDATE").fetch_one(&mut *conn).await?;
    // The products this batch writes are marked as changed after `position` (their trigger reads
    // it; migrations/read/0003): the query API's search index follows them so.
    sqlx::query("SELECT set_config('ferrule.position', $1, true)")
        .bind((position + 1).to_string())
        .execute(&mut *conn)
        .await?;
    let mut done = Batch { messages: messages.len(), checkpoint: position, ..Batch::default() };
    let mut events: Vec<StoredEvent> = Vec::new();
    for message in messages {
        let Some((at, previous)) = positions(message) else {
            tracing::error!(subject = %message.subject, "a message without Ferrule position headers; skipped");
            continue;
        };
        if at <= done.checkpoint {
            done.duplicates += 1;
            continue;
        }
        if previous != done.checkpoint {
            let filled = fill(write, done.checkpoint, at).await?;
            // The write database must have the whole hole: anything less would be skipped.
            if filled.last().map_or(done.checkpoint, |e| e.position) != previous {
                return Err(ProjectError::Hole { after: done.checkpoint, before: at });
            }
            // Counted as `applied` counts: identity events in the hole are read and skipped.
            done.filled += filled.iter().filter(|e| StreamType::projected(&e.stream_type)).count();
            done.checkpoint = previous;
            events.extend(filled);
        }
        let event: StoredEvent = match serde_json::from_slice(&message.payload) {
            Ok(event) => event,
            Err(error) => {
                // Not our relay's: the write database has the event at that position.
                tracing::error!(%error, position = at, "an unreadable message; reading its event from the write database");
                let mut filled = fill(write, done.checkpoint, at + 1).await?;
                match filled.pop() {
                    Some(event) if event.position == at && filled.is_empty() => {
                        done.filled += 1;
                        event
                    }
                    _ => return Err(ProjectError::Hole { after: done.checkpoint, before: at + 1 }),
                }
            }
        };
        done.checkpoint = event.position;
        events.push(event);
    }
    if events.is_empty() {
        return Ok(done);
    }
    // A write transaction is applied whole (a category move and its descendants' new paths), even
    // when the batch ends in its middle: the rest of its events come from the write database, and
    // their messages will be duplicates. Its events share `position >> 16`.
    let last = done.checkpoint;
    let rest = fill(write, last, ((last >> 16) + 1) << 16).await?;
    if let Some(end) = rest.last() {
        done.filled += rest.len();
        done.checkpoint = end.position;
        events.extend(rest);
    }
    done.applied = apply(&mut *conn, &events).await?.events;
    changes.note_all(&events);
    let last = events.last().map(|e| e.recorded_at);
    checkpoint::advance(&mut *conn, done.checkpoint, last).await?;
    checkpoint::notify(&mut *conn, done.checkpoint).await?;
    Ok(done)
}

/// The message's `Ferrule-Position` and `Ferrule-Previous-Position`.
fn positions(message: &Message) -> Option<(i64, i64)> {
    let headers = message.headers.as_ref()?;
    let at = headers.get(relay::POSITION_HEADER)?.as_str().parse().ok()?;
    let previous = headers.get(relay::PREVIOUS_HEADER)?.as_str().parse().ok()?;
    Some((at, previous))
}

/// The events after `after` and before `before`, from the write database (all committed: the
/// relay published a later one).
#[tracing::instrument(skip_all, fields(after, before))]
pub async fn fill(write: &PgPool, mut after: i64, before: i64) -> Result<Vec<StoredEvent>, ProjectError> {
    let mut found = Vec::new();
    loop {
        let page = EventStore::read_all(write, after, 1000).await.map_err(ProjectError::Write)?;
        let full = page.len() == 1000;
        for event in page {
            if event.position >= before {
                return Ok(found);
            }
            after = event.position;
            found.push(event);
        }
        if !full {
            return Ok(found);
        }
    }
}
