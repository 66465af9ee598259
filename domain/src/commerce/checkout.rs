//! Checkout: the buyer's cart becomes an order in one decision — prices resolved and frozen, stock
//! reserved for every line, the cart emptied. The events span the order's, the stocks' and the
//! cart's streams and are appended in one transaction; a concurrent checkout that reserved the
//! same stock first makes this append a version conflict, and deciding again sees its reservation.
//!
//! Idempotency: the order id is derived from the buyer and the idempotency key (`order_id`). The
//! caller loads that stream before deciding: when an order is there, a retry of the same checkout
//! decides nothing (the caller answers with that order), and the same key with another PO number
//! or address is a conflict. The key is also frozen in the order.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::cart::Cart;
use super::country;
use super::money::Money;
use super::order::{Order, OrderLine, PlacedOrder};
use super::price_list::PriceList;
use super::pricing::{resolve_price, PriceError};
use super::stock::{self, ReserveError, Stock};
use super::terms::{rules_of, ProductTerms};
use super::{cart_id, order_id};
use crate::error::{DomainError, FieldError, Problems};
use crate::events::{Event, NewEvent, StreamType};
use crate::identity::company::Company;
use crate::identity::user::User;
use crate::identity::Role;
use crate::names::parse_name;
use crate::product::Product;

/// A client's `Idempotency-Key`: 1 to 255 visible ASCII characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(field: &str, text: &str) -> Result<IdempotencyKey, FieldError> {
        if (1..=255).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(IdempotencyKey(text.to_owned()))
        } else {
            Err(FieldError::new(
                field,
                "invalid_idempotency_key",
                "an idempotency key is 1 to 255 visible ASCII characters",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The buyer's purchase order number, as printed on their paperwork: 1 to 50 characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PoNumber(String);

impl PoNumber {
    pub fn parse(field: &str, text: &str) -> Result<PoNumber, FieldError> {
        parse_name(field, text, 50).map(PoNumber)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A shipping address as the buyer sends it; a field it does not know is refused, as at the top
/// level of a body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddressInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::names::max_200))]
    pub recipient: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::names::max_200))]
    pub line1: String,
    /// Left out, null or blank: none.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::optional_line))]
    pub line2: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::names::max_100))]
    pub city: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::names::max_20))]
    pub postal_code: String,
    /// Left out, null or blank: none.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::optional_region))]
    pub region: Option<String>,
    /// An assigned ISO 3166-1 alpha-2 code in any case (`ZZ`, `XK` and the other user-assigned
    /// codes are not); answered upper case.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::country_input))]
    pub country: String,
}

/// A checked shipping address; `country` is an assigned ISO 3166-1 alpha-2 code, upper case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShippingAddress {
    pub recipient: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    pub region: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::country))]
    pub country: String,
}

impl ShippingAddress {
    /// Every bad field is listed, under `field` (`shipping_address.city`).
    pub fn parse(field: &str, input: &AddressInput) -> Result<ShippingAddress, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut text = |name: &str, value: &str, max: usize| {
            parse_name(&format!("{field}.{name}"), value, max).map_err(|e| errors.push(e)).ok()
        };
        let recipient = text("recipient", &input.recipient, 200);
        let line1 = text("line1", &input.line1, 200);
        let line2 = input.line2.as_deref().filter(|l| !l.trim().is_empty()).map(|l| text("line2", l, 200));
        let city = text("city", &input.city, 100);
        let postal_code = text("postal_code", &input.postal_code, 20);
        let region = input.region.as_deref().filter(|r| !r.trim().is_empty()).map(|r| text("region", r, 100));
        let country = input.country.trim().to_ascii_uppercase();
        if !country::is_assigned(&country) {
            errors.push(FieldError::new(
                format!("{field}.country"),
                "invalid_country",
                "country must be an assigned ISO 3166-1 alpha-2 code like DE",
            ));
        }
        match (recipient, line1, line2, city, postal_code, region) {
            (Some(recipient), Some(line1), line2 @ (None | Some(Some(_))), Some(city), Some(postal_code), region)
                if errors.is_empty() =>
            {
                Ok(ShippingAddress {
                    recipient,
                    line1,
                    line2: line2.flatten(),
                    city,
                    postal_code,
                    region: region.flatten(),
                    country,
                })
            }
            _ => Err(errors),
        }
    }
}

/// What the buyer checks out with; `today` is the date prices are resolved on.
pub struct Checkout {
    pub idempotency_key: String,
    pub po_number: String,
    pub shipping_address: AddressInput,
    pub today: NaiveDate,
    /// Whether a short-stock refusal tells the buyer how many units of each short line can be
    /// ordered now (the distributor's choice: FERRULE_SHOW_AVAILABILITY); by default it names the
    /// lines only, so that buyers cannot read a competitor's stock levels off refusals.
    pub show_availability: bool,
}

/// What the caller loaded for one product of the cart: the product, its terms, the warehouse to
/// reserve in (the caller's choice, e.g. the one with the most available) and that stock.
pub struct Offer<'a> {
    pub product: &'a Product,
    pub terms: Option<&'a ProductTerms>,
    pub warehouse_id: Uuid,
    pub stock: Option<&'a Stock>,
}

/// Places the order for the buyer's cart. `existing` is the stream at
/// `order_id(buyer, key)`, `price_lists` the lists assigned to the company, `offers` one per
/// cart product. Field problems and cart lines that cannot be ordered (retired, against the
/// purchasing rules, without a price, in another currency) are a 422 listing every one
/// (`lines[i].…` by cart line); stock that runs short under a `Refuse` policy is a 409.
pub fn place_order(
    existing: Option<&Order>,
    cart: Option<&Cart>,
    buyer: &User,
    company: &Company,
    price_lists: &[PriceList],
    offers: &[Offer],
    command: &Checkout,
) -> Result<Vec<NewEvent>, DomainError> {
    let mut problems = Problems::default();
    let key = problems.check(IdempotencyKey::parse("idempotency_key", &command.idempotency_key));
    let po_number = problems.check(PoNumber::parse("po_number", &command.po_number));
    let address = ShippingAddress::parse("shipping_address", &command.shipping_address)
        .map_err(|errors| problems.extend(errors))
        .ok();
    problems.finish()?;
    let (Some(key), Some(po_number), Some(shipping_address)) = (key, po_number, address) else {
        return Err(DomainError::invalid("idempotency_key", "invalid_idempotency_key", "incomplete checkout"));
    };
    if let Some(order) = existing {
        let same = order.placed.po_number == po_number && order.placed.shipping_address == shipping_address;
        return if same && order.placed.idempotency_key == key {
            Ok(Vec::new())
        } else {
            Err(DomainError::Conflict("this idempotency key was used for a different checkout".into()))
        };
    }
    if buyer.role != Role::Buyer || buyer.company_id != Some(company.id) || buyer.disabled {
        return Err(DomainError::Conflict(format!(
            "user {} is not an active buyer of company {}",
            buyer.id, company.id
        )));
    }
    if company.disabled {
        return Err(DomainError::Conflict(format!("company {} is disabled", company.id)));
    }
    let cart = cart.filter(|c| !c.lines.is_empty()).ok_or_else(|| DomainError::Conflict("the cart is empty".into()))?;
    let id = order_id(buyer.id, &key);
    let (lines, offers) = price_lines(cart, company, price_lists, offers, command.today)?;
    let (mut stock_events, mut short) = (Vec::new(), Vec::new());
    let mut placed_lines = Vec::new();
    for (i, (mut line, offer)) in lines.into_iter().zip(offers).enumerate() {
        let policy = rules_of(offer.terms).stock_policy;
        match stock::reserve(offer.stock, line.product_id, offer.warehouse_id, id, line.quantity, policy) {
            Ok(events) => {
                line.backordered = events
                    .iter()
                    .filter_map(|e| match e.event {
                        Event::StockBackordered { quantity, .. } => Some(quantity.get()),
                        _ => None,
                    })
                    .sum();
                stock_events.extend(events);
            }
            // Unless the distributor shows availability, a buyer is not told how much is in stock
            // (staff read it from `GET /v1/stock`).
            Err(ReserveError::Insufficient { available, .. }) if command.show_availability => {
                short.push(format!("lines[{i}] ({available} orderable)"))
            }
            Err(ReserveError::Insufficient { .. }) => short.push(format!("lines[{i}]")),
            Err(error) => return Err(error.into()),
        }
        placed_lines.push(line);
    }
    if !short.is_empty() {
        return Err(DomainError::Conflict(format!("not enough stock for {}", short.join(", "))));
    }
    let too_large = || DomainError::invalid("lines", "total_too_large", "the order total is too large");
    let currency = placed_lines.first().map(|l| l.line_total.currency).ok_or_else(too_large)?;
    let total = Money::sum(currency, placed_lines.iter().map(|l| l.line_total)).map_err(|_| too_large())?;
    let placed = PlacedOrder {
        company_id: company.id,
        buyer_id: buyer.id,
        idempotency_key: key,
        po_number,
        shipping_address,
        payment_terms: company.payment_terms,
        lines: placed_lines,
        total,
    };
    let mut events =
        vec![NewEvent { stream_id: id, stream_type: StreamType::Order, event: Event::OrderPlaced(placed) }];
    events.extend(stock_events);
    events.push(NewEvent {
        stream_id: cart_id(buyer.id),
        stream_type: StreamType::Cart,
        event: Event::CartCheckedOut { order_id: id },
    });
    Ok(events)
}

/// Each cart line priced, with its offer; every line that cannot be ordered is listed.
fn price_lines<'o, 'a>(
    cart: &Cart,
    company: &Company,
    price_lists: &[PriceList],
    offers: &'o [Offer<'a>],
    today: NaiveDate,
) -> Result<(Vec<OrderLine>, Vec<&'o Offer<'a>>), DomainError> {
    let mut problems = Problems::default();
    let mut priced = Vec::new();
    for (i, line) in cart.lines.iter().enumerate() {
        let field = format!("lines[{i}]");
        let offer = offers.iter().find(|o| o.product.id == line.product_id).filter(|o| !o.product.retired);
        let Some(offer) = offer else {
            let message = format!("product {} is retired: remove it from the cart", line.product_id);
            problems.push(FieldError::new(format!("{field}.product_id"), "product_retired", message));
            continue;
        };
        let rules = problems.check(rules_of(offer.terms).check(&format!("{field}.quantity"), line.quantity));
        let list_price = offer.terms.and_then(|t| t.list_price);
        let price =
            resolve_price(list_price, price_lists, company.id, line.product_id, line.quantity, today).map_err(|e| {
                let code = match e {
                    PriceError::NoPrice(_) => "no_price",
                    PriceError::CurrencyMismatch { .. } => "currency_mismatch",
                };
                FieldError::new(format!("{field}.product_id"), code, e.to_string())
            });
        let (Some(()), Some(price)) = (rules, problems.check(price)) else { continue };
        let Ok(line_total) = price.unit.times(line.quantity) else {
            problems.push(FieldError::new(
                format!("{field}.quantity"),
                "total_too_large",
                "the line total is too large",
            ));
            continue;
        };
        if let Some(first) = priced.first().map(|(l, _): &(OrderLine, _)| l.unit_price.currency) {
            if first != price.unit.currency {
                let message = format!("priced in {}, the order in {first}: order it separately", price.unit.currency);
                problems.push(FieldError::new(format!("{field}.product_id"), "currency_mismatch", message));
                continue;
            }
        }
        let product = offer.product;
        priced.push((
            OrderLine {
                product_id: product.id,
                sku: product.sku.clone(),
                name: product.name.clone(),
                warehouse_id: offer.warehouse_id,
                quantity: line.quantity,
                unit_price: price.unit,
                price_source: price.source,
                line_total,
                backordered: 0,
            },
            offer,
        ));
    }
    problems.finish()?;
    Ok(priced.into_iter().unzip())
}
