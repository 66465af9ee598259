//! Synonym sets for search: `POST /v1/synonyms` defines one, `PUT /v1/synonyms/{id}` replaces its
//! phrases, `DELETE /v1/synonyms/{id}` removes it. Each is an event with its actor; the query API
//! applies the sets to queries once projected.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{post, put};
use axum::Router;
use domain::synonyms::{self, SynonymSet};
use domain::{Aggregate, DomainError};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{check_version, context, parse_id, written};
use crate::error::ApiError;
use crate::extract::{Admin, JsonBody, RequestIds};
use crate::service::{Committed, Head};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/synonyms", post(create)).route("/v1/synonyms/{id}", put(replace).delete(remove))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Phrases {
    phrases: Vec<String>,
    #[serde(default)]
    expected_version: Option<i64>,
}

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

async fn replace(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Phrases>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "synonym set")?;
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

async fn remove(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "synonym set")?;
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
