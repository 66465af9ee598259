//! `POST /v1/checkout`: the buyer's cart becomes an order — prices resolved and frozen, stock
//! reserved for every line, the cart emptied — in one append (see `crate::commerce::checkout`).
//!
//! `Idempotency-Key` makes a retry safe: the order's id is derived from the buyer and the key, so
//! the same key finds the order placed and answers it (200) instead of placing a second (201).
//! The same key with another PO number or address is a 409. Without the header a key is made up
//! and answered in the `Idempotency-Key` response header — a client that may retry should send
//! its own.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use domain::commerce::checkout::{AddressInput, IdempotencyKey};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::orders::{order_body, OrderRecord};
use super::{context, written, Answer, Written};
use crate::commerce::{self, CheckoutRequest};
use crate::error::ApiError;
use crate::extract::{Buyer, JsonBody, RequestIds};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(checkout))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CheckoutBody {
    /// The buyer's purchase order number.
    #[schema(schema_with = domain::openapi::names::max_50)]
    po_number: String,
    shipping_address: AddressInput,
}

/// Places an order from the buyer's cart, with the company's payment terms.
#[utoipa::path(post, path = "/v1/checkout", tag = "cart", security(("bearer" = [])), request_body = CheckoutBody,
    responses((status = 201, description = "The order placed", body = Written<OrderRecord>),
              (status = 200, description = "The order this key placed before (a retry)", body = Written<OrderRecord>),
              (status = 409, description = "The cart is empty, stock is short (refuse policy), or the key was used for another checkout", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields, or cart lines that cannot be ordered, each listed", body = service_http::openapi::Problem)))]
async fn checkout(
    State(state): State<AppState>,
    buyer: Buyer,
    ids: RequestIds,
    headers: HeaderMap,
    JsonBody(body): JsonBody<CheckoutBody>,
) -> Result<(HeaderMap, Answer<Written<OrderRecord>>), ApiError> {
    let key = match headers.get("idempotency-key") {
        Some(value) => {
            let text = value.to_str().unwrap_or("\u{0}");
            IdempotencyKey::parse("Idempotency-Key", text).map_err(|e| ApiError::Invalid(vec![e]))?
        }
        None => IdempotencyKey::parse("Idempotency-Key", &Uuid::new_v4().to_string())
            .map_err(|e| ApiError::Invalid(vec![e]))?,
    };
    let ctx = context(&buyer.caller, ids);
    let request = CheckoutRequest {
        buyer_id: buyer.caller.user_id,
        company_id: buyer.company,
        key: key.clone(),
        po_number: body.po_number,
        shipping_address: body.shipping_address,
        show_availability: state.show_availability,
    };
    let placed = commerce::checkout(&state.catalog, &ctx, request).await?;
    let status = if placed.placed_now { StatusCode::CREATED } else { StatusCode::OK };
    let answer = written(status, placed.committed.position, order_body(&placed.committed.heads, placed.order_id)?);
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(key.as_str()) {
        headers.insert("idempotency-key", value);
    }
    Ok((headers, answer))
}
