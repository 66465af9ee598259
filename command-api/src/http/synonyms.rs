//! Synonym sets for search: `POST /v1/synonyms` defines one, `PUT /v1/synonyms/{id}` replaces its
//! phrases, `DELETE /v1/synonyms/{id}` removes it. Each is an event with its actor; the query API
//! applies the sets to queries once projected.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::synonyms::{self, SynonymSet};
use domain::{Aggregate, DomainError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{check_version, context, written, Answer, Written};
use crate::error::ApiError;
use crate::extract::{Admin, JsonBody, RequestIds};
use crate::service::{Committed, Head};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create)).routes(routes!(replace, remove))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Phrases {
    /// Phrases a search treats as one ("stainless", "A2", "inox"): 2 to 20, each a name of at
    /// most 100 characters with search terms, no two alike.
    #[schema(schema_with = phrases)]
    phrases: Vec<String>,
    #[serde(default)]
    expected_version: Option<i64>,
}

fn phrases() -> utoipa::openapi::Array {
    utoipa::openapi::ArrayBuilder::new()
        .items(domain::openapi::names::max_100())
        .min_items(Some(synonyms::PHRASES_MIN))
        .max_items(Some(synonyms::PHRASES_MAX))
        .unique_items(true)
        .build()
}

/// Defines a synonym set.
#[utoipa::path(post, path = "/v1/synonyms", tag = "synonyms", security(("bearer" = [])), request_body = Phrases,
    responses((status = 201, description = "Defined", body = Written<SynonymSetRecord>),
              (status = 422, description = "Invalid phrases, each listed", body = service_http::openapi::Problem)))]
async fn create(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    JsonBody(body): JsonBody<Phrases>,
) -> Result<Answer<Written<SynonymSetRecord>>, ApiError> {
    let id = Uuid::now_v7();
    let ctx = context(&actor, ids);
    let committed = state.catalog.change_streams(&ctx, &[], |_| Ok(synonyms::define(None, id, &body.phrases)?)).await?;
    Ok(written(StatusCode::CREATED, committed.position, set_body(&committed, id)?))
}

/// Replaces the phrases of a synonym set.
#[utoipa::path(put, path = "/v1/synonyms/{id}", tag = "synonyms", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The synonym set")), request_body = Phrases,
    responses((status = 200, description = "Replaced", body = Written<SynonymSetRecord>),
              (status = 404, description = "No such synonym set", body = service_http::openapi::Problem),
              (status = 409, description = "Stale expected_version, or the set was removed", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid phrases, each listed", body = service_http::openapi::Problem)))]
async fn replace(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(id): Path<Uuid>,
    JsonBody(body): JsonBody<Phrases>,
) -> Result<Answer<Written<SynonymSetRecord>>, ApiError> {
    let ctx = context(&actor, ids);
    let committed = state
        .catalog
        .change_streams(&ctx, &[id], |heads| match heads.get(&id) {
            Some(head @ Head { state: Aggregate::Synonyms(set), .. }) => {
                check_version(body.expected_version, head.version)?;
                Ok(synonyms::define(Some(set), id, &body.phrases)?)
            }
            _ => Err(DomainError::not_found("synonym set", id).into()),
        })
        .await?;
    Ok(written(StatusCode::OK, committed.position, set_body(&committed, id)?))
}

/// Removes a synonym set.
#[utoipa::path(delete, path = "/v1/synonyms/{id}", tag = "synonyms", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The synonym set")),
    responses((status = 200, description = "Removed", body = Written<SynonymSetRecord>),
              (status = 404, description = "No such synonym set", body = service_http::openapi::Problem),
              (status = 409, description = "Already removed", body = service_http::openapi::Problem)))]
async fn remove(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(id): Path<Uuid>,
) -> Result<Answer<Written<SynonymSetRecord>>, ApiError> {
    let ctx = context(&actor, ids);
    let committed = state
        .catalog
        .change_streams(&ctx, &[id], |heads| match heads.get(&id).map(|h| &h.state) {
            Some(Aggregate::Synonyms(set)) => Ok(synonyms::remove(set)?),
            _ => Err(DomainError::not_found("synonym set", id).into()),
        })
        .await?;
    Ok(written(StatusCode::OK, committed.position, set_body(&committed, id)?))
}

/// A synonym set as a command left it.
#[derive(Serialize, ToSchema)]
pub struct SynonymSetRecord {
    id: Uuid,
    phrases: Vec<String>,
    removed: bool,
    #[schema(minimum = 1)]
    version: i64,
}

fn set_body(committed: &Committed, id: Uuid) -> Result<SynonymSetRecord, ApiError> {
    match committed.head(id) {
        Some(head) => match &head.state {
            Aggregate::Synonyms(SynonymSet { phrases, removed, .. }) => {
                Ok(SynonymSetRecord { id, phrases: phrases.clone(), removed: *removed, version: head.version })
            }
            _ => Err(ApiError::Internal(anyhow::anyhow!("stream {id} is not a synonym set"))),
        },
        None => Err(ApiError::Internal(anyhow::anyhow!("synonym set {id} was not written"))),
    }
}
