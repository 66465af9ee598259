//! Products: create, update (specs merge; null removes a key), retire.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::product::{self, CreateProduct, Product, UpdateProduct};
use domain::{Aggregate, DomainError};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{check_version, context, written};
use crate::error::ApiError;
use crate::extract::{Admin, JsonBody, OptionalJsonBody, RequestIds};
use crate::service::{Committed, Head};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create)).routes(routes!(update)).routes(routes!(retire))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateProductBody {
    family_id: Uuid,
    name: String,
    /// Generated from the family code and the variant-defining specs when absent.
    sku: Option<String>,
    /// Spec values by attribute key: a number with a unit as `{"value": 24, "unit": "V"}` or a bare
    /// number in the attribute's unit; select values one of its options.
    #[serde(default)]
    #[schema(value_type = Object)]
    specs: Map<String, Value>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateProductBody {
    name: Option<String>,
    /// Merged into the specs; `null` removes a key.
    #[schema(value_type = Option<Object>)]
    specs: Option<Map<String, Value>>,
    expected_version: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RetireProductBody {
    expected_version: Option<i64>,
}

fn product_body(committed: &Committed, id: Uuid) -> Result<Value, ApiError> {
    match committed.head(id) {
        Some(Head { version, state: Aggregate::Product(p) }) => Ok(json!({
            "id": p.id,
            "family_id": p.family_id,
            "sku": p.sku,
            "name": p.name,
            "specs": p.specs,
            "retired": p.retired,
            "version": version,
        })),
        _ => Err(ApiError::NotFound(format!("product {id} does not exist"))),
    }
}

/// Creates a product; its specs are checked against every definition it inherits.
#[utoipa::path(post, path = "/v1/products", tag = "products", security(("bearer" = [])), request_body = CreateProductBody,
    responses((status = 201, description = "Created", body = super::schemas::ProductWritten),
              (status = 404, description = "The family does not exist", body = service_http::openapi::Problem),
              (status = 409, description = "The SKU, or the variant-defining values, are taken", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields and specs, every one listed", body = service_http::openapi::Problem)))]
async fn create(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    JsonBody(body): JsonBody<CreateProductBody>,
) -> Result<Response, ApiError> {
    let id = Uuid::now_v7();
    let ctx = context(&actor, ids);
    let committed = state
        .catalog
        .change_product(&ctx, body.family_id, None, |schema, _| {
            let command =
                CreateProduct { id, name: body.name.clone(), sku: body.sku.clone(), specs: body.specs.clone() };
            product::create(&schema.family, &schema.schema, command)
        })
        .await?;
    Ok(written(StatusCode::CREATED, committed.position, product_body(&committed, id)?))
}

/// The product's head and state, or 404.
async fn existing(state: &AppState, id: Uuid) -> Result<(Head, Product), ApiError> {
    let head =
        state.catalog.product(id).await?.ok_or_else(|| ApiError::NotFound(format!("product {id} does not exist")))?;
    match &head.state {
        Aggregate::Product(p) => Ok((head.clone(), p.clone())),
        _ => Err(ApiError::NotFound(format!("product {id} does not exist"))),
    }
}

/// Renames a product or changes its specs (merged; `null` removes a key).
#[utoipa::path(patch, path = "/v1/products/{id}", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The product")), request_body = UpdateProductBody,
    responses((status = 200, description = "Updated", body = super::schemas::ProductWritten),
              (status = 404, description = "No such product", body = service_http::openapi::Problem),
              (status = 409, description = "Stale expected_version, or the variant-defining values are taken", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields and specs, every one listed", body = service_http::openapi::Problem)))]
async fn update(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(id): Path<Uuid>,
    JsonBody(body): JsonBody<UpdateProductBody>,
) -> Result<Response, ApiError> {
    let (head, current) = existing(&state, id).await?;
    check_version(body.expected_version, head.version)?;
    let ctx = context(&actor, ids);
    let committed = state
        .catalog
        .change_product(&ctx, current.family_id, Some(head), |schema, product| {
            let product = product.ok_or_else(|| DomainError::not_found("product", id))?;
            let command = UpdateProduct { name: body.name.clone(), specs: body.specs.clone() };
            product::update(product, &schema.family, &schema.schema, command)
        })
        .await?;
    Ok(written(StatusCode::OK, committed.position, product_body(&committed, id)?))
}

/// Retires a product: hidden from browse and search, kept in history. The body is optional.
#[utoipa::path(post, path = "/v1/products/{id}/retire", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The product")),
    request_body(content = Option<RetireProductBody>, description = "Optional: `{\"expected_version\": N}`"),
    responses((status = 200, description = "Retired", body = super::schemas::ProductWritten),
              (status = 404, description = "No such product", body = service_http::openapi::Problem),
              (status = 409, description = "Stale expected_version", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields", body = service_http::openapi::Problem)))]
async fn retire(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(id): Path<Uuid>,
    OptionalJsonBody(body): OptionalJsonBody<RetireProductBody>,
) -> Result<Response, ApiError> {
    let (head, _) = existing(&state, id).await?;
    check_version(body.and_then(|b| b.expected_version), head.version)?;
    let ctx = context(&actor, ids);
    let committed = state
        .catalog
        .change_loaded(&ctx, [(id, head)].into_iter().collect(), |heads| match heads.get(&id).map(|h| &h.state) {
            Some(Aggregate::Product(p)) => product::retire(p),
            _ => Err(DomainError::not_found("product", id)),
        })
        .await?;
    Ok(written(StatusCode::OK, committed.position, product_body(&committed, id)?))
}
