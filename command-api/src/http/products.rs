//! Products: create (or upsert by external id), update (specs merge; null removes a key), retire.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::names::change_external_id;
use domain::product::{self, Product, UpdateProduct};
use domain::specs::Specs;
use domain::{Aggregate, DomainError, StreamType};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{check_version, context, external_id_of, upserted, written, Answer, UpsertWritten, Written};
use crate::error::ApiError;
use crate::extract::{Admin, JsonBody, OptionalJsonBody, RequestIds};
use crate::service::{Committed, Head};
use crate::state::AppState;
use crate::upsert::ProductFields;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create)).routes(routes!(upsert)).routes(routes!(update)).routes(routes!(retire))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateProductBody {
    family_id: Uuid,
    #[schema(schema_with = domain::openapi::names::max_200)]
    name: String,
    /// Generated from the family code and the variant-defining specs when absent.
    sku: Option<String>,
    /// Spec values by attribute key: a number with a unit as `{"value": 24, "unit": "V"}` or a bare
    /// number in the attribute's unit; select values one of its options.
    #[serde(default)]
    #[schema(value_type = Object)]
    specs: Map<String, Value>,
    /// The source system's id: 1 to 128 characters, no control characters, stored trimmed; unique
    /// among products.
    #[schema(schema_with = domain::openapi::names::optional_external_id)]
    external_id: Option<String>,
}

impl CreateProductBody {
    fn fields(&self) -> ProductFields {
        ProductFields {
            family_id: self.family_id,
            name: self.name.clone(),
            sku: self.sku.clone(),
            specs: self.specs.clone(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateProductBody {
    #[schema(schema_with = domain::openapi::names::optional_max_200)]
    name: Option<String>,
    /// Merged into the specs; `null` removes a key.
    #[schema(value_type = Option<Object>)]
    specs: Option<Map<String, Value>>,
    /// A new external id; `null` removes it; absent leaves it.
    #[schema(schema_with = domain::openapi::names::optional_external_id)]
    #[serde(default, deserialize_with = "super::present")]
    external_id: Option<Option<String>>,
    expected_version: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RetireProductBody {
    expected_version: Option<i64>,
}

/// A product as a command left it.
#[derive(Serialize, ToSchema)]
pub struct ProductRecord {
    id: Uuid,
    family_id: Uuid,
    sku: String,
    name: String,
    /// The specs by attribute key, as given and normalized.
    #[schema(value_type = Object)]
    specs: Specs,
    retired: bool,
    /// The source system's id, when the record has one.
    external_id: Option<String>,
    #[schema(minimum = 1)]
    version: i64,
}

fn product_body(committed: &Committed, id: Uuid) -> Result<ProductRecord, ApiError> {
    match committed.head(id) {
        Some(Head { version, state: Aggregate::Product(p) }) => Ok(ProductRecord {
            id: p.id,
            family_id: p.family_id,
            sku: p.sku.as_str().to_owned(),
            name: p.name.clone(),
            specs: p.specs.clone(),
            retired: p.retired,
            external_id: p.external_id.as_ref().map(|e| e.as_str().to_owned()),
            version: *version,
        }),
        _ => Err(ApiError::NotFound(format!("product {id} does not exist"))),
    }
}

/// Creates a product; its specs are checked against every definition it inherits.
#[utoipa::path(post, path = "/v1/products", tag = "products", security(("bearer" = [])), request_body = CreateProductBody,
    responses((status = 201, description = "Created", body = Written<ProductRecord>),
              (status = 404, description = "The family does not exist", body = service_http::openapi::Problem),
              (status = 409, description = "The SKU, or the variant-defining values, are taken", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields and specs, every one listed", body = service_http::openapi::Problem)))]
async fn create(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    JsonBody(body): JsonBody<CreateProductBody>,
) -> Result<Answer<Written<ProductRecord>>, ApiError> {
    let id = Uuid::now_v7();
    let ctx = context(&actor, ids);
    let committed = state.catalog.create_product(&ctx, id, &body.fields(), body.external_id.as_deref()).await?;
    Ok(written(StatusCode::CREATED, committed.position, product_body(&committed, id)?))
}

/// Creates or updates the product the source system knows by `external_id` (the create body,
/// its `external_id` left out or the same). An existing product takes the name and the specs
/// given (merged as `PATCH` merges them: a key left out keeps its value, `null` removes it); its
/// family and a given SKU must be its own (409, the field with code `unchangeable`). When nothing
/// differs, nothing is appended and `outcome` says `unchanged`. Concurrent upserts of one new
/// external id create one product.
#[utoipa::path(put, path = "/v1/products/by-external-id/{external_id}", tag = "products", security(("bearer" = [])),
    params(("external_id" = String, Path, min_length = 1, max_length = 128,
            description = "The source system's id, percent-encoded")),
    request_body = CreateProductBody,
    responses((status = 201, description = "Created (`outcome`: `created`)", body = UpsertWritten<ProductRecord>,
                headers(("Location" = String, description = "The new product"))),
              (status = 200, description = "Updated, or already so (`outcome`: `updated` or `unchanged`)", body = UpsertWritten<ProductRecord>),
              (status = 404, description = "The family does not exist", body = service_http::openapi::Problem),
              (status = 409, description = "The SKU or variant-defining values are taken, the product is retired, or the body names another family or SKU than the product's (`unchangeable`)", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields and specs, every one listed (`invalid_external_id`, `external_id_too_long`, `external_id_mismatch`, …)", body = service_http::openapi::Problem)))]
async fn upsert(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(external_id): Path<String>,
    JsonBody(body): JsonBody<CreateProductBody>,
) -> Result<Answer<UpsertWritten<ProductRecord>>, ApiError> {
    let external_id = external_id_of(&external_id, body.external_id.as_deref())?;
    let ctx = context(&actor, ids);
    let done = state.catalog.upsert_product(&ctx, &external_id, &body.fields()).await?;
    Ok(upserted(&done, "/v1/products", product_body(&done.committed, done.id)?))
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

/// Renames a product, changes its specs (merged; `null` removes a key) or its external id.
#[utoipa::path(patch, path = "/v1/products/{id}", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The product")), request_body = UpdateProductBody,
    responses((status = 200, description = "Updated", body = Written<ProductRecord>),
              (status = 404, description = "No such product", body = service_http::openapi::Problem),
              (status = 409, description = "Stale expected_version, or the variant-defining values or external id are taken", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields and specs, every one listed", body = service_http::openapi::Problem)))]
async fn update(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(id): Path<Uuid>,
    JsonBody(body): JsonBody<UpdateProductBody>,
) -> Result<Answer<Written<ProductRecord>>, ApiError> {
    let (head, current) = existing(&state, id).await?;
    check_version(body.expected_version, head.version)?;
    let ctx = context(&actor, ids);
    let committed = state
        .catalog
        .change_product(&ctx, current.family_id, Some(head), |schema, product| {
            let product = product.ok_or_else(|| DomainError::not_found("product", id))?;
            let command = UpdateProduct { name: body.name.clone(), specs: body.specs.clone() };
            let mut events = product::update(product, &schema.family, &schema.schema, command)?;
            if let Some(given) = &body.external_id {
                let current = product.external_id.as_ref();
                events.extend(change_external_id(id, StreamType::Product, current, given.as_deref())?);
            }
            Ok(events)
        })
        .await?;
    Ok(written(StatusCode::OK, committed.position, product_body(&committed, id)?))
}

/// Retires a product: hidden from browse and search, kept in history. The body is optional.
#[utoipa::path(post, path = "/v1/products/{id}/retire", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The product")),
    request_body(content = Option<RetireProductBody>, description = "Optional: `{\"expected_version\": N}`"),
    responses((status = 200, description = "Retired", body = Written<ProductRecord>),
              (status = 404, description = "No such product", body = service_http::openapi::Problem),
              (status = 409, description = "Stale expected_version", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields", body = service_http::openapi::Problem)))]
async fn retire(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(id): Path<Uuid>,
    OptionalJsonBody(body): OptionalJsonBody<RetireProductBody>,
) -> Result<Answer<Written<ProductRecord>>, ApiError> {
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
