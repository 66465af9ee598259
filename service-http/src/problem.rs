//! application/problem+json answers (API.md), and the layer that turns the bare error answers of
//! the plumbing (axum's 404/405, the body limit's 413, the timeout's 503) into them.

use axum::body::HttpBody;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::FieldError;

use crate::openapi::Problem;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Plain-text error bodies at most this long become the problem's detail; longer ones are dropped.
const MAX_TEXT_DETAIL: u64 = 1024;

/// An application/problem+json answer (API.md): `slug` names the problem type.
pub fn problem(status: StatusCode, slug: &str, title: &str, detail: &str, errors: &[FieldError]) -> Response {
    let body = Problem {
        problem_type: format!("https://ferrule.dev/problems/{slug}"),
        title: title.to_owned(),
        status: status.as_u16(),
        detail: detail.to_owned(),
        errors: errors.to_vec(),
    };
    let body = serde_json::to_string(&body).unwrap_or_else(|_| String::from("{}"));
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
}

/// The detail a 5xx answer carries: never the internal cause, which is logged here instead.
pub fn internal_detail(error: &impl std::fmt::Debug) -> String {
    tracing::error!(error = ?error, "request failed");
    "the server could not complete the request; it has been logged".to_owned()
}

/// Middleware: an error answer (4xx, 5xx) that is not problem+json already — those the router,
/// the body limit and the timeout make themselves — becomes one, keeping its status and headers
/// (`Allow`, `Retry-After`, …); a short plain-text body becomes the detail.
pub async fn bare_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_problem(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let plain = content_type(&parts.headers).starts_with("text/plain");
    let text = match body.size_hint().upper() {
        Some(size) if plain && size <= MAX_TEXT_DETAIL => axum::body::to_bytes(body, MAX_TEXT_DETAIL as usize)
            .await
            .ok()
            .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
            .filter(|text| !text.trim().is_empty()),
        _ => None,
    };
    let (slug, default_detail) = describe(status);
    let detail = text.unwrap_or_else(|| default_detail.to_owned());
    let title = status.canonical_reason().unwrap_or("Error");
    let mut answer = problem(status, slug, title, &detail, &[]);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_TYPE);
    // Every value of every other header, several `Vary` or `Allow` lines included.
    answer.headers_mut().extend(parts.headers);
    answer
}

fn content_type(headers: &axum::http::HeaderMap) -> &str {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("")
}

fn is_problem(response: &Response) -> bool {
    content_type(response.headers()).starts_with(PROBLEM_JSON)
}

/// The problem type and a default detail of the statuses the plumbing answers by itself.
fn describe(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::NOT_FOUND => ("not-found", "no such endpoint"),
        StatusCode::METHOD_NOT_ALLOWED => ("method-not-allowed", "the endpoint does not accept this method; see Allow"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload-too-large", "the request body is too large"),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "the request took too long to arrive"),
        StatusCode::SERVICE_UNAVAILABLE => ("unavailable", "the request took too long; retry it shortly"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported-media-type", "send the body as application/json"),
        s if s.is_server_error() => ("internal", "the server could not complete the request"),
        _ => ("bad-request", "the request was not understood"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    #[tokio::test]
    async fn a_bare_413_becomes_problem_json_with_its_text_as_detail() {
        let app = axum::Router::new()
            .route(
                "/",
                axum::routing::get(|| async {
                    let mut headers = axum::http::HeaderMap::new();
                    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("3"));
                    headers.append(header::VARY, HeaderValue::from_static("origin"));
                    headers.append(header::VARY, HeaderValue::from_static("accept"));
                    (StatusCode::PAYLOAD_TOO_LARGE, headers, "length limit exceeded")
                }),
            )
            .layer(axum::middleware::from_fn(bare_errors));
        let response = tower_oneshot(app, "/").await;
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        assert_eq!(response.headers()[header::RETRY_AFTER], "3", "headers are kept");
        assert_eq!(response.headers().get_all(header::VARY).iter().count(), 2, "with all their values");
        let body = axum::body::to_bytes(response.into_body(), 4096).await.unwrap_or_default();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(body["type"], "https://ferrule.dev/problems/payload-too-large");
        assert_eq!(body["detail"], "length limit exceeded");
        assert_eq!(body["status"], 413);
    }

    #[tokio::test]
    async fn problem_answers_and_successes_pass_untouched() {
        let app = axum::Router::new()
            .route("/ok", axum::routing::get(|| async { "fine" }))
            .route(
                "/problem",
                axum::routing::get(|| async { problem(StatusCode::CONFLICT, "conflict", "Conflict", "taken", &[]) }),
            )
            .layer(axum::middleware::from_fn(bare_errors));
        let ok = tower_oneshot(app.clone(), "/ok").await;
        assert_eq!(ok.status(), StatusCode::OK);
        assert!(ok.headers()[header::CONTENT_TYPE].to_str().unwrap_or("").starts_with("text/plain"));
        let conflict = tower_oneshot(app.clone(), "/problem").await;
        let body = axum::body::to_bytes(conflict.into_body(), 4096).await.unwrap_or_default();
        assert!(String::from_utf8_lossy(&body).contains("\"detail\":\"taken\""));
        let missing = tower_oneshot(app, "/nowhere").await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert_eq!(missing.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
    }

    async fn tower_oneshot(app: axum::Router, path: &str) -> Response {
        use tower::ServiceExt;
        let request = Request::builder().uri(path).body(Body::empty()).unwrap_or_default();
        match app.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }
}
