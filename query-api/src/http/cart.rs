//! `GET /v1/cart`: the buyer's cart, each line priced now for the buyer's company (the domain's
//! one `resolve_price`, at the line's quantity, today: the price checkout will charge), flagged
//! when its product was retired or when its quantity breaks the product's purchasing rules.

use axum::extract::State;
use axum::Json;
use domain::commerce::cart::CartLine;
use domain::commerce::{cart_id, Money};
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::caller::Buyer;
use crate::error::ApiError;
use crate::prices::{problem_code, PriceBook};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(cart))
}

/// The buyer's cart, priced for its company (an empty cart when it has none yet).
#[utoipa::path(get, path = "/v1/cart", tag = "cart", security(("bearer" = [])),
    responses((status = 200, description = "The cart", body = super::schemas::CartView)))]
#[tracing::instrument(skip_all, fields(buyer_id = %buyer.caller.user_id))]
async fn cart(State(state): State<AppState>, buyer: Buyer) -> Result<Json<Value>, ApiError> {
    let id = cart_id(buyer.caller.user_id);
    let row: Option<(Value, i64, i64)> =
        sqlx::query_as("SELECT lines, version, position FROM catalog.carts WHERE id = $1 AND buyer_id = $2")
            .bind(id)
            .bind(buyer.caller.user_id)
            .fetch_optional(&state.read)
            .await?;
    let (lines, version, position) = row.unwrap_or((json!([]), 0, 0));
    let lines: Vec<CartLine> = serde_json::from_value(lines)
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("a cart row is unreadable")))?;
    let ids: Vec<Uuid> = lines.iter().map(|l| l.product_id).collect();
    let products: Vec<(Uuid, String, String, bool)> =
        sqlx::query_as("SELECT id, sku, name, retired FROM catalog.products WHERE id = ANY($1)")
            .bind(&ids)
            .fetch_all(&state.read)
            .await?;
    let book = PriceBook::load(&state.read, Some(buyer.company), &ids).await?;
    let mut shown = Vec::with_capacity(lines.len());
    let mut totals: Vec<Money> = Vec::new();
    let mut orderable = !lines.is_empty();
    for line in &lines {
        let product = products.iter().find(|p| p.0 == line.product_id);
        let (line, total, ok) = priced_line(&book, line, product);
        totals.extend(total);
        orderable &= ok;
        shown.push(line);
    }
    let total = match totals.first() {
        Some(first) => Money::sum(first.currency, totals.iter().copied()).ok(),
        None => None,
    };
    orderable &= total.is_some();
    Ok(Json(json!({
        "id": id,
        "buyer_id": buyer.caller.user_id,
        "company_id": buyer.company,
        "lines": shown,
        "total": total,
        "orderable": orderable,
        "priced_on": book.today,
        "version": version,
        "position": position,
    })))
}

/// A line as shown, what it adds to the cart total (nothing when retired or unpriced) and whether
/// checkout would take it.
fn priced_line(
    book: &PriceBook,
    line: &CartLine,
    product: Option<&(Uuid, String, String, bool)>,
) -> (Value, Option<Money>, bool) {
    // A product the read model does not know counts as retired: it cannot be ordered either.
    let retired = product.is_none_or(|p| p.3);
    let rules = book.rules(line.product_id);
    let rule_problem = rules.check("quantity", line.quantity).err().map(|e| e.code);
    let resolved = book.resolve(line.product_id, line.quantity);
    let unit = resolved.as_ref().ok().map(|p| p.unit);
    let total = unit.and_then(|u| u.times(line.quantity).ok());
    let ok = !retired && rule_problem.is_none() && total.is_some();
    let counted = if retired { None } else { total };
    let shown = json!({
        "product_id": line.product_id,
        "sku": product.map(|p| p.1.as_str()),
        "name": product.map(|p| p.2.as_str()),
        "quantity": line.quantity,
        "unit_price": unit,
        "line_total": total,
        "price_source": resolved.as_ref().ok().map(|p| p.source),
        "price_problem": resolved.as_ref().err().map(problem_code),
        "retired": retired,
        "minimum_quantity": rules.minimum,
        "order_increment": rules.increment,
        "breaks_rules": rule_problem.is_some(),
        "rule_problem": rule_problem,
    });
    (shown, counted, ok)
}
