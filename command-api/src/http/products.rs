//! Products: create, update (specs merge; null removes a key), retire.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{patch, post};
use axum::Router;
use domain::product::{self, CreateProduct, Product, UpdateProduct};
use domain::{Aggregate, DomainError};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::{check_version, context, parse_id, written};
use crate::error::ApiError;
use crate::extract::{parse_reporting_all, Admin, JsonBody, RequestIds};
use crate::service::{Committed, Head};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/products", post(create))
        .route("/v1/products/{id}", patch(update))
        .route("/v1/products/{id}/retire", post(retire))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateProductBody {
    family_id: Uuid,
    name: String,
    sku: Option<String>,
    #[serde(default)]
    specs: Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateProductBody {
    name: Option<String>,
    specs: Option<Map<String, Value>>,
    expected_version: Option<i64>,
}

#[derive(Deserialize)]
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
async fn existing(state: &AppState, id: &str) -> Result<(Uuid, Head, Product), ApiError> {
    let id = parse_id(id, "product")?;
    let head =
        state.catalog.product(id).await?.ok_or_else(|| ApiError::NotFound(format!("product {id} does not exist")))?;
    match &head.state {
        Aggregate::Product(p) => Ok((id, head.clone(), p.clone())),
        _ => Err(ApiError::NotFound(format!("product {id} does not exist"))),
    }
}

async fn update(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UpdateProductBody>,
) -> Result<Response, ApiError> {
    let (id, head, current) = existing(&state, &id).await?;
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

async fn retire(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let (id, head, _) = existing(&state, &id).await?;
    let expected = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        let value: Value = serde_json::from_slice(&body).map_err(|e| ApiError::MalformedJson(e.to_string()))?;
        parse_reporting_all::<RetireProductBody>(value).map_err(ApiError::Invalid)?.expected_version
    };
    check_version(expected, head.version)?;
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
