//! Checkout and the order lifecycle, with every refused transition.

use super::*;
use crate::commerce::cart::{self};
use crate::commerce::checkout::{place_order, AddressInput, Checkout, IdempotencyKey, Offer};
use crate::commerce::order::{self, OrderStatus, ShipInput};
use crate::commerce::price_list::PriceBreak;
use crate::commerce::pricing::PriceSource;
use crate::commerce::stock::{self as stock_cmd};
use crate::commerce::terms::{PurchasingRules, StockPolicy};
use crate::commerce::{cart_id, order_id, stock_id};
use crate::events::Change;
use crate::given::{invalid, pairs, then};
use crate::identity::company::PaymentTerms;

const CONTRACT: Uuid = Uuid::from_u128(0x71);
const SHIPMENT_1: Uuid = Uuid::from_u128(0x5A);
const SHIPMENT_2: Uuid = Uuid::from_u128(0x5B);

fn terms(product_id: Uuid, list_price: i64, policy: StockPolicy) -> ProductTerms {
    let rules = PurchasingRules { stock_policy: policy, ..PurchasingRules::default() };
    ProductTerms { id: Uuid::nil(), product_id, list_price: Some(eur(list_price)), rules }
}

/// ACME's contract: bolts at 9.00, 8.00 from 50.
fn contract() -> PriceList {
    let breaks = vec![
        PriceBreak { min_quantity: qty(1), unit_price: eur(900) },
        PriceBreak { min_quantity: qty(50), unit_price: eur(800) },
    ];
    PriceList {
        id: CONTRACT,
        name: "ACME".into(),
        currency: currency("EUR"),
        priority: 1,
        valid_from: None,
        valid_until: None,
        entries: [(BOLT, breaks)].into(),
        companies: [ACME].into(),
    }
}

fn checkout(key: &str, po: &str) -> Checkout {
    Checkout {
        idempotency_key: key.into(),
        po_number: po.into(),
        shipping_address: AddressInput {
            recipient: "ACME Receiving".into(),
            line1: "Dock 4".into(),
            line2: None,
            city: "Bremen".into(),
            postal_code: "28195".into(),
            region: None,
            country: "de".into(),
        },
        show_availability: false,
        today: day("2025-06-01"),
    }
}

/// 60 bolts and 5 nuts in the cart; 100 bolts and 10 nuts in the main warehouse.
fn given() -> Vec<NewEvent> {
    let bolt = product(BOLT, "B-1");
    let mut given = accepted(cart::add_line(None, &buyer(), &bolt, None, 60));
    let cart = cart_of(&given, cart_id(BUYER));
    given = then(&given, &accepted(cart::add_line(Some(&cart), &buyer(), &product(NUT, "N-1"), None, 5)));
    given = then(&given, &accepted(stock_cmd::receive(None, BOLT, MAIN, qty(100))));
    then(&given, &accepted(stock_cmd::receive(None, NUT, MAIN, qty(10))))
}

fn place(given: &[NewEvent], nut_policy: StockPolicy, command: &Checkout) -> Result<Vec<NewEvent>, DomainError> {
    let (bolt, nut) = (product(BOLT, "B-1"), product(NUT, "N-1"));
    let (bolt_terms, nut_terms) = (terms(BOLT, 1000, StockPolicy::Refuse), terms(NUT, 50, nut_policy));
    let stock = |p| state(given, stock_id(p, MAIN)).map(|_| stock_of(given, stock_id(p, MAIN)));
    let (bolt_stock, nut_stock) = (stock(BOLT), stock(NUT));
    let offers = [
        Offer { product: &bolt, terms: Some(&bolt_terms), warehouse_id: MAIN, stock: bolt_stock.as_ref() },
        Offer { product: &nut, terms: Some(&nut_terms), warehouse_id: MAIN, stock: nut_stock.as_ref() },
    ];
    let key = IdempotencyKey::parse("k", &command.idempotency_key).ok();
    let existing = key.and_then(|k| state(given, order_id(BUYER, &k)).map(|_| order_of(given, order_id(BUYER, &k))));
    let cart = state(given, cart_id(BUYER)).map(|_| cart_of(given, cart_id(BUYER)));
    let company = Company { payment_terms: PaymentTerms::Net30, ..acme() };
    place_order(existing.as_ref(), cart.as_ref(), &buyer(), &company, &[contract()], &offers, command)
}

fn the_order() -> Uuid {
    order_id(BUYER, &IdempotencyKey::parse("k", "key-1").unwrap())
}

/// The order placed from `given()`, and everything before it.
fn placed() -> Vec<NewEvent> {
    let given = given();
    then(&given, &accepted(place(&given, StockPolicy::Refuse, &checkout("key-1", "PO-77"))))
}

#[test]
fn given_a_cart_when_checked_out_then_the_order_freezes_prices_and_terms_reserves_stock_and_empties_the_cart() {
    let given = given();
    let decided = accepted(place(&given, StockPolicy::Refuse, &checkout("key-1", "PO-77")));
    let Event::OrderPlaced(placed) = &decided[0].event else { panic!("{:?}", decided[0]) };
    assert_eq!((placed.company_id, placed.buyer_id, placed.payment_terms), (ACME, BUYER, PaymentTerms::Net30));
    assert_eq!((placed.po_number.as_str(), placed.shipping_address.country.as_str()), ("PO-77", "DE"));
    let bolts = &placed.lines[0];
    assert_eq!((bolts.unit_price, bolts.line_total), (eur(800), eur(48_000)));
    assert_eq!(bolts.price_source, PriceSource::PriceList { price_list_id: CONTRACT, min_quantity: qty(50) });
    assert_eq!((placed.lines[1].unit_price, placed.lines[1].price_source), (eur(50), PriceSource::ListPrice));
    assert_eq!(placed.total, eur(48_250));
    let types: Vec<&str> = decided.iter().map(|e| e.event.type_name()).collect();
    assert_eq!(types, ["OrderPlaced", "StockReserved", "StockReserved", "CartCheckedOut"]);
    let after = then(&given, &decided);
    assert!(cart_of(&after, cart_id(BUYER)).lines.is_empty());
    assert_eq!(stock_of(&after, stock_id(BOLT, MAIN)).available(), 40);
    assert_eq!(order_of(&after, the_order()).status, OrderStatus::Placed);
    assert_stored_round_trip(&after);
}

#[test]
fn a_retried_checkout_finds_the_same_order_and_places_nothing() {
    let placed = placed();
    assert!(accepted(place(&placed, StockPolicy::Refuse, &checkout("key-1", "PO-77"))).is_empty());
    assert!(conflict(place(&placed, StockPolicy::Refuse, &checkout("key-1", "PO-78"))).contains("different checkout"));
    assert!(conflict(place(&placed, StockPolicy::Refuse, &checkout("key-2", "PO-77"))).contains("cart is empty"));
}

#[test]
fn a_checkout_lists_every_bad_field() {
    let mut command = checkout(" ", "");
    command.shipping_address = AddressInput { country: "Germany".into(), ..Default::default() };
    let fields = [
        ("idempotency_key", "invalid_idempotency_key"),
        ("po_number", "invalid_name"),
        ("shipping_address.recipient", "invalid_name"),
        ("shipping_address.line1", "invalid_name"),
        ("shipping_address.city", "invalid_name"),
        ("shipping_address.postal_code", "invalid_name"),
        ("shipping_address.country", "invalid_country"),
    ];
    assert_eq!(invalid(place(&given(), StockPolicy::Refuse, &command)), pairs(&fields));
}

#[test]
fn a_checkout_to_a_country_iso_3166_does_not_assign_is_refused() {
    for code in ["ZZ", "XK", "UK", "EU", "AA", "QZ"] {
        let mut command = checkout("key-1", "PO-77");
        command.shipping_address.country = code.into();
        let fields = [("shipping_address.country", "invalid_country")];
        assert_eq!(invalid(place(&given(), StockPolicy::Refuse, &command)), pairs(&fields), "{code}");
    }
    let mut command = checkout("key-1", "PO-77");
    command.shipping_address.country = " gb ".into();
    let decided = accepted(place(&given(), StockPolicy::Refuse, &command));
    let Event::OrderPlaced(placed) = &decided[0].event else { panic!("{:?}", decided[0]) };
    assert_eq!(placed.shipping_address.country, "GB");
}

#[test]
fn lines_that_cannot_be_ordered_are_listed_by_cart_line() {
    let given = given();
    let cart = cart_of(&given, cart_id(BUYER));
    let (old, unpriced) = (retired(product(BOLT, "B-1")), product(NUT, "N-1"));
    let packs = ProductTerms {
        rules: PurchasingRules::parse(10, 10, StockPolicy::Refuse).unwrap(),
        list_price: None,
        ..terms(NUT, 0, StockPolicy::Refuse)
    };
    let offers = [
        Offer { product: &old, terms: None, warehouse_id: MAIN, stock: None },
        Offer { product: &unpriced, terms: Some(&packs), warehouse_id: MAIN, stock: None },
    ];
    let result = place_order(None, Some(&cart), &buyer(), &acme(), &[], &offers, &checkout("k", "PO"));
    let expected = [
        ("lines[0].product_id", "product_retired"),
        ("lines[1].quantity", "below_minimum_quantity"),
        ("lines[1].product_id", "no_price"),
    ];
    assert_eq!(invalid(result), pairs(&expected));
}

#[test]
fn short_stock_refuses_the_checkout_unless_the_product_backorders() {
    let mut given = given();
    let nuts = stock_of(&given, stock_id(NUT, MAIN));
    given = then(&given, &accepted(stock_cmd::adjust(&nuts, -7, crate::commerce::stock::AdjustmentReason::Damaged)));
    let refused = conflict(place(&given, StockPolicy::Refuse, &checkout("key-1", "PO-77")));
    assert!(refused.contains("lines[1]"), "{refused}");
    assert!(!refused.contains('3'), "the stock level stays undisclosed: {refused}");
    let shown = Checkout { show_availability: true, ..checkout("key-1", "PO-77") };
    let refused = conflict(place(&given, StockPolicy::Refuse, &shown));
    assert!(refused.ends_with("lines[1] (3 orderable)"), "a distributor that shows availability: {refused}");
    let decided = accepted(place(&given, StockPolicy::Backorder, &checkout("key-1", "PO-77")));
    let Event::OrderPlaced(placed) = &decided[0].event else { panic!() };
    assert_eq!(placed.lines[1].backordered, 2);
    assert_eq!(stock_of(&then(&given, &decided), stock_id(NUT, MAIN)).backordered(), 2);
}

#[test]
fn an_empty_cart_a_disabled_company_or_another_companys_user_cannot_check_out() {
    let command = checkout("k", "PO");
    assert!(conflict(place_order(None, None, &buyer(), &acme(), &[], &[], &command)).contains("empty"));
    let closed = Company { disabled: true, ..acme() };
    assert!(conflict(place_order(None, None, &buyer(), &closed, &[], &[], &command)).contains("disabled"));
    let other = User { company_id: Some(Uuid::from_u128(9)), ..buyer() };
    assert!(conflict(place_order(None, None, &other, &acme(), &[], &[], &command)).contains("not an active buyer"));
}

fn stocks(given: &[NewEvent]) -> Vec<Stock> {
    vec![stock_of(given, stock_id(BOLT, MAIN)), stock_of(given, stock_id(NUT, MAIN))]
}

fn ship(given: &[NewEvent], shipment: Uuid, lines: &[(Uuid, i64)]) -> Result<Vec<NewEvent>, DomainError> {
    let input: Vec<ShipInput> = lines.iter().map(|(p, q)| ShipInput { product_id: *p, quantity: *q }).collect();
    order::ship(&order_of(given, the_order()), &stocks(given), shipment, &input)
}

#[test]
fn an_order_goes_from_placed_to_confirmed_to_partially_shipped_to_shipped_to_delivered() {
    let mut given = placed();
    let confirmed = accepted(order::confirm(&order_of(&given, the_order())));
    let change = Change { from: OrderStatus::Placed, to: OrderStatus::Confirmed };
    assert_eq!(events(&confirmed), [Event::OrderConfirmed { status: change }]);
    given = then(&given, &confirmed);
    let first = accepted(ship(&given, SHIPMENT_1, &[(BOLT, 20)]));
    let Event::OrderShipped { status, .. } = &first[0].event else { panic!() };
    assert_eq!(status.to, OrderStatus::PartiallyShipped);
    given = then(&given, &first);
    let stock = stock_of(&given, stock_id(BOLT, MAIN));
    assert_eq!((stock.on_hand, stock.reserved), (80, 40));
    let rest = accepted(ship(&given, SHIPMENT_2, &[(BOLT, 40), (NUT, 5)]));
    given = then(&given, &rest);
    let order = order_of(&given, the_order());
    assert_eq!((order.status, order.shipped.clone(), order.shipments.len()), (OrderStatus::Shipped, vec![60, 5], 2));
    let delivered = accepted(order::deliver(&order));
    given = then(&given, &delivered);
    assert_eq!(order_of(&given, the_order()).status, OrderStatus::Delivered);
    assert!(stock_of(&given, stock_id(NUT, MAIN)).orders.is_empty());
    assert_stored_round_trip(&given);
}

#[test]
fn every_other_transition_is_refused_as_a_conflict() {
    let placed = placed();
    let order = order_of(&placed, the_order());
    assert!(conflict(ship(&placed, SHIPMENT_1, &[(BOLT, 1)])).contains("is placed: it cannot be shipped"));
    assert!(conflict(order::deliver(&order)).contains("cannot be delivered"));
    let confirmed = then(&placed, &accepted(order::confirm(&order)));
    let order = order_of(&confirmed, the_order());
    assert!(conflict(order::confirm(&order)).contains("is confirmed: it cannot be confirmed"));
    assert!(conflict(order::deliver(&order)).contains("cannot be delivered"));
    let partly = then(&confirmed, &accepted(ship(&confirmed, SHIPMENT_1, &[(NUT, 1)])));
    let order = order_of(&partly, the_order());
    assert!(conflict(order::cancel(&order, &stocks(&partly), "changed mind")).contains("partially_shipped"));
    assert!(conflict(order::deliver(&order)).contains("cannot be delivered"));
    assert!(conflict(order::confirm(&order)).contains("cannot be confirmed"));
    let cancelled = then(&placed, &accepted(order::cancel(&order_of(&placed, the_order()), &stocks(&placed), "dup")));
    let order = order_of(&cancelled, the_order());
    for refused in [order::confirm(&order), order::deliver(&order), order::cancel(&order, &[], "again")] {
        assert!(conflict(refused).contains("is cancelled"));
    }
    assert!(conflict(ship(&cancelled, SHIPMENT_1, &[(BOLT, 1)])).contains("is cancelled"));
}

#[test]
fn a_shipment_lists_every_bad_line_and_never_ships_more_than_ordered() {
    let placed = placed();
    let confirmed = then(&placed, &accepted(order::confirm(&order_of(&placed, the_order()))));
    let result = ship(&confirmed, SHIPMENT_1, &[(BOLT, 61), (Uuid::from_u128(0xDD), 1), (NUT, 0)]);
    let expected = [
        ("lines[0].quantity", "more_than_ordered"),
        ("lines[1].product_id", "not_in_order"),
        ("lines[2].quantity", "invalid_quantity"),
    ];
    assert_eq!(invalid(result), pairs(&expected));
    assert_eq!(invalid(ship(&confirmed, SHIPMENT_1, &[])), pairs(&[("lines", "empty_shipment")]));
    let twice = ship(&confirmed, SHIPMENT_1, &[(NUT, 3), (NUT, 3)]);
    assert_eq!(invalid(twice), pairs(&[("lines[1].product_id", "duplicate_line")]));
    // Even when the sum fits the order: each line's stock event would be decided on the same count.
    let split = ship(&confirmed, SHIPMENT_1, &[(BOLT, 20), (BOLT, 20)]);
    assert_eq!(invalid(split), pairs(&[("lines[1].product_id", "duplicate_line")]));
}

#[test]
fn cancelling_before_shipment_releases_the_stock_the_order_held() {
    let placed = placed();
    let order = order_of(&placed, the_order());
    let cancelled = accepted(order::cancel(&order, &stocks(&placed), "ordered twice"));
    let types: Vec<&str> = cancelled.iter().map(|e| e.event.type_name()).collect();
    assert_eq!(types, ["OrderCancelled", "StockReleased", "StockReleased"]);
    let after = then(&placed, &cancelled);
    assert_eq!(stock_of(&after, stock_id(BOLT, MAIN)).available(), 100);
    assert_eq!(order_of(&after, the_order()).status, OrderStatus::Cancelled);
    assert_eq!(invalid(order::cancel(&order, &[], " ")), pairs(&[("reason", "invalid_name")]));
}
