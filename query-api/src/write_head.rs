//! The write database's head as the query API knows it, so that an `X-Min-Position` the event
//! store has never reached is refused at once (409) instead of waiting out the wait (504).
//!
//! The head only grows, so a position at or below the last head read needs no query at all. A
//! position beyond it is checked against a head read *after the request arrived*: a command
//! answers only once its events are committed, so an older read could refuse a position its
//! client has just been given. Such reads are shared: one is in flight at a time, and every
//! request that arrived before it started takes its answer.

use std::sync::Arc;
use std::time::Duration;

use event_store::EventStore;
use sqlx::PgPool;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// How long a head read may take before the request just waits, as without a write database.
const READ_TIMEOUT: Duration = Duration::from_secs(1);

/// The last head read from the write database (none configured: nothing is ever refused).
#[derive(Clone)]
pub struct WriteHead {
    write: Option<PgPool>,
    last: Arc<Mutex<Option<(Instant, i64)>>>,
}

impl WriteHead {
    pub fn new(write: Option<PgPool>) -> Self {
        WriteHead { write, last: Arc::new(Mutex::new(None)) }
    }

    /// The head, when `wanted` lies beyond it: no event with that position has been written.
    /// `None` when it has been, or when the head cannot be read now (the request then waits).
    pub async fn beyond(&self, wanted: i64) -> Option<i64> {
        let write = self.write.as_ref()?;
        let arrived = Instant::now();
        let mut last = self.last.lock().await;
        if let Some((read_at, head)) = *last {
            if wanted <= head {
                return None;
            }
            if read_at >= arrived {
                return Some(head);
            }
        }
        let started = Instant::now();
        match tokio::time::timeout(READ_TIMEOUT, EventStore::head_position(write)).await {
            Ok(Ok(head)) => {
                *last = Some((started, head));
                (wanted > head).then_some(head)
            }
            Ok(Err(error)) => {
                tracing::debug!(error = %error, "cannot read the write head; X-Min-Position waits unchecked");
                None
            }
            Err(_) => {
                tracing::debug!("the write head read timed out; X-Min-Position waits unchecked");
                None
            }
        }
    }
}
