//! Bounded request headers: hyper buffers up to ~400 KiB of them, far more than any client of
//! Ferrule sends, so a request whose headers are larger than an edge proxy would pass is answered
//! 431 problem+json here too, before any handler (or the rate limiter, or a token check) reads
//! them. The limits are nginx's defaults (`large_client_header_buffers 4 8k`): a service behind
//! no proxy refuses what one behind the edge could never receive.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

use crate::problem;

/// The longest one header line (name, `: `, value) may be.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;
/// The most all header lines together may hold.
pub const MAX_HEADERS_BYTES: usize = 32 * 1024;

/// Middleware (`from_fn(bounded)`): 431 for a header line over `MAX_HEADER_BYTES` or headers over
/// `MAX_HEADERS_BYTES` in all.
pub async fn bounded(request: Request, next: Next) -> Response {
    let mut total = 0;
    for (name, value) in request.headers() {
        let line = name.as_str().len() + 2 + value.len();
        total += line + 2;
        if line > MAX_HEADER_BYTES {
            let detail = format!("the {name} header is over {MAX_HEADER_BYTES} bytes");
            return too_large(&detail);
        }
    }
    if total > MAX_HEADERS_BYTES {
        return too_large(&format!("the request's headers are over {MAX_HEADERS_BYTES} bytes in all"));
    }
    next.run(request).await
}

fn too_large(detail: &str) -> Response {
    let status = StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE;
    problem(status, "headers-too-large", "Request headers too large", detail, &[])
}
