//! The layers around every route of a service, outermost first:
//!
//! 1. request id: `X-Request-Id` is the client's when it is 1 to 128 visible ASCII characters,
//!    else a new UUID (`request_id`), on the request and echoed on every answer, whatever
//!    answered it (404, 405, 413, 429, 503 included);
//! 2. a trace span per request, carrying the id and the URI (at most 200 characters of it);
//! 3. gzip, when the client accepts it, of every answer but tiny, streamed (`text/event-stream`)
//!    and already compressed ones (images, archives);
//! 4. security headers (`security`), `Cache-Control: no-store` on private answers (`private`),
//!    and CORS when origins are configured — outside the limiter, so preflights are never counted
//!    and a 429 is readable by the browser (and, like every error answer, is marked too);
//! 5. bounded headers: a header line over 8 KiB, or over 32 KiB of them, is 431 (`header_limit`);
//! 6. problem+json for the bare errors of the layers below and of the router (`problem`);
//! 7. the timeout (503);
//! 8. rate limiting (`rate_limit`);
//! 9. the body limit: a body over it is 413, whether its `Content-Length` says so (answered before
//!    the handler runs) or it is streamed without one (the extractor reading it fails). Upload
//!    routes (`Service::uploads`: a file streamed to storage, never buffered whole) have a larger
//!    limit of their own, enforced the same way, and `UPLOAD_TIMEOUT` instead of the request timeout
//!    (a large file over a slow link takes longer than any other request).

use std::time::Duration;

use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

use crate::config::HttpConfig;
use crate::logged::Clipped;
use crate::private::{self, Private};
use crate::rate_limit::{self, Identity, RateLimiter};
use crate::request_id::{self, REQUEST_ID};
use crate::{header_limit, problem, security};

/// How long an upload (`Service::uploads`) may take.
pub const UPLOAD_TIMEOUT: Duration = Duration::from_secs(3600);

/// Smaller answers are not worth compressing (gzip's own overhead is ~20 bytes).
const COMPRESS_FROM_BYTES: u16 = 256;

/// What a service tells the outer layers about itself.
pub struct Service<'a> {
    pub config: &'a HttpConfig,
    /// A request taking longer is answered 503.
    pub timeout: Duration,
    /// A larger request body is answered 413.
    pub body_limit: usize,
    /// `(path, limit)`: requests to exactly these paths have this body limit instead (uploads a
    /// handler streams to storage; `DefaultBodyLimit` still bounds any extractor buffering one).
    pub uploads: &'a [(&'static str, usize)],
    /// The service's own Redis: the rate limiter's when FERRULE_RATE_LIMIT_REDIS_URL is unset.
    pub redis_url: Option<&'a str>,
    /// Who an authenticated request is from, for its rate limit.
    pub identity: Identity,
    /// Which answers no cache may keep.
    pub private: Private,
}

/// `routes` inside the layers every answer goes through (see the module doc). Errs only on a
/// malformed Redis URL.
pub fn outer_layers(routes: Router, service: Service<'_>) -> anyhow::Result<Router> {
    let config = service.config;
    let limits = std::sync::Arc::new(BodyLimits {
        default: service.body_limit,
        uploads: service.uploads.to_vec(),
        timeout: service.timeout,
    });
    let mut router = routes
        .layer(DefaultBodyLimit::max(service.body_limit))
        .layer(axum::middleware::from_fn_with_state(limits.clone(), bounded_body));
    if let Some(limiter) = RateLimiter::from_config(config, service.redis_url, service.identity)? {
        router = router.layer(axum::middleware::from_fn_with_state(limiter, rate_limit::limit));
    }
    router = router
        .layer(axum::middleware::from_fn_with_state(limits, timed))
        .layer(axum::middleware::from_fn(problem::bare_errors))
        .layer(axum::middleware::from_fn(header_limit::bounded));
    // Inside CORS: a preflight (answered by the CORS layer) is no answer to keep or not.
    router = router.layer(axum::middleware::from_fn_with_state(service.private, private::no_store));
    if let Some(cors) = security::cors(&config.cors_origins) {
        router = router.layer(cors);
    }
    Ok(security::headers(router, config.hsts_max_age_secs)
        .layer(CompressionLayer::new().gzip(true).compress_when(compressible()))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            // Checked by the request-id layer outside this one.
            let id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
            let uri = request.uri().to_string();
            tracing::info_span!("request", method = %request.method(), uri = %Clipped(&uri), request_id = %id)
        }))
        .layer(axum::middleware::from_fn(request_id::checked)))
}

struct BodyLimits {
    default: usize,
    uploads: Vec<(&'static str, usize)>,
    timeout: Duration,
}

impl BodyLimits {
    fn upload(&self, path: &str) -> Option<usize> {
        self.uploads.iter().find(|(p, _)| *p == path).map(|(_, limit)| *limit)
    }
}

/// 503 for a request not answered within the timeout (an upload's: `UPLOAD_TIMEOUT`).
async fn timed(
    axum::extract::State(limits): axum::extract::State<std::sync::Arc<BodyLimits>>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let timeout = if limits.upload(request.uri().path()).is_some() { UPLOAD_TIMEOUT } else { limits.timeout };
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// The body limit of the request's path: 413 at once when `Content-Length` is over it, else the
/// body is cut off with a length-limit error (extractors answer 413) when it grows over it.
async fn bounded_body(
    axum::extract::State(limits): axum::extract::State<std::sync::Arc<BodyLimits>>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let limit = limits.upload(path).unwrap_or(limits.default);
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    let request = request.map(|body| Body::new(http_body_util::Limited::new(body, limit)));
    next.run(request).await
}

/// Which answers gzip: not tiny ones, not streams, not what is compressed already.
fn compressible() -> impl Predicate {
    SizeAbove::new(COMPRESS_FROM_BYTES)
        .and(NotForContentType::GRPC)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::SSE)
        .and(NotForContentType::const_new("application/gzip"))
        .and(NotForContentType::const_new("application/zip"))
        .and(NotForContentType::const_new("application/zstd"))
        .and(NotForContentType::const_new("video/"))
        .and(NotForContentType::const_new("audio/"))
}
