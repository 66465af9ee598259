//! OpenAPI schemas of the commerce answers: prices, the cart, orders, stock and price lists.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

pub use service_http::openapi::commerce::{Money, PriceSource, ShippingAddress};

/// From `min_quantity` units on, each costs `unit` (priced as charged, for the buyer's company).
#[derive(ToSchema)]
pub struct QuantityBreak {
    min_quantity: u32,
    unit: Money,
    source: PriceSource,
}

/// The caller's price of a product, present only with an access token. A buyer gets its company's
/// unit price at `quantity` (the minimum order quantity unless `?quantity=` was given) and the
/// breaks that apply to its company; ops and admin get the list price and no breaks. `unit` is
/// null with a `problem` (`no_price`, `currency_mismatch`) when the product cannot be sold so.
#[derive(ToSchema)]
pub struct Price {
    quantity: u32,
    unit: Option<Money>,
    source: Option<PriceSource>,
    problem: Option<String>,
    minimum_quantity: u32,
    order_increment: u32,
    /// `refuse` or `backorder`: what happens when an order asks for more than is available.
    stock_policy: String,
    breaks: Vec<QuantityBreak>,
}

/// A cart line, priced now for the buyer's company.
#[derive(ToSchema)]
pub struct CartLineView {
    product_id: Uuid,
    sku: Option<String>,
    name: Option<String>,
    quantity: u32,
    unit_price: Option<Money>,
    line_total: Option<Money>,
    price_source: Option<PriceSource>,
    /// `no_price` or `currency_mismatch` when the line has no price.
    price_problem: Option<String>,
    /// The product was retired since it was added: remove the line to check out.
    retired: bool,
    minimum_quantity: u32,
    order_increment: u32,
    /// The quantity is below the minimum or not whole packs.
    breaks_rules: bool,
    /// `below_minimum_quantity` or `not_whole_packs`.
    rule_problem: Option<String>,
}

/// The buyer's cart: lines in the order added, priced on `priced_on`.
#[derive(ToSchema)]
pub struct CartView {
    id: Uuid,
    buyer_id: Uuid,
    company_id: Uuid,
    lines: Vec<CartLineView>,
    /// The sum of the line totals of the lines not retired; null when there are none or their
    /// currencies differ.
    total: Option<Money>,
    /// Whether checkout would take every line as it is.
    orderable: bool,
    priced_on: NaiveDate,
    /// 0 for a buyer who never had a cart.
    version: i64,
    position: i64,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum OrderStatus {
    Placed,
    Confirmed,
    PartiallyShipped,
    Shipped,
    Delivered,
    Cancelled,
}

#[derive(ToSchema)]
pub struct OrderSummary {
    id: Uuid,
    company_id: Uuid,
    buyer_id: Uuid,
    status: OrderStatus,
    po_number: String,
    /// `prepaid`, `net30` or `net60`, as frozen at checkout.
    payment_terms: String,
    total: Money,
    /// How many lines.
    lines: u32,
    placed_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
}

#[derive(ToSchema)]
pub struct OrderPage {
    total: u64,
    page: u32,
    per_page: u32,
    orders: Vec<OrderSummary>,
}

/// A line as placed (price frozen) and how far it got.
#[derive(ToSchema)]
pub struct OrderLineView {
    product_id: Uuid,
    sku: String,
    name: String,
    warehouse_id: Uuid,
    quantity: u32,
    shipped: u32,
    /// Still waiting for stock.
    backordered: u64,
    backordered_at_placement: u32,
    /// Reserved for it in its warehouse and not shipped yet.
    reserved: u64,
    unit_price: Money,
    price_source: PriceSource,
    line_total: Money,
}

#[derive(ToSchema)]
pub struct Actor {
    id: String,
    role: String,
}

/// One event of the order: the status it moved from (null when placed) and to, who and when.
#[derive(ToSchema)]
pub struct StatusChange {
    version: i64,
    position: i64,
    /// `OrderPlaced`, `OrderConfirmed`, `OrderShipped`, `OrderDelivered`, `OrderCancelled`.
    event: String,
    from_status: Option<OrderStatus>,
    to_status: OrderStatus,
    actor: Actor,
    recorded_at: DateTime<Utc>,
    /// What it carried: the shipment (`shipment_id`, `lines`), the cancel `reason`, or at
    /// placement `po_number`, `lines` and `total`.
    #[schema(value_type = Object)]
    details: Value,
}

#[derive(ToSchema)]
pub struct OrderDetail {
    id: Uuid,
    company_id: Uuid,
    buyer_id: Uuid,
    status: OrderStatus,
    po_number: String,
    payment_terms: String,
    shipping_address: ShippingAddress,
    lines: Vec<OrderLineView>,
    total: Money,
    placed_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    history: Vec<StatusChange>,
    version: i64,
    position: i64,
}

#[derive(ToSchema)]
pub struct StockLevel {
    product_id: Uuid,
    sku: Option<String>,
    name: Option<String>,
    warehouse_id: Uuid,
    on_hand: u64,
    reserved: u64,
    /// On hand and not reserved.
    available: u64,
    /// Ordered beyond what was available, waiting for stock.
    backordered: u64,
    version: i64,
    position: i64,
}

#[derive(ToSchema)]
pub struct StockPage {
    total: u64,
    page: u32,
    per_page: u32,
    stock: Vec<StockLevel>,
}

#[derive(ToSchema)]
pub struct PriceListSummary {
    id: Uuid,
    name: String,
    currency: String,
    priority: i32,
    valid_from: Option<NaiveDate>,
    valid_until: Option<NaiveDate>,
    valid_today: bool,
    /// How many products it prices.
    entries: u64,
    companies: Vec<Uuid>,
    version: i64,
    position: i64,
}

#[derive(ToSchema)]
pub struct PriceListPage {
    total: u64,
    page: u32,
    per_page: u32,
    price_lists: Vec<PriceListSummary>,
}

#[derive(ToSchema)]
pub struct ListBreak {
    min_quantity: u32,
    unit_price: Money,
}

#[derive(ToSchema)]
pub struct PriceListEntry {
    product_id: Uuid,
    sku: Option<String>,
    name: Option<String>,
    breaks: Vec<ListBreak>,
}

#[derive(ToSchema)]
pub struct PriceListDetail {
    id: Uuid,
    name: String,
    currency: String,
    priority: i32,
    valid_from: Option<NaiveDate>,
    valid_until: Option<NaiveDate>,
    valid_today: bool,
    companies: Vec<Uuid>,
    entries: Vec<PriceListEntry>,
    version: i64,
    position: i64,
}
