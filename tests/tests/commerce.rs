//! Commerce on the write side, against the real command API and event store: prices resolved and
//! frozen into orders, stock that is never oversold, purchasing rules, idempotent checkout, and
//! the order lifecycle with the stock it moves. (The read models are tested in commerce_reads.rs.)

use chrono::{Duration, Utc};
use command_api::config::Config;
use event_store::EventFilter;
use futures::future::join_all;
use integration_tests::commerce::{Shop, User};
use integration_tests::{Answer, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

fn order_id(answer: &Answer) -> Uuid {
    assert!(answer.status.is_success(), "{answer:?}");
    answer.id()
}

fn unit_price(order: &Answer, line: usize) -> (i64, Value) {
    let line = &order.body["lines"][line];
    (line["unit_price"]["amount_minor"].as_i64().unwrap_or(-1), line["price_source"].clone())
}

/// Places an order of `quantity` of `product` by `buyer` and answers it (201 asserted).
async fn order_of(shop: &Shop, buyer: &User, product: Uuid, quantity: i64) -> Answer {
    let added = shop.add(buyer, product, quantity).await;
    assert_eq!(added.status, StatusCode::OK, "{added:?}");
    let placed = shop.checkout(buyer, Some(&Uuid::new_v4().to_string()), "PO-1").await;
    assert_eq!(placed.status, StatusCode::CREATED, "{placed:?}");
    placed
}

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset)).to_string()
}

#[tokio::test]
async fn the_price_is_resolved_from_list_price_lists_breaks_validity_and_priority_and_frozen_in_the_order() {
    let shop = Shop::open().await;
    let product = shop.stocked("Hex bolt M12x40 A4", 1_000, 10_000).await;
    let company = shop.company("Nordwerk").await;
    let buyer = shop.buyer(company).await;

    // No price list: the list price.
    let order = order_of(&shop, &buyer, product, 10).await;
    assert_eq!(unit_price(&order, 0), (1_000, json!({"kind": "list_price"})));
    assert_eq!(order.body["total"], json!({"amount_minor": 10_000, "currency": "EUR"}));

    // A list with breaks 1+ and 50+, assigned to the company.
    let list = shop
        .ops(
            Method::POST,
            "/v1/price-lists",
            Some(json!({"name": "Nordwerk contract", "currency": "EUR", "priority": 10})),
        )
        .await;
    assert_eq!(list.status, StatusCode::CREATED, "{list:?}");
    let list = list.id();
    let breaks =
        json!({"breaks": [{"min_quantity": 1, "amount_minor": 900}, {"min_quantity": 50, "amount_minor": 800}]});
    let entry = shop.ops(Method::PUT, &format!("/v1/price-lists/{list}/entries/{product}"), Some(breaks)).await;
    assert_eq!(entry.status, StatusCode::OK, "{entry:?}");
    // Not assigned yet: still the list price.
    assert_eq!(unit_price(&order_of(&shop, &buyer, product, 10).await, 0).0, 1_000);
    let assigned = shop.ops(Method::PUT, &format!("/v1/price-lists/{list}/companies/{company}"), None).await;
    assert_eq!(assigned.status, StatusCode::OK, "{assigned:?}");
    assert_eq!(assigned.body["companies"], json!([company]));

    let ten = order_of(&shop, &buyer, product, 10).await;
    let source = json!({"kind": "price_list", "price_list_id": list, "min_quantity": 1});
    assert_eq!(unit_price(&ten, 0), (900, source));
    let fifty = order_of(&shop, &buyer, product, 50).await;
    assert_eq!(unit_price(&fifty, 0).0, 800);
    assert_eq!(fifty.body["total"]["amount_minor"], 40_000);

    // A higher-priority list that starts tomorrow does not apply yet; moved to yesterday, it wins.
    let later = shop
        .ops(
            Method::POST,
            "/v1/price-lists",
            Some(json!({"name": "Spring promotion", "currency": "EUR", "priority": 20, "valid_from": day(1)})),
        )
        .await;
    let later = later.id();
    let cheap = json!({"breaks": [{"min_quantity": 1, "amount_minor": 700}]});
    shop.ops(Method::PUT, &format!("/v1/price-lists/{later}/entries/{product}"), Some(cheap)).await;
    shop.ops(Method::PUT, &format!("/v1/price-lists/{later}/companies/{company}"), None).await;
    assert_eq!(unit_price(&order_of(&shop, &buyer, product, 10).await, 0).0, 900, "not valid yet");
    let moved =
        shop.ops(Method::PATCH, &format!("/v1/price-lists/{later}"), Some(json!({"valid_from": day(-1)}))).await;
    assert_eq!(moved.status, StatusCode::OK, "{moved:?}");
    assert_eq!(unit_price(&order_of(&shop, &buyer, product, 10).await, 0).0, 700, "the higher priority wins");

    // Expired (valid until yesterday): back to the contract list.
    let expired = json!({"valid_from": day(-10), "valid_until": day(-1)});
    let answer = shop.ops(Method::PATCH, &format!("/v1/price-lists/{later}"), Some(expired)).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(unit_price(&order_of(&shop, &buyer, product, 10).await, 0).0, 900, "expired");

    // Another company has no list: the list price.
    let other = shop.buyer(shop.company("Südbau").await).await;
    assert_eq!(unit_price(&order_of(&shop, &other, product, 10).await, 0).0, 1_000);

    // A price change after the order leaves the placed order's price as it was (frozen).
    shop.terms(product, json!({"list_price": {"amount_minor": 1_500, "currency": "EUR"}})).await;
    let frozen = shop.app.snapshot(order_id(&ten)).await.unwrap_or_else(|| panic!("no head"));
    assert_eq!(frozen["placed"]["lines"][0]["unit_price"]["amount_minor"], 900);

    // Bad price list input is refused with every field listed.
    let bad = shop
        .ops(
            Method::POST,
            "/v1/price-lists",
            Some(
                json!({"name": "", "currency": "EURO", "priority": 5000, "valid_from": day(2), "valid_until": day(1)}),
            ),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
    let fields: Vec<String> = bad.field_errors().into_iter().map(|(f, _)| f).collect();
    for field in ["currency", "name", "priority", "valid_until"] {
        assert!(fields.iter().any(|f| f == field), "{field} not in {fields:?}");
    }
    let rising =
        json!({"breaks": [{"min_quantity": 10, "amount_minor": 900}, {"min_quantity": 5, "amount_minor": 950}]});
    let rising = shop.ops(Method::PUT, &format!("/v1/price-lists/{list}/entries/{product}"), Some(rising)).await;
    assert_eq!(rising.status, StatusCode::UNPROCESSABLE_ENTITY, "{rising:?}");
}

#[tokio::test]
async fn fifty_concurrent_orders_for_ten_units_reserve_exactly_ten() {
    let shop = Shop::open().await;
    let product = shop.stocked("Hex bolt M12x50 A4", 250, 10).await;
    let company = shop.company("Rush buyers").await;
    let buyers = join_all((0..50).map(|_| shop.buyer(company))).await;
    for buyer in &buyers {
        assert_eq!(shop.add(buyer, product, 1).await.status, StatusCode::OK);
    }
    let answers = join_all(buyers.iter().map(|b| shop.checkout(b, Some("rush"), "PO-RUSH"))).await;
    let placed = answers.iter().filter(|a| a.status == StatusCode::CREATED).count();
    let refused: Vec<&Answer> = answers.iter().filter(|a| a.status == StatusCode::CONFLICT).collect();
    assert_eq!((placed, refused.len()), (10, 40), "{:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    for answer in &refused {
        let detail = answer.body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("not enough stock"), "{answer:?}");
    }
    assert_eq!(shop.stock(product, shop.warehouse).await, (10, 10, 0));
    let reserved = shop.app.count_events(EventFilter::all().stream_type("stock").event_type("StockReserved")).await;
    assert_eq!(reserved, 10);
}

#[tokio::test]
async fn a_short_stock_refusal_shows_the_orderable_quantity_only_where_the_distributor_shows_availability() {
    for show_availability in [false, true] {
        let config = integration_tests::test_config();
        let shop = Shop::over(TestApp::spawn_with(Config { show_availability, ..config }).await).await;
        let product = shop.stocked("Hex nut M12 A4", 40, 7).await;
        let buyer = shop.buyer(shop.company("Careful buyers").await).await;
        assert_eq!(shop.add(&buyer, product, 9).await.status, StatusCode::OK);
        let refused = shop.checkout(&buyer, Some("short"), "PO-SHORT").await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{refused:?}");
        let detail = refused.body["detail"].as_str().unwrap_or_default();
        if show_availability {
            assert_eq!(detail, "not enough stock for lines[0] (7 orderable)", "{refused:?}");
        } else {
            assert_eq!(detail, "not enough stock for lines[0]", "{refused:?}");
        }
    }
}

#[tokio::test]
async fn under_a_backorder_policy_concurrent_orders_beyond_stock_are_backordered_and_allocated_on_receipt() {
    let shop = Shop::open().await;
    let product = shop.product("Hex bolt M12x60 A4").await;
    let price = json!({"amount_minor": 400, "currency": "EUR"});
    shop.terms(product, json!({"list_price": price, "stock_policy": "backorder"})).await;
    shop.receive(product, shop.warehouse, 5).await;
    let company = shop.company("Patient buyers").await;
    let buyers = join_all((0..8).map(|_| shop.buyer(company))).await;
    for buyer in &buyers {
        shop.add(buyer, product, 1).await;
    }
    let answers = join_all(buyers.iter().map(|b| shop.checkout(b, Some("k"), "PO-B"))).await;
    assert!(answers.iter().all(|a| a.status == StatusCode::CREATED), "{answers:?}");
    let backordered: Vec<&Answer> = answers.iter().filter(|a| a.body["lines"][0]["backordered"] == 1).collect();
    assert_eq!(backordered.len(), 3);
    assert_eq!(shop.stock(product, shop.warehouse).await, (5, 5, 3));

    // Shipping a backordered line is refused until stock arrives and is allocated.
    let waiting = order_id(backordered[0]);
    assert_eq!(shop.transition(waiting, "confirm", None).await.status, StatusCode::OK);
    let ship = json!({"lines": [{"product_id": product, "quantity": 1}]});
    assert_eq!(shop.transition(waiting, "ship", Some(ship.clone())).await.status, StatusCode::CONFLICT);
    shop.receive(product, shop.warehouse, 2).await;
    let allocated = shop.transition(waiting, "allocate", None).await;
    assert_eq!(allocated.status, StatusCode::OK, "{allocated:?}");
    assert_eq!(shop.stock(product, shop.warehouse).await, (7, 6, 2));
    assert_eq!(shop.transition(waiting, "ship", Some(ship)).await.status, StatusCode::OK);
    assert_eq!(shop.stock(product, shop.warehouse).await, (6, 5, 2));
}

#[tokio::test]
async fn minimum_order_quantities_and_pack_sizes_are_enforced_in_the_cart_and_again_at_checkout() {
    let shop = Shop::open().await;
    let product = shop.stocked("Hex bolt M12x70 A4", 30, 1_000).await;
    let price = json!({"amount_minor": 30, "currency": "EUR"});
    let terms = shop.terms(product, json!({"list_price": price, "minimum_quantity": 10, "order_increment": 5})).await;
    assert_eq!((terms.body["minimum_quantity"].as_i64(), terms.body["order_increment"].as_i64()), (Some(10), Some(5)));
    let buyer = shop.buyer(shop.company("Packs").await).await;

    let below = shop.add(&buyer, product, 5).await;
    assert_eq!(below.status, StatusCode::UNPROCESSABLE_ENTITY, "{below:?}");
    assert_eq!(below.field_errors(), [("quantity".to_owned(), "below_minimum_quantity".to_owned())]);
    let loose = shop.add(&buyer, product, 12).await;
    assert_eq!(loose.field_errors(), [("quantity".to_owned(), "not_whole_packs".to_owned())]);
    assert!(loose.body["errors"][0]["message"].as_str().unwrap_or_default().contains("10 or 15"), "{loose:?}");
    for bad in [0, -5] {
        assert_eq!(shop.add(&buyer, product, bad).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let added = shop.add(&buyer, product, 15).await;
    assert_eq!(added.status, StatusCode::OK, "{added:?}");
    assert_eq!(added.body["lines"], json!([{"product_id": product, "quantity": 15}]));
    // Adding more adds to the line, checked as a whole.
    assert_eq!(shop.add(&buyer, product, 3).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(shop.add(&buyer, product, 5).await.body["lines"][0]["quantity"], 20);
    let path = format!("/v1/cart/lines/{product}");
    let patched = shop.send(Some(&buyer), Method::PATCH, &path, Some(json!({"quantity": 17}))).await;
    assert_eq!(patched.status, StatusCode::UNPROCESSABLE_ENTITY, "{patched:?}");

    // The pack size grows after the line was added: checkout checks the cart against the terms now.
    let price = json!({"amount_minor": 30, "currency": "EUR"});
    shop.terms(product, json!({"list_price": price, "minimum_quantity": 25, "order_increment": 25})).await;
    let refused = shop.checkout(&buyer, Some("packs"), "PO-P").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{refused:?}");
    assert_eq!(refused.field_errors(), [("lines[0].quantity".to_owned(), "below_minimum_quantity".to_owned())]);
    let patched = shop.send(Some(&buyer), Method::PATCH, &path, Some(json!({"quantity": 50}))).await;
    assert_eq!(patched.status, StatusCode::OK, "{patched:?}");
    assert_eq!(shop.checkout(&buyer, Some("packs"), "PO-P").await.status, StatusCode::CREATED);

    // Bad terms: a minimum that is not whole packs.
    let bad = shop
        .ops(
            Method::PUT,
            &format!("/v1/products/{product}/terms"),
            Some(json!({"list_price": null, "minimum_quantity": 7, "order_increment": 5})),
        )
        .await;
    assert_eq!(bad.field_errors(), [("minimum_quantity".to_owned(), "minimum_not_whole_packs".to_owned())]);
}

#[tokio::test]
async fn a_retried_checkout_with_the_same_idempotency_key_answers_the_same_order_and_places_one() {
    let shop = Shop::open().await;
    let product = shop.stocked("Hex bolt M12x80 A4", 120, 100).await;
    let buyer = shop.buyer(shop.company("Retry GmbH").await).await;
    shop.add(&buyer, product, 4).await;

    let first = shop.checkout(&buyer, Some("po-4711-attempt"), "PO-4711").await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    // The client lost the answer and retries — several times, concurrently.
    let retries = join_all((0..5).map(|_| shop.checkout(&buyer, Some("po-4711-attempt"), "PO-4711"))).await;
    for retry in &retries {
        assert_eq!(retry.status, StatusCode::OK, "{retry:?}");
        assert_eq!(retry.body["id"], first.body["id"]);
        assert_eq!(retry.body["lines"], first.body["lines"]);
        assert_eq!(retry.header("idempotency-key"), Some("po-4711-attempt"));
    }
    let placed = shop.app.count_events(EventFilter::all().event_type("OrderPlaced")).await;
    assert_eq!(placed, 1);
    assert_eq!(shop.stock(product, shop.warehouse).await, (100, 4, 0));

    // The same key for a different checkout is a conflict, not a second order.
    shop.add(&buyer, product, 1).await;
    let reused = shop.checkout(&buyer, Some("po-4711-attempt"), "PO-4712").await;
    assert_eq!(reused.status, StatusCode::CONFLICT, "{reused:?}");
    // Concurrent first attempts with one key place one order too.
    let racing = join_all((0..4).map(|_| shop.checkout(&buyer, Some("race"), "PO-RACE"))).await;
    let created = racing.iter().filter(|a| a.status == StatusCode::CREATED).count();
    assert_eq!(created, 1, "{racing:?}");
    assert!(racing.iter().all(|a| a.status.is_success() && a.body["id"] == racing[0].body["id"]), "{racing:?}");

    // Without a key, one is made up and answered; an invalid key is a 422.
    shop.add(&buyer, product, 1).await;
    let keyless = shop.checkout(&buyer, None, "PO-4713").await;
    assert_eq!(keyless.status, StatusCode::CREATED, "{keyless:?}");
    assert!(keyless.header("idempotency-key").is_some_and(|k| Uuid::parse_str(k).is_ok()));
    let bad = shop.checkout(&buyer, Some(&"k".repeat(256)), "PO-4714").await;
    assert_eq!(bad.field_errors(), [("Idempotency-Key".to_owned(), "invalid_idempotency_key".to_owned())]);
    // An empty cart is a conflict; bad fields are all listed.
    let empty = shop.checkout(&buyer, Some("empty"), "PO-4715").await;
    assert_eq!(empty.status, StatusCode::CONFLICT, "{empty:?}");
    let request = shop
        .app
        .client
        .post(format!("{}/v1/checkout", shop.app.base))
        .bearer_auth(&buyer.token)
        .json(&json!({"po_number": "", "shipping_address": {"recipient": "", "line1": "x", "city": "y", "postal_code": "1", "country": "Germany"}}));
    let invalid = integration_tests::TestApp::answer(request).await;
    assert_eq!(
        invalid.field_errors(),
        [
            ("po_number".to_owned(), "invalid_name".to_owned()),
            ("shipping_address.country".to_owned(), "invalid_country".to_owned()),
            ("shipping_address.recipient".to_owned(), "invalid_name".to_owned()),
        ],
        "{invalid:?}"
    );
}

#[tokio::test]
async fn the_order_lifecycle_moves_through_each_status_with_its_actor_and_refuses_every_other_transition() {
    let shop = Shop::open().await;
    let bolts = shop.stocked("Hex bolt M12x90 A4", 100, 50).await;
    let nuts = shop.stocked("Hex bolt M12x100 A4", 50, 50).await;
    let company = shop.company("Lifecycle AG").await;
    let terms = shop
        .ops(Method::PUT, &format!("/v1/companies/{company}/payment-terms"), Some(json!({"payment_terms": "net30"})))
        .await;
    assert_eq!(terms.body["payment_terms"], "net30", "{terms:?}");
    let buyer = shop.buyer(company).await;
    shop.add(&buyer, bolts, 10).await;
    shop.add(&buyer, nuts, 20).await;
    let placed = shop.checkout(&buyer, Some("life"), "PO-LIFE").await;
    assert_eq!(placed.status, StatusCode::CREATED, "{placed:?}");
    assert_eq!(
        (placed.body["status"].as_str(), placed.body["payment_terms"].as_str()),
        (Some("placed"), Some("net30"))
    );
    assert_eq!(placed.body["total"]["amount_minor"], 10 * 100 + 20 * 50);
    let order = placed.id();
    assert_eq!(shop.stock(bolts, shop.warehouse).await, (50, 10, 0));

    // Not yet: ship, deliver. Not at all: a buyer acting on it.
    let ship_bolts = json!({"lines": [{"product_id": bolts, "quantity": 4}]});
    assert_eq!(shop.transition(order, "ship", Some(ship_bolts.clone())).await.status, StatusCode::CONFLICT);
    assert_eq!(shop.transition(order, "deliver", None).await.status, StatusCode::CONFLICT);
    let as_buyer = shop.send(Some(&buyer), Method::POST, &format!("/v1/orders/{order}/confirm"), None).await;
    assert_eq!(as_buyer.status, StatusCode::FORBIDDEN, "{as_buyer:?}");
    let anonymous = shop.send(None, Method::POST, &format!("/v1/orders/{order}/confirm"), None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(shop.transition(Uuid::new_v4(), "confirm", None).await.status, StatusCode::NOT_FOUND);

    let confirmed = shop.transition(order, "confirm", None).await;
    assert_eq!(confirmed.body["status"], "confirmed", "{confirmed:?}");
    assert_eq!(shop.transition(order, "confirm", None).await.status, StatusCode::CONFLICT);

    // A partial shipment: 4 of 10 bolts.
    let partial = shop.transition(order, "ship", Some(ship_bolts)).await;
    assert_eq!(partial.body["status"], "partially_shipped", "{partial:?}");
    assert_eq!(partial.body["lines"][0]["shipped"], 4);
    assert_eq!(shop.stock(bolts, shop.warehouse).await, (46, 6, 0));
    // Nothing of a shipped order can be cancelled, and no more than ordered ships.
    let cancel = json!({"reason": "customer changed their mind"});
    assert_eq!(shop.transition(order, "cancel", Some(cancel.clone())).await.status, StatusCode::CONFLICT);
    let too_many = json!({"lines": [{"product_id": bolts, "quantity": 7}]});
    let refused = shop.transition(order, "ship", Some(too_many)).await;
    assert_eq!(refused.field_errors(), [("lines[0].quantity".to_owned(), "more_than_ordered".to_owned())]);
    let stranger = json!({"lines": [{"product_id": Uuid::new_v4(), "quantity": 1}]});
    let refused = shop.transition(order, "ship", Some(stranger)).await;
    assert_eq!(refused.field_errors(), [("lines[0].product_id".to_owned(), "not_in_order".to_owned())]);
    assert_eq!(shop.transition(order, "deliver", None).await.status, StatusCode::CONFLICT, "not fully shipped");

    let rest = json!({"lines": [{"product_id": bolts, "quantity": 6}, {"product_id": nuts, "quantity": 20}]});
    let shipped = shop.transition(order, "ship", Some(rest)).await;
    assert_eq!(shipped.body["status"], "shipped", "{shipped:?}");
    assert_eq!(shipped.body["shipments"].as_array().map(Vec::len), Some(2));
    assert_eq!(shop.stock(bolts, shop.warehouse).await, (40, 0, 0));
    assert_eq!(shop.stock(nuts, shop.warehouse).await, (30, 0, 0));
    let delivered = shop.transition(order, "deliver", None).await;
    assert_eq!(delivered.body["status"], "delivered", "{delivered:?}");
    for action in ["confirm", "deliver", "allocate"] {
        assert_eq!(shop.transition(order, action, None).await.status, StatusCode::CONFLICT, "{action}");
    }
    assert_eq!(shop.transition(order, "cancel", Some(cancel)).await.status, StatusCode::CONFLICT);

    // Every transition is an event whose metadata names the ops user.
    let events: Vec<(String, String, String)> =
        shop.app.stream_events(order).await.into_iter().map(|e| (e.event_type, e.actor_id, e.actor_role)).collect();
    let ops = (shop.ops.id.to_string(), "ops".to_owned());
    let expected = [
        ("OrderPlaced", (buyer.id.to_string(), "buyer".to_owned())),
        ("OrderConfirmed", ops.clone()),
        ("OrderShipped", ops.clone()),
        ("OrderShipped", ops.clone()),
        ("OrderDelivered", ops),
    ];
    let found: Vec<(&str, (String, String))> =
        events.iter().map(|(t, id, role)| (t.as_str(), (id.clone(), role.clone()))).collect();
    assert_eq!(found, expected);
    // Payment terms changed later leave the order's as placed.
    shop.ops(Method::PUT, &format!("/v1/companies/{company}/payment-terms"), Some(json!({"payment_terms": "net60"})))
        .await;
    let snapshot = shop.app.snapshot(order).await.unwrap_or_else(|| panic!("no head"));
    assert_eq!(snapshot["placed"]["payment_terms"], "net30");
}

#[tokio::test]
async fn cancelling_releases_the_stock_a_placed_or_confirmed_order_holds() {
    let shop = Shop::open().await;
    let product = shop.stocked("Hex bolt M12x110 A4", 100, 20).await;
    let buyer = shop.buyer(shop.company("Cancel KG").await).await;
    let placed = order_of(&shop, &buyer, product, 8).await.id();
    let confirmed = order_of(&shop, &buyer, product, 5).await.id();
    assert_eq!(shop.transition(confirmed, "confirm", None).await.status, StatusCode::OK);
    assert_eq!(shop.stock(product, shop.warehouse).await, (20, 13, 0));

    let no_reason = shop.transition(placed, "cancel", Some(json!({"reason": " "}))).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY, "{no_reason:?}");
    for order in [placed, confirmed] {
        let cancelled = shop.transition(order, "cancel", Some(json!({"reason": "duplicate order"}))).await;
        assert_eq!(cancelled.body["status"], "cancelled", "{cancelled:?}");
    }
    assert_eq!(shop.stock(product, shop.warehouse).await, (20, 0, 0));
    for action in ["confirm", "ship", "deliver"] {
        let body = (action == "ship").then(|| json!({"lines": [{"product_id": product, "quantity": 1}]}));
        assert_eq!(shop.transition(placed, action, body).await.status, StatusCode::CONFLICT, "{action}");
    }
    // The released units can be ordered again, all of them.
    assert_eq!(order_of(&shop, &buyer, product, 20).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn stock_is_received_and_adjusted_with_reasons_never_below_what_is_reserved() {
    let shop = Shop::open().await;
    let product = shop.stocked("Hex bolt M12x120 A4", 100, 0).await;
    let (hamburg, munich) = (shop.warehouse, Uuid::new_v4());
    let received = shop.receive(product, hamburg, 12).await;
    assert_eq!((received.body["on_hand"].as_u64(), received.body["available"].as_u64()), (Some(12), Some(12)));
    shop.receive(product, munich, 30).await;
    let path = |w: Uuid, what: &str| format!("/v1/products/{product}/stock/{w}/{what}");

    let damaged =
        shop.ops(Method::POST, &path(hamburg, "adjustments"), Some(json!({"by": -2, "reason": "damaged"}))).await;
    assert_eq!(damaged.body["on_hand"], 10, "{damaged:?}");
    let unknown =
        shop.ops(Method::POST, &path(hamburg, "adjustments"), Some(json!({"by": -2, "reason": "stolen"}))).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "{unknown:?}");
    let zero =
        shop.ops(Method::POST, &path(hamburg, "adjustments"), Some(json!({"by": 0, "reason": "correction"}))).await;
    assert_eq!(zero.status, StatusCode::UNPROCESSABLE_ENTITY);
    let nowhere =
        shop.ops(Method::POST, &path(Uuid::new_v4(), "adjustments"), Some(json!({"by": 1, "reason": "found"}))).await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    let none = shop.ops(Method::POST, &path(hamburg, "receipts"), Some(json!({"quantity": 0}))).await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    let missing = format!("/v1/products/{}/stock/{hamburg}/receipts", Uuid::new_v4());
    assert_eq!(shop.ops(Method::POST, &missing, Some(json!({"quantity": 1}))).await.status, StatusCode::NOT_FOUND);

    // Checkout reserves in the warehouse that can serve the whole line: Munich for 20.
    let buyer = shop.buyer(shop.company("Two warehouses").await).await;
    let order = order_of(&shop, &buyer, product, 20).await;
    assert_eq!(order.body["lines"][0]["warehouse_id"], json!(munich));
    assert_eq!(shop.stock(product, munich).await, (30, 20, 0));
    // Munich cannot go below its 20 reserved units.
    let below = shop.ops(Method::POST, &path(munich, "adjustments"), Some(json!({"by": -11, "reason": "lost"}))).await;
    assert_eq!(below.status, StatusCode::CONFLICT, "{below:?}");
    let counted =
        shop.ops(Method::POST, &path(munich, "adjustments"), Some(json!({"by": -10, "reason": "cycle_count"}))).await;
    assert_eq!((counted.body["on_hand"].as_u64(), counted.body["available"].as_u64()), (Some(20), Some(0)));

    // Buyers manage no stock.
    let as_buyer =
        shop.send(Some(&buyer), Method::POST, &path(hamburg, "receipts"), Some(json!({"quantity": 1}))).await;
    assert_eq!(as_buyer.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn carts_belong_to_buyers_flag_retired_products_at_checkout_and_refuse_staff() {
    let shop = Shop::open().await;
    let kept = shop.stocked("Hex bolt M12x130 A4", 100, 10).await;
    let retired = shop.stocked("Hex bolt M12x140 A4", 100, 10).await;
    let unpriced = shop.product("Hex bolt M12x150 A4").await;
    shop.receive(unpriced, shop.warehouse, 10).await;
    let buyer = shop.buyer(shop.company("Cart Ltd").await).await;
    for product in [kept, retired, unpriced] {
        assert_eq!(shop.add(&buyer, product, 1).await.status, StatusCode::OK);
    }
    let retire = shop.app.post(&format!("/v1/products/{retired}/retire"), json!({})).await;
    assert_eq!(retire.status, StatusCode::OK, "{retire:?}");
    // A retired product cannot be added, and blocks checkout until removed; so does one without a price.
    assert_eq!(shop.add(&buyer, retired, 1).await.status, StatusCode::CONFLICT);
    let blocked = shop.checkout(&buyer, Some("cart"), "PO-C").await;
    assert_eq!(
        blocked.field_errors(),
        [
            ("lines[1].product_id".to_owned(), "product_retired".to_owned()),
            ("lines[2].product_id".to_owned(), "no_price".to_owned()),
        ],
        "{blocked:?}"
    );
    for product in [retired, unpriced] {
        let removed = shop.send(Some(&buyer), Method::DELETE, &format!("/v1/cart/lines/{product}"), None).await;
        assert_eq!(removed.status, StatusCode::OK, "{removed:?}");
    }
    let again = shop.send(Some(&buyer), Method::DELETE, &format!("/v1/cart/lines/{retired}"), None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let placed = shop.checkout(&buyer, Some("cart"), "PO-C").await;
    assert_eq!(placed.status, StatusCode::CREATED, "{placed:?}");
    // Checkout empties the cart (it stays the buyer's one cart).
    let cart = shop.app.snapshot(domain::commerce::cart_id(buyer.id)).await.unwrap_or_else(|| panic!("no head"));
    assert_eq!(cart["lines"], json!([]));

    // Staff have no cart; nobody else's cart can be named.
    let staff = shop.ops(Method::POST, "/v1/cart/lines", Some(json!({"product_id": kept, "quantity": 1}))).await;
    assert_eq!(staff.status, StatusCode::FORBIDDEN, "{staff:?}");
    let missing = shop.add(&buyer, Uuid::new_v4(), 1).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{missing:?}");
    let anonymous = shop.send(None, Method::POST, "/v1/checkout", Some(json!({}))).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    // A disabled company's buyers (with an access token still valid) can neither fill a cart nor order.
    let company = buyer.company.unwrap_or_default();
    assert_eq!(shop.app.post(&format!("/v1/companies/{company}/disable"), json!({})).await.status, StatusCode::OK);
    let refused = shop.add(&buyer, kept, 1).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{refused:?}");
    assert!(refused.body["detail"].as_str().unwrap_or_default().contains("disabled"), "{refused:?}");
    assert_eq!(shop.checkout(&buyer, Some("late"), "PO-D").await.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_retried_shipment_or_receipt_that_names_the_version_it_saw_is_refused_not_applied_twice() {
    let shop = Shop::open().await;
    let product = shop.stocked("Hex bolt M12x160 A4", 100, 50).await;
    let buyer = shop.buyer(shop.company("Retrying ops").await).await;
    let order = order_of(&shop, &buyer, product, 30).await.id();
    let confirmed = shop.transition(order, "confirm", Some(json!({"expected_version": 1}))).await;
    assert_eq!(confirmed.body["version"], 2, "{confirmed:?}");
    let stale = shop.transition(order, "confirm", Some(json!({"expected_version": 1}))).await;
    assert_eq!(stale.field_errors(), [("expected_version".to_owned(), "stale_version".to_owned())]);

    // The packer's screen showed version 2; the first request went through, its retry must not.
    let ship = json!({"lines": [{"product_id": product, "quantity": 10}], "expected_version": 2});
    assert_eq!(shop.transition(order, "ship", Some(ship.clone())).await.body["version"], 3);
    let retried = shop.transition(order, "ship", Some(ship)).await;
    assert_eq!(retried.status, StatusCode::CONFLICT, "{retried:?}");
    assert_eq!(shop.stock(product, shop.warehouse).await, (40, 20, 0));

    let path = format!("/v1/products/{product}/stock/{}/receipts", shop.warehouse);
    let seen = shop.receive(product, shop.warehouse, 1).await.body["version"].as_i64().unwrap_or_default();
    let receipt = json!({"quantity": 10, "expected_version": seen});
    assert_eq!(shop.ops(Method::POST, &path, Some(receipt.clone())).await.status, StatusCode::OK);
    assert_eq!(shop.ops(Method::POST, &path, Some(receipt)).await.status, StatusCode::CONFLICT);
    assert_eq!(shop.stock(product, shop.warehouse).await, (51, 20, 0));

    // The same for a cart line: a retried add that names the cart's version adds once.
    let added = shop.add(&buyer, product, 1).await;
    let version = added.body["version"].as_i64().unwrap_or_default();
    let body = json!({"product_id": product, "quantity": 2, "expected_version": version});
    let first = shop.send(Some(&buyer), Method::POST, "/v1/cart/lines", Some(body.clone())).await;
    assert_eq!(first.body["lines"][0]["quantity"], 3, "{first:?}");
    let again = shop.send(Some(&buyer), Method::POST, "/v1/cart/lines", Some(body)).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{again:?}");
}
