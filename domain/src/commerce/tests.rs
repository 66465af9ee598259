//! Given / when / then over events for commerce: the streams a command needs are folded from given
//! events, the command is decided, the exact events (or the refusal) are checked, and the decided
//! events fold on top of the given ones.

#![allow(clippy::unwrap_used)]

mod cart;
mod order;
mod pricing;
mod stock;

use chrono::NaiveDate;
use uuid::Uuid;

use super::cart::Cart;
use super::money::{Currency, Money, Quantity};
use super::order::Order;
use super::price_list::PriceList;
use super::stock::Stock;
use super::terms::ProductTerms;
use crate::error::DomainError;
use crate::events::{replay, Aggregate, Event, NewEvent};
use crate::identity::company::Company;
use crate::identity::user::User;
use crate::identity::{Email, PasswordHash, Role};
use crate::names::Sku;
use crate::product::Product;

pub const ACME: Uuid = Uuid::from_u128(0xC0);
pub const BUYER: Uuid = Uuid::from_u128(0xB0);
pub const BOLT: Uuid = Uuid::from_u128(0xA1);
pub const NUT: Uuid = Uuid::from_u128(0xA2);
pub const MAIN: Uuid = Uuid::from_u128(0xE1);

pub fn eur(amount_minor: i64) -> Money {
    Money::new(amount_minor, currency("EUR"))
}

pub fn currency(code: &str) -> Currency {
    Currency::parse("currency", code).unwrap()
}

pub fn qty(n: u32) -> Quantity {
    Quantity::parse("quantity", n.into()).unwrap()
}

pub fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

pub fn product(id: Uuid, sku: &str) -> Product {
    Product {
        id,
        family_id: Uuid::from_u128(0xF0),
        name: format!("Product {sku}"),
        sku: Sku::parse(sku).unwrap(),
        specs: Default::default(),
        variant_key: None,
        retired: false,
        external_id: None,
    }
}

pub fn retired(product: Product) -> Product {
    Product { retired: true, ..product }
}

pub fn acme() -> Company {
    Company { id: ACME, name: "ACME".into(), disabled: false, payment_terms: Default::default() }
}

pub fn buyer() -> User {
    User {
        id: BUYER,
        email: Email::parse("email", "buyer@acme.io").unwrap(),
        role: Role::Buyer,
        company_id: Some(ACME),
        password_hash: PasswordHash("$argon2id$x".into()),
        disabled: false,
    }
}

/// The events a decision produced, or a panic naming the refusal.
pub fn accepted(result: Result<Vec<NewEvent>, DomainError>) -> Vec<NewEvent> {
    result.unwrap_or_else(|e| panic!("refused: {e:?}"))
}

pub fn events(decided: &[NewEvent]) -> Vec<Event> {
    decided.iter().map(|e| e.event.clone()).collect()
}

/// The state of `stream_id` after the given events (those of other streams are left out).
pub fn state(given: &[NewEvent], stream_id: Uuid) -> Option<Aggregate> {
    replay(stream_id, given.iter().filter(|e| e.stream_id == stream_id).map(|e| &e.event)).unwrap()
}

macro_rules! state_of {
    ($name:ident, $variant:ident, $type:ty) => {
        pub fn $name(given: &[NewEvent], stream_id: Uuid) -> $type {
            match state(given, stream_id) {
                Some(Aggregate::$variant(s)) => s,
                other => panic!("not a {}: {other:?}", stringify!($variant)),
            }
        }
    };
}

state_of!(terms_of, ProductTerms, ProductTerms);
state_of!(list_of, PriceList, PriceList);
state_of!(stock_of, Stock, Stock);
state_of!(cart_of, Cart, Cart);
state_of!(order_of, Order, Order);

/// A conflict's message, or a panic naming what came instead.
pub fn conflict<T: std::fmt::Debug>(result: Result<T, DomainError>) -> String {
    match result {
        Err(DomainError::Conflict(message)) => message,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

/// Every event survives the event store: stored by type name and payload, read back the same.
pub fn assert_stored_round_trip(events: &[NewEvent]) {
    for e in events {
        let back = Event::from_stored(e.event.type_name(), crate::events::SCHEMA_VERSION, &e.event.payload());
        assert_eq!(back.as_ref(), Ok(&e.event), "{}", e.event.type_name());
    }
}
