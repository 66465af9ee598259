//! A product's terms of sale: its list price and its purchasing rules (minimum order quantity, pack
//! size, and whether an order may exceed the stock).
//!
//! Why a stream of its own (`terms_id(product)`) rather than events on the product's stream:
//! - Different people change them: the catalog is admin work, prices and rules are ops work
//!   (API.md). On one stream a price change would bump the product's version and turn an admin's
//!   concurrent spec edit into a 409, although the two never conflict.
//! - The read model rewrites a product's search row (five tsvectors, facets) whenever its stream
//!   moves; price changes are frequent and must not pay for that, nor slow a rebuild.
//! - The product's `Product` state is rebuilt from read-model columns by the projector; its shape
//!   stays as it is.
//!
//! The stream id is derived from the product id, so the terms of a product are found without a
//! lookup, and a product has at most one.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::money::{Money, Quantity};
use super::{not_applicable, terms_id};
use crate::error::{DomainError, FieldError, Problems};
use crate::events::{Change, Event, EvolveError, NewEvent, StreamType};
use crate::product::Product;

/// What happens when an order asks for more than is available.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StockPolicy {
    /// The order is refused.
    #[default]
    Refuse,
    /// What is available is reserved and the rest is backordered.
    Backorder,
}

/// How much of a product one order line may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchasingRules {
    /// The minimum order quantity; a multiple of `increment`.
    pub minimum: Quantity,
    /// The pack size: a line holds whole packs.
    pub increment: Quantity,
    pub stock_policy: StockPolicy,
}

impl Default for PurchasingRules {
    fn default() -> Self {
        PurchasingRules { minimum: Quantity::ONE, increment: Quantity::ONE, stock_policy: StockPolicy::Refuse }
    }
}

impl PurchasingRules {
    /// Rules as given in a command: both numbers are quantities and the minimum is whole packs.
    pub fn parse(minimum: i64, increment: i64, stock_policy: StockPolicy) -> Result<PurchasingRules, DomainError> {
        let mut problems = Problems::default();
        let minimum = problems.check(Quantity::parse("minimum_quantity", minimum));
        let increment = problems.check(Quantity::parse("order_increment", increment));
        if let (Some(minimum), Some(increment)) = (minimum, increment) {
            if !minimum.get().is_multiple_of(increment.get()) {
                problems.push(FieldError::new(
                    "minimum_quantity",
                    "minimum_not_whole_packs",
                    format!("the minimum order quantity must be a multiple of the order increment {increment}"),
                ));
            }
        }
        problems.finish()?;
        match (minimum, increment) {
            (Some(minimum), Some(increment)) => Ok(PurchasingRules { minimum, increment, stock_policy }),
            _ => Err(DomainError::invalid("minimum_quantity", "invalid_quantity", "invalid purchasing rules")),
        }
    }

    /// Whether a line may hold `quantity`: at least the minimum, in whole packs. Cart and checkout
    /// both use this, with the field the quantity came from.
    pub fn check(&self, field: &str, quantity: Quantity) -> Result<(), FieldError> {
        let (minimum, increment) = (self.minimum.get(), self.increment.get());
        if quantity.get() < minimum {
            return Err(FieldError::new(
                field,
                "below_minimum_quantity",
                format!("{field} must be at least the minimum order quantity {minimum}"),
            ));
        }
        if !quantity.get().is_multiple_of(increment) {
            let lower = quantity.get() - quantity.get() % increment;
            return Err(FieldError::new(
                field,
                "not_whole_packs",
                format!(
                    "{field} must be a multiple of the pack size {increment}, such as {lower} or {}",
                    lower + increment
                ),
            ));
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductTerms {
    pub id: Uuid,
    pub product_id: Uuid,
    /// None until set: such a product sells only through a price list that holds it.
    pub list_price: Option<Money>,
    pub rules: PurchasingRules,
}

impl ProductTerms {
    pub(crate) fn opened(id: Uuid, product_id: Uuid) -> ProductTerms {
        ProductTerms { id, product_id, list_price: None, rules: PurchasingRules::default() }
    }

    pub(crate) fn apply(mut self, event: &Event) -> Result<ProductTerms, EvolveError> {
        match event {
            Event::ListPriceSet { price } => self.list_price = price.to,
            Event::PurchasingRulesSet { rules } => self.rules = rules.to,
            other => return Err(not_applicable(other, "product terms")),
        }
        Ok(self)
    }
}

/// The rules of a product whose terms were never set.
pub fn rules_of(terms: Option<&ProductTerms>) -> PurchasingRules {
    terms.map(|t| t.rules).unwrap_or_default()
}

fn on_terms(product: &Product, current: Option<&ProductTerms>, event: Event) -> Vec<NewEvent> {
    let stream_id = terms_id(product.id);
    let mut events = Vec::new();
    if current.is_none() {
        events.push(NewEvent {
            stream_id,
            stream_type: StreamType::ProductTerms,
            event: Event::ProductTermsOpened { product_id: product.id },
        });
    }
    events.push(NewEvent { stream_id, stream_type: StreamType::ProductTerms, event });
    events
}

/// Sets (or with `None`, withdraws) the list price. A retired product's terms no longer change;
/// the price it has is no change.
pub fn set_list_price(
    product: &Product,
    current: Option<&ProductTerms>,
    price: Option<Money>,
) -> Result<Vec<NewEvent>, DomainError> {
    if product.retired {
        return Err(DomainError::Conflict(format!("product {} is retired", product.id)));
    }
    let from = current.and_then(|t| t.list_price);
    if from == price {
        return Ok(Vec::new());
    }
    Ok(on_terms(product, current, Event::ListPriceSet { price: Change { from, to: price } }))
}

/// Sets the purchasing rules (parsed with `PurchasingRules::parse`); the rules it has are no change.
pub fn set_rules(
    product: &Product,
    current: Option<&ProductTerms>,
    rules: PurchasingRules,
) -> Result<Vec<NewEvent>, DomainError> {
    if product.retired {
        return Err(DomainError::Conflict(format!("product {} is retired", product.id)));
    }
    let from = rules_of(current);
    if current.is_some() && from == rules {
        return Ok(Vec::new());
    }
    Ok(on_terms(product, current, Event::PurchasingRulesSet { rules: Change { from, to: rules } }))
}
