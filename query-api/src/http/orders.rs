//! Orders: `GET /v1/orders` — a buyer's company's orders, or for ops and admin every order (the
//! order queue), filtered by status, newest first or oldest first (a work queue) — and
//! `GET /v1/orders/{id}` with its lines (ordered, shipped, backordered), totals, address, terms
//! and status history (order tracking). Another company's order is 404 to a buyer, never 403:
//! its existence is not revealed.

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use chrono::{DateTime, Utc};
use domain::commerce::checkout::ShippingAddress;
use domain::commerce::order::{OrderLine, OrderStatus};
use domain::commerce::pricing::PriceSource;
use domain::commerce::{stock_id, Money, Quantity};
use domain::identity::company::PaymentTerms;
use domain::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::types::Json as JsonColumn;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::paging;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(detail))
}

const STATUSES: [OrderStatus; 6] = [
    OrderStatus::Placed,
    OrderStatus::Confirmed,
    OrderStatus::PartiallyShipped,
    OrderStatus::Shipped,
    OrderStatus::Delivered,
    OrderStatus::Cancelled,
];

fn status(value: &str) -> Result<Vec<String>, FieldError> {
    value
        .split(',')
        .map(|name| {
            STATUSES.iter().find(|s| s.as_str() == name).map(|s| s.as_str().to_owned()).ok_or_else(|| {
                FieldError::new(
                    "status",
                    "unknown_status",
                    format!("{name:?} is not an order status (placed, confirmed, partially_shipped, shipped, delivered, cancelled)"),
                )
            })
        })
        .collect()
}

/// The read model's text of a status, as the enum (anything else is a broken row).
fn order_status(text: &str) -> Result<OrderStatus, ApiError> {
    STATUSES
        .iter()
        .copied()
        .find(|s| s.as_str() == text)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("an order row has the unknown status {text:?}")))
}

fn payment_terms(text: &str) -> Result<PaymentTerms, ApiError> {
    PaymentTerms::parse(text)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("an order row has the unknown payment terms {text:?}")))
}

fn money(amount_minor: i64, currency: &str) -> Result<Money, ApiError> {
    let currency = domain::commerce::Currency::parse("currency", currency)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("an order row's currency: {}", e.message)))?;
    Ok(Money { amount_minor, currency })
}

#[derive(Serialize, ToSchema)]
pub struct OrderSummary {
    id: Uuid,
    company_id: Uuid,
    buyer_id: Uuid,
    status: OrderStatus,
    po_number: String,
    /// As frozen at checkout.
    payment_terms: PaymentTerms,
    total: Money,
    /// How many lines.
    #[schema(minimum = 1)]
    lines: i32,
    placed_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
}

#[derive(Serialize, ToSchema)]
pub struct OrderPage {
    #[schema(minimum = 0)]
    total: i64,
    #[schema(minimum = 1)]
    page: u32,
    #[schema(minimum = 1, maximum = 100)]
    per_page: u32,
    orders: Vec<OrderSummary>,
}

/// A line as the read model keeps it: as placed, with the units shipped so far.
#[derive(Deserialize)]
struct StoredLine {
    #[serde(flatten)]
    line: OrderLine,
    #[serde(default)]
    shipped: u32,
}

/// A line as placed (price frozen) and how far it got.
#[derive(Serialize, ToSchema)]
pub struct OrderLineView {
    product_id: Uuid,
    sku: String,
    name: String,
    warehouse_id: Uuid,
    quantity: Quantity,
    shipped: u32,
    /// Still waiting for stock.
    #[schema(minimum = 0)]
    backordered: i64,
    backordered_at_placement: u32,
    /// Reserved for it in its warehouse and not shipped yet.
    #[schema(minimum = 0)]
    reserved: i64,
    unit_price: Money,
    price_source: PriceSource,
    line_total: Money,
}

/// Who moved an order: the actor's id and role.
#[derive(Serialize, ToSchema)]
pub struct Actor {
    id: String,
    role: String,
}

/// One event of the order: the status it moved from (null when placed) and to, who and when.
#[derive(Serialize, ToSchema)]
pub struct StatusChange {
    version: i64,
    position: i64,
    /// `OrderPlaced`, `OrderConfirmed`, `OrderShipped`, `OrderDelivered`, `OrderCancelled`.
    event: String,
    from_status: Option<OrderStatus>,
    to_status: OrderStatus,
    actor: Actor,
    recorded_at: DateTime<Utc>,
    /// What it carried: the shipment (`shipment_id`, `lines`), the cancel `reason`, or at
    /// placement `po_number`, `lines` and `total`.
    #[schema(value_type = Object)]
    details: Value,
}

#[derive(Serialize, ToSchema)]
pub struct OrderDetail {
    id: Uuid,
    company_id: Uuid,
    buyer_id: Uuid,
    status: OrderStatus,
    po_number: String,
    payment_terms: PaymentTerms,
    shipping_address: ShippingAddress,
    lines: Vec<OrderLineView>,
    total: Money,
    placed_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    history: Vec<StatusChange>,
    version: i64,
    position: i64,
}

#[derive(sqlx::FromRow)]
struct Summary {
    id: Uuid,
    company_id: Uuid,
    buyer_id: Uuid,
    status: String,
    po_number: String,
    payment_terms: String,
    total_minor: i64,
    currency: String,
    lines: i32,
    placed_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
}

/// Orders, newest first (`sort=oldest`: the oldest first, as a work queue takes them). Buyers see
/// their company's; ops and admin see every company's.
#[utoipa::path(get, path = "/v1/orders", tag = "orders", security(("bearer" = [])),
    params(
        ("status" = Option<String>, Query,
            pattern = "^(placed|confirmed|partially_shipped|shipped|delivered|cancelled)(,(placed|confirmed|partially_shipped|shipped|delivered|cancelled))*$",
            description = "Only orders in this status; repeat it or separate with commas for several (`status=placed,confirmed`)"),
        ("sort" = Option<String>, Query, pattern = "^(newest|oldest)$",
            description = "`newest` (default) or `oldest`, by the time the order was placed"),
        ("page" = Option<i64>, Query, minimum = 1, maximum = 4_294_967_295_i64, description = "From 1 (default 1)"),
        ("per_page" = Option<i64>, Query, minimum = 1, maximum = 4_294_967_295_i64, description = "Default 20; above 100 is capped at 100"),
    ),
    responses((status = 200, description = "One page of orders", body = OrderPage),
              (status = 422, description = "Unknown parameters or statuses, every one listed", body = service_http::openapi::Problem)))]
#[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<OrderPage>, ApiError> {
    let company = caller.company_scope()?;
    let mut statuses: Vec<String> = Vec::new();
    let mut oldest_first = false;
    let page = paging::read(query.as_deref(), |name, value| match name {
        "status" => status(value).map(|found| statuses.extend(found)).map(|_| true),
        "sort" => match value {
            "newest" | "oldest" => {
                oldest_first = value == "oldest";
                Ok(true)
            }
            _ => Err(FieldError::new("sort", "invalid_sort", "sort is newest or oldest")),
        },
        _ => Ok(false),
    })?;
    const FILTER: &str = "($1::uuid IS NULL OR company_id = $1) AND (cardinality($2::text[]) = 0 OR status = ANY($2))";
    // Not prepared once for all: a generic plan cannot tell a buyer's page (company_id, indexed)
    // from the staff queue, so each is planned with its own parameters.
    let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM catalog.orders WHERE {FILTER}"))
        .bind(company)
        .bind(&statuses)
        .persistent(false)
        .fetch_one(&state.read)
        .await?;
    let direction = if oldest_first { "ASC" } else { "DESC" };
    let rows: Vec<Summary> = sqlx::query_as(&format!(
        "SELECT id, company_id, buyer_id, status, po_number, payment_terms, total_minor, currency, \
                jsonb_array_length(lines) AS lines, placed_at, updated_at, version \
           FROM catalog.orders WHERE {FILTER} ORDER BY placed_at {direction}, id {direction} LIMIT $3 OFFSET $4"
    ))
    .bind(company)
    .bind(&statuses)
    .bind(page.limit())
    .bind(page.offset())
    .persistent(false)
    .fetch_all(&state.read)
    .await?;
    let orders = rows
        .into_iter()
        .map(|o| {
            Ok(OrderSummary {
                status: order_status(&o.status)?,
                payment_terms: payment_terms(&o.payment_terms)?,
                total: money(o.total_minor, &o.currency)?,
                id: o.id,
                company_id: o.company_id,
                buyer_id: o.buyer_id,
                po_number: o.po_number,
                lines: o.lines,
                placed_at: o.placed_at,
                updated_at: o.updated_at,
                version: o.version,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(Json(OrderPage { total, page: page.page, per_page: page.per_page, orders }))
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: Uuid,
    company_id: Uuid,
    buyer_id: Uuid,
    status: String,
    po_number: String,
    payment_terms: String,
    shipping_address: JsonColumn<ShippingAddress>,
    lines: JsonColumn<Vec<StoredLine>>,
    total_minor: i64,
    currency: String,
    placed_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
    position: i64,
}

/// One order with its lines, its status history and who moved it when.
#[utoipa::path(get, path = "/v1/orders/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order")),
    responses((status = 200, description = "The order", body = OrderDetail),
              (status = 400, description = "The id is not a UUID", body = service_http::openapi::Problem),
              (status = 404, description = "No such order, or another company's", body = service_http::openapi::Problem)))]
#[tracing::instrument(skip_all, fields(order_id = %id, user_id = %caller.user_id))]
async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<OrderDetail>, ApiError> {
    let company = caller.company_scope()?;
    let row: Option<OrderRow> = sqlx::query_as(
        "SELECT id, company_id, buyer_id, status, po_number, payment_terms, shipping_address, lines, total_minor, \
                currency, placed_at, updated_at, version, position \
           FROM catalog.orders WHERE id = $1 AND ($2::uuid IS NULL OR company_id = $2)",
    )
    .bind(id)
    .bind(company)
    .fetch_optional(&state.read)
    .await?;
    let row = row.ok_or_else(|| ApiError::NotFound(format!("order {id} does not exist")))?;
    let lines = with_outstanding(&state, id, row.lines.0).await?;
    let history = history(&state, id).await?;
    Ok(Json(OrderDetail {
        id: row.id,
        company_id: row.company_id,
        buyer_id: row.buyer_id,
        status: order_status(&row.status)?,
        po_number: row.po_number,
        payment_terms: payment_terms(&row.payment_terms)?,
        shipping_address: row.shipping_address.0,
        lines,
        total: money(row.total_minor, &row.currency)?,
        placed_at: row.placed_at,
        updated_at: row.updated_at,
        history,
        version: row.version,
        position: row.position,
    }))
}

/// The lines with what the order still holds of each in its warehouse: `backordered` (still
/// waiting for stock; at placement it was `backordered_at_placement`) and `reserved`.
async fn with_outstanding(
    state: &AppState,
    order: Uuid,
    lines: Vec<StoredLine>,
) -> Result<Vec<OrderLineView>, ApiError> {
    let stocks: Vec<Uuid> = lines.iter().map(|l| stock_id(l.line.product_id, l.line.warehouse_id)).collect();
    let held: Vec<(Uuid, Option<i64>, Option<i64>)> = sqlx::query_as(
        "SELECT product_id, (state->'orders'->$1->>'reserved')::bigint, (state->'orders'->$1->>'backordered')::bigint \
           FROM catalog.stock WHERE id = ANY($2)",
    )
    .bind(order.to_string())
    .bind(&stocks)
    .fetch_all(&state.read)
    .await?;
    Ok(lines
        .into_iter()
        .map(|StoredLine { line, shipped }| {
            let (reserved, backordered) =
                held.iter().find(|h| h.0 == line.product_id).map_or((0, 0), |h| (h.1.unwrap_or(0), h.2.unwrap_or(0)));
            OrderLineView {
                product_id: line.product_id,
                sku: line.sku.to_string(),
                name: line.name,
                warehouse_id: line.warehouse_id,
                quantity: line.quantity,
                shipped,
                backordered,
                backordered_at_placement: line.backordered,
                reserved,
                unit_price: line.unit_price,
                price_source: line.price_source,
                line_total: line.line_total,
            }
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct HistoryRow {
    version: i64,
    position: i64,
    event_type: String,
    from_status: Option<String>,
    to_status: String,
    actor_id: String,
    actor_role: String,
    recorded_at: DateTime<Utc>,
    details: Value,
}

async fn history(state: &AppState, order: Uuid) -> Result<Vec<StatusChange>, ApiError> {
    let rows: Vec<HistoryRow> = sqlx::query_as(
        "SELECT version, position, event_type, from_status, to_status, actor_id, actor_role, recorded_at, details \
           FROM catalog.order_history WHERE order_id = $1 ORDER BY version",
    )
    .bind(order)
    .fetch_all(&state.read)
    .await?;
    rows.into_iter()
        .map(|h| {
            Ok(StatusChange {
                version: h.version,
                position: h.position,
                event: h.event_type,
                from_status: h.from_status.as_deref().map(order_status).transpose()?,
                to_status: order_status(&h.to_status)?,
                actor: Actor { id: h.actor_id, role: h.actor_role },
                recorded_at: h.recorded_at,
                details: h.details,
            })
        })
        .collect()
}
