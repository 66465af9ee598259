//! The events of the catalog, identity and commerce, with stable type names, and the fold that
//! turns them into state.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::attributes::{AttributeDefinition, AttributeKey};
use crate::brand::Brand;
use crate::category::Category;
use crate::commerce::cart::Cart;
use crate::commerce::money::{Currency, Quantity};
use crate::commerce::order::{Order, OrderStatus, PlacedOrder, ShippedLine};
use crate::commerce::price_list::{PriceBreak, PriceList};
use crate::commerce::stock::{AdjustmentReason, Stock};
use crate::commerce::terms::{ProductTerms, PurchasingRules};
use crate::commerce::Money;
use crate::family::Family;
use crate::identity::company::{Company, PaymentTerms};
use crate::identity::user::User;
use crate::identity::{Email, PasswordHash, Role};
use crate::media::list::{AttachedMedium, DetailsChanges, MediaList};
use crate::media::{MediaOwner, StoredObject, Variant};
use crate::names::{ExternalId, FamilyCode, Sku};
use crate::product::Product;
use crate::specs::Specs;
use crate::synonyms::SynonymSet;

/// One changed field: what it was and what it became.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change<T> {
    pub from: T,
    pub to: T,
}

/// `field → {from, to}`, so the audit trail needs no recomputation.
pub type Diff = BTreeMap<String, Change<Value>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamType {
    Category,
    Brand,
    Family,
    Product,
    Synonyms,
    User,
    Company,
    ProductTerms,
    PriceList,
    Stock,
    Cart,
    Order,
    Media,
}

impl StreamType {
    pub fn as_str(self) -> &'static str {
        match self {
            StreamType::Category => "category",
            StreamType::Brand => "brand",
            StreamType::Family => "family",
            StreamType::Product => "product",
            StreamType::Synonyms => "synonyms",
            StreamType::User => "user",
            StreamType::Company => "company",
            StreamType::ProductTerms => "product_terms",
            StreamType::PriceList => "price_list",
            StreamType::Stock => "stock",
            StreamType::Cart => "cart",
            StreamType::Order => "order",
            StreamType::Media => "media",
        }
    }

    /// Whether the read model projects streams of this stored type: the catalog's and commerce's,
    /// not the identity streams (users and companies), which only the write side reads.
    pub fn projected(stored: &str) -> bool {
        matches!(
            stored,
            "category"
                | "brand"
                | "family"
                | "product"
                | "synonyms"
                | "product_terms"
                | "price_list"
                | "stock"
                | "cart"
                | "order"
                | "media"
        )
    }
}

/// Every catalog event. The variant name is the stable type name stored with the event; the
/// payload is `data`. Renaming a variant or changing a payload incompatibly needs a new schema
/// version and an upcaster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum Event {
    CategoryCreated {
        name: String,
        parent_id: Option<Uuid>,
        path: Vec<Uuid>,
        /// The source system's id (absent in events recorded before external ids existed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        external_id: Option<ExternalId>,
    },
    CategoryRenamed {
        name: Change<String>,
    },
    CategoryMoved {
        parent_id: Change<Option<Uuid>>,
        path: Change<Vec<Uuid>>,
    },
    /// A descendant's path after one of its ancestors (`moved`) was moved.
    CategoryPathChanged {
        path: Change<Vec<Uuid>>,
        moved: Uuid,
    },
    CategoryRetired {},
    /// On a category or family stream: a definition added or replaced.
    AttributeDefined {
        key: AttributeKey,
        definition: AttributeDefinition,
        changes: Diff,
    },
    AttributeRemoved {
        key: AttributeKey,
        changes: Diff,
    },
    BrandCreated {
        name: String,
        /// The source system's id (absent in events recorded before external ids existed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        external_id: Option<ExternalId>,
    },
    BrandRenamed {
        name: Change<String>,
    },
    /// On a category, brand, family or product stream: its external id given, changed or
    /// removed (`None`); the claim follows it.
    ExternalIdChanged {
        external_id: Change<Option<ExternalId>>,
    },
    FamilyCreated {
        category_id: Uuid,
        brand_id: Option<Uuid>,
        name: String,
        code: FamilyCode,
        /// The source system's id (absent in events recorded before external ids existed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        external_id: Option<ExternalId>,
    },
    FamilyRenamed {
        name: Change<String>,
    },
    ProductCreated {
        family_id: Uuid,
        name: String,
        sku: Sku,
        specs: Specs,
        variant_key: Option<String>,
        /// The source system's id (absent in events recorded before external ids existed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        external_id: Option<ExternalId>,
    },
    /// `changes` holds `name`, `specs.<key>` (null when removed) and `variant_key` as they changed.
    ProductUpdated {
        changes: Diff,
    },
    ProductRetired {},
    /// A synonym set's phrases, as they stand from now on.
    SynonymsDefined {
        phrases: Vec<String>,
    },
    SynonymsRemoved {},
    /// `password_hash` is a PHC string (see `identity` for why it is here); redacted when shown.
    UserCreated {
        email: Email,
        role: Role,
        company_id: Option<Uuid>,
        password_hash: PasswordHash,
    },
    UserDisabled {},
    UserPasswordChanged {
        password_hash: PasswordHash,
    },
    /// The same password, hashed with the parameters configured at the login that rehashed it.
    UserPasswordRehashed {
        password_hash: PasswordHash,
    },
    UserRoleChanged {
        role: Change<Role>,
    },
    CompanyCreated {
        name: String,
    },
    CompanyRenamed {
        name: Change<String>,
    },
    CompanyDisabled {},
    CompanyPaymentTermsSet {
        terms: Change<PaymentTerms>,
    },
    /// The first event of a product's terms stream (`commerce::terms_id`).
    ProductTermsOpened {
        product_id: Uuid,
    },
    /// `None` withdraws the list price.
    ListPriceSet {
        price: Change<Option<Money>>,
    },
    PurchasingRulesSet {
        rules: Change<PurchasingRules>,
    },
    PriceListCreated {
        name: String,
        currency: Currency,
        priority: i32,
        valid_from: Option<NaiveDate>,
        valid_until: Option<NaiveDate>,
    },
    /// A product's breaks on the list (`from` is empty for a product new to the list).
    PriceListEntrySet {
        product_id: Uuid,
        breaks: Change<Vec<PriceBreak>>,
    },
    PriceListEntryRemoved {
        product_id: Uuid,
        breaks: Vec<PriceBreak>,
    },
    PriceListAssigned {
        company_id: Uuid,
    },
    PriceListUnassigned {
        company_id: Uuid,
    },
    PriceListRescheduled {
        valid_from: Change<Option<NaiveDate>>,
        valid_until: Change<Option<NaiveDate>>,
    },
    PriceListPrioritized {
        priority: Change<i32>,
    },
    /// The first event of a stock stream (`commerce::stock_id`).
    StockOpened {
        product_id: Uuid,
        warehouse_id: Uuid,
    },
    StockReceived {
        quantity: Quantity,
        on_hand: Change<u64>,
    },
    StockAdjusted {
        by: i64,
        reason: AdjustmentReason,
        on_hand: Change<u64>,
    },
    StockReserved {
        order_id: Uuid,
        quantity: Quantity,
        reserved: Change<u64>,
    },
    /// Ordered beyond what was available, under a `Backorder` policy; reserved later by
    /// `StockAllocated`.
    StockBackordered {
        order_id: Uuid,
        quantity: Quantity,
    },
    StockAllocated {
        order_id: Uuid,
        quantity: Quantity,
        reserved: Change<u64>,
    },
    /// Everything the order held: `quantity` reserved and `backordered`.
    StockReleased {
        order_id: Uuid,
        quantity: u64,
        backordered: u64,
        reserved: Change<u64>,
    },
    StockShipped {
        order_id: Uuid,
        quantity: Quantity,
        on_hand: Change<u64>,
        reserved: Change<u64>,
    },
    /// The first event of a buyer's cart (`commerce::cart_id`).
    CartOpened {
        buyer_id: Uuid,
        company_id: Uuid,
    },
    CartLineAdded {
        product_id: Uuid,
        quantity: Quantity,
    },
    CartLineQuantityChanged {
        product_id: Uuid,
        quantity: Change<Quantity>,
    },
    CartLineRemoved {
        product_id: Uuid,
        quantity: Quantity,
    },
    /// The cart became `order_id` and is empty again.
    CartCheckedOut {
        order_id: Uuid,
    },
    /// Everything the order was placed with, prices resolved and frozen.
    OrderPlaced(PlacedOrder),
    OrderConfirmed {
        status: Change<OrderStatus>,
    },
    /// One shipment (`shipment_id`) of some of the order's lines.
    OrderShipped {
        shipment_id: Uuid,
        lines: Vec<ShippedLine>,
        status: Change<OrderStatus>,
    },
    OrderDelivered {
        status: Change<OrderStatus>,
    },
    OrderCancelled {
        reason: String,
        status: Change<OrderStatus>,
    },
    /// The first event of an owner's media stream (`media::media_id`).
    MediaOpened {
        owner: MediaOwner,
    },
    /// A verified object attached as a new medium.
    MediumAttached(AttachedMedium),
    /// A medium's role or details changed (a new primary demotes the old one this way).
    MediumDetailsChanged {
        medium_id: Uuid,
        changes: DetailsChanges,
    },
    /// The full order of the attached media, before and after.
    MediumReordered {
        order: Change<Vec<Uuid>>,
    },
    /// A new verified object in place of a medium's (its variants are made again).
    MediumReplaced {
        medium_id: Uuid,
        object: Change<StoredObject>,
        filename: Change<String>,
        upload_id: Uuid,
    },
    /// A medium taken off its owner, with the objects it referenced.
    MediumDetached {
        medium_id: Uuid,
        object: StoredObject,
        variants: Vec<Variant>,
    },
    /// The variants made of the object with this SHA-256, under variant spec `spec`.
    MediumVariantsRecorded {
        medium_id: Uuid,
        sha256: String,
        spec: u16,
        variants: Vec<Variant>,
    },
}

/// The schema version written with every event of this build.
pub const SCHEMA_VERSION: i16 = 1;

impl Event {
    pub fn type_name(&self) -> &'static str {
        match self {
            Event::CategoryCreated { .. } => "CategoryCreated",
            Event::CategoryRenamed { .. } => "CategoryRenamed",
            Event::CategoryMoved { .. } => "CategoryMoved",
            Event::CategoryPathChanged { .. } => "CategoryPathChanged",
            Event::CategoryRetired {} => "CategoryRetired",
            Event::AttributeDefined { .. } => "AttributeDefined",
            Event::AttributeRemoved { .. } => "AttributeRemoved",
            Event::BrandCreated { .. } => "BrandCreated",
            Event::BrandRenamed { .. } => "BrandRenamed",
            Event::ExternalIdChanged { .. } => "ExternalIdChanged",
            Event::FamilyCreated { .. } => "FamilyCreated",
            Event::FamilyRenamed { .. } => "FamilyRenamed",
            Event::ProductCreated { .. } => "ProductCreated",
            Event::ProductUpdated { .. } => "ProductUpdated",
            Event::ProductRetired {} => "ProductRetired",
            Event::SynonymsDefined { .. } => "SynonymsDefined",
            Event::SynonymsRemoved {} => "SynonymsRemoved",
            Event::UserCreated { .. } => "UserCreated",
            Event::UserDisabled {} => "UserDisabled",
            Event::UserPasswordChanged { .. } => "UserPasswordChanged",
            Event::UserPasswordRehashed { .. } => "UserPasswordRehashed",
            Event::UserRoleChanged { .. } => "UserRoleChanged",
            Event::CompanyCreated { .. } => "CompanyCreated",
            Event::CompanyRenamed { .. } => "CompanyRenamed",
            Event::CompanyDisabled {} => "CompanyDisabled",
            Event::CompanyPaymentTermsSet { .. } => "CompanyPaymentTermsSet",
            Event::ProductTermsOpened { .. } => "ProductTermsOpened",
            Event::ListPriceSet { .. } => "ListPriceSet",
            Event::PurchasingRulesSet { .. } => "PurchasingRulesSet",
            Event::PriceListCreated { .. } => "PriceListCreated",
            Event::PriceListEntrySet { .. } => "PriceListEntrySet",
            Event::PriceListEntryRemoved { .. } => "PriceListEntryRemoved",
            Event::PriceListAssigned { .. } => "PriceListAssigned",
            Event::PriceListUnassigned { .. } => "PriceListUnassigned",
            Event::PriceListRescheduled { .. } => "PriceListRescheduled",
            Event::PriceListPrioritized { .. } => "PriceListPrioritized",
            Event::StockOpened { .. } => "StockOpened",
            Event::StockReceived { .. } => "StockReceived",
            Event::StockAdjusted { .. } => "StockAdjusted",
            Event::StockReserved { .. } => "StockReserved",
            Event::StockBackordered { .. } => "StockBackordered",
            Event::StockAllocated { .. } => "StockAllocated",
            Event::StockReleased { .. } => "StockReleased",
            Event::StockShipped { .. } => "StockShipped",
            Event::CartOpened { .. } => "CartOpened",
            Event::CartLineAdded { .. } => "CartLineAdded",
            Event::CartLineQuantityChanged { .. } => "CartLineQuantityChanged",
            Event::CartLineRemoved { .. } => "CartLineRemoved",
            Event::CartCheckedOut { .. } => "CartCheckedOut",
            Event::OrderPlaced(_) => "OrderPlaced",
            Event::OrderConfirmed { .. } => "OrderConfirmed",
            Event::OrderShipped { .. } => "OrderShipped",
            Event::OrderDelivered { .. } => "OrderDelivered",
            Event::OrderCancelled { .. } => "OrderCancelled",
            Event::MediaOpened { .. } => "MediaOpened",
            Event::MediumAttached(_) => "MediumAttached",
            Event::MediumDetailsChanged { .. } => "MediumDetailsChanged",
            Event::MediumReordered { .. } => "MediumReordered",
            Event::MediumReplaced { .. } => "MediumReplaced",
            Event::MediumDetached { .. } => "MediumDetached",
            Event::MediumVariantsRecorded { .. } => "MediumVariantsRecorded",
        }
    }

    /// The payload alone, as stored in the `payload` column.
    pub fn payload(&self) -> Value {
        match serde_json::to_value(self) {
            Ok(Value::Object(mut map)) => map.remove("data").unwrap_or(Value::Null),
            _ => Value::Null,
        }
    }

    /// An event back from its stored type name, schema version and payload.
    pub fn from_stored(type_name: &str, schema_version: i16, payload: &Value) -> Result<Event, EvolveError> {
        use serde::de::value::MapDeserializer;
        use serde::de::IntoDeserializer;
        if schema_version != SCHEMA_VERSION {
            return Err(EvolveError(format!("{type_name} has unknown schema version {schema_version}")));
        }
        // The tag first, so that the payload is read once, in place (a map with the content first
        // would be buffered and read again).
        let tag: serde_json::Value = Value::String(type_name.to_owned());
        let fields = [("type", (&tag).into_deserializer()), ("data", payload.into_deserializer())];
        Event::deserialize(MapDeserializer::<_, serde_json::Error>::new(fields.into_iter()))
            .map_err(|e| EvolveError(format!("{type_name}: {e}")))
    }
}

/// An event decided for a stream; the event store gives it a version and a position.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    pub stream_id: Uuid,
    pub stream_type: StreamType,
    pub event: Event,
}

/// The state of one stream, as folded from its events (and stored as its snapshot).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Aggregate {
    Category(Category),
    Brand(Brand),
    Family(Family),
    Product(Product),
    Synonyms(SynonymSet),
    User(User),
    Company(Company),
    ProductTerms(ProductTerms),
    PriceList(PriceList),
    Stock(Stock),
    Cart(Cart),
    Order(Order),
    Media(MediaList),
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("cannot fold event: {0}")]
pub struct EvolveError(pub String);

impl Aggregate {
    pub fn stream_type(&self) -> StreamType {
        match self {
            Aggregate::Category(_) => StreamType::Category,
            Aggregate::Brand(_) => StreamType::Brand,
            Aggregate::Family(_) => StreamType::Family,
            Aggregate::Product(_) => StreamType::Product,
            Aggregate::Synonyms(_) => StreamType::Synonyms,
            Aggregate::User(_) => StreamType::User,
            Aggregate::Company(_) => StreamType::Company,
            Aggregate::ProductTerms(_) => StreamType::ProductTerms,
            Aggregate::PriceList(_) => StreamType::PriceList,
            Aggregate::Stock(_) => StreamType::Stock,
            Aggregate::Cart(_) => StreamType::Cart,
            Aggregate::Order(_) => StreamType::Order,
            Aggregate::Media(_) => StreamType::Media,
        }
    }

    /// The stream this one hangs under: a category's parent, a family's category, a product's
    /// family, a user's company; a product's terms and stock hang under the product, a cart and an
    /// order under the company, a media list under its product or family.
    pub fn parent_id(&self) -> Option<Uuid> {
        match self {
            Aggregate::Category(c) => c.parent_id,
            Aggregate::Brand(_) => None,
            Aggregate::Family(f) => Some(f.category_id),
            Aggregate::Product(p) => Some(p.family_id),
            Aggregate::Synonyms(_) | Aggregate::Company(_) => None,
            Aggregate::User(u) => u.company_id,
            Aggregate::ProductTerms(t) => Some(t.product_id),
            Aggregate::Stock(s) => Some(s.product_id),
            Aggregate::Cart(c) => Some(c.company_id),
            Aggregate::Order(o) => Some(o.placed.company_id),
            Aggregate::PriceList(_) => None,
            Aggregate::Media(m) => Some(m.owner.id),
        }
    }

    /// Values that must be unique across the catalog while this stream holds them.
    pub fn claims(&self) -> Vec<String> {
        match self {
            Aggregate::Category(c) => external_claim(StreamType::Category, &c.external_id),
            Aggregate::Synonyms(_) => Vec::new(),
            // Their ids are derived from what makes them unique (see `commerce`).
            Aggregate::ProductTerms(_)
            | Aggregate::PriceList(_)
            | Aggregate::Stock(_)
            | Aggregate::Cart(_)
            | Aggregate::Order(_)
            | Aggregate::Media(_) => Vec::new(),
            Aggregate::Brand(b) => {
                let mut claims = vec![format!("brand:{}", b.name.to_lowercase())];
                claims.extend(external_claim(StreamType::Brand, &b.external_id));
                claims
            }
            // A disabled user keeps the address: it names them in the audit trail.
            Aggregate::User(u) => vec![u.email.claim()],
            Aggregate::Company(c) => vec![c.claim()],
            Aggregate::Family(f) => {
                let mut claims = vec![f.code.claim()];
                claims.extend(external_claim(StreamType::Family, &f.external_id));
                claims
            }
            Aggregate::Product(p) => {
                let mut claims = vec![p.sku.claim()];
                // A retired product keeps its external id: a later import of it finds it retired
                // rather than making it anew.
                claims.extend(external_claim(StreamType::Product, &p.external_id));
                if let (false, Some(key)) = (p.retired, &p.variant_key) {
                    claims.push(format!("variant:{}:{key}", p.family_id));
                }
                claims
            }
        }
    }
}

fn external_claim(kind: StreamType, external_id: &Option<ExternalId>) -> Vec<String> {
    external_id.iter().map(|e| e.claim(kind)).collect()
}

fn unexpected(event: &Event, state: &Option<Aggregate>) -> EvolveError {
    let on = match state {
        None => "a new stream",
        Some(a) => a.stream_type().as_str(),
    };
    EvolveError(format!("{} does not apply to {on}", event.type_name()))
}

/// Folds one event into a stream's state: a stream's first event makes its aggregate, every
/// later one is the aggregate's own to fold (`apply` on each).
pub fn evolve(state: Option<Aggregate>, stream_id: Uuid, event: &Event) -> Result<Aggregate, EvolveError> {
    use Aggregate as A;
    use Event as E;
    let next = match (state, event) {
        (None, E::CategoryCreated { name, parent_id, path, external_id }) => {
            A::Category(Category::created(stream_id, name, *parent_id, path, external_id))
        }
        (Some(A::Category(c)), e) => A::Category(c.apply(e)?),
        (None, E::BrandCreated { name, external_id }) => A::Brand(Brand::created(stream_id, name, external_id)),
        (Some(A::Brand(b)), e) => A::Brand(b.apply(e)?),
        (None, E::FamilyCreated { category_id, brand_id, name, code, external_id }) => {
            A::Family(Family::created(stream_id, *category_id, *brand_id, name, code, external_id))
        }
        (Some(A::Family(f)), e) => A::Family(f.apply(e)?),
        (None, E::ProductCreated { family_id, name, sku, specs, variant_key, external_id }) => {
            A::Product(Product::created(stream_id, *family_id, name, sku, specs, variant_key, external_id))
        }
        (Some(A::Product(p)), e) => A::Product(p.apply(e)?),
        (None, E::SynonymsDefined { phrases }) => A::Synonyms(SynonymSet::defined(stream_id, phrases)),
        (Some(A::Synonyms(set)), e) => A::Synonyms(set.apply(e)?),
        (None, E::UserCreated { email, role, company_id, password_hash }) => {
            A::User(User::created(stream_id, email, *role, *company_id, password_hash))
        }
        (Some(A::User(u)), e) => A::User(u.apply(e)?),
        (None, E::CompanyCreated { name }) => A::Company(Company::created(stream_id, name)),
        (Some(A::Company(c)), e) => A::Company(c.apply(e)?),
        (None, E::ProductTermsOpened { product_id }) => A::ProductTerms(ProductTerms::opened(stream_id, *product_id)),
        (Some(A::ProductTerms(t)), e) => A::ProductTerms(t.apply(e)?),
        (None, E::PriceListCreated { name, currency, priority, valid_from, valid_until }) => {
            A::PriceList(PriceList::created(stream_id, name, *currency, *priority, *valid_from, *valid_until))
        }
        (Some(A::PriceList(l)), e) => A::PriceList(l.apply(e)?),
        (None, E::StockOpened { product_id, warehouse_id }) => {
            A::Stock(Stock::opened(stream_id, *product_id, *warehouse_id))
        }
        (Some(A::Stock(s)), e) => A::Stock(s.apply(e)?),
        (None, E::CartOpened { buyer_id, company_id }) => A::Cart(Cart::opened(stream_id, *buyer_id, *company_id)),
        (Some(A::Cart(c)), e) => A::Cart(c.apply(e)?),
        (None, E::OrderPlaced(placed)) => A::Order(Order::placed(stream_id, placed)),
        (Some(A::Order(o)), e) => A::Order(o.apply(e)?),
        (None, E::MediaOpened { owner }) => A::Media(MediaList::opened(stream_id, *owner)),
        (Some(A::Media(m)), e) => A::Media(m.apply(e)?),
        (None, other) => return Err(unexpected(other, &None)),
    };
    Ok(next)
}

/// An event that does not apply to the stream it was folded into.
pub(crate) fn not_applicable(event: &Event, on: &str) -> EvolveError {
    EvolveError(format!("{} does not apply to {on}", event.type_name()))
}

/// Folds a whole stream from its first event.
pub fn replay<'a>(
    stream_id: Uuid,
    events: impl IntoIterator<Item = &'a Event>,
) -> Result<Option<Aggregate>, EvolveError> {
    events.into_iter().try_fold(None, |state, event| evolve(state, stream_id, event).map(Some))
}
