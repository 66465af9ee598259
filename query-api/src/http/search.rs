//! `GET /v1/search`: ranked, spec-aware search and browse with facets (see `crate::search`).

use axum::extract::{RawQuery, State};
use axum::{Extension, Json};
use domain::search::SearchQuery;
use serde::{Deserialize, Serialize};
use service_http::Clipped;
use sqlx::types::Json as JsonColumn;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::ApiError;
use crate::freshness::ReadAt;
use crate::search::answer::SearchResults;
use crate::search::suggest::Suggestions;
use crate::search::{params, search, suggest};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(handle)).routes(routes!(suggest)).routes(routes!(synonyms))
}

/// Ranked, spec-aware search, or a browse when `q` is empty, with exact totals, facet counts and
/// numeric ranges over every match. Any other parameter is refused (422).
///
/// Filters, named after attribute keys (so not listed as parameters, whose names are fixed):
/// - `filter.KEY=VALUE` (`filter.material=A2`): only products whose filterable attribute KEY has
///   VALUE (select and text values; `true`/`false` for booleans; a number, with or without a unit,
///   for numbers). Repeat a key for any of several values.
/// - `range.KEY=MIN..MAX` (`range.voltage=12V..48V`): only products whose numeric attribute KEY
///   lies in the range, either bound optional and each with or without a unit.
///
/// A KEY that is not a filterable attribute of the scope is refused (422, `unknown_filter`).
#[utoipa::path(get, path = "/v1/search", tag = "search", security((), ("bearer" = [])),
    params(
        ("q" = Option<String>, Query, max_length = 512,
            description = "Words, part numbers and spec values (\"M12 stainless\", \"24V motor\"): at most 512 characters \
                           and 32 search terms (a thread such as M12x1.75 or a hyphenated code counts as two); a longer \
                           query is refused (422, `query_too_long` or `too_many_terms`). A word is matched by at most its \
                           first 2,047 bytes, as products' words are indexed."),
        ("category_id" = Option<Uuid>, Query, description = "Only this category and those below it"),
        ("page" = Option<i64>, Query, minimum = 1, maximum = 4_294_967_295_i64,
            description = "From 1 (default 1). Only the first 300 results are served: a page ending beyond them is a 404 (`beyond_results`)"),
        ("per_page" = Option<i64>, Query, minimum = 1, maximum = 4_294_967_295_i64, description = "Default 20; above 100 is capped at 100"),
    ),
    responses((status = 200, description = "One page of results", body = SearchResults),
              (status = 404, description = "category_id names no category, or the page ends beyond the first 300 results", body = service_http::openapi::Problem),
              (status = 422, description = "Unknown or malformed parameters, filters and ranges, and q beyond its bounds, every one listed", body = service_http::openapi::Problem)))]
#[tracing::instrument(skip_all, fields(query = %Clipped(query.as_deref().unwrap_or_default())))]
async fn handle(
    State(state): State<AppState>,
    Extension(read_at): Extension<ReadAt>,
    RawQuery(query): RawQuery,
) -> Result<Json<SearchResults>, ApiError> {
    let raw = params::read(query.as_deref().unwrap_or_default()).map_err(ApiError::Invalid)?;
    let found = search(&state.read, &state.media, &state.search, &raw, read_at.wanted, read_at.position).await?;
    Ok(Json(found))
}

/// Autocomplete: categories, brands, families and products whose terms start with what has
/// been typed (every word but the last must match whole).
#[utoipa::path(get, path = "/v1/search/suggest", tag = "search",
    params(("q" = Option<String>, Query, max_length = 512,
        description = "The text typed so far (from 2 characters): at most 512 characters and 32 search terms, as for \
                       `/v1/search`; a longer one is refused (422, `query_too_long` or `too_many_terms`)")),
    responses((status = 200, description = "Suggestions of each kind", body = Suggestions),
              (status = 422, description = "A parameter other than q, or q beyond its bounds", body = service_http::openapi::Problem)))]
#[tracing::instrument(skip_all)]
async fn suggest(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Json<Suggestions>, ApiError> {
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
    let q = SearchQuery::parse("q", &q).map_err(|error| ApiError::Invalid(vec![error]))?;
    Ok(Json(suggest::suggest(&state.read, &q).await?))
}

/// A set of phrases searches treat as one.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct SynonymSet {
    id: Uuid,
    phrases: Vec<String>,
    version: i64,
}

#[derive(Serialize, ToSchema)]
pub struct SynonymSets {
    synonyms: Vec<SynonymSet>,
}

/// The synonym sets searches apply, oldest first.
#[utoipa::path(get, path = "/v1/synonyms", tag = "synonyms",
    responses((status = 200, description = "The sets", body = SynonymSets)))]
async fn synonyms(State(state): State<AppState>) -> Result<Json<SynonymSets>, ApiError> {
    let JsonColumn(synonyms): JsonColumn<Vec<SynonymSet>> = sqlx::query_scalar(
        "SELECT coalesce(json_agg(json_build_object('id', id, 'phrases', phrases, 'version', version) \
                 ORDER BY position), '[]') FROM catalog.synonyms WHERE NOT removed",
    )
    .fetch_one(&state.read)
    .await?;
    Ok(Json(SynonymSets { synonyms }))
}
