//! Product families and their own attribute definitions.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{post, put};
use axum::Router;
use domain::family::{self, CreateFamily, Family};
use domain::{Aggregate, DefinitionInput};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::categories::attribute_answer;
use super::{context, parse_id, written};
use crate::error::ApiError;
use crate::extract::{Actor, JsonBody, RequestIds};
use crate::service::Head;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/families", post(create))
        .route("/v1/families/{id}/attributes/{key}", put(define_attribute).delete(remove_attribute))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateFamilyBody {
    category_id: Uuid,
    brand_id: Option<Uuid>,
    name: String,
    /// The short code SKUs start with; derived from the name when absent.
    code: Option<String>,
}

async fn create(
    State(state): State<AppState>,
    actor: Actor,
    ids: RequestIds,
    JsonBody(body): JsonBody<CreateFamilyBody>,
) -> Result<Response, ApiError> {
    let id = Uuid::now_v7();
    let ctx = context(&actor, ids);
    let extra: Vec<Uuid> = body.brand_id.into_iter().collect();
    let committed = state
        .catalog
        .change_structure(&ctx, &extra, |tree, heads| {
            let brand = body.brand_id.and_then(|b| match heads.get(&b).map(|h| &h.state) {
                Some(Aggregate::Brand(brand)) => Some(brand),
                _ => None,
            });
            let command = CreateFamily {
                id,
                category_id: body.category_id,
                brand_id: body.brand_id,
                name: body.name,
                code: body.code,
            };
            Ok(family::create(tree, brand, command)?)
        })
        .await?;
    let family = family_of(committed.head(id), id)?;
    let body = json!({
        "id": id,
        "category_id": family.category_id,
        "brand_id": family.brand_id,
        "name": family.name,
        "code": family.code,
        "version": 1,
    });
    Ok(written(StatusCode::CREATED, committed.position, body))
}

fn family_of(head: Option<&Head>, id: Uuid) -> Result<&Family, ApiError> {
    match head.map(|h| &h.state) {
        Some(Aggregate::Family(family)) => Ok(family),
        _ => Err(ApiError::NotFound(format!("family {id} does not exist"))),
    }
}

async fn define_attribute(
    State(state): State<AppState>,
    actor: Actor,
    ids: RequestIds,
    Path((id, key)): Path<(String, String)>,
    JsonBody(input): JsonBody<DefinitionInput>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "family")?;
    let ctx = context(&actor, ids);
    let mut existed = false;
    let committed = state
        .catalog
        .change_structure(&ctx, &[id], |tree, heads| {
            let family = family_of(heads.get(&id), id)?;
            existed = family.attributes.contains_key(key.as_str());
            Ok(family::define_attribute(tree, family, &key, input)?)
        })
        .await?;
    let status = if existed { StatusCode::OK } else { StatusCode::CREATED };
    attribute_answer(status, &committed, id, &key)
}

async fn remove_attribute(
    State(state): State<AppState>,
    actor: Actor,
    ids: RequestIds,
    Path((id, key)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "family")?;
    let ctx = context(&actor, ids);
    let committed = state
        .catalog
        .change_structure(&ctx, &[id], |_, heads| Ok(family::remove_attribute(family_of(heads.get(&id), id)?, &key)?))
        .await?;
    attribute_answer(StatusCode::OK, &committed, id, &key)
}
