//! Attribute definitions on categories and families: define or replace (PUT), remove (DELETE).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::category::CategoryCommand;
use domain::{family, Aggregate, DefinitionInput};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{context, written};
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
    request_body = super::schemas::DefinitionInput,
    responses((status = 200, description = "Replaced", body = super::schemas::AttributeWritten),
              (status = 201, description = "Defined", body = super::schemas::AttributeWritten),
              (status = 404, description = "No such category", body = service_http::openapi::Problem),
              (status = 409, description = "The definition conflicts with products or definitions below", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid definition, every problem listed", body = service_http::openapi::Problem)))]
async fn define_on_category(
    state: State<AppState>,
    admin: Admin,
    ids: RequestIds,
    Path((id, key)): Path<(Uuid, String)>,
    input: JsonBody<DefinitionInput>,
) -> Result<Response, ApiError> {
    define(state, admin, ids, Owner::Category, id, key, input).await
}

/// Removes an attribute definition from a category.
#[utoipa::path(delete, path = "/v1/categories/{id}/attributes/{key}", tag = "attributes", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The category"), ("key" = String, Path, description = "The attribute key")),
    responses((status = 200, description = "Removed (`attribute` is null)", body = super::schemas::AttributeWritten),
              (status = 404, description = "No such category or definition", body = service_http::openapi::Problem)))]
async fn remove_from_category(
    state: State<AppState>,
    admin: Admin,
    ids: RequestIds,
    Path((id, key)): Path<(Uuid, String)>,
) -> Result<Response, ApiError> {
    remove(state, admin, ids, Owner::Category, id, key).await
}

/// Defines or replaces an attribute of a family, overriding an inherited one with the same key.
#[utoipa::path(put, path = "/v1/families/{id}/attributes/{key}", tag = "attributes", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The family"), ("key" = String, Path, description = "The attribute key")),
    request_body = super::schemas::DefinitionInput,
    responses((status = 200, description = "Replaced", body = super::schemas::AttributeWritten),
              (status = 201, description = "Defined", body = super::schemas::AttributeWritten),
              (status = 404, description = "No such family", body = service_http::openapi::Problem),
              (status = 409, description = "The definition conflicts with the family's products", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid definition, every problem listed", body = service_http::openapi::Problem)))]
async fn define_on_family(
    state: State<AppState>,
    admin: Admin,
    ids: RequestIds,
    Path((id, key)): Path<(Uuid, String)>,
    input: JsonBody<DefinitionInput>,
) -> Result<Response, ApiError> {
    define(state, admin, ids, Owner::Family, id, key, input).await
}

/// Removes a family's own attribute definition (an inherited one applies again).
#[utoipa::path(delete, path = "/v1/families/{id}/attributes/{key}", tag = "attributes", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The family"), ("key" = String, Path, description = "The attribute key")),
    responses((status = 200, description = "Removed (`attribute` is null)", body = super::schemas::AttributeWritten),
              (status = 404, description = "No such family or definition", body = service_http::openapi::Problem)))]
async fn remove_from_family(
    state: State<AppState>,
    admin: Admin,
    ids: RequestIds,
    Path((id, key)): Path<(Uuid, String)>,
) -> Result<Response, ApiError> {
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
) -> Result<Response, ApiError> {
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
) -> Result<Response, ApiError> {
    let committed = state
        .catalog
        .change_structure(&context(&actor, ids), &owner.extra(id), |tree, heads| match owner {
            Owner::Category => Ok(tree.decide(CategoryCommand::RemoveAttribute { id, key: key.clone() })?),
            Owner::Family => Ok(family::remove_attribute(family_of(heads.get(&id), id)?, &key)?),
        })
        .await?;
    answer(StatusCode::OK, &committed, id, &key)
}

/// The owner's new version and the definition as it now stands there (null once removed).
fn answer(status: StatusCode, committed: &Committed, owner: Uuid, key: &str) -> Result<Response, ApiError> {
    let head = committed.head(owner).ok_or_else(|| ApiError::NotFound(format!("{owner} does not exist")))?;
    let definition = match &head.state {
        Aggregate::Category(c) => c.attributes.get(key),
        Aggregate::Family(f) => f.attributes.get(key),
        _ => None,
    };
    let body = json!({ "owner_id": owner, "key": key, "attribute": definition, "version": head.version });
    Ok(written(status, committed.position, body))
}
