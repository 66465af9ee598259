//! `Idempotency-Key` on every command: a client that may retry a POST, PUT or PATCH (after a
//! timeout, a dropped connection) sends a key of its choosing, and a retry with the same key and
//! request gets the first answer again instead of running the command twice.
//!
//! - **Whose key.** Keys belong to the signed-in caller who sent them (the access token's user);
//!   another caller's key of the same text is another key. Requests without a valid access token
//!   run as if they had none: the handler refuses them anyway. The sign-in routes (`/v1/auth/…`)
//!   never store their answers, which hold tokens; checkout has keys of its own (the order's id is
//!   derived from it); an import job is created once per key by `POST /v1/imports`, which hashes
//!   the file as it streams it and records key and answer in the transaction that queues the job.
//! - **Same transaction.** The key is recorded by the command's own append, in the transaction of
//!   its events (`Append::idempotency`), so a crash cannot keep the events and lose the key, or
//!   the reverse. The answer (status, body, `Location`, `X-Position`, `ETag`) is added right after
//!   the command answered; a command that appended nothing (refused, or a change that changed
//!   nothing) records key and answer together.
//! - **A retry** with the same key and the same request (method, path and query, body bytes;
//!   compared by SHA-256) gets the recorded answer with `Idempotent-Replayed: true`. The same key
//!   with another request is a 422 (`idempotency_key_reused`). While the first request is still
//!   running a retry waits for its answer a little, then is told to retry (409
//!   `idempotency_key_in_use`). If the process stopped between the commit and recording the answer,
//!   a retry learns that the command was applied, and at which position, with a 200.
//! - **What is kept.** Successes and refusals (4xx) are kept; 401, 403, 408, 429 and 5xx are not —
//!   they say nothing about the command, and a retry must be able to run it. Keys are kept for the
//!   configured retention (`FERRULE_IDEMPOTENCY_RETENTION_HOURS`, at least 24 h), then swept.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::commerce::checkout::IdempotencyKey as Key;
use domain::FieldError;
use event_store::{EventStore, IdempotencyKey, RecordedKey};
use serde_json::{Map, Value};
use service_http::caller::Caller;

use crate::error::ApiError;
use crate::state::AppState;

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED: &str = "idempotent-replayed";

/// Routes whose keys are theirs, or that must not be replayed (see the module doc).
const OWN_KEYS: [&str; 3] = ["/v1/auth/", "/v1/checkout", "/v1/imports"];

/// Headers of an answer that are part of it, and so replayed.
const KEPT_HEADERS: [&str; 4] = ["content-type", "location", "x-position", "etag"];

/// An answer larger than this is not recorded (none of the command API's are near it).
const ANSWER_LIMIT: usize = 4 * 1024 * 1024;

/// How long a retry waits for the answer of the request that holds its key.
const WAIT_FOR_ANSWER: Duration = Duration::from_secs(3);

/// A request's key as its command's appends carry it: recorded with the first one.
#[derive(Debug)]
pub struct KeyUse {
    pub key: IdempotencyKey,
    recorded: AtomicBool,
}

impl KeyUse {
    pub fn is_recorded(&self) -> bool {
        self.recorded.load(Ordering::Acquire)
    }

    pub fn recorded(&self) {
        self.recorded.store(true, Ordering::Release);
    }
}

/// The answer to a command whose key another request, still running, has recorded.
pub fn in_use() -> ApiError {
    let message = "a request with this Idempotency-Key is still being processed: retry in a moment";
    ApiError::Conflict {
        detail: message.into(),
        errors: vec![FieldError::new("Idempotency-Key", "idempotency_key_in_use", message)],
    }
}

pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let applies = matches!(*request.method(), Method::POST | Method::PUT | Method::PATCH)
        && request.headers().contains_key(HEADER)
        && !OWN_KEYS.iter().any(|prefix| request.uri().path().starts_with(prefix));
    if !applies {
        return next.run(request).await;
    }
    match keyed(&state, request, next).await {
        Ok(response) | Err(response) => response,
    }
}

async fn keyed(state: &AppState, request: Request, next: Next) -> Result<Response, Response> {
    let key = key_of(request.headers()).map_err(IntoResponse::into_response)?;
    let Some(key) = key else { return Ok(next.run(request).await) };
    // A key is the caller's: without a verified caller there is nothing to scope it to, and the
    // handler refuses the request anyway.
    let Ok(Some(caller)) = Caller::of(&state.identity.keyring, request.headers()) else {
        return Ok(next.run(request).await);
    };
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.map_err(|e| too_large_or_malformed(&e))?;
    let key = IdempotencyKey {
        scope: caller.user_id,
        key: key.as_str().to_owned(),
        request_hash: request_hash(&parts.method, parts.uri.path_and_query().map_or("", |p| p.as_str()), &bytes),
    };
    let store = state.catalog.store();
    if let Some(recorded) = store.recorded_key(key.scope, &key.key).await.map_err(internal)? {
        return Err(replay(store, &key, recorded).await);
    }
    let key_use = std::sync::Arc::new(KeyUse { key, recorded: AtomicBool::new(false) });
    let mut request = Request::from_parts(parts, Body::from(bytes));
    request.extensions_mut().insert(key_use.clone());
    let response = next.run(request).await;
    if !kept(response.status()) {
        return Ok(response);
    }
    if response.status().is_client_error() && !key_use.is_recorded() {
        // Refused, perhaps only because a concurrent request with this key ran the same command
        // first (its claim taken, its key recorded): then its answer is this request's answer.
        if let Some(recorded) = store.recorded_key(key_use.key.scope, &key_use.key.key).await.map_err(internal)? {
            return Err(replay(store, &key_use.key, recorded).await);
        }
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, ANSWER_LIMIT).await else {
        tracing::warn!(key = %key_use.key.key, "an answer too large to record for its idempotency key");
        return Ok(ApiError::Internal(anyhow::anyhow!("the answer could not be read back")).into_response());
    };
    let headers = kept_headers(&parts.headers);
    let recorded =
        store.record_answer(&key_use.key, key_use.is_recorded(), parts.status.as_u16(), &headers, &bytes).await;
    if let Err(error) = recorded {
        // The command's outcome stands; only a retry would run it again (or, if its key was
        // recorded with its events, learn its position).
        tracing::warn!(%error, key = %key_use.key.key, "the answer to an idempotent command was not recorded");
    }
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

/// Successes and refusals of the command itself; not the answers a retry must not get again.
fn kept(status: StatusCode) -> bool {
    let passing = matches!(
        status,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_MANY_REQUESTS
    );
    (status.is_success() || status.is_client_error()) && !passing
}

/// What a request with a recorded key is answered.
pub async fn replay(store: &EventStore, key: &IdempotencyKey, mut recorded: RecordedKey) -> Response {
    if recorded.request_hash != key.request_hash {
        let message = "this Idempotency-Key was used for another request (method, path or body): send a new key \
                       for a new request";
        return ApiError::Invalid(vec![FieldError::new("Idempotency-Key", "idempotency_key_reused", message)])
            .into_response();
    }
    // The command committed and is about to record its answer, or stopped before it could.
    let deadline = tokio::time::Instant::now() + WAIT_FOR_ANSWER;
    while recorded.status.is_none() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(25)).await;
        match store.recorded_key(key.scope, &key.key).await {
            Ok(Some(again)) => recorded = again,
            Ok(None) => return in_use().into_response(),
            Err(error) => return internal(error),
        }
    }
    let mut response = match (recorded.status, recorded.position) {
        (Some(status), _) => {
            let status = u16::try_from(status).ok().and_then(|s| StatusCode::from_u16(s).ok());
            let mut response = Response::new(Body::from(recorded.body.unwrap_or_default()));
            *response.status_mut() = status.unwrap_or(StatusCode::OK);
            if let Some(sqlx::types::Json(Value::Object(headers))) = recorded.headers {
                restore_headers(response.headers_mut(), &headers);
            }
            response
        }
        (None, Some(position)) => lost_answer(position),
        (None, None) => in_use().into_response(),
    };
    response.headers_mut().insert(HeaderName::from_static(REPLAYED), HeaderValue::from_static("true"));
    response
}

/// The replay (200) of a command that was applied but whose answer was lost (the service stopped
/// just after committing it): only its position is known.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct LostAnswer {
    /// The global position of the command's last event.
    #[schema(minimum = 0)]
    position: i64,
    #[schema(value_type = String)]
    detail: &'static str,
}

/// The command was applied (its key is recorded with its events), but its answer was not: the
/// process stopped in between. Its position is known, and that it was applied.
fn lost_answer(position: i64) -> Response {
    let body = LostAnswer {
        position,
        detail: "the command was applied at this position; its original answer was not recorded (the service \
                 stopped just after committing it): read the resource to see its state",
    };
    let mut response = (StatusCode::OK, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&position.to_string()) {
        response.headers_mut().insert("x-position", value);
    }
    response
}

fn request_hash(method: &Method, path_and_query: &str, body: &[u8]) -> Vec<u8> {
    let mut context = hasher(method, path_and_query);
    context.update(body);
    context.finish().as_ref().to_vec()
}

/// A request's hash as a body too large to hold is streamed through it: `update` with each
/// piece of the body, then `finish` (the same hash as a held body's).
pub fn hasher(method: &Method, path_and_query: &str) -> ring::digest::Context {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    context.update(method.as_str().as_bytes());
    context.update(b" ");
    context.update(path_and_query.as_bytes());
    context.update(b"\n");
    context
}

/// The caller's key from the request's `Idempotency-Key`, if it sent one (the import routes,
/// which stream their bodies, keep their keys themselves).
pub fn key_of(headers: &HeaderMap) -> Result<Option<Key>, ApiError> {
    match headers.get(HEADER) {
        None => Ok(None),
        Some(value) => {
            let text = value.to_str().unwrap_or_default();
            Key::parse("Idempotency-Key", text).map(Some).map_err(|e| ApiError::Invalid(vec![e]))
        }
    }
}

pub fn kept_headers(headers: &HeaderMap) -> Value {
    let kept: Map<String, Value> = KEPT_HEADERS
        .iter()
        .filter_map(|name| Some(((*name).to_owned(), Value::from(headers.get(*name)?.to_str().ok()?))))
        .collect();
    Value::Object(kept)
}

fn restore_headers(headers: &mut HeaderMap, kept: &Map<String, Value>) {
    for (name, value) in kept {
        let name = HeaderName::from_bytes(name.as_bytes());
        let value = value.as_str().and_then(|v| HeaderValue::from_str(v).ok());
        if let (Ok(name), Some(value)) = (name, value) {
            headers.insert(name, value);
        }
    }
}

fn too_large_or_malformed(error: &axum::Error) -> Response {
    // The body limit layer's error, however deep in the chain (tower-http's LengthLimitError).
    let mut source: Option<&dyn std::error::Error> = Some(error);
    let mut too_large = false;
    while let Some(e) = source {
        too_large |= e.to_string().contains("length limit exceeded");
        source = e.source();
    }
    if too_large {
        ApiError::PayloadTooLarge.into_response()
    } else {
        ApiError::MalformedJson(format!("the request body could not be read: {error}")).into_response()
    }
}

fn internal(error: event_store::AppendError) -> Response {
    ApiError::Internal(error.into()).into_response()
}

/// Forgets keys older than `retention`, a few thousand at a time, every few minutes, for as long
/// as the store's pool is open. Several replicas sweeping at once only share the work.
pub async fn sweep(store: EventStore, retention: Duration) {
    const BATCH: i64 = 5_000;
    let mut every = tokio::time::interval(Duration::from_secs(300));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !store.pool().is_closed() {
        every.tick().await;
        loop {
            match store.sweep_keys(retention, BATCH).await {
                Ok(swept) if swept == BATCH as u64 => continue,
                Ok(swept) => {
                    if swept > 0 {
                        tracing::info!(swept, "idempotency keys past their retention forgotten");
                    }
                    break;
                }
                Err(error) => {
                    tracing::warn!(%error, "sweeping old idempotency keys failed; trying again later");
                    break;
                }
            }
        }
    }
}
