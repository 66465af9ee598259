//! Ids in paths: a path parameter named `id` or `…_id` (but `external_id`) is a UUID, and anything else is a malformed
//! request — 400, naming the parameter — never a 404 for something that could not exist. It is
//! answered before the handler reads anything (its token, its body), so a bad id is not hidden
//! behind a 401 or a body's 422, and handlers take `Path<Uuid>` knowing it holds.

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{RawPathParams, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use domain::FieldError;
use uuid::Uuid;

use crate::problem::problem;

/// At most this much of a malformed id is repeated in the answer.
const SHOWN_CHARS: usize = 64;

/// A route layer (`route_layer(from_fn(uuids))`): every id parameter of the matched route must
/// be a UUID.
pub async fn uuids(params: Result<RawPathParams, RawPathParamsRejection>, request: Request, next: Next) -> Response {
    if let Ok(params) = &params {
        for (name, value) in params {
            if is_id(name) && Uuid::parse_str(value).is_err() {
                return malformed(name, value);
            }
        }
    }
    next.run(request).await
}

/// Whether a path parameter names an entity by id. `external_id` does not: it is the source
/// system's key, any text (`PUT …/by-external-id/{external_id}`).
pub fn is_id(name: &str) -> bool {
    name == "id" || (name.ends_with("_id") && name != "external_id")
}

/// The 400 problem for path parameter `name` holding `value`, which is no UUID.
pub fn malformed(name: &str, value: &str) -> Response {
    let mut shown: String = value.chars().take(SHOWN_CHARS).collect();
    if shown.len() < value.len() {
        shown.push('…');
    }
    let message = format!("the path parameter {name} must be a UUID; {shown:?} is not one");
    let errors = [FieldError::new(name, "invalid_uuid", message.clone())];
    problem(StatusCode::BAD_REQUEST, "bad-request", "Bad request", &message, &errors)
}
