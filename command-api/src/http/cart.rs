//! The buyer's one open cart: `POST /v1/cart/lines` (add, or add to a line), `PATCH
//! /v1/cart/lines/{product_id}` (set the quantity), `DELETE /v1/cart/lines/{product_id}`. Buyers
//! only; the cart is the token's user's, never one named in the request. Quantities are checked
//! against the product's minimum and pack size as they are changed; prices are resolved when the
//! cart is read (query API `GET /v1/cart`) and frozen at checkout.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::commerce::cart::{self, CartLine};
use domain::commerce::{cart_id, terms_id};
use domain::identity::user::User;
use domain::product::Product;
use domain::{DomainError, NewEvent};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{check_version, context, written, Answer, Written};
use crate::commerce::{as_cart, as_company, as_terms, as_user, state_of};
use crate::error::ApiError;
use crate::extract::{Buyer, JsonBody, RequestIds};
use crate::service::{Committed, Head};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(add_line)).routes(routes!(change_line, remove_line))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AddLineBody {
    product_id: Uuid,
    /// Added to the line's quantity when the product is in the cart already.
    #[schema(minimum = 1, maximum = 1_000_000)]
    quantity: i64,
    /// The cart's version the buyer saw (a retried add is then a 409, not added twice).
    expected_version: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ChangeLineBody {
    #[schema(minimum = 1, maximum = 1_000_000)]
    quantity: i64,
    expected_version: Option<i64>,
}

/// Puts a product in the cart (or more of it).
#[utoipa::path(post, path = "/v1/cart/lines", tag = "cart", security(("bearer" = [])), request_body = AddLineBody,
    responses((status = 200, description = "The cart", body = Written<CartRecord>),
              (status = 404, description = "No such product", body = service_http::openapi::Problem),
              (status = 409, description = "The product is retired, the company is disabled, or a stale expected_version", body = service_http::openapi::Problem),
              (status = 422, description = "Below the minimum, not whole packs, or not a quantity", body = service_http::openapi::Problem)))]
async fn add_line(
    State(state): State<AppState>,
    buyer: Buyer,
    ids: RequestIds,
    JsonBody(body): JsonBody<AddLineBody>,
) -> Result<Answer<Written<CartRecord>>, ApiError> {
    let product_id = body.product_id;
    change_cart(&state, &buyer, ids, (Some(product_id), body.expected_version), |heads, user, product| {
        let missing =
            || DomainError::NotFound { entity: "product", id: product_id.to_string(), field: Some("product_id") };
        let product = product.ok_or_else(missing)?;
        let cart = state_of(heads, cart_id(user.id), as_cart);
        let terms = state_of(heads, terms_id(product.id), as_terms);
        Ok(cart::add_line(cart, user, product, terms, body.quantity)?)
    })
    .await
}

/// Sets a line's quantity.
#[utoipa::path(patch, path = "/v1/cart/lines/{product_id}", tag = "cart", security(("bearer" = [])),
    params(("product_id" = Uuid, Path, description = "The product of the line")), request_body = ChangeLineBody,
    responses((status = 200, description = "The cart", body = Written<CartRecord>),
              (status = 404, description = "The cart has no such line", body = service_http::openapi::Problem),
              (status = 409, description = "The company is disabled, or a stale expected_version", body = service_http::openapi::Problem),
              (status = 422, description = "Below the minimum, not whole packs, or not a quantity", body = service_http::openapi::Problem)))]
async fn change_line(
    State(state): State<AppState>,
    buyer: Buyer,
    ids: RequestIds,
    Path(product_id): Path<Uuid>,
    JsonBody(body): JsonBody<ChangeLineBody>,
) -> Result<Answer<Written<CartRecord>>, ApiError> {
    change_cart(&state, &buyer, ids, (Some(product_id), body.expected_version), |heads, user, _| {
        let cart = state_of(heads, cart_id(user.id), as_cart)
            .ok_or_else(|| DomainError::not_found("cart line", product_id))?;
        // The terms as they stand when the quantity changes: loaded with the cart.
        let terms = state_of(heads, terms_id(product_id), as_terms);
        Ok(cart::change_quantity(cart, product_id, terms, body.quantity)?)
    })
    .await
}

/// Takes a product out of the cart.
#[utoipa::path(delete, path = "/v1/cart/lines/{product_id}", tag = "cart", security(("bearer" = [])),
    params(("product_id" = Uuid, Path, description = "The product of the line")),
    responses((status = 200, description = "The cart", body = Written<CartRecord>),
              (status = 404, description = "The cart has no such line", body = service_http::openapi::Problem),
              (status = 409, description = "The company is disabled", body = service_http::openapi::Problem)))]
async fn remove_line(
    State(state): State<AppState>,
    buyer: Buyer,
    ids: RequestIds,
    Path(product_id): Path<Uuid>,
) -> Result<Answer<Written<CartRecord>>, ApiError> {
    change_cart(&state, &buyer, ids, (None, None), |heads, user, _| {
        let cart = state_of(heads, cart_id(user.id), as_cart)
            .ok_or_else(|| DomainError::not_found("cart line", product_id))?;
        Ok(cart::remove_line(cart, product_id)?)
    })
    .await
}

/// Decides on the buyer's cart, loaded with the buyer (who may have been disabled since the token
/// was issued), the company, and the product of the line (`product_of`) with its terms — all in
/// one round trip — and answers with the cart. With `expected` (the cart's version the buyer saw), a changed
/// cart is a 409.
async fn change_cart(
    state: &AppState,
    buyer: &Buyer,
    ids: RequestIds,
    (product_of, expected): (Option<Uuid>, Option<i64>),
    decide: impl Fn(&HashMap<Uuid, Head>, &User, Option<&Product>) -> Result<Vec<NewEvent>, ApiError>,
) -> Result<Answer<Written<CartRecord>>, ApiError> {
    let user_id = buyer.caller.user_id;
    let cart = cart_id(user_id);
    let streams = vec![user_id, cart, buyer.company];
    let ctx = context(&buyer.caller, ids);
    let load = || async {
        match product_of {
            Some(product_id) => {
                let with_terms = [&streams[..], &[terms_id(product_id)]].concat();
                state.catalog.heads_and_product(&with_terms, product_id).await
            }
            None => Ok((state.catalog.heads(&streams).await?, None)),
        }
    };
    let (committed, _) = state
        .catalog
        .change_contended(&ctx, load, |heads, product: &Option<Product>| {
            let user = state_of(heads, user_id, as_user)
                .ok_or_else(|| ApiError::Forbidden(format!("user {user_id} does not exist")))?;
            if state_of(heads, buyer.company, as_company).is_none_or(|c| c.disabled) {
                return Err(DomainError::Conflict(format!(
                    "company {} is disabled: its buyers cannot order",
                    buyer.company
                ))
                .into());
            }
            check_version(expected, heads.get(&cart).map_or(0, |h| h.version))?;
            decide(heads, user, product.as_ref())
        })
        .await?;
    Ok(written(StatusCode::OK, committed.position, cart_body(&committed, cart)))
}

/// The buyer's cart as written (prices are resolved when it is read: query API `GET /v1/cart`).
#[derive(Serialize, ToSchema)]
pub struct CartRecord {
    id: Uuid,
    lines: Vec<CartLine>,
    #[schema(minimum = 0)]
    version: i64,
}

fn cart_body(committed: &Committed, id: Uuid) -> CartRecord {
    let head = committed.head(id);
    let lines = head.and_then(|h| as_cart(&h.state)).map(|c| c.lines.clone()).unwrap_or_default();
    CartRecord { id, lines, version: head.map_or(0, |h| h.version) }
}
