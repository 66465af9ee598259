//! `GET /v1/stock`: stock levels per product and warehouse, for ops and admin.

use axum::extract::{RawQuery, State};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::paging;
use crate::caller::Staff;
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(levels))
}

/// Stock of one product in one warehouse.
#[derive(Serialize, ToSchema, sqlx::FromRow)]
pub struct StockLevel {
    product_id: Uuid,
    sku: Option<String>,
    name: Option<String>,
    warehouse_id: Uuid,
    #[schema(minimum = 0)]
    on_hand: i64,
    #[schema(minimum = 0)]
    reserved: i64,
    /// On hand and not reserved.
    #[schema(minimum = 0)]
    available: i64,
    /// Ordered beyond what was available, waiting for stock.
    #[schema(minimum = 0)]
    backordered: i64,
    version: i64,
    position: i64,
}

#[derive(Serialize, ToSchema)]
pub struct StockPage {
    #[schema(minimum = 0)]
    total: i64,
    #[schema(minimum = 1)]
    page: u32,
    #[schema(minimum = 1, maximum = 100)]
    per_page: u32,
    stock: Vec<StockLevel>,
}

/// Stock of each product in each warehouse: on hand, reserved for orders, available (on hand
/// and not reserved) and backordered (ordered beyond what was available), by SKU then warehouse.
#[utoipa::path(get, path = "/v1/stock", tag = "stock", security(("bearer" = [])),
    params(
        ("product_id" = Option<Uuid>, Query, description = "Only this product"),
        ("warehouse_id" = Option<Uuid>, Query, description = "Only this warehouse"),
        ("page" = Option<i64>, Query, minimum = 1, maximum = 4_294_967_295_i64, description = "From 1 (default 1)"),
        ("per_page" = Option<i64>, Query, minimum = 1, maximum = 4_294_967_295_i64, description = "Default 20; above 100 is capped at 100"),
    ),
    responses((status = 200, description = "One page of stock levels", body = StockPage),
              (status = 422, description = "Unknown or malformed parameters, every one listed", body = service_http::openapi::Problem)))]
#[tracing::instrument(skip_all)]
async fn levels(
    State(state): State<AppState>,
    _staff: Staff,
    RawQuery(query): RawQuery,
) -> Result<Json<StockPage>, ApiError> {
    let (mut product, mut warehouse) = (None, None);
    let page = paging::read(query.as_deref(), |name, value| match name {
        "product_id" => paging::uuid(name, value).map(|id| product = Some(id)).map(|_| true),
        "warehouse_id" => paging::uuid(name, value).map(|id| warehouse = Some(id)).map(|_| true),
        _ => Ok(false),
    })?;
    const FILTER: &str = "($1::uuid IS NULL OR s.product_id = $1) AND ($2::uuid IS NULL OR s.warehouse_id = $2)";
    let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM catalog.stock s WHERE {FILTER}"))
        .bind(product)
        .bind(warehouse)
        .persistent(false)
        .fetch_one(&state.read)
        .await?;
    let stock: Vec<StockLevel> = sqlx::query_as(&format!(
        "SELECT s.product_id, p.sku, p.name, s.warehouse_id, s.on_hand, s.reserved, s.available, s.backordered, \
                s.version, s.position \
           FROM catalog.stock s LEFT JOIN catalog.products p ON p.id = s.product_id \
          WHERE {FILTER} ORDER BY s.product_id, s.warehouse_id LIMIT $3 OFFSET $4"
    ))
    .bind(product)
    .bind(warehouse)
    .bind(page.limit())
    .bind(page.offset())
    // Planned per request: with or without a product or warehouse are different plans.
    .persistent(false)
    .fetch_all(&state.read)
    .await?;
    Ok(Json(StockPage { total, page: page.page, per_page: page.per_page, stock }))
}
