//! Orders: `GET /v1/orders` — a buyer's company's orders, or for ops and admin every order (the
//! order queue), filtered by status, newest first or oldest first (a work queue) — and
//! `GET /v1/orders/{id}` with its lines (ordered, shipped, backordered), totals, address, terms
//! and status history (order tracking). Another company's order is 404 to a buyer, never 403:
//! its existence is not revealed.

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use chrono::{DateTime, Utc};
use domain::commerce::order::OrderStatus;
use domain::commerce::stock_id;
use domain::FieldError;
use serde_json::{json, Value};
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
            let name = name.trim();
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
        ("status" = Option<String>, Query, description = "Only orders in this status; repeat it or separate with commas for several (`status=placed,confirmed`)"),
        ("sort" = Option<String>, Query, description = "`newest` (default) or `oldest`, by the time the order was placed"),
        ("page" = Option<u32>, Query, minimum = 1, description = "From 1 (default 1)"),
        ("per_page" = Option<u32>, Query, minimum = 1, description = "Default 20; above 100 is capped at 100"),
    ),
    responses((status = 200, description = "One page of orders", body = super::schemas::OrderPage),
              (status = 422, description = "Unknown parameters or statuses, every one listed", body = service_http::openapi::Problem)))]
#[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
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
    let orders: Vec<Value> = rows
        .into_iter()
        .map(|o| {
            json!({
                "id": o.id,
                "company_id": o.company_id,
                "buyer_id": o.buyer_id,
                "status": o.status,
                "po_number": o.po_number,
                "payment_terms": o.payment_terms,
                "total": { "amount_minor": o.total_minor, "currency": o.currency },
                "lines": o.lines,
                "placed_at": o.placed_at,
                "updated_at": o.updated_at,
                "version": o.version,
            })
        })
        .collect();
    Ok(Json(json!({ "total": total, "page": page.page, "per_page": page.per_page, "orders": orders })))
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: Uuid,
    company_id: Uuid,
    buyer_id: Uuid,
    status: String,
    po_number: String,
    payment_terms: String,
    shipping_address: Value,
    lines: Value,
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
    responses((status = 200, description = "The order", body = super::schemas::OrderDetail),
              (status = 400, description = "The id is not a UUID", body = service_http::openapi::Problem),
              (status = 404, description = "No such order, or another company's", body = service_http::openapi::Problem)))]
#[tracing::instrument(skip_all, fields(order_id = %id, user_id = %caller.user_id))]
async fn detail(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> Result<Json<Value>, ApiError> {
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
    let lines = with_outstanding(&state, id, row.lines).await?;
    let history = history(&state, id).await?;
    Ok(Json(json!({
        "id": row.id,
        "company_id": row.company_id,
        "buyer_id": row.buyer_id,
        "status": row.status,
        "po_number": row.po_number,
        "payment_terms": row.payment_terms,
        "shipping_address": row.shipping_address,
        "lines": lines,
        "total": { "amount_minor": row.total_minor, "currency": row.currency },
        "placed_at": row.placed_at,
        "updated_at": row.updated_at,
        "history": history,
        "version": row.version,
        "position": row.position,
    })))
}

/// The lines with what the order still holds of each in its warehouse: `backordered` (still
/// waiting for stock; at placement it was `backordered_at_placement`) and `reserved`.
async fn with_outstanding(state: &AppState, order: Uuid, lines: Value) -> Result<Vec<Value>, ApiError> {
    let mut lines: Vec<Value> = match lines {
        Value::Array(lines) => lines,
        _ => Vec::new(),
    };
    let stocks: Vec<Uuid> = lines
        .iter()
        .filter_map(|line| {
            let product = line["product_id"].as_str().and_then(|s| Uuid::parse_str(s).ok())?;
            let warehouse = line["warehouse_id"].as_str().and_then(|s| Uuid::parse_str(s).ok())?;
            Some(stock_id(product, warehouse))
        })
        .collect();
    let held: Vec<(Uuid, Option<i64>, Option<i64>)> = sqlx::query_as(
        "SELECT product_id, (state->'orders'->$1->>'reserved')::bigint, (state->'orders'->$1->>'backordered')::bigint \
           FROM catalog.stock WHERE id = ANY($2)",
    )
    .bind(order.to_string())
    .bind(&stocks)
    .fetch_all(&state.read)
    .await?;
    for line in &mut lines {
        let product = line["product_id"].as_str().and_then(|s| Uuid::parse_str(s).ok());
        let (reserved, backordered) =
            held.iter().find(|h| Some(h.0) == product).map_or((0, 0), |h| (h.1.unwrap_or(0), h.2.unwrap_or(0)));
        if let Value::Object(fields) = line {
            let at_placement = fields.remove("backordered").unwrap_or(Value::from(0));
            fields.insert("backordered_at_placement".into(), at_placement);
            fields.insert("backordered".into(), backordered.into());
            fields.insert("reserved".into(), reserved.into());
        }
    }
    Ok(lines)
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

async fn history(state: &AppState, order: Uuid) -> Result<Vec<Value>, ApiError> {
    let rows: Vec<HistoryRow> = sqlx::query_as(
        "SELECT version, position, event_type, from_status, to_status, actor_id, actor_role, recorded_at, details \
           FROM catalog.order_history WHERE order_id = $1 ORDER BY version",
    )
    .bind(order)
    .fetch_all(&state.read)
    .await?;
    Ok(rows
        .into_iter()
        .map(|h| {
            json!({
                "version": h.version,
                "position": h.position,
                "event": h.event_type,
                "from_status": h.from_status,
                "to_status": h.to_status,
                "actor": { "id": h.actor_id, "role": h.actor_role },
                "recorded_at": h.recorded_at,
                "details": h.details,
            })
        })
        .collect())
}
