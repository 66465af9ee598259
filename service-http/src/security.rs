//! Browser-facing headers: the security headers every answer carries, and CORS from configuration.

use std::time::Duration;

use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::Router;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

/// The policy of API answers: they load nothing and are framed nowhere.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Request headers a browser client may send (beyond the CORS-safelisted ones).
const ALLOWED_HEADERS: [&str; 10] = [
    "authorization",
    "content-type",
    "if-match",
    "x-min-position",
    "x-request-id",
    "idempotency-key",
    "x-correlation-id",
    "x-causation-id",
    "cache-control",
    "accept-encoding",
];

/// Response headers a browser client may read (beyond the CORS-safelisted ones).
const EXPOSED_HEADERS: [&str; 8] = [
    "x-request-id",
    "x-position",
    "x-cache",
    "retry-after",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "www-authenticate",
];

/// How long a browser may cache a preflight answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// Adds the security headers to every answer that does not set its own: a route with other needs
/// (an HTML docs page needs scripts and styles) sets its own Content-Security-Policy — in its
/// handler or with `content_security_policy` as its route layer — and keeps it.
pub fn headers(router: Router, hsts_max_age_secs: Option<u64>) -> Router {
    let router = router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(API_CSP),
        ));
    match hsts_max_age_secs {
        Some(max_age) => {
            // Digits only: always a valid header value.
            let value = HeaderValue::from_str(&format!("max-age={max_age}"))
                .unwrap_or_else(|_| HeaderValue::from_static("max-age=0"));
            router.layer(SetResponseHeaderLayer::if_not_present(header::STRICT_TRANSPORT_SECURITY, value))
        }
        None => router,
    }
}

/// A route layer giving that route's answers their own Content-Security-Policy.
pub fn content_security_policy(policy: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy))
}

/// CORS for exactly `origins` (none: no CORS layer, so no CORS headers at all). No credentials:
/// clients authenticate with a bearer token, not cookies.
pub fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let origins: Vec<HeaderValue> = origins.iter().filter_map(|origin| HeaderValue::from_str(origin).ok()).collect();
    let names = |names: &[&'static str]| names.iter().map(|name| HeaderName::from_static(name)).collect::<Vec<_>>();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::HEAD, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
            .allow_headers(names(&ALLOWED_HEADERS))
            .expose_headers(names(&EXPOSED_HEADERS))
            .max_age(PREFLIGHT_MAX_AGE),
    )
}
