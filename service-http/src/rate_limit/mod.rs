//! Rate limiting, shared by every replica through Redis: per user when the request is
//! authenticated, per client IP otherwise (`client_ip`), in two classes — the login class
//! (`POST /v1/auth/login` and `/v1/auth/refresh`, per IP, tight: it bounds password guessing) and
//! the general class (everything else, per service). The arithmetic is GCRA (`gcra`, which says
//! why), run atomically in Redis (`store`). Over the limit: 429 problem+json with `Retry-After`;
//! every limited answer carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`.
//!
//! When Redis is unreachable (not configured, down, or slower than 50 ms), the decision is:
//! - general traffic **fails open**: it is served unlimited, with a warning logged when Redis
//!   fails and `Stats::unlimited` counting the requests let through. A rate limiter that turns a
//!   cache outage into an API outage would hurt every customer to slow down a few; the general
//!   limit is about fairness, not safety.
//! - the login class **falls back to a limiter in this process** (the same quota, per replica):
//!   password guessing stays bounded (by the quota times the number of replicas) while Redis is
//!   away. `Stats::local` counts these decisions.
//!
//! A failed Redis is left alone for 5 s by a circuit breaker (one probe request then tries it), so
//! a dead Redis adds no latency: at most one request per pause waits for its timeout.

mod client_ip;
mod gcra;
mod store;

use secrecy::ExposeSecret;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use auth_tokens::Keyring;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use domain::identity::Role;

pub use client_ip::{bucket, client_ip, TrustedProxies};
pub use gcra::{decide, Decision, LocalLimiter, Quota};
use store::RedisStore;

use crate::caller::Caller;
use crate::config::HttpConfig;
use crate::problem::problem;

pub const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
pub const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
pub const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// The paths of the login class (POST only). Matched whether or not the service routes them.
const AUTH_PATHS: [&str; 2] = ["/v1/auth/login", "/v1/auth/refresh"];

/// Who made a request, when it is authenticated: the verified user (never an unverified claim,
/// or a client could pick its own bucket). `None`: the client is known by its IP.
#[derive(Clone)]
pub struct Identity(Arc<Identify>);

type Identify = dyn Fn(&Parts) -> Option<Client> + Send + Sync;

/// An authenticated client, as its verified access token says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// The user id: the client's own bucket.
    pub user: String,
    /// Staff (admin, ops) are limited by the staff class, whose quota fits a person working
    /// through an admin portal all day (each page is several calls).
    pub staff: bool,
}

impl Identity {
    pub fn new(identify: impl Fn(&Parts) -> Option<Client> + Send + Sync + 'static) -> Self {
        Identity(Arc::new(identify))
    }

    /// Every client is known by its IP.
    pub fn anonymous() -> Self {
        Identity::new(|_| None)
    }

    /// A client with a valid access token (`Caller::of` with `keyring`) is known as its user,
    /// staff or not; any other by its IP.
    pub fn tokens(keyring: Arc<Keyring>) -> Self {
        Identity::new(move |parts| {
            let caller = Caller::of(&keyring, &parts.headers).ok()??;
            Some(Client { user: caller.user_id.to_string(), staff: caller.role != Role::Buyer })
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    General,
    /// Authenticated staff: their own, larger quota.
    Staff,
    Auth,
}

impl Class {
    /// The class a request's method and path put it in: login, or general (which an
    /// authenticated staff member's request leaves for `Staff`).
    pub fn of(method: &Method, path: &str) -> Class {
        let path = path.strip_suffix('/').unwrap_or(path);
        if method == Method::POST && AUTH_PATHS.contains(&path) {
            Class::Auth
        } else {
            Class::General
        }
    }

    fn name(self) -> &'static str {
        match self {
            Class::General => "general",
            Class::Staff => "staff",
            Class::Auth => "auth",
        }
    }
}

/// What the limiter did while Redis could not be asked (for logs and tests).
#[derive(Debug, Default)]
pub struct Stats {
    /// General requests served unlimited because Redis could not be asked.
    pub unlimited: AtomicU64,
    /// Login-class requests decided by this process's own limiter.
    pub local: AtomicU64,
    /// Requests refused (429), however decided.
    pub refused: AtomicU64,
}

/// The limiter of one service. Cheap to clone.
#[derive(Clone)]
pub struct RateLimiter(Arc<Inner>);

struct Inner {
    general: Quota,
    staff: Quota,
    auth: Quota,
    prefix: String,
    redis: Option<RedisStore>,
    local: LocalLimiter,
    proxies: TrustedProxies,
    identity: Identity,
    stats: Stats,
}

impl RateLimiter {
    /// The limiter `config` asks for (none when rate limiting is off), on its Redis or else
    /// `service_redis_url`, connecting in the background. Errs only on a malformed URL.
    pub fn from_config(
        config: &HttpConfig,
        service_redis_url: Option<&str>,
        identity: Identity,
    ) -> anyhow::Result<Option<RateLimiter>> {
        let limits = &config.rate_limit;
        if !limits.rate_limit {
            tracing::warn!("rate limiting is off (FERRULE_RATE_LIMIT=false)");
            return Ok(None);
        }
        let redis = match limits.rate_limit_redis_url.as_ref().map(ExposeSecret::expose_secret).or(service_redis_url) {
            Some(url) => {
                let connection = crate::redis_link::connect_lazy(url, store::TIMEOUT).map_err(|e| {
                    anyhow::anyhow!("FERRULE_RATE_LIMIT_REDIS_URL (or FERRULE_REDIS_URL) is not a valid Redis URL: {e}")
                })?;
                Some(RedisStore::new(connection))
            }
            None => {
                tracing::warn!(
                    "no Redis for rate limiting (FERRULE_RATE_LIMIT_REDIS_URL, FERRULE_REDIS_URL): general traffic \
                     is not limited; login and refresh are limited by each replica on its own"
                );
                None
            }
        };
        let limiter = RateLimiter(Arc::new(Inner {
            general: Quota::new(limits.rate_limit_requests, secs(limits.rate_limit_window_secs)),
            staff: Quota::new(limits.rate_limit_staff_requests, secs(limits.rate_limit_staff_window_secs)),
            auth: Quota::new(limits.rate_limit_auth_requests, secs(limits.rate_limit_auth_window_secs)),
            prefix: limits.rate_limit_prefix.clone(),
            redis,
            local: LocalLimiter::default(),
            proxies: config.trusted_proxies.clone(),
            identity,
            stats: Stats::default(),
        }));
        if limiter.0.redis.is_some() {
            tokio::spawn(limiter.clone().warm_up());
        }
        Ok(Some(limiter))
    }

    pub fn stats(&self) -> &Stats {
        &self.0.stats
    }

    /// Connects at start rather than on the first request.
    async fn warm_up(self) {
        let Some(redis) = &self.0.redis else { return };
        match crate::redis_link::ping(redis.connection()).await {
            Ok(()) => tracing::info!(prefix = self.0.prefix, "rate limiting through Redis"),
            Err(error) => self.redis_failed(redis, &error),
        }
    }

    /// The class of a request and its Redis key: class, then user or IP bucket.
    fn classify(&self, parts: &Parts) -> (Class, String) {
        let (class, who) = match Class::of(&parts.method, parts.uri.path()) {
            // Nobody is authenticated yet when logging in: always the IP.
            Class::Auth => (Class::Auth, None),
            _ => match (self.0.identity.0)(parts) {
                Some(client) => {
                    let class = if client.staff { Class::Staff } else { Class::General };
                    (class, Some(format!("user:{}", client.user)))
                }
                None => (Class::General, None),
            },
        };
        let who = who.unwrap_or_else(|| {
            let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
            client_ip(peer, &parts.headers, &self.0.proxies)
                .map_or_else(|| "ip:unknown".to_owned(), |ip: IpAddr| format!("ip:{}", bucket(ip)))
        });
        (class, format!("{}:{}:{who}", self.0.prefix, class.name()))
    }

    /// The decision for one request; none: let through unlimited (Redis unreachable).
    async fn check(&self, class: Class, key: &str) -> Option<Decision> {
        let quota = match class {
            Class::General => self.0.general,
            Class::Staff => self.0.staff,
            Class::Auth => self.0.auth,
        };
        if let Some(redis) = self.0.redis.as_ref().filter(|redis| redis.breaker.allow()) {
            match redis.check(key, quota).await {
                Ok(decision) => {
                    if redis.breaker.close() {
                        tracing::info!(stats = ?self.0.stats, "Redis answers again: rate limits are shared again");
                    }
                    return Some(decision);
                }
                Err(error) => self.redis_failed(redis, &error),
            }
        }
        match class {
            Class::General | Class::Staff => {
                self.0.stats.unlimited.fetch_add(1, Ordering::Relaxed);
                None
            }
            Class::Auth => {
                self.0.stats.local.fetch_add(1, Ordering::Relaxed);
                Some(self.0.local.check(key, quota))
            }
        }
    }

    fn redis_failed(&self, redis: &RedisStore, error: &str) {
        if redis.breaker.trip() {
            tracing::warn!(
                error,
                pause = ?store::PAUSE,
                stats = ?self.0.stats,
                "Redis failed: general traffic is not rate limited, login and refresh are limited by this replica alone"
            );
        } else {
            tracing::debug!(error, "Redis is still failing: rate limits stay per replica");
        }
    }
}

fn secs(seconds: u32) -> Duration {
    Duration::from_secs(u64::from(seconds))
}

/// Middleware: answers 429 to a client over its limit, else lets the request through and tells
/// the client where it stands.
pub async fn limit(State(limiter): State<RateLimiter>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let (class, key) = limiter.classify(&parts);
    let Some(decision) = limiter.check(class, &key).await else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    if !decision.allowed {
        limiter.0.stats.refused.fetch_add(1, Ordering::Relaxed);
        tracing::info!(class = class.name(), key, "rate limited");
        let retry_after = gcra::whole_seconds(decision.retry_after_us).max(1);
        let detail = match class {
            Class::Auth => format!("too many sign-in attempts from this address; retry in {retry_after} s"),
            Class::General | Class::Staff => format!("too many requests; retry in {retry_after} s"),
        };
        let mut response = problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited", "Too many requests", &detail, &[]);
        let headers = response.headers_mut();
        insert_number(headers, header::RETRY_AFTER, retry_after);
        describe(headers, &decision);
        return response;
    }
    let mut response = next.run(Request::from_parts(parts, body)).await;
    describe(response.headers_mut(), &decision);
    response
}

fn describe(headers: &mut HeaderMap, decision: &Decision) {
    insert_number(headers, RATELIMIT_LIMIT, u64::from(decision.limit));
    insert_number(headers, RATELIMIT_REMAINING, u64::from(decision.remaining));
    insert_number(headers, RATELIMIT_RESET, gcra::whole_seconds(decision.reset_us));
}

fn insert_number(headers: &mut HeaderMap, name: HeaderName, value: u64) {
    headers.insert(name, HeaderValue::from(value));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_posts_to_login_and_refresh_are_the_login_class() {
        assert_eq!(Class::of(&Method::POST, "/v1/auth/login"), Class::Auth);
        assert_eq!(Class::of(&Method::POST, "/v1/auth/refresh/"), Class::Auth);
        assert_eq!(Class::of(&Method::GET, "/v1/auth/login"), Class::General);
        assert_eq!(Class::of(&Method::POST, "/v1/auth/logout"), Class::General);
        assert_eq!(Class::of(&Method::POST, "/v1/auth/login/x"), Class::General);
    }
}
