//! `GET /v1/search`: ranked, spec-aware search and browse with facets (see `crate::search`).

use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::Value;

use crate::error::ApiError;
use crate::freshness::ReadAt;
use crate::search::{params, search};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/search", get(handle))
}

#[tracing::instrument(skip_all, fields(query = query.as_deref().unwrap_or_default()))]
async fn handle(
    State(state): State<AppState>,
    Extension(read_at): Extension<ReadAt>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let raw = params::read(query.as_deref().unwrap_or_default()).map_err(ApiError::Invalid)?;
    let found = search(&state.read, &state.filterables, &raw, read_at.wanted, read_at.position).await?;
    Ok(Json(found))
}
