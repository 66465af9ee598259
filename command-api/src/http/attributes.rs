//! Attribute definitions on categories and families: define or replace (PUT), remove (DELETE).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::category::CategoryCommand;
use domain::{family, Aggregate, AttributeDefinition, DefinitionInput};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{context, written, Answer, Written};
use crate::error::ApiError;
use crate::extract::{Admin, JsonBody, RequestIds};
use crate::service::{Committed, Head};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(define_on_category, remove_from_category))
        .routes(routes!(define_on_family, remove_from_family))
}

/// Defines or replaces an attribute of a category; it is inherited by the categories and families
/// below unless they override the key.
#[utoipa::path(put, path = "/v1/categories/{id}/attributes/{key}", tag = "attributes", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The category"), ("key" = String, Path, description = "The attribute key")),
    request_body = DefinitionInput,
    responses((status = 200, description = "Replaced", body = Written<AttributeRecord>),
              (status = 201, description = "Defined", body = Written<AttributeRecord>),
              (status = 404, description = "No such category", body = service_http::openapi::Problem),
              (status = 409, description = "The definition conflicts with products or definitions below", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid definition, every problem listed", body = service_http::openapi::Problem)))]
async fn define_on_category(
    state: State<AppState>,
    admin: Admin,
    ids: RequestIds,
    Path((id, key)): Path<(Uuid, String)>,
    input: JsonBody<DefinitionInput>,
) -> Result<Answer<Written<AttributeRecord>>, ApiError> {
    define(state, admin, ids, Owner::Category, id, key, input).await
}

/// Removes an attribute definition from a category.
#[utoipa::path(delete, path = "/v1/categories/{id}/attributes/{key}", tag = "attributes", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The category"), ("key" = String, Path, description = "The attribute key")),
    responses((status = 200, description = "Removed (`attribute` is null)", body = Written<AttributeRecord>),
              (status = 404, description = "No such category or definition", body = service_http::openapi::Problem)))]
async fn remove_from_category(
    state: State<AppState>,
    admin: Admin,
    ids: RequestIds,
    Path((id, key)): Path<(Uuid, String)>,
) -> Result<Answer<Written<AttributeRecord>>, ApiError> {
    remove(state, admin, ids, Owner::Category, id, key).await
}

/// Defines or replaces an attribute of a family, overriding an inherited one with the same key.
#[utoipa::path(put, path = "/v1/families/{id}/attributes/{key}", tag = "attributes", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The family"), ("key" = String, Path, description = "The attribute key")),
    request_body = DefinitionInput,
    responses((status = 200, description = "Replaced", body = Written<AttributeRecord>),
              (status = 201, description = "Defined", body = Written<AttributeRecord>),
              (status = 404, description = "No such family", body = service_http::openapi::Problem),
              (status = 409, description = "The definition conflicts with the family's products", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid definition, every problem listed", body = service_http::openapi::Problem)))]
async fn define_on_family(
    state: State<AppState>,
    admin: Admin,
    ids: RequestIds,
    Path((id, key)): Path<(Uuid, String)>,
    input: JsonBody<DefinitionInput>,
) -> Result<Answer<Written<AttributeRecord>>, ApiError> {
    define(state, admin, ids, Owner::Family, id, key, input).await
}

/// Removes a family's own attribute definition (an inherited one applies again).
#[utoipa::path(delete, path = "/v1/families/{id}/attributes/{key}", tag = "attributes", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The family"), ("key" = String, Path, description = "The attribute key")),
    responses((status = 200, description = "Removed (`attribute` is null)", body = Written<AttributeRecord>),
              (status = 404, description = "No such family or definition", body = service_http::openapi::Problem)))]
async fn remove_from_family(
    state: State<AppState>,
    admin: Admin,
    ids: RequestIds,
    Path((id, key)): Path<(Uuid, String)>,
) -> Result<Answer<Written<AttributeRecord>>, ApiError> {
    remove(state, admin, ids, Owner::Family, id, key).await
}

/// Where a definition lives.
#[derive(Clone, Copy)]
enum Owner {
    Category,
    Family,
}

impl Owner {
    /// The streams to load besides the category tree.
    fn extra(self, id: Uuid) -> Vec<Uuid> {
        match self {
            Owner::Category => Vec::new(),
            Owner::Family => vec![id],
        }
    }
}

fn family_of(head: Option<&Head>, id: Uuid) -> Result<&domain::family::Family, ApiError> {
    match head.map(|h| &h.state) {
        Some(Aggregate::Family(family)) => Ok(family),
        _ => Err(ApiError::NotFound(format!("family {id} does not exist"))),
    }
}

#[allow(clippy::too_many_arguments)]
async fn define(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    owner: Owner,
    id: Uuid,
    key: String,
    JsonBody(input): JsonBody<DefinitionInput>,
) -> Result<Answer<Written<AttributeRecord>>, ApiError> {
    let mut existed = false;
    let committed = state
        .catalog
        .change_structure(&context(&actor, ids), &owner.extra(id), |tree, heads| match owner {
            Owner::Category => {
                existed = tree.get(id).is_some_and(|c| c.attributes.contains_key(key.as_str()));
                Ok(tree.decide(CategoryCommand::DefineAttribute { id, key: key.clone(), input })?)
            }
            Owner::Family => {
                let family = family_of(heads.get(&id), id)?;
                existed = family.attributes.contains_key(key.as_str());
                Ok(family::define_attribute(tree, family, &key, input)?)
            }
        })
        .await?;
    answer(if existed { StatusCode::OK } else { StatusCode::CREATED }, &committed, id, &key)
}

async fn remove(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    owner: Owner,
    id: Uuid,
    key: String,
) -> Result<Answer<Written<AttributeRecord>>, ApiError> {
    let committed = state
        .catalog
        .change_structure(&context(&actor, ids), &owner.extra(id), |tree, heads| match owner {
            Owner::Category => Ok(tree.decide(CategoryCommand::RemoveAttribute { id, key: key.clone() })?),
            Owner::Family => Ok(family::remove_attribute(family_of(heads.get(&id), id)?, &key)?),
        })
        .await?;
    answer(StatusCode::OK, &committed, id, &key)
}

/// The answer to a definition being defined or removed.
#[derive(Serialize, ToSchema)]
pub struct AttributeRecord {
    /// The category or family.
    owner_id: Uuid,
    key: String,
    /// The definition as it now stands there (null once removed).
    attribute: Option<AttributeDefinition>,
    /// The owner's new version.
    #[schema(minimum = 1)]
    version: i64,
}

/// The owner's new version and the definition as it now stands there (null once removed).
fn answer(
    status: StatusCode,
    committed: &Committed,
    owner: Uuid,
    key: &str,
) -> Result<Answer<Written<AttributeRecord>>, ApiError> {
    let head = committed.head(owner).ok_or_else(|| ApiError::NotFound(format!("{owner} does not exist")))?;
    let definition = match &head.state {
        Aggregate::Category(c) => c.attributes.get(key),
        Aggregate::Family(f) => f.attributes.get(key),
        _ => None,
    };
    let body =
        AttributeRecord { owner_id: owner, key: key.to_owned(), attribute: definition.cloned(), version: head.version };
    Ok(written(status, committed.position, body))
}
