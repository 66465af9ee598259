//! Stock: one product in one warehouse. Received, adjusted with a reason, reserved for an order,
//! released, shipped. The invariant, kept by every decision: `reserved <= on_hand`, so
//! `available = on_hand - reserved` never goes below zero and nothing is sold twice.
//!
//! Why one stream per product and warehouse (`stock_id(product, warehouse)`) rather than one per
//! product with its warehouses inside: a reservation only ever needs one warehouse's numbers, and
//! optimistic concurrency serializes exactly the writes that can oversell — those on the same
//! product in the same warehouse. Receipts and shipments in other warehouses do not turn
//! concurrent checkouts into 409 retries, and each stream stays short.
//!
//! Reservations are kept per order, so a release or a shipment consumes what that order holds and
//! never another order's units.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::money::Quantity;
use super::terms::StockPolicy;
use super::{not_applicable, stock_id};
use crate::error::DomainError;
use crate::events::{Change, Event, EvolveError, NewEvent, StreamType};

/// What one order holds of this stock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    pub reserved: u64,
    /// Ordered beyond what was available, under `StockPolicy::Backorder`.
    pub backordered: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stock {
    pub id: Uuid,
    pub product_id: Uuid,
    pub warehouse_id: Uuid,
    pub on_hand: u64,
    /// The sum of the orders' reservations.
    pub reserved: u64,
    pub orders: BTreeMap<Uuid, Allocation>,
}

/// Why stock was counted up or down outside receipts and shipments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentReason {
    CycleCount,
    Damaged,
    Lost,
    Found,
    Returned,
    Correction,
}

impl Stock {
    pub(crate) fn opened(id: Uuid, product_id: Uuid, warehouse_id: Uuid) -> Stock {
        Stock { id, product_id, warehouse_id, on_hand: 0, reserved: 0, orders: BTreeMap::new() }
    }

    /// On hand and not reserved.
    pub fn available(&self) -> u64 {
        self.on_hand.saturating_sub(self.reserved)
    }

    pub fn backordered(&self) -> u64 {
        self.orders.values().map(|a| a.backordered).sum()
    }

    pub(crate) fn apply(mut self, event: &Event) -> Result<Stock, EvolveError> {
        match event {
            Event::StockReceived { on_hand, .. } | Event::StockAdjusted { on_hand, .. } => self.on_hand = on_hand.to,
            Event::StockReserved { order_id, quantity, reserved } => {
                self.reserved = reserved.to;
                self.orders.entry(*order_id).or_default().reserved += u64::from(quantity.get());
            }
            Event::StockBackordered { order_id, quantity } => {
                self.orders.entry(*order_id).or_default().backordered += u64::from(quantity.get());
            }
            Event::StockAllocated { order_id, quantity, reserved } => {
                self.reserved = reserved.to;
                let allocation = self.orders.entry(*order_id).or_default();
                allocation.reserved += u64::from(quantity.get());
                allocation.backordered = allocation.backordered.saturating_sub(u64::from(quantity.get()));
            }
            Event::StockReleased { order_id, reserved, .. } => {
                self.reserved = reserved.to;
                self.orders.remove(order_id);
            }
            Event::StockShipped { order_id, quantity, on_hand, reserved } => {
                self.on_hand = on_hand.to;
                self.reserved = reserved.to;
                if let Some(allocation) = self.orders.get_mut(order_id) {
                    allocation.reserved = allocation.reserved.saturating_sub(u64::from(quantity.get()));
                    if *allocation == Allocation::default() {
                        self.orders.remove(order_id);
                    }
                }
            }
            other => return Err(not_applicable(other, "stock")),
        }
        Ok(self)
    }
}

fn on(stock_id: Uuid, event: Event) -> NewEvent {
    NewEvent { stream_id: stock_id, stream_type: StreamType::Stock, event }
}

/// The stock as it is, or a new empty one (whose first event opens the stream).
fn current_or_new(current: Option<&Stock>, product_id: Uuid, warehouse_id: Uuid) -> (Stock, Vec<NewEvent>) {
    match current {
        Some(stock) => (stock.clone(), Vec::new()),
        None => {
            let id = stock_id(product_id, warehouse_id);
            (Stock::opened(id, product_id, warehouse_id), vec![on(id, Event::StockOpened { product_id, warehouse_id })])
        }
    }
}

/// A count as a quantity, when it is one (zero is none).
fn units(count: u64) -> Option<Quantity> {
    Quantity::parse("quantity", i64::try_from(count).ok()?).ok()
}

fn too_much() -> DomainError {
    DomainError::Conflict("the stock would exceed the largest count kept".into())
}

/// Goods arrived: on hand grows.
pub fn receive(
    current: Option<&Stock>,
    product_id: Uuid,
    warehouse_id: Uuid,
    quantity: Quantity,
) -> Result<Vec<NewEvent>, DomainError> {
    let (stock, mut events) = current_or_new(current, product_id, warehouse_id);
    let to = stock.on_hand.checked_add(u64::from(quantity.get())).ok_or_else(too_much)?;
    events.push(on(stock.id, Event::StockReceived { quantity, on_hand: Change { from: stock.on_hand, to } }));
    Ok(events)
}

/// A counted correction by `by` units (non-zero), never below what is reserved.
pub fn adjust(stock: &Stock, by: i64, reason: AdjustmentReason) -> Result<Vec<NewEvent>, DomainError> {
    if by == 0 {
        return Err(DomainError::invalid("by", "zero_adjustment", "an adjustment changes the count by at least 1"));
    }
    let to = i128::from(stock.on_hand) + i128::from(by);
    if to < i128::from(stock.reserved) {
        return Err(DomainError::Conflict(format!(
            "on hand would be {to}, below the {} units reserved for orders",
            stock.reserved
        )));
    }
    let to = u64::try_from(to).map_err(|_| too_much())?;
    Ok(vec![on(stock.id, Event::StockAdjusted { by, reason, on_hand: Change { from: stock.on_hand, to } })])
}

/// Why a reservation was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReserveError {
    #[error("only {available} available, {requested} requested")]
    Insufficient { available: u64, requested: Quantity },
    #[error("order {0} holds a reservation of this stock already")]
    AlreadyReserved(Uuid),
}

impl From<ReserveError> for DomainError {
    fn from(error: ReserveError) -> Self {
        DomainError::Conflict(error.to_string())
    }
}

/// Reserves `quantity` for `order_id`. When less is available the product's policy decides:
/// `Refuse` refuses the whole line, `Backorder` reserves what is there and backorders the rest.
/// An order reserves a stock once (its lines are one per product).
pub fn reserve(
    current: Option<&Stock>,
    product_id: Uuid,
    warehouse_id: Uuid,
    order_id: Uuid,
    quantity: Quantity,
    policy: StockPolicy,
) -> Result<Vec<NewEvent>, ReserveError> {
    if current.is_some_and(|s| s.orders.contains_key(&order_id)) {
        return Err(ReserveError::AlreadyReserved(order_id));
    }
    let (stock, mut events) = current_or_new(current, product_id, warehouse_id);
    let requested = u64::from(quantity.get());
    let available = stock.available();
    if available < requested && policy == StockPolicy::Refuse {
        return Err(ReserveError::Insufficient { available, requested: quantity });
    }
    let now = requested.min(available);
    if let Some(now) = units(now) {
        let reserved = Change { from: stock.reserved, to: stock.reserved + u64::from(now.get()) };
        events.push(on(stock.id, Event::StockReserved { order_id, quantity: now, reserved }));
    }
    if let Some(rest) = units(requested - now) {
        events.push(on(stock.id, Event::StockBackordered { order_id, quantity: rest }));
    }
    Ok(events)
}

/// Turns as much of an order's backorder into a reservation as is now available.
pub fn allocate(stock: &Stock, order_id: Uuid) -> Result<Vec<NewEvent>, DomainError> {
    let backordered = stock.orders.get(&order_id).map_or(0, |a| a.backordered);
    let now = backordered.min(stock.available());
    let Some(quantity) = units(now) else {
        return Ok(Vec::new());
    };
    let reserved = Change { from: stock.reserved, to: stock.reserved + now };
    Ok(vec![on(stock.id, Event::StockAllocated { order_id, quantity, reserved })])
}

/// Gives back everything `order_id` holds (reserved and backordered). Nothing held is no change.
pub fn release(stock: &Stock, order_id: Uuid) -> Vec<NewEvent> {
    let Some(held) = stock.orders.get(&order_id) else { return Vec::new() };
    let reserved = Change { from: stock.reserved, to: stock.reserved.saturating_sub(held.reserved) };
    vec![on(
        stock.id,
        Event::StockReleased { order_id, quantity: held.reserved, backordered: held.backordered, reserved },
    )]
}

/// Ships `quantity` out of what `order_id` has reserved: on hand and reserved both shrink.
pub fn ship(stock: &Stock, order_id: Uuid, quantity: Quantity) -> Result<Vec<NewEvent>, DomainError> {
    let held = stock.orders.get(&order_id).map_or(0, |a| a.reserved);
    let units = u64::from(quantity.get());
    if held < units {
        return Err(DomainError::Conflict(format!(
            "order {order_id} has {held} units reserved in warehouse {}, fewer than the {units} to ship",
            stock.warehouse_id
        )));
    }
    let on_hand = Change { from: stock.on_hand, to: stock.on_hand.saturating_sub(units) };
    let reserved = Change { from: stock.reserved, to: stock.reserved.saturating_sub(units) };
    Ok(vec![on(stock.id, Event::StockShipped { order_id, quantity, on_hand, reserved })])
}
