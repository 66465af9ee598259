//! The HTTP surface: one module per resource, each with its own `router()`.

mod categories;
mod health;
mod products;
mod search;

use axum::Router;
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(categories::router())
        .merge(products::router())
        .merge(search::router())
        .merge(health::router())
        .fallback(|| async { ApiError::NotFound("no such endpoint".into()) })
}

/// Ids in paths must be UUIDs; anything else is a malformed request, not a missing resource.
fn parse_id(text: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(text).map_err(|_| ApiError::bad_request("id", "invalid_uuid", format!("{text:?} is not a UUID")))
}
