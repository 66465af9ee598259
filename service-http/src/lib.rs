//! HTTP plumbing the command API and the query API share: the outer layers every response goes
//! through (request id, trace span, timeout), application/problem+json bodies, and waiting for
//! the signal to stop.

use std::time::Duration;

use axum::http::{header, HeaderName, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use domain::FieldError;
use serde_json::json;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub const REQUEST_ID: &str = "x-request-id";

/// The layers around every route: a request taking longer than `timeout` is answered 503; each
/// request is traced in a span carrying its id; `X-Request-Id` is the client's or a new one, and
/// is echoed on the response.
pub fn outer_layers(router: Router, timeout: Duration) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID);
    router
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, timeout))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %request.method(), uri = %request.uri(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// An application/problem+json answer (API.md): `slug` names the problem type.
pub fn problem(status: StatusCode, slug: &str, title: &str, detail: &str, errors: &[FieldError]) -> Response {
    let body = json!({
        "type": format!("https://ferrule.dev/problems/{slug}"),
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
        "errors": errors,
    });
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    response
}

/// The detail a 5xx answer carries: never the internal cause, which is logged here instead.
pub fn internal_detail(error: &impl std::fmt::Debug) -> String {
    tracing::error!(error = ?error, "request failed");
    "the server could not complete the request; it has been logged".to_owned()
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
