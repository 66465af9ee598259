//! The commerce value schemas both APIs' documents share: money, where a price came from, and a
//! shipping address (as `domain::commerce` serializes them).

use utoipa::ToSchema;
use uuid::Uuid;

/// `{ "amount_minor": 1299, "currency": "EUR" }`: integer minor units of an ISO 4217 currency.
#[derive(ToSchema)]
#[allow(dead_code)] // Schemas only: the bodies are the domain's types.
pub struct Money {
    amount_minor: i64,
    currency: String,
}

/// Where a unit price came from: `{"kind": "list_price"}` or
/// `{"kind": "price_list", "price_list_id", "min_quantity"}` (the break applied).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PriceSource {
    kind: String,
    price_list_id: Option<Uuid>,
    min_quantity: Option<u32>,
}

/// A shipping address (a field it does not know is refused, as `domain`'s `AddressInput` says).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ShippingAddress {
    recipient: String,
    line1: String,
    line2: Option<String>,
    city: String,
    postal_code: String,
    region: Option<String>,
    /// An assigned ISO 3166-1 alpha-2 code (`ZZ`, `XK` and other user-assigned codes are not);
    /// any case when sent, upper case when answered.
    #[schema(pattern = "^[A-Za-z]{2}$", example = "DE")]
    country: String,
}
