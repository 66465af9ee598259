//! A product's commercial terms: `PUT /v1/products/{id}/terms` sets its list price and purchasing
//! rules (minimum order quantity, order increment, what happens when stock runs out). Ops.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::commerce::money::{Currency, Quantity};
use domain::commerce::terms::{self, ProductTerms, PurchasingRules, StockPolicy};
use domain::commerce::{terms_id, Money};
use domain::{evolve, DomainError, NewEvent};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{check_version, context, written, Answer, Written};
use crate::commerce::{self, as_terms, state_of};
use crate::error::ApiError;
use crate::extract::{JsonBody, RequestIds, Staff};
use crate::service::{Committed, Head};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(set_terms))
}

/// An amount in minor units (cents) and an ISO 4217 currency.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoneyInput {
    /// Zero or more.
    #[schema(minimum = 0)]
    pub amount_minor: i64,
    #[schema(value_type = Currency)]
    pub currency: String,
}

impl MoneyInput {
    pub fn parse(&self, field: &str) -> Result<Money, Vec<domain::FieldError>> {
        Money::parse_price(field, self.amount_minor, &self.currency)
    }
}

fn one() -> i64 {
    1
}

/// The whole of a product's terms: what is left out takes its default.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TermsBody {
    /// The price per unit when no price list applies; `null` for none (then only companies
    /// with a price list for it can buy it).
    list_price: Option<MoneyInput>,
    /// A multiple of `order_increment`. Default 1.
    #[serde(default = "one")]
    #[schema(minimum = 1, maximum = 1_000_000, default = 1)]
    minimum_quantity: i64,
    /// The pack size: quantities must be multiples of it. Default 1.
    #[serde(default = "one")]
    #[schema(minimum = 1, maximum = 1_000_000, default = 1)]
    order_increment: i64,
    /// `refuse` (default): an order for more than is available is refused; `backorder`: the rest
    /// is backordered and allocated when stock arrives.
    #[serde(default)]
    stock_policy: StockPolicy,
    expected_version: Option<i64>,
}

/// Sets a product's list price and purchasing rules.
#[utoipa::path(put, path = "/v1/products/{id}/terms", tag = "commerce", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The product")), request_body = TermsBody,
    responses((status = 200, description = "The terms as set", body = Written<TermsRecord>),
              (status = 404, description = "No such product", body = service_http::openapi::Problem),
              (status = 409, description = "The product is retired, or a stale expected_version", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields, each listed", body = service_http::openapi::Problem)))]
async fn set_terms(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ids: RequestIds,
    Path(product_id): Path<Uuid>,
    JsonBody(body): JsonBody<TermsBody>,
) -> Result<Answer<Written<TermsRecord>>, ApiError> {
    let product = commerce::product(&state.catalog, product_id, None).await?;
    let price = match &body.list_price {
        Some(input) => Some(input.parse("list_price").map_err(ApiError::Invalid)?),
        None => None,
    };
    let rules = PurchasingRules::parse(body.minimum_quantity, body.order_increment, body.stock_policy)?;
    let id = terms_id(product_id);
    let ctx = context(&actor, ids);
    let load = || async { Ok((state.catalog.heads(&[id]).await?, ())) };
    let (committed, ()) = state
        .catalog
        .change_contended(&ctx, load, |heads, _| {
            check_version(body.expected_version, heads.get(&id).map_or(0, |h| h.version))?;
            let current = state_of(heads, id, as_terms);
            let mut events = terms::set_list_price(&product, current, price)?;
            let after = folded(id, heads.get(&id), &events)?;
            events.extend(terms::set_rules(&product, after.as_ref(), rules)?);
            Ok(events)
        })
        .await?;
    Ok(written(StatusCode::OK, committed.position, terms_body(&committed, id)?))
}

/// The terms after `events`, which the price decision made and the rules decision must see.
fn folded(id: Uuid, head: Option<&Head>, events: &[NewEvent]) -> Result<Option<ProductTerms>, ApiError> {
    let mut state = head.map(|h| h.state.clone());
    for new in events {
        state = Some(evolve(state, id, &new.event).map_err(|e| ApiError::Internal(e.into()))?);
    }
    Ok(state.as_ref().and_then(as_terms).cloned())
}

/// A product's list price and purchasing rules as set.
#[derive(Serialize, ToSchema)]
pub struct TermsRecord {
    product_id: Uuid,
    /// None: only companies with a price list for the product can buy it.
    list_price: Option<Money>,
    minimum_quantity: Quantity,
    /// The pack size: order quantities are multiples of it.
    order_increment: Quantity,
    stock_policy: StockPolicy,
    #[schema(minimum = 1)]
    version: i64,
}

fn terms_body(committed: &Committed, id: Uuid) -> Result<TermsRecord, ApiError> {
    let heads: &HashMap<Uuid, Head> = &committed.heads;
    let terms = state_of(heads, id, as_terms).ok_or_else(|| DomainError::not_found("product terms", id))?;
    let version = heads.get(&id).map_or(0, |h| h.version);
    Ok(TermsRecord {
        product_id: terms.product_id,
        list_price: terms.list_price,
        minimum_quantity: terms.rules.minimum,
        order_increment: terms.rules.increment,
        stock_policy: terms.rules.stock_policy,
        version,
    })
}
