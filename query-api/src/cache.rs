//! The response cache: browse, product and search answers kept in Redis, served again only while
//! nothing they depend on has changed, and never for a read model older than the client asked for.
//!
//! An answer is stored with its stamp: the read-model position seen before its handler ran, a
//! lower bound of what it read (see `read_store::cache_keys` for the keys). The projector moves
//! "changed at" markers in Redis before it commits each batch, so a lookup (one MGET of the entry
//! and its markers) serves the entry only if its stamp is at or after every marker it depends on
//! and at or after the client's `X-Min-Position`.
//!
//! Redis is never needed to answer: every call has a short timeout, and after a failure Redis is
//! left alone for a few seconds (one request then tries it again), so a Redis that is down costs
//! each request nothing and none fails because of it. `X-Cache` tells what happened: `hit`,
//! `miss`, `bypass` (the client sent `Cache-Control: no-cache`: not looked up, still stored) or
//! `off` (no Redis configured, or not answering).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use read_store::cache_keys::{CacheKeys, RESPONSE_TTL};
use redis::aio::ConnectionManager;
use service_http::breaker::Breaker;
use uuid::Uuid;

use crate::error::ApiError;
use crate::freshness::ReadAt;

/// The response header telling how the cache took part.
pub const X_CACHE: &str = "x-cache";

/// Longest a request waits for Redis, per call.
const TIMEOUT: Duration = Duration::from_millis(100);
/// How long Redis is left alone after it failed.
const PAUSE: Duration = Duration::from_secs(5);
/// Larger answers are not stored.
const MAX_BODY: u64 = 4 * 1024 * 1024;

/// The cache, or none (`FERRULE_REDIS_URL` unset). Cheap to clone.
#[derive(Clone, Default)]
pub struct Cache(Option<Arc<Redis>>);

struct Redis {
    connection: ConnectionManager,
    keys: CacheKeys,
    breaker: Breaker,
}

impl Cache {
    /// No cache: every answer comes from the read database, with `X-Cache: off`.
    pub fn off() -> Self {
        Cache(None)
    }

    /// A cache on the Redis at `url`, keys under `prefix`. It connects in the background: a Redis
    /// that is down (now or later) only turns the cache off while it is. Errs only on a malformed URL.
    pub fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let connection = service_http::redis_link::connect_lazy(url, TIMEOUT)
            .context("FERRULE_REDIS_URL is not a valid Redis URL")?;
        let redis = Arc::new(Redis { connection, keys: CacheKeys::new(prefix), breaker: Breaker::new(PAUSE) });
        tokio::spawn(warm_up(redis.clone()));
        Ok(Cache(Some(redis)))
    }
}

/// Connects at start rather than on the first request.
async fn warm_up(redis: Arc<Redis>) {
    match service_http::redis_link::ping(&redis.connection).await {
        Ok(()) => tracing::info!(prefix = redis.keys.prefix(), "the response cache is on"),
        Err(error) => redis.failed(&error),
    }
}

/// What an answer depends on, by endpoint; `None` for what is never cached (health, unknown).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Depends {
    /// `GET /v1/products/{id}`: that product's row and the structure whose names it embeds.
    Product(Uuid),
    /// `GET /v1/search…`: every product, and the structure (schemas, names, synonyms).
    Products,
    /// `GET /v1/categories[/{id}]`: categories and families only.
    Structure,
}

impl Depends {
    fn of(path: &str) -> Option<Depends> {
        let segments: Vec<&str> = path.strip_prefix("/v1/")?.split('/').collect();
        match segments.as_slice() {
            ["categories"] | ["categories", _] => Some(Depends::Structure),
            // The handler answers 400 for anything that is not a UUID; that is never stored.
            ["products", id] => Uuid::parse_str(id).ok().map(Depends::Product),
            ["search", ..] => Some(Depends::Products),
            _ => None,
        }
    }

    /// `changed:all` last.
    fn markers(self, keys: &CacheKeys) -> Vec<String> {
        match self {
            Depends::Product(id) => vec![keys.changed_product(id), keys.changed_all()],
            Depends::Products => vec![keys.changed_products(), keys.changed_all()],
            Depends::Structure => vec![keys.changed_all()],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Hit,
    Miss,
    Bypass,
    Off,
}

impl Outcome {
    fn header(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Outcome::Hit => "hit",
            Outcome::Miss => "miss",
            Outcome::Bypass => "bypass",
            Outcome::Off => "off",
        })
    }
}

/// Middleware, inside `read_your_writes` (it needs the request's `ReadAt`): answers from Redis
/// when it can, else lets the handler answer and stores a 200 for the next request.
pub async fn respond(State(cache): State<Cache>, mut request: Request, next: Next) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let (Some(depends), Some(read_at)) =
        (Depends::of(request.uri().path()), request.extensions().get::<ReadAt>().copied())
    else {
        return next.run(request).await;
    };
    let Some(redis) = cache.0.filter(|redis| redis.breaker.allow()) else {
        return tagged(next.run(request).await, Outcome::Off);
    };
    let key = redis.keys.response(request.uri().path_and_query().map_or("", |p| p.as_str()));
    let bypass = no_cache(request.headers());
    // The stamp: the position seen before the handler runs.
    let stamp = read_at.position;
    let markers = if bypass {
        // Not looked up: the handler's snapshots must then be as new as the stamp.
        Markers { newest: 0, structure: stamp }
    } else {
        match redis.lookup(&key, &depends.markers(&redis.keys)).await {
            Ok((Some(entry), markers)) if entry.stamp >= read_at.wanted && entry.stamp >= markers.newest => {
                return tagged(entry.into_response(), Outcome::Hit);
            }
            Ok((_, markers)) => markers,
            Err(error) => {
                redis.failed(&error);
                return tagged(next.run(request).await, Outcome::Off);
            }
        }
    };
    // What searches keep in memory between requests (a scope's attributes, the synonyms) may be a
    // moment older than the stamp when the client asked for no position; it must not be older
    // than the last change to the structure, or the answer would carry that staleness for as long
    // as it is cached. (Asking for the stamp itself would reload them on every miss while products
    // change; the lexicon may still trail a product change by that moment, until the next one.)
    let at_least = markers.structure.min(stamp).max(read_at.wanted);
    request.extensions_mut().insert(ReadAt { wanted: at_least, position: read_at.position });
    let response = next.run(request).await;
    // An answer older than a marker already set would never be served: not worth storing.
    let response = if response.status() == StatusCode::OK && stamp >= markers.newest {
        redis.store(key, stamp, response).await
    } else {
        response
    };
    tagged(response, if bypass { Outcome::Bypass } else { Outcome::Miss })
}

fn tagged(mut response: Response, outcome: Outcome) -> Response {
    response.headers_mut().insert(X_CACHE, outcome.header());
    response
}

/// `Cache-Control: no-cache` (or `max-age=0`, as browsers send on reload): the client wants a
/// fresh answer.
fn no_cache(headers: &HeaderMap) -> bool {
    headers.get_all(header::CACHE_CONTROL).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |directive| {
            let directive = directive.trim().to_ascii_lowercase();
            directive == "no-cache" || directive == "max-age=0"
        },
    )
}

/// A stored answer.
#[derive(Debug, PartialEq, Eq)]
struct Entry {
    stamp: i64,
    content_type: String,
    body: Bytes,
}

impl Entry {
    /// `{stamp} {content-type}\n{body}`.
    fn encode(&self) -> Vec<u8> {
        let mut bytes = format!("{} {}\n", self.stamp, self.content_type).into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }

    fn decode(bytes: Vec<u8>) -> Option<Entry> {
        let newline = bytes.iter().position(|b| *b == b'\n')?;
        let head = std::str::from_utf8(&bytes[..newline]).ok()?;
        let (stamp, content_type) = head.split_once(' ')?;
        let stamp = stamp.parse().ok()?;
        let content_type = content_type.to_owned();
        let mut body = Bytes::from(bytes);
        Some(Entry { stamp, content_type, body: body.split_off(newline + 1) })
    }

    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.body));
        if let Ok(content_type) = HeaderValue::from_str(&self.content_type) {
            response.headers_mut().insert(header::CONTENT_TYPE, content_type);
        }
        response
    }
}

/// The markers an answer depends on, as a lookup found them.
#[derive(Clone, Copy, Debug, Default)]
struct Markers {
    /// The newest of them.
    newest: i64,
    /// `changed:all`: the last change to the structure (or a rebuild).
    structure: i64,
}

impl Redis {
    /// One round trip: the entry at `key`, if any, and `markers` (`changed:all` last).
    async fn lookup(&self, key: &str, markers: &[String]) -> Result<(Option<Entry>, Markers), String> {
        let mut connection = self.connection.clone();
        let mut get = redis::cmd("MGET");
        get.arg(key).arg(markers);
        let mut values = match tokio::time::timeout(TIMEOUT, get.query_async::<Vec<Option<Vec<u8>>>>(&mut connection))
            .await
        {
            Ok(Ok(values)) if values.len() == markers.len() + 1 => values.into_iter(),
            Ok(Ok(values)) => return Err(format!("MGET answered {} values for {}", values.len(), markers.len() + 1)),
            Ok(Err(error)) => return Err(error.to_string()),
            Err(_) => return Err(format!("no answer within {TIMEOUT:?}")),
        };
        self.answered();
        let entry = values.next().flatten().and_then(Entry::decode);
        // A marker that is not a number is no proof of anything: nothing is served against it.
        let positions: Vec<i64> = values
            .map(|marker| marker.map_or(Some(0), |m| std::str::from_utf8(&m).ok()?.trim().parse::<i64>().ok()))
            .map(|marker| marker.unwrap_or(i64::MAX))
            .collect();
        let markers = Markers {
            newest: positions.iter().copied().max().unwrap_or(0),
            structure: positions.last().copied().unwrap_or(0),
        };
        Ok((entry, markers))
    }

    /// Reads the body out of `response` and stores it in the background; the answer goes on at
    /// once, whatever Redis does.
    async fn store(self: Arc<Self>, key: String, stamp: i64, response: Response) -> Response {
        let (parts, body) = response.into_parts();
        let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let (Some(content_type), Some(size)) = (content_type, body.size_hint().exact()) else {
            return Response::from_parts(parts, body);
        };
        if size > MAX_BODY {
            return Response::from_parts(parts, body);
        }
        let body = match axum::body::to_bytes(body, MAX_BODY as usize).await {
            Ok(body) => body,
            Err(error) => {
                return ApiError::Internal(anyhow::anyhow!("reading an answer to cache it: {error}")).into_response()
            }
        };
        let entry = Entry { stamp, content_type, body: body.clone() };
        tokio::spawn(async move {
            let mut connection = self.connection.clone();
            let mut set = redis::cmd("SET");
            set.arg(&key).arg(entry.encode()).arg("EX").arg(RESPONSE_TTL.as_secs());
            match tokio::time::timeout(TIMEOUT, set.query_async::<()>(&mut connection)).await {
                Ok(Ok(())) => self.answered(),
                Ok(Err(error)) => self.failed(&error.to_string()),
                Err(_) => self.failed(&format!("no answer within {TIMEOUT:?}")),
            }
        });
        Response::from_parts(parts, Body::from(body))
    }

    fn answered(&self) {
        if self.breaker.close() {
            tracing::info!("Redis answers again: the response cache is back on");
        }
    }

    fn failed(&self, error: &str) {
        if self.breaker.trip() {
            tracing::warn!(error, pause = ?PAUSE, "Redis failed: the response cache is off, answers come from the read database");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_depend_on_the_markers_of_what_they_read() {
        let id = Uuid::from_u128(7);
        assert_eq!(Depends::of(&format!("/v1/products/{id}")), Some(Depends::Product(id)));
        assert_eq!(Depends::of(&format!("/v1/products/{}", id.simple())), Some(Depends::Product(id)));
        assert_eq!(Depends::of("/v1/products/nope"), None);
        assert_eq!(Depends::of("/v1/search"), Some(Depends::Products));
        assert_eq!(Depends::of("/v1/search/suggest"), Some(Depends::Products));
        assert_eq!(Depends::of("/v1/categories"), Some(Depends::Structure));
        assert_eq!(Depends::of(&format!("/v1/categories/{id}")), Some(Depends::Structure));
        assert_eq!(Depends::of("/v1/health"), None);
        assert_eq!(Depends::of("/openapi.json"), None);
        let keys = CacheKeys::new("p");
        assert_eq!(
            Depends::Product(id).markers(&keys),
            vec![keys.changed_product(id), keys.changed_all()],
            "a product's canonical id names its marker, whatever form the path gave"
        );
    }

    #[test]
    fn entries_read_back_as_they_were_stored() {
        let entry = Entry {
            stamp: 42 << 16,
            content_type: "application/json".into(),
            body: Bytes::from_static(b"{\"a\":\n1}"),
        };
        assert_eq!(Entry::decode(entry.encode()), Some(entry));
        assert_eq!(Entry::decode(b"garbage".to_vec()), None);
        assert_eq!(Entry::decode(b"x application/json\n{}".to_vec()), None);
    }

    #[test]
    fn no_cache_directives_bypass_the_lookup() {
        let mut headers = HeaderMap::new();
        assert!(!no_cache(&headers));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=60, No-Cache"));
        assert!(no_cache(&headers));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=60"));
        assert!(!no_cache(&headers));
    }
}
