//! Commerce commands against the event store: what each one loads, and checkout — the one command
//! that spans several streams other commands write at the same moment (the stock of every cart
//! line). Every commerce command runs through `Catalog::change_contended`: it is decided on the
//! heads it loaded and its append names their versions, so a concurrent writer makes it decide
//! again instead of overwriting.

use std::collections::HashMap;

use chrono::Utc;
use domain::commerce::cart::Cart;
use domain::commerce::checkout::{self, Checkout, IdempotencyKey, Offer};
use domain::commerce::order::Order;
use domain::commerce::price_list::PriceList;
use domain::commerce::stock::Stock;
use domain::commerce::terms::ProductTerms;
use domain::commerce::{cart_id, order_id, stock_id, terms_id};
use domain::identity::company::Company;
use domain::identity::user::User;
use domain::product::Product;
use domain::{Aggregate, DomainError};
use event_store::EventStore;
use uuid::Uuid;

use crate::error::ApiError;
use crate::service::{Catalog, CommandContext, Committed, Head};

/// The state a loaded head holds, if it is of the kind `pick` takes.
pub fn state_of<T>(heads: &HashMap<Uuid, Head>, id: Uuid, pick: fn(&Aggregate) -> Option<&T>) -> Option<&T> {
    heads.get(&id).and_then(|h| pick(&h.state))
}

pub fn as_terms(state: &Aggregate) -> Option<&ProductTerms> {
    match state {
        Aggregate::ProductTerms(terms) => Some(terms),
        _ => None,
    }
}

pub fn as_stock(state: &Aggregate) -> Option<&Stock> {
    match state {
        Aggregate::Stock(stock) => Some(stock),
        _ => None,
    }
}

pub fn as_cart(state: &Aggregate) -> Option<&Cart> {
    match state {
        Aggregate::Cart(cart) => Some(cart),
        _ => None,
    }
}

pub fn as_order(state: &Aggregate) -> Option<&Order> {
    match state {
        Aggregate::Order(order) => Some(order),
        _ => None,
    }
}

pub fn as_price_list(state: &Aggregate) -> Option<&PriceList> {
    match state {
        Aggregate::PriceList(list) => Some(list),
        _ => None,
    }
}

pub fn as_user(state: &Aggregate) -> Option<&User> {
    match state {
        Aggregate::User(user) => Some(user),
        _ => None,
    }
}

pub fn as_company(state: &Aggregate) -> Option<&Company> {
    match state {
        Aggregate::Company(company) => Some(company),
        _ => None,
    }
}

/// A product as its events leave it, or 404 (`field` names where the request named it).
pub async fn product(catalog: &Catalog, id: Uuid, field: Option<&'static str>) -> Result<Product, ApiError> {
    match catalog.product(id).await?.map(|h| h.state) {
        Some(Aggregate::Product(product)) => Ok(product),
        _ => Err(DomainError::NotFound { entity: "product", id: id.to_string(), field }.into()),
    }
}

/// The streams a checkout of `products` by a buyer of `company_id` decides on, besides the cart
/// (see `EventStore::checkout_streams`): heads by id, and the price lists apart (they are read, not written).
async fn checkout_streams(
    store: &EventStore,
    order: Uuid,
    products: &[Uuid],
    company_id: Uuid,
) -> Result<(HashMap<Uuid, Head>, Vec<PriceList>), ApiError> {
    let mut ids: Vec<Uuid> = products.iter().map(|id| terms_id(*id)).collect();
    ids.push(order);
    let rows = EventStore::checkout_streams(store.pool(), &ids, products, company_id).await?;
    let (mut heads, mut lists) = (HashMap::new(), Vec::new());
    for row in rows {
        let (id, head) = (row.stream_id, Head::try_from(row)?);
        match head.state {
            Aggregate::PriceList(list) => lists.push(list),
            _ => {
                heads.insert(id, head);
            }
        }
    }
    lists.sort_by_key(|l| l.id);
    Ok((heads, lists))
}

/// What a buyer checks out with, as the request gave it.
pub struct CheckoutRequest {
    pub buyer_id: Uuid,
    pub company_id: Uuid,
    pub key: IdempotencyKey,
    pub po_number: String,
    pub shipping_address: checkout::AddressInput,
    /// FERRULE_SHOW_AVAILABILITY (`Checkout::show_availability`).
    pub show_availability: bool,
}

/// What checkout loaded besides stream heads.
pub struct Loaded {
    products: Vec<Product>,
    price_lists: Vec<PriceList>,
    /// Per product, the warehouse to reserve in.
    warehouses: HashMap<Uuid, Uuid>,
    /// Whether the order was already placed (a retried checkout).
    pub existing: bool,
}

/// The outcome of a checkout: the order's id, and whether this request placed it (a retry with
/// the same idempotency key finds it placed).
pub struct Placed {
    pub order_id: Uuid,
    pub committed: Committed,
    pub placed_now: bool,
}

/// Places the buyer's cart as an order (see `domain::commerce::checkout`), retried on version
/// conflicts with concurrent checkouts of the same stock.
pub async fn checkout(catalog: &Catalog, ctx: &CommandContext, request: CheckoutRequest) -> Result<Placed, ApiError> {
    let order = order_id(request.buyer_id, &request.key);
    let command = Checkout {
        idempotency_key: request.key.as_str().to_owned(),
        po_number: request.po_number.clone(),
        shipping_address: request.shipping_address.clone(),
        today: Utc::now().date_naive(),
        show_availability: request.show_availability,
    };
    let load = || load_checkout(catalog, &request, order);
    let (committed, loaded) = catalog
        .change_contended(ctx, load, |heads, loaded: &Loaded| {
            let existing = state_of(heads, order, as_order);
            let cart = state_of(heads, cart_id(request.buyer_id), as_cart);
            let buyer = state_of(heads, request.buyer_id, as_user)
                .ok_or_else(|| ApiError::Forbidden(format!("user {} does not exist", request.buyer_id)))?;
            let company = state_of(heads, request.company_id, as_company)
                .ok_or_else(|| ApiError::Forbidden(format!("company {} does not exist", request.company_id)))?;
            let offers: Vec<Offer> = loaded
                .products
                .iter()
                .map(|product| {
                    let warehouse_id = loaded.warehouses.get(&product.id).copied().unwrap_or_default();
                    Offer {
                        product,
                        terms: state_of(heads, terms_id(product.id), as_terms),
                        warehouse_id,
                        stock: state_of(heads, stock_id(product.id, warehouse_id), as_stock),
                    }
                })
                .collect();
            Ok(checkout::place_order(existing, cart, buyer, company, &loaded.price_lists, &offers, &command)?)
        })
        .await?;
    Ok(Placed { order_id: order, committed, placed_now: !loaded.existing })
}

async fn load_checkout(
    catalog: &Catalog,
    request: &CheckoutRequest,
    order: Uuid,
) -> Result<(HashMap<Uuid, Head>, Loaded), ApiError> {
    let cart = cart_id(request.buyer_id);
    let mut heads = catalog.heads(&[request.buyer_id, request.company_id, cart, order]).await?;
    if heads.contains_key(&order) {
        return Ok(retried(heads, request, order));
    }
    let lines = state_of(&heads, cart, as_cart).map(|c| c.lines.clone()).unwrap_or_default();
    let mut products = Vec::with_capacity(lines.len());
    let mut warehouses = HashMap::new();
    let mut problems = Vec::new();
    let ids: Vec<Uuid> = lines.iter().map(|l| l.product_id).collect();
    let mut found = catalog.products(&ids).await?;
    let (streams, price_lists) = checkout_streams(catalog.store(), order, &ids, request.company_id).await?;
    if let Some(placed) = streams.get(&order) {
        heads.insert(order, placed.clone());
        return Ok(retried(heads, request, order));
    }
    for (i, line) in lines.iter().enumerate() {
        let Some(product) = found.remove(&line.product_id) else {
            problems.push(format!("lines[{i}]: product {} does not exist", line.product_id));
            continue;
        };
        let wanted = u64::from(line.quantity.get());
        // The warehouse that can serve the whole line with the most to spare; failing that, the
        // one with the most available (the rest is refused or backordered by the product's policy).
        let best = streams
            .values()
            .filter_map(|h| as_stock(&h.state))
            .filter(|s| s.product_id == product.id)
            .max_by_key(|s| (s.available() >= wanted, s.available(), std::cmp::Reverse(s.warehouse_id)));
        match best {
            Some(stock) => {
                warehouses.insert(product.id, stock.warehouse_id);
            }
            None if !product.retired => problems.push(format!(
                "lines[{i}]: {} is not stocked in any warehouse yet: ops must receive stock first",
                product.sku
            )),
            None => {}
        }
        products.push(product);
    }
    heads.extend(streams);
    if !problems.is_empty() {
        return Err(ApiError::Conflict { detail: problems.join("; "), errors: Vec::new() });
    }
    Ok((heads, Loaded { products, price_lists, warehouses, existing: false }))
}

/// A retry: the order is answered as placed (once `place_order` has checked that it is the same
/// checkout), so nothing but the order, the buyer and the company matters.
fn retried(mut heads: HashMap<Uuid, Head>, request: &CheckoutRequest, order: Uuid) -> (HashMap<Uuid, Head>, Loaded) {
    heads.retain(|id, _| *id == order || *id == request.buyer_id || *id == request.company_id);
    let loaded = Loaded { products: Vec::new(), price_lists: Vec::new(), warehouses: HashMap::new(), existing: true };
    (heads, loaded)
}
