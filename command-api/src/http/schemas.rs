//! OpenAPI schemas of what the handlers answer and of the request types that live in other crates
//! (`domain`, `event-store`), which stay free of documentation dependencies. Request bodies
//! defined in this crate carry their own `ToSchema`.
#![allow(dead_code)] // Schemas only: the bodies themselves are built in the handlers.

use chrono::{DateTime, Utc};
use serde_json::Value;
use service_http::openapi::commerce::{Money, PriceSource, ShippingAddress};
use utoipa::ToSchema;
use uuid::Uuid;

/// A role: `admin` (everything), `ops` (orders, inventory, pricing), `buyer` (its company's
/// carts and orders).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Ops,
    Buyer,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum AttributeType {
    Text,
    Number,
    Boolean,
    Select,
    MultiSelect,
}

/// An attribute definition as sent (`domain::DefinitionInput`); every problem is reported at once.
#[derive(ToSchema)]
pub struct DefinitionInput {
    /// 1 to 200 characters.
    label: String,
    #[schema(rename = "type")]
    kind: AttributeType,
    /// A unit of a measurement family (number attributes): mm, cm, m, in, V, kV, mV, W, kW, …
    unit: Option<String>,
    /// Bounds of a number attribute, in its unit.
    min: Option<f64>,
    max: Option<f64>,
    /// The allowed values of a select or multi_select attribute.
    options: Option<Vec<String>>,
    /// A pattern text values must match.
    regex: Option<String>,
    #[schema(default = false)]
    required: Option<bool>,
    /// Drives SKU generation; no two variants of a family share these values.
    #[schema(default = false)]
    variant_defining: Option<bool>,
    #[schema(default = false)]
    filterable: Option<bool>,
    #[schema(default = false)]
    searchable: Option<bool>,
}

/// A checked definition as stored (`domain::AttributeDefinition`).
#[derive(ToSchema)]
pub struct AttributeDefinition {
    label: String,
    #[schema(rename = "type")]
    kind: AttributeType,
    unit: Option<String>,
    min: Option<f64>,
    max: Option<f64>,
    options: Option<Vec<String>>,
    regex: Option<String>,
    required: bool,
    variant_defining: bool,
    filterable: bool,
    searchable: bool,
}

/// The answer to a definition being defined or removed.
#[derive(ToSchema)]
pub struct AttributeWritten {
    owner_id: Uuid,
    key: String,
    /// The definition as it now stands there (null once removed).
    attribute: Option<AttributeDefinition>,
    /// The owner's new version.
    version: i64,
    position: i64,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum CategoryKind {
    Cluster,
    Node,
    Leaf,
}

/// A category after a command.
#[derive(ToSchema)]
pub struct CategoryWritten {
    id: Uuid,
    name: String,
    parent_id: Option<Uuid>,
    /// The materialized path, ids joined by dots.
    path: String,
    depth: i64,
    retired: bool,
    /// Given on create: a root is a cluster, anything else a node until a family makes it a leaf.
    kind: Option<CategoryKind>,
    /// The source system's id (1 to 128 characters), when the record has one.
    external_id: Option<String>,
    /// Only in the answers of `PUT …/by-external-id/{external_id}`: what the upsert did.
    outcome: Option<crate::upsert::Outcome>,
    version: i64,
    position: i64,
}

#[derive(ToSchema)]
pub struct BrandWritten {
    id: Uuid,
    name: String,
    /// The source system's id (1 to 128 characters), when the record has one.
    external_id: Option<String>,
    /// Only in the answers of `PUT …/by-external-id/{external_id}`: what the upsert did.
    outcome: Option<crate::upsert::Outcome>,
    version: i64,
    position: i64,
}

#[derive(ToSchema)]
pub struct FamilyWritten {
    id: Uuid,
    category_id: Uuid,
    brand_id: Option<Uuid>,
    name: String,
    /// The short code SKUs start with.
    code: String,
    /// The source system's id (1 to 128 characters), when the record has one.
    external_id: Option<String>,
    /// Only in the answers of `PUT …/by-external-id/{external_id}`: what the upsert did.
    outcome: Option<crate::upsert::Outcome>,
    version: i64,
    position: i64,
}

#[derive(ToSchema)]
pub struct ProductWritten {
    id: Uuid,
    family_id: Uuid,
    sku: String,
    name: String,
    /// The specs by attribute key, as given and normalized.
    #[schema(value_type = Object)]
    specs: Value,
    retired: bool,
    /// The source system's id (1 to 128 characters), when the record has one.
    external_id: Option<String>,
    /// Only in the answers of `PUT …/by-external-id/{external_id}`: what the upsert did.
    outcome: Option<crate::upsert::Outcome>,
    version: i64,
    position: i64,
}

#[derive(ToSchema)]
pub struct SynonymSetWritten {
    id: Uuid,
    phrases: Vec<String>,
    removed: bool,
    version: i64,
    position: i64,
}

/// A user as the API shows one: never the password hash.
#[derive(ToSchema)]
pub struct UserWritten {
    id: Uuid,
    email: String,
    role: Role,
    /// The company of a buyer.
    company_id: Option<Uuid>,
    disabled: bool,
    version: i64,
    position: i64,
}

#[derive(ToSchema)]
pub struct CompanyWritten {
    id: Uuid,
    name: String,
    disabled: bool,
    /// `prepaid`, `net30` or `net60`.
    payment_terms: String,
    version: i64,
    position: i64,
}

/// An access and refresh token pair.
#[derive(ToSchema)]
pub struct Tokens {
    access_token: String,
    refresh_token: String,
    #[schema(example = "Bearer")]
    token_type: String,
    /// Seconds the access token is valid.
    expires_in: i64,
    /// Seconds the refresh token is valid.
    refresh_expires_in: i64,
}

/// One event of a stream with its metadata (`event_store::StoredEvent`).
#[derive(ToSchema)]
pub struct StoredEvent {
    /// The global position.
    position: i64,
    event_id: Uuid,
    stream_id: Uuid,
    stream_type: String,
    /// The per-stream version.
    version: i64,
    event_type: String,
    schema_version: i16,
    /// The event's data; password hashes are shown as "[redacted]".
    #[schema(value_type = Object)]
    payload: Value,
    actor_id: String,
    actor_role: String,
    request_id: String,
    correlation_id: Uuid,
    causation_id: Option<Uuid>,
    recorded_at: DateTime<Utc>,
}

#[derive(ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    status: String,
    #[schema(example = "ok")]
    database: String,
    /// The event store's last global position (absent when the database is unreachable).
    position: Option<i64>,
}

/// A product's list price and purchasing rules.
#[derive(ToSchema)]
pub struct TermsWritten {
    product_id: Uuid,
    list_price: Option<Money>,
    minimum_quantity: u32,
    /// The pack size: order quantities are multiples of it.
    order_increment: u32,
    /// `refuse` or `backorder`.
    stock_policy: String,
    version: i64,
    position: i64,
}

#[derive(ToSchema)]
pub struct PriceBreakSchema {
    min_quantity: u32,
    unit_price: Money,
}

#[derive(ToSchema)]
pub struct PriceListEntrySchema {
    product_id: Uuid,
    breaks: Vec<PriceBreakSchema>,
}

#[derive(ToSchema)]
pub struct PriceListWritten {
    id: Uuid,
    name: String,
    currency: String,
    priority: i32,
    valid_from: Option<chrono::NaiveDate>,
    valid_until: Option<chrono::NaiveDate>,
    entries: Vec<PriceListEntrySchema>,
    /// The companies it is assigned to.
    companies: Vec<Uuid>,
    version: i64,
    position: i64,
}

/// One product's stock in one warehouse.
#[derive(ToSchema)]
pub struct StockWritten {
    product_id: Uuid,
    warehouse_id: Uuid,
    on_hand: u64,
    /// Held for orders placed and not yet shipped.
    reserved: u64,
    /// `on_hand - reserved`: what new orders can reserve.
    available: u64,
    /// Ordered beyond what was available, waiting for stock (backorder policy).
    backordered: u64,
    version: i64,
    position: i64,
}

#[derive(ToSchema)]
pub struct CartLineSchema {
    product_id: Uuid,
    quantity: u32,
}

/// The buyer's cart as written (prices are resolved when it is read: query API `GET /v1/cart`).
#[derive(ToSchema)]
pub struct CartWritten {
    id: Uuid,
    lines: Vec<CartLineSchema>,
    version: i64,
    position: i64,
}

/// One line of an order, its price frozen when it was placed.
#[derive(ToSchema)]
pub struct OrderLineSchema {
    product_id: Uuid,
    sku: String,
    name: String,
    /// Where it is reserved.
    warehouse_id: Uuid,
    quantity: u32,
    unit_price: Money,
    price_source: PriceSource,
    line_total: Money,
    /// Units backordered when it was placed.
    backordered: u32,
    /// Units shipped so far.
    shipped: u32,
}

#[derive(ToSchema)]
pub struct OrderWritten {
    id: Uuid,
    /// `placed`, `confirmed`, `partially_shipped`, `shipped`, `delivered` or `cancelled`.
    status: String,
    company_id: Uuid,
    buyer_id: Uuid,
    idempotency_key: String,
    po_number: String,
    /// `prepaid`, `net30` or `net60`, as the company had them at checkout.
    payment_terms: String,
    shipping_address: ShippingAddress,
    lines: Vec<OrderLineSchema>,
    total: Money,
    /// The ids of its shipments so far.
    shipments: Vec<Uuid>,
    version: i64,
    position: i64,
}
