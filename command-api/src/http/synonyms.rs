//! Synonym sets for search: `POST /v1/synonyms` defines one, `PUT /v1/synonyms/{id}` replaces its
//! phrases, `DELETE /v1/synonyms/{id}` removes it. Each is an event with its actor; the query API
//! applies the sets to queries once projected.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::synonyms::{self, SynonymSet};
use domain::{Aggregate, DomainError};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{check_version, context, written};
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
    /// Phrases a search treats as one ("stainless", "A2", "inox").
    phrases: Vec<String>,
    #[serde(default)]
    expected_version: Option<i64>,
}

/// Defines a synonym set.
#[utoipa::path(post, path = "/v1/synonyms", tag = "synonyms", security(("bearer" = [])), request_body = Phrases,
    responses((status = 201, description = "Defined", body = super::schemas::SynonymSetWritten),
              (status = 422, description = "Invalid phrases, each listed", body = service_http::openapi::Problem)))]
async fn create(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    JsonBody(body): JsonBody<Phrases>,
) -> Result<Response, ApiError> {
    let id = Uuid::now_v7();
    let ctx = context(&actor, ids);
    let committed = state.catalog.change_streams(&ctx, &[], |_| Ok(synonyms::define(None, id, &body.phrases)?)).await?;
    Ok(written(StatusCode::CREATED, committed.position, set_body(&committed, id)?))
}

/// Replaces the phrases of a synonym set.
#[utoipa::path(put, path = "/v1/synonyms/{id}", tag = "synonyms", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The synonym set")), request_body = Phrases,
    responses((status = 200, description = "Replaced", body = super::schemas::SynonymSetWritten),
              (status = 404, description = "No such synonym set", body = service_http::openapi::Problem),
              (status = 409, description = "Stale expected_version, or the set was removed", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid phrases, each listed", body = service_http::openapi::Problem)))]
async fn replace(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(id): Path<Uuid>,
    JsonBody(body): JsonBody<Phrases>,
) -> Result<Response, ApiError> {
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
    responses((status = 200, description = "Removed", body = super::schemas::SynonymSetWritten),
              (status = 404, description = "No such synonym set", body = service_http::openapi::Problem),
              (status = 409, description = "Already removed", body = service_http::openapi::Problem)))]
async fn remove(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
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

fn set_body(committed: &Committed, id: Uuid) -> Result<Value, ApiError> {
    match committed.head(id) {
        Some(head) => match &head.state {
            Aggregate::Synonyms(SynonymSet { phrases, removed, .. }) => {
                Ok(json!({ "id": id, "phrases": phrases, "removed": removed, "version": head.version }))
            }
            _ => Err(ApiError::Internal(anyhow::anyhow!("stream {id} is not a synonym set"))),
        },
        None => Err(ApiError::Internal(anyhow::anyhow!("synonym set {id} was not written"))),
    }
}
