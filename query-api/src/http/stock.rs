//! `GET /v1/stock`: stock levels per product and warehouse, for ops and admin.

use axum::extract::{RawQuery, State};
use axum::Json;
use serde_json::{json, Value};
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

#[derive(sqlx::FromRow)]
struct Level {
    product_id: Uuid,
    sku: Option<String>,
    name: Option<String>,
    warehouse_id: Uuid,
    on_hand: i64,
    reserved: i64,
    available: i64,
    backordered: i64,
    version: i64,
    position: i64,
}

/// Stock of each product in each warehouse: on hand, reserved for orders, available (on hand
/// and not reserved) and backordered (ordered beyond what was available), by SKU then warehouse.
#[utoipa::path(get, path = "/v1/stock", tag = "stock", security(("bearer" = [])),
    params(
        ("product_id" = Option<Uuid>, Query, description = "Only this product"),
        ("warehouse_id" = Option<Uuid>, Query, description = "Only this warehouse"),
        ("page" = Option<u32>, Query, minimum = 1, description = "From 1 (default 1)"),
        ("per_page" = Option<u32>, Query, minimum = 1, description = "Default 20; above 100 is capped at 100"),
    ),
    responses((status = 200, description = "One page of stock levels", body = super::schemas::StockPage),
              (status = 422, description = "Unknown or malformed parameters, every one listed", body = service_http::openapi::Problem)))]
#[tracing::instrument(skip_all)]
async fn levels(
    State(state): State<AppState>,
    _staff: Staff,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
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
    let rows: Vec<Level> = sqlx::query_as(&format!(
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
    let stock: Vec<Value> = rows
        .into_iter()
        .map(|s| {
            json!({
                "product_id": s.product_id,
                "sku": s.sku,
                "name": s.name,
                "warehouse_id": s.warehouse_id,
                "on_hand": s.on_hand,
                "reserved": s.reserved,
                "available": s.available,
                "backordered": s.backordered,
                "version": s.version,
                "position": s.position,
            })
        })
        .collect();
    Ok(Json(json!({ "total": total, "page": page.page, "per_page": page.per_page, "stock": stock })))
}
