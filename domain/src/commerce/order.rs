//! The order lifecycle: placed → confirmed → (partially) shipped → delivered, or cancelled before
//! anything shipped. Any other transition is a `DomainError::Conflict` (HTTP 409). Each transition
//! is an event carrying the status change (its actor is in the event's metadata); shipping and
//! cancelling also move the stock the order holds, in the same decision.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::checkout::{IdempotencyKey, PoNumber, ShippingAddress};
use super::money::{Money, Quantity};
use super::pricing::PriceSource;
use super::{not_applicable, stock, stock::Stock, stock_id};
use crate::error::{DomainError, FieldError, Problems};
use crate::events::{Change, Event, EvolveError, NewEvent, StreamType};
use crate::identity::company::PaymentTerms;
use crate::names::{parse_name, Sku};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Placed,
    Confirmed,
    PartiallyShipped,
    Shipped,
    Delivered,
    Cancelled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Placed => "placed",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::PartiallyShipped => "partially_shipped",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
        }
    }
}

/// One product of an order as placed: its price resolved and frozen, and the warehouse it is
/// reserved in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    pub product_id: Uuid,
    pub sku: Sku,
    pub name: String,
    pub warehouse_id: Uuid,
    pub quantity: Quantity,
    pub unit_price: Money,
    pub price_source: PriceSource,
    pub line_total: Money,
    /// How much of it was backordered at placement (under a `Backorder` policy).
    pub backordered: u32,
}

/// Everything an order is placed with, frozen in its first event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlacedOrder {
    pub company_id: Uuid,
    pub buyer_id: Uuid,
    pub idempotency_key: IdempotencyKey,
    pub po_number: PoNumber,
    pub shipping_address: ShippingAddress,
    pub payment_terms: PaymentTerms,
    pub lines: Vec<OrderLine>,
    pub total: Money,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippedLine {
    pub product_id: Uuid,
    pub quantity: Quantity,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub id: Uuid,
    pub placed: PlacedOrder,
    pub status: OrderStatus,
    /// Per line (in `placed.lines` order), the units shipped so far.
    pub shipped: Vec<u32>,
    pub shipments: Vec<Uuid>,
}

impl Order {
    pub(crate) fn placed(id: Uuid, placed: &PlacedOrder) -> Order {
        let shipped = vec![0; placed.lines.len()];
        Order { id, placed: placed.clone(), status: OrderStatus::Placed, shipped, shipments: Vec::new() }
    }

    fn fully_shipped(&self) -> bool {
        self.placed.lines.iter().zip(&self.shipped).all(|(line, shipped)| *shipped >= line.quantity.get())
    }

    pub(crate) fn apply(mut self, event: &Event) -> Result<Order, EvolveError> {
        match event {
            Event::OrderConfirmed { status } | Event::OrderDelivered { status } => self.status = status.to,
            Event::OrderCancelled { status, .. } => self.status = status.to,
            Event::OrderShipped { shipment_id, lines, status } => {
                for shipped in lines {
                    let index = self.placed.lines.iter().position(|l| l.product_id == shipped.product_id);
                    let slot = index.and_then(|i| self.shipped.get_mut(i));
                    let Some(slot) = slot else { return Err(not_applicable(event, "an order without that line")) };
                    *slot += shipped.quantity.get();
                }
                self.shipments.push(*shipment_id);
                self.status = status.to;
            }
            other => return Err(not_applicable(other, "an order")),
        }
        Ok(self)
    }
}

fn on(order: &Order, event: Event) -> NewEvent {
    NewEvent { stream_id: order.id, stream_type: StreamType::Order, event }
}

fn refused(order: &Order, action: &str) -> DomainError {
    DomainError::Conflict(format!("order {} is {}: it cannot be {action}", order.id, order.status.as_str()))
}

/// Ops accept a placed order.
pub fn confirm(order: &Order) -> Result<Vec<NewEvent>, DomainError> {
    if order.status != OrderStatus::Placed {
        return Err(refused(order, "confirmed"));
    }
    Ok(vec![on(order, Event::OrderConfirmed { status: Change { from: order.status, to: OrderStatus::Confirmed } })])
}

/// A shipment as given: a product of the order and how many of it leave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipInput {
    pub product_id: Uuid,
    pub quantity: i64,
}

/// Ships some of a confirmed order's lines (a partial shipment) out of their reservations.
/// `stocks` holds the stock of each shipped line's product in the warehouse it was reserved in.
/// Every bad line of the shipment is listed (`lines[i].…`; a product named twice is one of them);
/// shipping more than is reserved (an unallocated backorder) is a conflict.
pub fn ship(
    order: &Order,
    stocks: &[Stock],
    shipment_id: Uuid,
    input: &[ShipInput],
) -> Result<Vec<NewEvent>, DomainError> {
    if !matches!(order.status, OrderStatus::Confirmed | OrderStatus::PartiallyShipped) {
        return Err(refused(order, "shipped"));
    }
    let mut problems = Problems::default();
    if input.is_empty() {
        problems.push(FieldError::new("lines", "empty_shipment", "a shipment holds at least one line"));
    }
    let mut after = order.shipped.clone();
    let mut lines = Vec::new();
    let mut stock_events = Vec::new();
    for (i, given) in input.iter().enumerate() {
        let field = format!("lines[{i}]");
        // Each product once: its stock event is decided on the stock as loaded, so a second line
        // of it would be decided on a count the first already changed.
        if input[..i].iter().any(|earlier| earlier.product_id == given.product_id) {
            let message = "name each product once per shipment, with the whole quantity";
            problems.push(FieldError::new(format!("{field}.product_id"), "duplicate_line", message));
            continue;
        }
        let Some(index) = order.placed.lines.iter().position(|l| l.product_id == given.product_id) else {
            problems.push(FieldError::new(format!("{field}.product_id"), "not_in_order", "the order has no such line"));
            continue;
        };
        let Some(quantity) = problems.check(Quantity::parse(&format!("{field}.quantity"), given.quantity)) else {
            continue;
        };
        let line = &order.placed.lines[index];
        let total = after[index].saturating_add(quantity.get());
        if total > line.quantity.get() {
            let left = line.quantity.get().saturating_sub(after[index]);
            problems.push(FieldError::new(
                format!("{field}.quantity"),
                "more_than_ordered",
                format!("only {left} of this line remain to ship"),
            ));
            continue;
        }
        after[index] = total;
        lines.push(ShippedLine { product_id: line.product_id, quantity });
        let id = stock_id(line.product_id, line.warehouse_id);
        match stocks.iter().find(|s| s.id == id) {
            Some(stock) => stock_events.push((stock, quantity)),
            None => problems.push(FieldError::new(format!("{field}.product_id"), "no_stock", "no stock is reserved")),
        }
    }
    problems.finish()?;
    let mut events = Vec::new();
    for (stock, quantity) in stock_events {
        events.extend(stock::ship(stock, order.id, quantity)?);
    }
    let shipped = Order { shipped: after, ..order.clone() };
    let to = if shipped.fully_shipped() { OrderStatus::Shipped } else { OrderStatus::PartiallyShipped };
    let status = Change { from: order.status, to };
    events.insert(0, on(order, Event::OrderShipped { shipment_id, lines, status }));
    Ok(events)
}

/// The carrier delivered a fully shipped order.
pub fn deliver(order: &Order) -> Result<Vec<NewEvent>, DomainError> {
    if order.status != OrderStatus::Shipped {
        return Err(refused(order, "delivered"));
    }
    Ok(vec![on(order, Event::OrderDelivered { status: Change { from: order.status, to: OrderStatus::Delivered } })])
}

pub const REASON_MAX: usize = 500;

/// Cancels an order nothing of which has shipped, releasing what it holds in `stocks` (the
/// stock of each of its lines' products in the warehouse reserved in).
pub fn cancel(order: &Order, stocks: &[Stock], reason: &str) -> Result<Vec<NewEvent>, DomainError> {
    let reason = parse_name("reason", reason, REASON_MAX).map_err(|e| DomainError::Invalid(vec![e]))?;
    if !matches!(order.status, OrderStatus::Placed | OrderStatus::Confirmed) {
        return Err(refused(order, "cancelled"));
    }
    let status = Change { from: order.status, to: OrderStatus::Cancelled };
    let mut events = vec![on(order, Event::OrderCancelled { reason, status })];
    for line in &order.placed.lines {
        let id = stock_id(line.product_id, line.warehouse_id);
        if let Some(stock) = stocks.iter().find(|s| s.id == id) {
            events.extend(stock::release(stock, order.id));
        }
    }
    Ok(events)
}
