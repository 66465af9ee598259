//! The order lifecycle, by ops: `POST /v1/orders/{id}/confirm`, `/ship` (a partial shipment of
//! some lines), `/deliver`, `/cancel` (releases the order's stock) and `/allocate` (reserves
//! backordered units from stock received since). Any transition the order's status does not allow
//! is a 409. Each is an event whose metadata names its actor.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::commerce::checkout::ShippingAddress;
use domain::commerce::money::{Money, Quantity};
use domain::commerce::order::{self, Order, OrderStatus, ShipInput};
use domain::commerce::pricing::PriceSource;
use domain::commerce::stock::{self, Stock};
use domain::commerce::stock_id;
use domain::identity::company::PaymentTerms;
use domain::{DomainError, NewEvent};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{check_version, context, written, Answer, Written};
use crate::commerce::{as_order, as_stock, state_of};
use crate::error::ApiError;
use crate::extract::{JsonBody, OptionalJsonBody, RequestIds, Staff};
use crate::service::Head;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(confirm))
        .routes(routes!(ship))
        .routes(routes!(deliver))
        .routes(routes!(cancel))
        .routes(routes!(allocate))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ShipLineBody {
    product_id: Uuid,
    quantity: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ShipBody {
    /// What leaves in this shipment: some or all of what remains of some or all lines.
    lines: Vec<ShipLineBody>,
    /// The order's version the shipment was packed against: a retry of a shipment that went
    /// through is then a 409, never a second shipment.
    expected_version: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CancelBody {
    /// Why (1–500 characters); kept in the order's history.
    reason: String,
    expected_version: Option<i64>,
}

/// The optional body of `confirm`, `deliver` and `allocate`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Versioned {
    expected_version: Option<i64>,
}

fn expected(body: Option<Versioned>) -> Option<i64> {
    body.and_then(|b| b.expected_version)
}

/// Accepts a placed order.
#[utoipa::path(post, path = "/v1/orders/{id}/confirm", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order")),
    request_body(content = Option<Versioned>, description = "Optional: `{\"expected_version\": N}`"),
    responses((status = 200, description = "Confirmed", body = Written<OrderRecord>),
              (status = 404, description = "No such order", body = service_http::openapi::Problem),
              (status = 409, description = "The order is not placed", body = service_http::openapi::Problem)))]
async fn confirm(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ids: RequestIds,
    Path(id): Path<Uuid>,
    OptionalJsonBody(body): OptionalJsonBody<Versioned>,
) -> Result<Answer<Written<OrderRecord>>, ApiError> {
    transition(&state, context(&actor, ids), id, expected(body), |order, _| Ok(order::confirm(order)?)).await
}

/// Ships some or all of a confirmed order: the shipped units leave the stock they were reserved
/// in. The order is `partially_shipped` until every line has shipped in full.
#[utoipa::path(post, path = "/v1/orders/{id}/ship", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order")), request_body = ShipBody,
    responses((status = 200, description = "Shipped", body = Written<OrderRecord>),
              (status = 404, description = "No such order", body = service_http::openapi::Problem),
              (status = 409, description = "Not confirmed, or more than is reserved (an unallocated backorder)", body = service_http::openapi::Problem),
              (status = 422, description = "Lines not in the order or more than remains to ship, each listed", body = service_http::openapi::Problem)))]
async fn ship(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ids: RequestIds,
    Path(id): Path<Uuid>,
    JsonBody(body): JsonBody<ShipBody>,
) -> Result<Answer<Written<OrderRecord>>, ApiError> {
    let lines: Vec<ShipInput> =
        body.lines.iter().map(|l| ShipInput { product_id: l.product_id, quantity: l.quantity }).collect();
    let shipment_id = Uuid::now_v7();
    transition(&state, context(&actor, ids), id, body.expected_version, |order, stocks| {
        Ok(order::ship(order, stocks, shipment_id, &lines)?)
    })
    .await
}

/// Marks a fully shipped order delivered.
#[utoipa::path(post, path = "/v1/orders/{id}/deliver", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order")),
    request_body(content = Option<Versioned>, description = "Optional: `{\"expected_version\": N}`"),
    responses((status = 200, description = "Delivered", body = Written<OrderRecord>),
              (status = 404, description = "No such order", body = service_http::openapi::Problem),
              (status = 409, description = "The order is not fully shipped", body = service_http::openapi::Problem)))]
async fn deliver(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ids: RequestIds,
    Path(id): Path<Uuid>,
    OptionalJsonBody(body): OptionalJsonBody<Versioned>,
) -> Result<Answer<Written<OrderRecord>>, ApiError> {
    transition(&state, context(&actor, ids), id, expected(body), |order, _| Ok(order::deliver(order)?)).await
}

/// Cancels an order nothing of which has shipped, releasing its reserved and backordered units.
#[utoipa::path(post, path = "/v1/orders/{id}/cancel", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order")), request_body = CancelBody,
    responses((status = 200, description = "Cancelled", body = Written<OrderRecord>),
              (status = 404, description = "No such order", body = service_http::openapi::Problem),
              (status = 409, description = "Something has shipped, or it is cancelled already", body = service_http::openapi::Problem),
              (status = 422, description = "No reason given", body = service_http::openapi::Problem)))]
async fn cancel(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ids: RequestIds,
    Path(id): Path<Uuid>,
    JsonBody(body): JsonBody<CancelBody>,
) -> Result<Answer<Written<OrderRecord>>, ApiError> {
    transition(&state, context(&actor, ids), id, body.expected_version, |order, stocks| {
        Ok(order::cancel(order, stocks, &body.reason)?)
    })
    .await
}

/// Reserves an order's backordered units from what its warehouses have available now (after a
/// receipt). Nothing to allocate is not an error: the order is answered as it is.
#[utoipa::path(post, path = "/v1/orders/{id}/allocate", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order")),
    request_body(content = Option<Versioned>, description = "Optional: `{\"expected_version\": N}`"),
    responses((status = 200, description = "The order; its stock holds what could be allocated", body = Written<OrderRecord>),
              (status = 404, description = "No such order", body = service_http::openapi::Problem),
              (status = 409, description = "The order is shipped, delivered or cancelled", body = service_http::openapi::Problem)))]
async fn allocate(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ids: RequestIds,
    Path(id): Path<Uuid>,
    OptionalJsonBody(body): OptionalJsonBody<Versioned>,
) -> Result<Answer<Written<OrderRecord>>, ApiError> {
    transition(&state, context(&actor, ids), id, expected(body), |order, stocks| {
        if !matches!(order.status, OrderStatus::Placed | OrderStatus::Confirmed | OrderStatus::PartiallyShipped) {
            return Err(DomainError::Conflict(format!(
                "order {} is {}: nothing of it is allocated any more",
                order.id,
                order.status.as_str()
            ))
            .into());
        }
        let mut events = Vec::new();
        for stock in stocks {
            events.extend(stock::allocate(stock, order.id)?);
        }
        Ok(events)
    })
    .await
}

/// Decides on an order and the stock of its lines (404 for an order that does not exist),
/// retried when checkouts reserve from that stock meanwhile; answers with the order. With
/// `expected` (the order's version the client saw), a changed order is a 409 instead: a retried
/// request is never applied twice.
async fn transition(
    state: &AppState,
    ctx: crate::service::CommandContext,
    id: Uuid,
    expected: Option<i64>,
    decide: impl Fn(&Order, &[Stock]) -> Result<Vec<NewEvent>, ApiError>,
) -> Result<Answer<Written<OrderRecord>>, ApiError> {
    let load = || async {
        let mut heads = state.catalog.heads(&[id]).await?;
        let stocks: Vec<Uuid> = match state_of(&heads, id, as_order) {
            Some(order) => order.placed.lines.iter().map(|l| stock_id(l.product_id, l.warehouse_id)).collect(),
            None => return Err(DomainError::not_found("order", id).into()),
        };
        heads.extend(state.catalog.heads(&stocks).await?);
        Ok((heads, stocks))
    };
    let (committed, _) = state
        .catalog
        .change_contended(&ctx, load, |heads, stock_ids: &Vec<Uuid>| {
            let order = state_of(heads, id, as_order).ok_or_else(|| DomainError::not_found("order", id))?;
            check_version(expected, heads.get(&id).map_or(0, |h| h.version))?;
            let stocks: Vec<Stock> = stock_ids.iter().filter_map(|s| state_of(heads, *s, as_stock)).cloned().collect();
            decide(order, &stocks)
        })
        .await?;
    Ok(written(StatusCode::OK, committed.position, order_body(&committed.heads, id)?))
}

/// An order as the write side holds it: its frozen lines with what has shipped of each.
#[derive(Serialize, ToSchema)]
pub struct OrderRecord {
    id: Uuid,
    status: OrderStatus,
    company_id: Uuid,
    buyer_id: Uuid,
    idempotency_key: String,
    po_number: String,
    /// As the company had them at checkout.
    payment_terms: PaymentTerms,
    shipping_address: ShippingAddress,
    lines: Vec<OrderLineRecord>,
    total: Money,
    /// The ids of its shipments so far.
    shipments: Vec<Uuid>,
    #[schema(minimum = 1)]
    version: i64,
}

/// One line of an order, its price frozen when it was placed.
#[derive(Serialize, ToSchema)]
pub struct OrderLineRecord {
    product_id: Uuid,
    sku: String,
    name: String,
    /// Where it is reserved.
    warehouse_id: Uuid,
    quantity: Quantity,
    unit_price: Money,
    price_source: PriceSource,
    line_total: Money,
    /// Units backordered when it was placed.
    backordered: u32,
    /// Units shipped so far.
    shipped: u32,
}

pub fn order_body(heads: &HashMap<Uuid, Head>, id: Uuid) -> Result<OrderRecord, ApiError> {
    let order = state_of(heads, id, as_order).ok_or_else(|| DomainError::not_found("order", id))?;
    let placed = &order.placed;
    let lines = placed
        .lines
        .iter()
        .zip(&order.shipped)
        .map(|(line, shipped)| OrderLineRecord {
            product_id: line.product_id,
            sku: line.sku.as_str().to_owned(),
            name: line.name.clone(),
            warehouse_id: line.warehouse_id,
            quantity: line.quantity,
            unit_price: line.unit_price,
            price_source: line.price_source,
            line_total: line.line_total,
            backordered: line.backordered,
            shipped: *shipped,
        })
        .collect();
    Ok(OrderRecord {
        id: order.id,
        status: order.status,
        company_id: placed.company_id,
        buyer_id: placed.buyer_id,
        idempotency_key: placed.idempotency_key.as_str().to_owned(),
        po_number: placed.po_number.as_str().to_owned(),
        payment_terms: placed.payment_terms,
        shipping_address: placed.shipping_address.clone(),
        lines,
        total: placed.total,
        shipments: order.shipments.clone(),
        version: heads.get(&id).map_or(0, |h| h.version),
    })
}
