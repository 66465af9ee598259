//! Commerce: what a product sells for and on which terms, the stock that backs it, a buyer's cart
//! and the orders placed from it. Pure like the catalog: the caller loads the streams a command
//! needs, passes today's date and new ids in, and appends the events in one transaction.
//!
//! Streams, and where their ids come from:
//! - `ProductTerms` (`terms_id(product)`): a product's list price and purchasing rules (minimum
//!   order quantity, pack size, what happens when stock runs out). See `terms` for why this is a
//!   stream of its own and not events on the product's.
//! - `PriceList` (a new id): a named set of negotiated prices, assigned to companies.
//! - `Stock` (`stock_id(product, warehouse)`): one product in one warehouse. See `stock`.
//! - `Cart` (`cart_id(buyer)`): a buyer's one open cart — one per buyer by construction, since
//!   the id is derived from the buyer's; checking out empties it and it stays open.
//! - `Order` (`order_id(buyer, idempotency key)`): a retried checkout derives the same id, finds
//!   the order placed and places nothing (see `checkout`).
//!
//! Several of these ids are derived (UUID v5) rather than random, so the streams a command needs
//! are found without a lookup and a second stream for the same thing cannot exist.

pub mod cart;
pub mod checkout;
pub mod country;
pub mod money;
pub mod order;
pub mod price_list;
pub mod pricing;
pub mod stock;
pub mod terms;

#[cfg(test)]
mod tests;

pub use money::{Currency, Money, MoneyError, Quantity};

use uuid::Uuid;

pub(crate) use crate::events::not_applicable;

/// The namespace of Ferrule's derived commerce stream ids (fixed forever: changing it would
/// orphan every derived stream).
const NAMESPACE: Uuid = Uuid::from_u128(0x6a1f_5b0e_92c4_4d7e_8f3a_c0de_f0e5_7a11);

fn derived(kind: &str, parts: &[Uuid], text: &str) -> Uuid {
    let mut name = kind.to_owned();
    for part in parts {
        name.push(':');
        name.push_str(&part.simple().to_string());
    }
    if !text.is_empty() {
        name.push(':');
        name.push_str(text);
    }
    Uuid::new_v5(&NAMESPACE, name.as_bytes())
}

/// The stream of a product's list price and purchasing rules.
pub fn terms_id(product_id: Uuid) -> Uuid {
    derived("terms", &[product_id], "")
}

/// The stream of one product's stock in one warehouse.
pub fn stock_id(product_id: Uuid, warehouse_id: Uuid) -> Uuid {
    derived("stock", &[product_id, warehouse_id], "")
}

/// A buyer's cart.
pub fn cart_id(buyer_id: Uuid) -> Uuid {
    derived("cart", &[buyer_id], "")
}

/// The order a buyer's checkout with this idempotency key places (and a retry finds).
pub fn order_id(buyer_id: Uuid, idempotency_key: &checkout::IdempotencyKey) -> Uuid {
    derived("order", &[buyer_id], idempotency_key.as_str())
}
