//! Group append: concurrent commands share a transaction.
//!
//! Every command appended on its own pays a round trip, a transaction and a commit. Under load,
//! commands wait for each other anyway; a few workers each take whatever commands are waiting (up
//! to a limit) and append them with one `append_batch` call, each command in a subtransaction of
//! its own (`migrations/write/0005_append_batch.sql`). So a command's outcome is its own — a stale
//! version or a taken claim refuses that command alone — while the batch shares one commit. When
//! commands come one at a time a worker is idle and takes each as it comes: no command waits for a
//! batch to fill.
//!
//! Guarantees are those of `append_events`: each command's writes are all or nothing, and a
//! command is answered only after the transaction holding it has committed.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use tokio::sync::{mpsc, oneshot, Mutex};

use crate::append::arguments;
use crate::{Append, AppendError, EventStore, Metadata};

/// How commands are grouped.
#[derive(Clone, Copy, Debug)]
pub struct GroupOptions {
    /// Batches in flight at once (each holds a connection while it runs).
    pub workers: usize,
    /// Commands in one batch at most.
    pub max_commands: usize,
}

impl Default for GroupOptions {
    fn default() -> Self {
        GroupOptions { workers: 2, max_commands: 32 }
    }
}

/// Commands in one batch at most, whatever is configured: each is a subtransaction, and beyond 64
/// of them PostgreSQL's per-backend cache of subtransaction ids overflows, which slows every
/// snapshot on the server.
const MAX_COMMANDS: usize = 64;

/// Events in one batch at most: positions leave room for 65535 per transaction.
const MAX_EVENTS: usize = 60_000;

/// Hands commands' appends to the group workers. Cloning shares the workers; they stop when the
/// last clone is dropped, after appending what they hold.
#[derive(Clone, Debug)]
pub struct GroupAppender {
    jobs: mpsc::Sender<Job>,
}

#[derive(Debug)]
struct Job {
    arguments: Value,
    events: usize,
    reply: oneshot::Sender<Result<i64, AppendError>>,
}

/// A row of `append_batch`: the command's last position, or why it was refused.
struct Outcome {
    last_position: Option<i64>,
    error_code: Option<String>,
    error_constraint: Option<String>,
    error_detail: Option<String>,
    error_message: Option<String>,
}

impl GroupAppender {
    pub fn start(store: EventStore, options: GroupOptions) -> Self {
        let max_commands = options.max_commands.clamp(1, MAX_COMMANDS);
        let (jobs, receiver) = mpsc::channel(max_commands * options.workers.max(1) * 2);
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..options.workers.max(1) {
            tokio::spawn(work(store.clone(), receiver.clone(), max_commands));
        }
        GroupAppender { jobs }
    }

    /// Appends one command's events atomically, in a transaction it may share with other
    /// commands; returns the global position of its last event once that transaction committed.
    #[tracing::instrument(skip_all, name = "group_append", fields(events = append.events.len()))]
    pub async fn append(
        &self,
        append: &Append,
        metadata: &Metadata,
        recorded_at: DateTime<Utc>,
    ) -> Result<i64, AppendError> {
        let (reply, answer) = oneshot::channel();
        let job = Job { arguments: arguments(append, metadata, recorded_at), events: append.events.len(), reply };
        self.jobs.send(job).await.map_err(|_| AppendError::Stopped)?;
        answer.await.map_err(|_| AppendError::Stopped)?
    }
}

/// One worker: takes the waiting commands, appends them, answers each; until no sender is left.
async fn work(store: EventStore, receiver: Arc<Mutex<mpsc::Receiver<Job>>>, max_commands: usize) {
    let mut carried: Option<Job> = None;
    loop {
        let batch = {
            let mut receiver = receiver.lock().await;
            let first = match carried.take() {
                Some(job) => job,
                None => match receiver.recv().await {
                    Some(job) => job,
                    None => return,
                },
            };
            let mut events = first.events;
            let mut batch = vec![first];
            while batch.len() < max_commands {
                let Ok(job) = receiver.try_recv() else { break };
                if events + job.events > MAX_EVENTS {
                    carried = Some(job);
                    break;
                }
                events += job.events;
                batch.push(job);
            }
            batch
        };
        run(&store, batch).await;
    }
}

/// Appends a batch and answers its commands. A command refused by a deadlock with another batch
/// is appended again on its own, once the rest of its batch has committed.
async fn run(store: &EventStore, batch: Vec<Job>) {
    let mut again = Vec::new();
    for (job, outcome) in append_batch(store, batch).await {
        match outcome {
            Err(AppendError::Refused { code, .. }) if code == "40P01" || code == "40001" => again.push(job),
            outcome => {
                let _ = job.reply.send(outcome);
            }
        }
    }
    for job in again {
        for (job, outcome) in append_batch(store, vec![job]).await {
            let _ = job.reply.send(outcome);
        }
    }
}

async fn append_batch(store: &EventStore, mut batch: Vec<Job>) -> Vec<(Job, Result<i64, AppendError>)> {
    let items: Vec<Value> = batch.iter_mut().map(|job| job.arguments.take()).collect();
    let outcomes: Result<Vec<Outcome>, sqlx::Error> = sqlx::query_as!(
        Outcome,
        "SELECT last_position, error_code, error_constraint, error_detail, error_message \
           FROM append_batch($1) ORDER BY item",
        Json(&items) as _,
    )
    .fetch_all(store.pool())
    .await;
    // Kept for a command appended again on its own.
    for (job, arguments) in batch.iter_mut().zip(items) {
        job.arguments = arguments;
    }
    match outcomes {
        Ok(outcomes) if outcomes.len() == batch.len() => {
            batch.into_iter().zip(outcomes).map(|(job, outcome)| (job, outcome.into_result())).collect()
        }
        Ok(outcomes) => {
            // The batch committed, but which commands it kept is unknown: say so, not "refused".
            let message = format!("append_batch answered {} rows for {} commands", outcomes.len(), batch.len());
            let error = Arc::new(sqlx::Error::Protocol(message));
            batch.into_iter().map(|job| (job, Err(AppendError::Database(error.clone())))).collect()
        }
        Err(error) => {
            // Whether the batch committed is unknown if the connection broke at commit: every
            // command gets the error, as a command appended alone would.
            let error = Arc::new(error);
            batch.into_iter().map(|job| (job, Err(AppendError::Database(error.clone())))).collect()
        }
    }
}

impl Outcome {
    fn into_result(self) -> Result<i64, AppendError> {
        if let Some(position) = self.last_position {
            return Ok(position);
        }
        let code = self.error_code.unwrap_or_default();
        let detail = self.error_detail.unwrap_or_default();
        Err(AppendError::refusal(Some(&code), self.error_constraint.as_deref().filter(|c| !c.is_empty()), &detail)
            .unwrap_or(AppendError::Refused { code, message: self.error_message.unwrap_or_default() }))
    }
}
