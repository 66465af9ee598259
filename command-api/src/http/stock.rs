//! Stock of a product in a warehouse: `POST /v1/products/{id}/stock/{warehouse_id}/receipts`
//! (goods in) and `…/adjustments` (a count corrected, with its reason). Ops. Warehouse ids are the
//! warehouse management system's UUIDs; a product's stock in a warehouse starts at its first
//! receipt. Reservations, releases and shipments come from orders (see `orders`, `checkout`).

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::commerce::stock::{self, AdjustmentReason};
use domain::commerce::{stock_id, Quantity};
use domain::{DomainError, NewEvent};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{KnownFormat, SchemaFormat};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{check_version, context, written, Answer, Written};
use crate::commerce::{self, as_stock, state_of};
use crate::error::ApiError;
use crate::extract::{JsonBody, RequestIds, Staff};
use crate::service::{CommandContext, Head};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(receive)).routes(routes!(adjust))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReceiptBody {
    /// Units received.
    #[schema(minimum = 1, maximum = 1_000_000)]
    quantity: i64,
    /// The stock's version the receipt was counted against: a retried receipt that went
    /// through is then a 409, never counted twice.
    expected_version: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AdjustmentBody {
    /// The change to the count on hand: negative for units lost or damaged. Never below what
    /// orders hold reserved. Not 0.
    #[schema(schema_with = nonzero)]
    by: i64,
    reason: AdjustmentReason,
    expected_version: Option<i64>,
}

/// Receives units into a warehouse (a backordered order is then allocated with `POST
/// /v1/orders/{id}/allocate`).
#[utoipa::path(post, path = "/v1/products/{id}/stock/{warehouse_id}/receipts", tag = "commerce", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The product"), ("warehouse_id" = Uuid, Path, description = "The warehouse")),
    request_body = ReceiptBody,
    responses((status = 200, description = "The stock after the receipt", body = Written<StockRecord>),
              (status = 404, description = "No such product", body = service_http::openapi::Problem),
              (status = 409, description = "Stale expected_version (a retried receipt that went through), or more than a stock can count", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid quantity", body = service_http::openapi::Problem)))]
async fn receive(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ids: RequestIds,
    Path((product_id, warehouse_id)): Path<(Uuid, Uuid)>,
    JsonBody(body): JsonBody<ReceiptBody>,
) -> Result<Answer<Written<StockRecord>>, ApiError> {
    commerce::product(&state.catalog, product_id, None).await?;
    let quantity = Quantity::parse("quantity", body.quantity).map_err(|e| ApiError::Invalid(vec![e]))?;
    change_stock(&state, context(&actor, ids), (product_id, warehouse_id), body.expected_version, |current| {
        Ok(stock::receive(current, product_id, warehouse_id, quantity)?)
    })
    .await
}

/// Corrects the count on hand, with a reason.
#[utoipa::path(post, path = "/v1/products/{id}/stock/{warehouse_id}/adjustments", tag = "commerce", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The product"), ("warehouse_id" = Uuid, Path, description = "The warehouse")),
    request_body = AdjustmentBody,
    responses((status = 200, description = "The stock after the adjustment", body = Written<StockRecord>),
              (status = 404, description = "The product has no stock in that warehouse", body = service_http::openapi::Problem),
              (status = 409, description = "It would leave less on hand than is reserved", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields, each listed", body = service_http::openapi::Problem)))]
async fn adjust(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ids: RequestIds,
    Path((product_id, warehouse_id)): Path<(Uuid, Uuid)>,
    JsonBody(body): JsonBody<AdjustmentBody>,
) -> Result<Answer<Written<StockRecord>>, ApiError> {
    change_stock(&state, context(&actor, ids), (product_id, warehouse_id), body.expected_version, |current| {
        let current = current.ok_or_else(|| {
            ApiError::NotFound(format!("product {product_id} has no stock in warehouse {warehouse_id}"))
        })?;
        Ok(stock::adjust(current, body.by, body.reason)?)
    })
    .await
}

/// Decides on one stock (retried when orders reserve from it meanwhile, unless the client named
/// the version it saw: then a changed stock is a 409) and answers with it.
async fn change_stock(
    state: &AppState,
    ctx: CommandContext,
    (product_id, warehouse_id): (Uuid, Uuid),
    expected: Option<i64>,
    decide: impl Fn(Option<&stock::Stock>) -> Result<Vec<NewEvent>, ApiError>,
) -> Result<Answer<Written<StockRecord>>, ApiError> {
    let id = stock_id(product_id, warehouse_id);
    let load = || async { Ok((state.catalog.heads(&[id]).await?, ())) };
    let (committed, ()) = state
        .catalog
        .change_contended(&ctx, load, |heads, _| {
            check_version(expected, heads.get(&id).map_or(0, |h| h.version))?;
            decide(state_of(heads, id, as_stock))
        })
        .await?;
    Ok(written(StatusCode::OK, committed.position, stock_body(&committed.heads, id)?))
}

/// A whole number other than 0: below or above it.
fn nonzero() -> Schema {
    let side = |bound: ObjectBuilder| {
        bound.schema_type(Type::Integer).format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
    };
    OneOfBuilder::new()
        .item(side(ObjectBuilder::new().maximum(Some(-1))))
        .item(side(ObjectBuilder::new().minimum(Some(1))))
        .build()
        .into()
}

/// One product's stock in one warehouse.
#[derive(Serialize, ToSchema)]
pub struct StockRecord {
    product_id: Uuid,
    warehouse_id: Uuid,
    on_hand: u64,
    /// Held for orders placed and not yet shipped.
    reserved: u64,
    /// `on_hand - reserved`: what new orders can reserve.
    available: u64,
    /// Ordered beyond what was available, waiting for stock (backorder policy).
    backordered: u64,
    #[schema(minimum = 1)]
    version: i64,
}

fn stock_body(heads: &HashMap<Uuid, Head>, id: Uuid) -> Result<StockRecord, ApiError> {
    let stock = state_of(heads, id, as_stock).ok_or_else(|| DomainError::not_found("stock", id))?;
    Ok(StockRecord {
        product_id: stock.product_id,
        warehouse_id: stock.warehouse_id,
        on_hand: stock.on_hand,
        reserved: stock.reserved,
        available: stock.available(),
        backordered: stock.backordered(),
        version: heads.get(&id).map_or(0, |h| h.version),
    })
}
