//! A buyer's cart: one per buyer, by construction — its stream id is derived from the buyer's
//! (`cart_id`), so there is no second cart to find or merge. Lines name products and quantities
//! only: prices are resolved whenever the cart is shown or checked out (`pricing`), never stored,
//! so a cart never shows a stale price. Checking out empties the cart; it stays open for the next
//! order.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::money::Quantity;
use super::terms::{rules_of, ProductTerms};
use super::{cart_id, not_applicable};
use crate::error::DomainError;
use crate::events::{Change, Event, EvolveError, NewEvent, StreamType};
use crate::identity::user::User;
use crate::identity::Role;
use crate::product::Product;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CartLine {
    pub product_id: Uuid,
    pub quantity: Quantity,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cart {
    pub id: Uuid,
    pub buyer_id: Uuid,
    pub company_id: Uuid,
    /// One per product, in the order they were added.
    pub lines: Vec<CartLine>,
}

impl Cart {
    pub(crate) fn opened(id: Uuid, buyer_id: Uuid, company_id: Uuid) -> Cart {
        Cart { id, buyer_id, company_id, lines: Vec::new() }
    }

    pub fn line(&self, product_id: Uuid) -> Option<&CartLine> {
        self.lines.iter().find(|l| l.product_id == product_id)
    }

    pub(crate) fn apply(mut self, event: &Event) -> Result<Cart, EvolveError> {
        match event {
            Event::CartLineAdded { product_id, quantity } => {
                self.lines.push(CartLine { product_id: *product_id, quantity: *quantity })
            }
            Event::CartLineQuantityChanged { product_id, quantity } => {
                if let Some(line) = self.lines.iter_mut().find(|l| l.product_id == *product_id) {
                    line.quantity = quantity.to;
                }
            }
            Event::CartLineRemoved { product_id, .. } => self.lines.retain(|l| l.product_id != *product_id),
            Event::CartCheckedOut { .. } => self.lines.clear(),
            other => return Err(not_applicable(other, "a cart")),
        }
        Ok(self)
    }
}

fn on(buyer_id: Uuid, event: Event) -> NewEvent {
    NewEvent { stream_id: cart_id(buyer_id), stream_type: StreamType::Cart, event }
}

/// The buyer's company: only buyers have carts.
fn company_of(buyer: &User) -> Result<Uuid, DomainError> {
    match (buyer.role, buyer.company_id, buyer.disabled) {
        (_, _, true) => Err(DomainError::Conflict(format!("user {} is disabled", buyer.id))),
        (Role::Buyer, Some(company_id), false) => Ok(company_id),
        _ => Err(DomainError::Conflict("only a company's buyers have carts".into())),
    }
}

/// The quantity against the product's purchasing rules, as a 422 on `quantity`.
fn check_rules(terms: Option<&ProductTerms>, quantity: Quantity) -> Result<(), DomainError> {
    rules_of(terms).check("quantity", quantity).map_err(|e| DomainError::Invalid(vec![e]))
}

/// Adds `quantity` of a product; a product already in the cart gets its quantity raised. The
/// resulting quantity must meet the product's purchasing rules. A retired product is refused.
pub fn add_line(
    cart: Option<&Cart>,
    buyer: &User,
    product: &Product,
    terms: Option<&ProductTerms>,
    quantity: i64,
) -> Result<Vec<NewEvent>, DomainError> {
    let company_id = company_of(buyer)?;
    let quantity = Quantity::parse("quantity", quantity).map_err(|e| DomainError::Invalid(vec![e]))?;
    if product.retired {
        return Err(DomainError::Conflict(format!("product {} is retired", product.id)));
    }
    let existing = cart.and_then(|c| c.line(product.id));
    let total = match existing {
        Some(line) => line.quantity.checked_add(quantity).ok_or_else(|| {
            DomainError::invalid("quantity", "invalid_quantity", "the line would exceed the largest quantity")
        })?,
        None => quantity,
    };
    check_rules(terms, total)?;
    let mut events = Vec::new();
    if cart.is_none() {
        events.push(on(buyer.id, Event::CartOpened { buyer_id: buyer.id, company_id }));
    }
    events.push(on(
        buyer.id,
        match existing {
            Some(line) => Event::CartLineQuantityChanged {
                product_id: product.id,
                quantity: Change { from: line.quantity, to: total },
            },
            None => Event::CartLineAdded { product_id: product.id, quantity },
        },
    ));
    Ok(events)
}

fn line_of(cart: &Cart, product_id: Uuid) -> Result<CartLine, DomainError> {
    cart.line(product_id).copied().ok_or_else(|| DomainError::not_found("cart line", product_id))
}

/// Sets a line's quantity (still within the product's rules); the quantity it has is no change.
pub fn change_quantity(
    cart: &Cart,
    product_id: Uuid,
    terms: Option<&ProductTerms>,
    quantity: i64,
) -> Result<Vec<NewEvent>, DomainError> {
    let quantity = Quantity::parse("quantity", quantity).map_err(|e| DomainError::Invalid(vec![e]))?;
    let line = line_of(cart, product_id)?;
    if line.quantity == quantity {
        return Ok(Vec::new());
    }
    check_rules(terms, quantity)?;
    Ok(vec![on(
        cart.buyer_id,
        Event::CartLineQuantityChanged { product_id, quantity: Change { from: line.quantity, to: quantity } },
    )])
}

pub fn remove_line(cart: &Cart, product_id: Uuid) -> Result<Vec<NewEvent>, DomainError> {
    let line = line_of(cart, product_id)?;
    Ok(vec![on(cart.buyer_id, Event::CartLineRemoved { product_id, quantity: line.quantity })])
}

/// A cart line as the buyer sees it: flagged when its product was retired since it was added
/// (checkout refuses such a line; the buyer removes it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ReviewedLine {
    pub product_id: Uuid,
    pub quantity: Quantity,
    pub retired: bool,
}

/// The cart's lines with their flags. `product` finds a line's product; one not found counts as
/// retired (it can no longer be ordered either).
pub fn review<'p>(cart: &Cart, product: impl Fn(Uuid) -> Option<&'p Product>) -> Vec<ReviewedLine> {
    cart.lines
        .iter()
        .map(|line| ReviewedLine {
            product_id: line.product_id,
            quantity: line.quantity,
            retired: product(line.product_id).is_none_or(|p| p.retired),
        })
        .collect()
}
