//! Read-your-writes: how far the read model has got, and a middleware that holds a request with
//! `X-Min-Position: N` until the read model has reached N (or answers 504 after a bounded wait).
//!
//! One background task per application watches the checkpoint: it LISTENs on the projector's
//! notification channel (the payload is the new position) and re-reads `catalog.checkpoint` every
//! second, which covers notifications missed while the listener was reconnecting. Requests wait on
//! a `watch` channel, so a thousand waiting requests cost no queries.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sqlx::postgres::{PgListener, PgNotification};
use sqlx::PgPool;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

use crate::error::ApiError;
use crate::write_head::WriteHead;

/// The request header naming the position the answer must reflect.
pub const MIN_POSITION: &str = "x-min-position";
/// The response header giving the checkpoint position the answer was read at (at least).
pub const POSITION: &str = "x-position";

/// How often the checkpoint is re-read whatever the notifications say.
const REREAD_EVERY: Duration = Duration::from_secs(1);

/// The read model's position as last seen, and how long a request may wait for a later one.
#[derive(Clone)]
pub struct Freshness {
    position: watch::Receiver<i64>,
    wait: Duration,
    head: WriteHead,
}

impl Freshness {
    /// Reads the checkpoint once and starts the task that keeps it current. The task ends when the
    /// last `Freshness` clone is dropped. With the write database, positions beyond its head are
    /// refused rather than waited for.
    pub async fn start(pool: PgPool, write: Option<PgPool>, wait: Duration) -> Self {
        let initial = match read_store::checkpoint(&pool).await {
            Ok(checkpoint) => checkpoint.position,
            Err(error) => {
                tracing::warn!(error = %error, "cannot read the read model's checkpoint yet; assuming position 0");
                0
            }
        };
        let (sender, position) = watch::channel(initial);
        tokio::spawn(watch_checkpoint(pool, sender));
        Freshness { position, wait, head: WriteHead::new(write) }
    }

    /// The last position seen.
    pub fn position(&self) -> i64 {
        *self.position.borrow()
    }

    /// Waits, at most the configured time, until the read model has reached `wanted`; returns the
    /// position reached. A position the event store has not reached is refused at once (422).
    pub async fn reach(&self, wanted: i64) -> Result<i64, ApiError> {
        let now = self.position();
        if wanted <= now {
            return Ok(now);
        }
        if let Some(head) = self.head.beyond(wanted).await {
            return Err(ApiError::BeyondHead { head, wanted });
        }
        let mut position = self.position.clone();
        let reached = async move { position.wait_for(|p| *p >= wanted).await.map(|p| *p) };
        match tokio::time::timeout(self.wait, reached).await {
            Ok(Ok(position)) => Ok(position),
            Ok(Err(_)) => Err(ApiError::Unavailable),
            Err(_) => Err(ApiError::NotYet { reached: self.position(), wanted }),
        }
    }
}

/// What the middleware hands to handlers: the position the answer must reflect at least (the
/// client's `X-Min-Position`, 0 without one) and the read model's position when the request
/// went through.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadAt {
    pub wanted: i64,
    pub position: i64,
}

/// Middleware: honours `X-Min-Position` and sets `X-Position` on the answer.
pub async fn read_your_writes(State(freshness): State<Freshness>, mut request: Request, next: Next) -> Response {
    let (wanted, position) = match min_position(request.headers()) {
        Ok(None) => (0, freshness.position()),
        Ok(Some(wanted)) => match freshness.reach(wanted).await {
            Ok(position) => (wanted, position),
            Err(error) => return error.into_response(),
        },
        Err(error) => return error.into_response(),
    };
    request.extensions_mut().insert(ReadAt { wanted, position });
    let mut response = next.run(request).await;
    response.headers_mut().insert(POSITION, HeaderValue::from(position));
    response
}

fn min_position(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(value) = headers.get(MIN_POSITION) else {
        return Ok(None);
    };
    match value.to_str().ok().and_then(|text| text.trim().parse::<i64>().ok()) {
        Some(position) if position >= 0 => Ok(Some(position)),
        _ => Err(ApiError::bad_request(
            "X-Min-Position",
            "invalid_header",
            format!(
                "X-Min-Position must be a whole number from 0 to {}: the position a command answered with",
                i64::MAX
            ),
        )),
    }
}

/// Keeps `sender` at the checkpoint position until every receiver is gone. Positions only move
/// forward here: a notification and a re-read may arrive in either order.
async fn watch_checkpoint(pool: PgPool, sender: watch::Sender<i64>) {
    let mut listener: Option<PgListener> = None;
    let mut reread = tokio::time::interval(REREAD_EVERY);
    reread.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        if listener.is_none() {
            listener = listen(&pool).await;
        }
        tokio::select! {
            () = sender.closed() => return,
            notification = next_notification(&mut listener) => match notification {
                Ok(notification) => match notification.payload().trim().parse::<i64>() {
                    Ok(position) => advance(&sender, position),
                    Err(_) => tracing::warn!(payload = notification.payload(), "ignoring a checkpoint notification that is not a position"),
                },
                Err(error) => {
                    // PgListener reconnects by itself; an error means that failed: start over.
                    tracing::warn!(error = %error, "lost the checkpoint listener; re-reading the checkpoint meanwhile");
                    listener = None;
                }
            },
            _ = reread.tick() => match read_store::checkpoint(&pool).await {
                Ok(checkpoint) => {
                    if failing {
                        tracing::info!("the read model's checkpoint is readable again");
                        failing = false;
                    }
                    advance(&sender, checkpoint.position);
                }
                Err(error) => {
                    if !failing {
                        tracing::warn!(error = %error, "cannot re-read the read model's checkpoint");
                        failing = true;
                    }
                }
            },
        }
    }
}

async fn listen(pool: &PgPool) -> Option<PgListener> {
    let mut listener = match PgListener::connect_with(pool).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::debug!(error = %error, "cannot open the checkpoint listener");
            return None;
        }
    };
    match listener.listen(read_store::CHECKPOINT_CHANNEL).await {
        Ok(()) => Some(listener),
        Err(error) => {
            tracing::debug!(error = %error, "cannot LISTEN for checkpoint notifications");
            None
        }
    }
}

/// The next notification, or never when there is no listener (the re-read still runs).
async fn next_notification(listener: &mut Option<PgListener>) -> Result<PgNotification, sqlx::Error> {
    match listener {
        Some(listener) => listener.recv().await,
        None => std::future::pending().await,
    }
}

fn advance(sender: &watch::Sender<i64>, position: i64) {
    sender.send_if_modified(|current| {
        let moved = position > *current;
        if moved {
            *current = position;
        }
        moved
    });
}
