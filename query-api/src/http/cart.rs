//! `GET /v1/cart`: the buyer's cart, each line priced now for the buyer's company (the domain's
//! one `resolve_price`, at the line's quantity, today: the price checkout will charge), flagged
//! when its product was retired or when its quantity breaks the product's purchasing rules.

use axum::extract::State;
use axum::Json;
use chrono::NaiveDate;
use domain::commerce::cart::CartLine;
use domain::commerce::pricing::PriceSource;
use domain::commerce::{cart_id, Money, Quantity};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::caller::Buyer;
use crate::error::ApiError;
use crate::prices::{problem_code, PriceBook, PriceProblem};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(cart))
}

/// Why a line's quantity breaks the product's purchasing rules.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleProblem {
    BelowMinimumQuantity,
    NotWholePacks,
}

/// A cart line, priced now for the buyer's company.
#[derive(Serialize, ToSchema)]
pub struct CartLineView {
    product_id: Uuid,
    /// Null when the read model does not know the product.
    sku: Option<String>,
    name: Option<String>,
    quantity: Quantity,
    unit_price: Option<Money>,
    line_total: Option<Money>,
    price_source: Option<PriceSource>,
    /// Set when the line has no price.
    price_problem: Option<PriceProblem>,
    /// The product was retired since it was added: remove the line to check out.
    retired: bool,
    minimum_quantity: Quantity,
    order_increment: Quantity,
    /// The quantity is below the minimum or not whole packs.
    breaks_rules: bool,
    rule_problem: Option<RuleProblem>,
}

/// The buyer's cart: lines in the order added, priced on `priced_on`.
#[derive(Serialize, ToSchema)]
pub struct CartView {
    id: Uuid,
    buyer_id: Uuid,
    company_id: Uuid,
    lines: Vec<CartLineView>,
    /// The sum of the line totals of the lines not retired; null when there are none or their
    /// currencies differ.
    total: Option<Money>,
    /// Whether checkout would take every line as it is.
    orderable: bool,
    priced_on: NaiveDate,
    /// 0 for a buyer who never had a cart.
    #[schema(minimum = 0)]
    version: i64,
    #[schema(minimum = 0)]
    position: i64,
}

/// The buyer's cart, priced for its company (an empty cart when it has none yet).
#[utoipa::path(get, path = "/v1/cart", tag = "cart", security(("bearer" = [])),
    responses((status = 200, description = "The cart", body = CartView)))]
#[tracing::instrument(skip_all, fields(buyer_id = %buyer.caller.user_id))]
async fn cart(State(state): State<AppState>, buyer: Buyer) -> Result<Json<CartView>, ApiError> {
    let id = cart_id(buyer.caller.user_id);
    let row: Option<(Value, i64, i64)> =
        sqlx::query_as("SELECT lines, version, position FROM catalog.carts WHERE id = $1 AND buyer_id = $2")
            .bind(id)
            .bind(buyer.caller.user_id)
            .fetch_optional(&state.read)
            .await?;
    let (lines, version, position) = row.unwrap_or((Value::Array(Vec::new()), 0, 0));
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
    Ok(Json(CartView {
        id,
        buyer_id: buyer.caller.user_id,
        company_id: buyer.company,
        lines: shown,
        total,
        orderable,
        priced_on: book.today,
        version,
        position,
    }))
}

/// A line as shown, what it adds to the cart total (nothing when retired or unpriced) and whether
/// checkout would take it.
fn priced_line(
    book: &PriceBook,
    line: &CartLine,
    product: Option<&(Uuid, String, String, bool)>,
) -> (CartLineView, Option<Money>, bool) {
    // A product the read model does not know counts as retired: it cannot be ordered either.
    let retired = product.is_none_or(|p| p.3);
    let rules = book.rules(line.product_id);
    let rule_problem = rules.check("quantity", line.quantity).err().map(|e| rule_problem(&e.code));
    let resolved = book.resolve(line.product_id, line.quantity);
    let unit = resolved.as_ref().ok().map(|p| p.unit);
    let total = unit.and_then(|u| u.times(line.quantity).ok());
    let ok = !retired && rule_problem.is_none() && total.is_some();
    let counted = if retired { None } else { total };
    let shown = CartLineView {
        product_id: line.product_id,
        sku: product.map(|p| p.1.clone()),
        name: product.map(|p| p.2.clone()),
        quantity: line.quantity,
        unit_price: unit,
        line_total: total,
        price_source: resolved.as_ref().ok().map(|p| p.source),
        price_problem: resolved.as_ref().err().map(problem_code),
        retired,
        minimum_quantity: rules.minimum,
        order_increment: rules.increment,
        breaks_rules: rule_problem.is_some(),
        rule_problem,
    };
    (shown, counted, ok)
}

/// The rule a quantity breaks, from the domain's error code (`PurchasingRules::check`).
fn rule_problem(code: &str) -> RuleProblem {
    match code {
        "below_minimum_quantity" => RuleProblem::BelowMinimumQuantity,
        _ => RuleProblem::NotWholePacks,
    }
}
