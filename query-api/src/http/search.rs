//! `GET /v1/search`: ranked, spec-aware search and browse with facets (see `crate::search`).

use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::Value;

use crate::error::ApiError;
use crate::freshness::ReadAt;
use crate::search::{params, search, suggest};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/search", get(handle))
        .route("/v1/search/suggest", get(suggest))
        .route("/v1/synonyms", get(synonyms))
}

#[tracing::instrument(skip_all, fields(query = query.as_deref().unwrap_or_default()))]
async fn handle(
    State(state): State<AppState>,
    Extension(read_at): Extension<ReadAt>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let raw = params::read(query.as_deref().unwrap_or_default()).map_err(ApiError::Invalid)?;
    let found = search(&state.read, &state.search, &raw, read_at.wanted, read_at.position).await?;
    Ok(Json(found))
}

/// Autocomplete: `q` is what has been typed so far.
#[tracing::instrument(skip_all)]
async fn suggest(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Json<Value>, ApiError> {
    let mut q = String::new();
    for (name, value) in form_urlencoded::parse(query.as_deref().unwrap_or_default().as_bytes()) {
        match name.as_ref() {
            "q" => q = value.into_owned(),
            other => {
                return Err(ApiError::Invalid(vec![domain::FieldError::new(
                    other,
                    "unknown_parameter",
                    format!("{other:?} is not a parameter of suggest: give q, the text typed so far"),
                )]))
            }
        }
    }
    Ok(Json(suggest::suggest(&state.read, &q).await?))
}

/// The synonym sets searches apply, oldest first.
async fn synonyms(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let sets: Value = sqlx::query_scalar(
        "SELECT coalesce(json_agg(json_build_object('id', id, 'phrases', phrases, 'version', version) \
                 ORDER BY position), '[]') FROM catalog.synonyms WHERE NOT removed",
    )
    .fetch_one(&state.read)
    .await?;
    Ok(Json(serde_json::json!({ "synonyms": sets })))
}
