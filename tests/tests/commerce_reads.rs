//! The commerce read side: terms, price lists, stock, carts and orders projected into the read
//! model and served by the query API — the buyer's prices on product answers (never cached for
//! another company), the cart, order tracking after each step of the lifecycle, the ops order
//! queue, stock and price lists, who may see what, and a rebuild that reproduces every commerce
//! table.
//!
//! Every write goes through the command API, as a client's would; each read asks for the write's
//! `position` (`X-Min-Position`), so it waits for the projection rather than for a clock.

use std::time::{Duration, Instant};

use integration_tests::commerce::{address, Shop, User};
use integration_tests::pipeline::{Pipeline, DEADLINE};
use integration_tests::{Answer, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

/// A shop over a whole pipeline: two products, two companies with a buyer each, an ops user, and
/// a query API over the pipeline's read model (with its Redis cache).
struct Storefront {
    pipeline: Pipeline,
    shop: Shop,
    query: String,
    bolt: Uuid,
    nut: Uuid,
    company_a: Uuid,
    company_b: Uuid,
    buyer_a: User,
    buyer_b: User,
}

impl Storefront {
    async fn open(tag: &str) -> Storefront {
        let pipeline = Pipeline::start_with_cache(tag).await;
        let shop = Shop::over(pipeline.app.clone()).await;
        let bolt = shop.product("Hex bolt M12x40 A4").await;
        let nut = shop.product("Hex bolt M12x20 A4").await;
        let (company_a, company_b) = (shop.company("Nordwerk").await, shop.company("Suedbau").await);
        let (buyer_a, buyer_b) = (shop.buyer(company_a).await, shop.buyer(company_b).await);
        let query = pipeline.query_api().await;
        Storefront { pipeline, shop, query, bolt, nut, company_a, company_b, buyer_a, buyer_b }
    }

    fn ops(&self) -> &User {
        &self.shop.ops
    }

    /// GET on the query API, once the read model has reached `position`.
    async fn get(&self, path: &str, token: Option<&str>, position: i64) -> Answer {
        let url = format!("{}{path}", self.query);
        let mut request = self.shop.app.client.get(url).header("X-Min-Position", position.to_string());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        TestApp::answer(request).await
    }

    async fn ok(&self, path: &str, token: Option<&str>, position: i64) -> Value {
        let answer = self.get(path, token, position).await;
        assert_eq!(answer.status, StatusCode::OK, "GET {path}: {answer:?}");
        answer.body
    }

    /// Waits until the query API serves the shared answer at `path` from its cache (it stores an
    /// answer in the background, just after answering).
    async fn cached(&self, path: &str, position: i64) {
        let deadline = Instant::now() + DEADLINE;
        while self.get(path, None, position).await.header("x-cache") != Some("hit") {
            assert!(Instant::now() < deadline, "{path} was never served from the cache");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// A write as `user` through the command API; its position, once it succeeded with `status`.
    async fn write(&self, user: &User, method: Method, path: &str, body: Option<Value>, status: StatusCode) -> i64 {
        let answer = self.shop.send(Some(user), method.clone(), path, body).await;
        assert_eq!(answer.status, status, "{method} {path}: {answer:?}");
        position(&answer)
    }

    /// The bolt at 12.99 EUR a unit, sold from 10 in packs of 5, backordered when short; the nut at
    /// 2.50 EUR with the default rules.
    async fn set_terms(&self) -> i64 {
        let eur = |amount: i64| json!({"amount_minor": amount, "currency": "EUR"});
        let bolt = json!({"list_price": eur(1299), "minimum_quantity": 10, "order_increment": 5,
                          "stock_policy": "backorder"});
        self.shop.terms(self.bolt, bolt).await;
        position(&self.shop.terms(self.nut, json!({"list_price": eur(250)})).await)
    }

    /// Company A's list: the bolt at 10.00 from 1, 9.00 from 50.
    async fn set_price_list(&self) -> (Uuid, i64) {
        let body = json!({"name": "Key accounts", "currency": "EUR", "priority": 10});
        let created = self.shop.ops(Method::POST, "/v1/price-lists", Some(body)).await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        let list = created.id();
        let breaks =
            json!({"breaks": [{"min_quantity": 1, "amount_minor": 1000}, {"min_quantity": 50, "amount_minor": 900}]});
        let entry = format!("/v1/price-lists/{list}/entries/{}", self.bolt);
        self.write(self.ops(), Method::PUT, &entry, Some(breaks), StatusCode::OK).await;
        let assign = format!("/v1/price-lists/{list}/companies/{}", self.company_a);
        (list, self.write(self.ops(), Method::PUT, &assign, None, StatusCode::OK).await)
    }

    /// The bolt's stock in the shop's warehouse as the query API shows it: on hand, reserved,
    /// available, backordered.
    async fn bolt_stock(&self, position: i64) -> [i64; 4] {
        let path = format!("/v1/stock?product_id={}&warehouse_id={}", self.bolt, self.shop.warehouse);
        let levels = self.ok(&path, Some(&self.ops().token), position).await;
        assert_eq!(levels["total"], 1, "{levels}");
        let level = &levels["stock"][0];
        assert_eq!(level["warehouse_id"], json!(self.shop.warehouse), "{levels}");
        ["on_hand", "reserved", "available", "backordered"].map(|n| level[n].as_i64().unwrap_or(-1))
    }

    /// Places an order of the buyer's cart; its id and position.
    async fn checkout(&self, buyer: &User, key: &str, po_number: &str) -> (Uuid, i64) {
        let placed = self.shop.checkout(buyer, Some(key), po_number).await;
        assert_eq!(placed.status, StatusCode::CREATED, "{placed:?}");
        (placed.id(), position(&placed))
    }

    /// An order transition by ops; its position, once the command API answered `status`.
    async fn step(&self, order: Uuid, action: &str, body: Option<Value>, status: &str) -> i64 {
        let answer = self.shop.transition(order, action, body).await;
        assert_eq!((answer.status, answer.body["status"].as_str()), (StatusCode::OK, Some(status)), "{answer:?}");
        position(&answer)
    }

    /// What the buyer and ops see of a one-line order of bolts and of the bolt's stock at
    /// `position`; the order as the buyer sees it.
    async fn sees(&self, buyer: &User, order: Uuid, position: i64, expected: &Seen) -> Value {
        let detail = self.ok(&format!("/v1/orders/{order}"), Some(&buyer.token), position).await;
        assert_eq!(detail["status"].as_str(), Some(expected.status), "{detail}");
        assert_eq!(line_units(&detail, 0), expected.line, "shipped, reserved, backordered: {detail}");
        let history = history(&detail);
        assert_eq!(history.len(), expected.history, "{detail}");
        let last = history.last().cloned().unwrap_or_default();
        let (actor, role) = &expected.actor;
        let to = expected.status.to_owned();
        assert_eq!(last, (expected.from.map(str::to_owned), to, actor.to_string(), role.to_string()), "{detail}");
        // The same status in the buyer's order list and in the ops queue filtered by it.
        let status = format!("/v1/orders?status={}", expected.status);
        for token in [&buyer.token, &self.ops().token] {
            let listed = self.ok(&status, Some(token), position).await;
            let ids: Vec<&Value> = listed["orders"].as_array().into_iter().flatten().map(|o| &o["id"]).collect();
            assert!(ids.contains(&&json!(order)), "{status}: {listed}");
        }
        assert_eq!(self.bolt_stock(position).await, expected.stock, "on hand, reserved, available, backordered");
        detail
    }
}

/// What the read side shows after one step of a one-line order.
#[derive(Clone, Copy)]
struct Seen {
    status: &'static str,
    /// The line's shipped, reserved and backordered units.
    line: [u64; 3],
    /// The bolt's stock: on hand, reserved, available, backordered.
    stock: [i64; 4],
    /// How many history rows there are; the last one goes `from` → `status`, by `actor`.
    history: usize,
    from: Option<&'static str>,
    actor: (Uuid, &'static str),
}

/// A write's position, once it succeeded.
fn position(answer: &Answer) -> i64 {
    assert!(answer.status.is_success(), "{answer:?}");
    answer.body["position"].as_i64().unwrap_or_else(|| panic!("no position in {answer:?}"))
}

fn amount(value: &Value) -> i64 {
    value["amount_minor"].as_i64().unwrap_or_else(|| panic!("no amount in {value}"))
}

/// A line's shipped, reserved and backordered units.
fn line_units(order: &Value, line: usize) -> [u64; 3] {
    ["shipped", "reserved", "backordered"].map(|n| order["lines"][line][n].as_u64().unwrap_or(u64::MAX))
}

/// An order's history rows: from, to, actor id, actor role.
fn history(order: &Value) -> Vec<(Option<String>, String, String, String)> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    order["history"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| {
            (
                h["from_status"].as_str().map(str::to_owned),
                text(&h["to_status"]),
                text(&h["actor"]["id"]),
                text(&h["actor"]["role"]),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_buyer_sees_its_company_price_on_detail_and_search_and_no_other_company_sees_it() {
    let store = Storefront::open("prices").await;
    store.set_terms().await;
    let (list, at) = store.set_price_list().await;
    let (a, b, ops) = (&store.buyer_a.token, &store.buyer_b.token, &store.ops().token);
    let detail = format!("/v1/products/{}", store.bolt);

    // Anonymous first, so that the shared answer is cached before any priced request.
    let anonymous = store.ok(&detail, None, at).await;
    assert!(anonymous.get("price").is_none(), "prices are for signed-in callers: {anonymous}");
    store.cached(&detail, at).await;

    let priced = store.get(&detail, Some(a), at).await;
    assert_eq!((priced.status, priced.header("x-cache")), (StatusCode::OK, Some("hit")), "{priced:?}");
    let price = &priced.body["price"];
    assert_eq!(amount(&price["unit"]), 1000, "{priced:?}");
    assert_eq!(price["source"], json!({"kind": "price_list", "price_list_id": list, "min_quantity": 1}));
    assert_eq!((price["quantity"].as_u64(), price["minimum_quantity"].as_u64()), (Some(10), Some(10)));
    assert_eq!((price["order_increment"].clone(), price["stock_policy"].clone()), (json!(5), json!("backorder")));
    let breaks: Vec<(u64, i64)> = price["breaks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| (b["min_quantity"].as_u64().unwrap_or(0), amount(&b["unit"])))
        .collect();
    assert_eq!(breaks, vec![(10, 1000), (50, 900)]);
    let at_fifty = store.ok(&format!("{detail}?quantity=50"), Some(a), at).await;
    assert_eq!((at_fifty["price"]["quantity"].as_u64(), amount(&at_fifty["price"]["unit"])), (Some(50), 900));
    let zero = store.get(&format!("{detail}?quantity=0"), Some(a), at).await;
    assert_eq!(zero.status, StatusCode::UNPROCESSABLE_ENTITY, "{zero:?}");

    // Company B has no list: the list price, from the very answer the cache served to A.
    let other = store.get(&detail, Some(b), at).await;
    assert_eq!(other.header("x-cache"), Some("hit"), "the shared answer is cached: {other:?}");
    assert_eq!(amount(&other.body["price"]["unit"]), 1299, "{}", other.body);
    assert_eq!(other.body["price"]["source"], json!({"kind": "list_price"}));
    assert_eq!(other.body["price"]["breaks"].as_array().map(Vec::len), Some(1));
    let staff = store.ok(&detail, Some(ops), at).await;
    assert_eq!((amount(&staff["price"]["unit"]), staff["price"]["breaks"].clone()), (1299, json!([])));
    let again = store.get(&detail, None, at).await;
    assert!(again.body.get("price").is_none(), "the cache holds no price: {again:?}");

    // Search hits, priced in one go per page, each for its caller — the second from the cache.
    for (token, bolt, nut) in [(a, 1000, 250), (b, 1299, 250)] {
        let found = store.get("/v1/search?q=hex", Some(token), at).await;
        let hits = found.body["hits"].as_array().cloned().unwrap_or_default();
        assert_eq!(hits.len(), 2, "{found:?}");
        for hit in hits {
            let expected = if hit["id"] == json!(store.bolt) { bolt } else { nut };
            assert_eq!(amount(&hit["price"]["unit"]), expected, "{hit}");
        }
        if token == a {
            store.cached("/v1/search?q=hex", at).await;
        } else {
            assert_eq!(found.header("x-cache"), Some("hit"), "{found:?}");
        }
    }
    let anonymous = store.ok("/v1/search?q=hex", None, at).await;
    assert!(anonymous["hits"].as_array().into_iter().flatten().all(|h| h.get("price").is_none()), "{anonymous}");
    let forged = store.get(&detail, Some("not-a-token"), at).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED, "{forged:?}");
    store.pipeline.finish().await;
}

#[tokio::test]
async fn the_cart_prices_its_lines_for_the_buyer_and_flags_a_retired_one_until_checkout_empties_it() {
    let store = Storefront::open("cart").await;
    store.set_terms().await;
    store.set_price_list().await;
    let (a, b, ops) = (&store.buyer_a, &store.buyer_b, store.ops());
    let at = position(&store.shop.receive(store.bolt, store.shop.warehouse, 40).await);
    let empty = store.ok("/v1/cart", Some(&a.token), at).await;
    assert_eq!((empty["lines"].clone(), empty["total"].clone()), (json!([]), Value::Null));

    // 40 bolts (company A's 10.00 a unit) and 3 nuts, which are then retired.
    assert_eq!(store.shop.add(a, store.bolt, 40).await.status, StatusCode::OK);
    assert_eq!(store.shop.add(a, store.nut, 3).await.status, StatusCode::OK);
    let retired = store.shop.app.post(&format!("/v1/products/{}/retire", store.nut), json!({})).await;
    let at = position(&retired);
    let sku = store.ok(&format!("/v1/products/{}", store.bolt), None, at).await["sku"].clone();
    let cart = store.ok("/v1/cart", Some(&a.token), at).await;
    assert_eq!((cart["lines"][0]["sku"].clone(), cart["lines"][0]["quantity"].clone()), (sku, json!(40)), "{cart}");
    assert_eq!((amount(&cart["lines"][0]["unit_price"]), amount(&cart["lines"][0]["line_total"])), (1000, 40_000));
    assert_eq!(cart["lines"][0]["breaks_rules"], false);
    assert_eq!((cart["lines"][1]["retired"].clone(), cart["orderable"].clone()), (json!(true), json!(false)));
    assert_eq!(amount(&cart["total"]), 40_000, "a retired line counts for nothing: {cart}");
    // Another buyer's cart is their own (empty); staff have none.
    assert_eq!(store.ok("/v1/cart", Some(&b.token), at).await["lines"], json!([]));
    assert_eq!(store.get("/v1/cart", Some(&ops.token), at).await.status, StatusCode::FORBIDDEN);

    // Without the retired line the cart is orderable; a changed quantity is priced again.
    let line = format!("/v1/cart/lines/{}", store.nut);
    store.write(a, Method::DELETE, &line, None, StatusCode::OK).await;
    let line = format!("/v1/cart/lines/{}", store.bolt);
    let at = store.write(a, Method::PATCH, &line, Some(json!({"quantity": 50})), StatusCode::OK).await;
    let cart = store.ok("/v1/cart", Some(&a.token), at).await;
    assert_eq!((cart["lines"].as_array().map(Vec::len), cart["orderable"].clone()), (Some(1), json!(true)));
    assert_eq!((amount(&cart["lines"][0]["unit_price"]), amount(&cart["total"])), (900, 45_000), "{cart}");
    let (_, at) = store.checkout(a, "cart-1", "PO-C").await;
    let cart = store.ok("/v1/cart", Some(&a.token), at).await;
    assert_eq!((cart["lines"].clone(), cart["orderable"].clone()), (json!([]), json!(false)), "{cart}");
    store.pipeline.finish().await;
}

#[tokio::test]
async fn an_order_is_tracked_from_placed_to_delivered_with_its_backorder_and_a_rebuild_reproduces_it() {
    let store = Storefront::open("orders").await;
    store.set_terms().await;
    store.set_price_list().await;
    let (a, b, ops) = (&store.buyer_a, &store.buyer_b, store.ops());
    let by_ops = (ops.id, "ops");
    let terms = format!("/v1/companies/{}/payment-terms", store.company_a);
    store.write(ops, Method::PUT, &terms, Some(json!({"payment_terms": "net60"})), StatusCode::OK).await;

    // Stock: 32 bolts received, 2 written off.
    let warehouse = store.shop.warehouse;
    store.shop.receive(store.bolt, warehouse, 32).await;
    let adjust = format!("/v1/products/{}/stock/{warehouse}/adjustments", store.bolt);
    let by = json!({"by": -2, "reason": "damaged"});
    let at = store.write(ops, Method::POST, &adjust, Some(by), StatusCode::OK).await;
    assert_eq!(store.bolt_stock(at).await, [30, 0, 30, 0]);

    // 40 bolts for 30 in stock: 30 reserved, 10 backordered, seen in the order and the stock.
    assert_eq!(store.shop.add(a, store.bolt, 40).await.status, StatusCode::OK);
    let (order, at) = store.checkout(a, "k-1", "PO-7").await;
    let placed = Seen {
        status: "placed",
        line: [0, 30, 10],
        stock: [30, 30, 0, 10],
        history: 1,
        from: None,
        actor: (a.id, "buyer"),
    };
    let detail = store.sees(a, order, at, &placed).await;
    assert_eq!((detail["po_number"].as_str(), detail["payment_terms"].as_str()), (Some("PO-7"), Some("net60")));
    assert_eq!((amount(&detail["total"]), detail["lines"][0]["quantity"].clone()), (40_000, json!(40)));
    assert_eq!(detail["lines"][0]["backordered_at_placement"], 10, "{detail}");
    assert_eq!(detail["shipping_address"]["country"], "DE");
    assert_eq!(detail["shipping_address"]["recipient"], address()["recipient"]);
    assert_eq!(detail["history"][0]["details"]["po_number"], "PO-7");
    // Another company's buyer: no such order, and none in its list.
    assert_eq!(store.get(&format!("/v1/orders/{order}"), Some(&b.token), at).await.status, StatusCode::NOT_FOUND);
    assert_eq!(store.ok("/v1/orders", Some(&b.token), at).await["total"], 0);

    let at = store.step(order, "confirm", None, "confirmed").await;
    let confirmed = Seen { status: "confirmed", history: 2, from: Some("placed"), actor: by_ops, ..placed };
    store.sees(a, order, at, &confirmed).await;

    // 20 of the 30 reserved ship; the 10 backordered still wait.
    let ship = |n: i64| Some(json!({"lines": [{"product_id": store.bolt, "quantity": n}]}));
    let at = store.step(order, "ship", ship(20), "partially_shipped").await;
    let partially = Seen {
        status: "partially_shipped",
        line: [20, 10, 10],
        stock: [10, 10, 0, 10],
        history: 3,
        from: Some("confirmed"),
        ..confirmed
    };
    let detail = store.sees(a, order, at, &partially).await;
    assert_eq!(detail["history"][2]["details"]["lines"][0]["quantity"], 20, "{detail}");
    let queue = store.ok("/v1/orders?status=partially_shipped&sort=oldest", Some(&ops.token), at).await;
    assert_eq!((queue["total"].as_i64(), queue["orders"][0]["id"].clone()), (Some(1), json!(order)), "{queue}");
    assert_eq!(store.ok("/v1/orders?status=placed,confirmed", Some(&ops.token), at).await["total"], 0);
    let lost = store.get("/v1/orders?status=lost", Some(&ops.token), at).await;
    assert_eq!(lost.status, StatusCode::UNPROCESSABLE_ENTITY, "{lost:?}");

    // 15 arrive and the backorder is allocated from them: a stock change, no step of the order.
    let at = position(&store.shop.receive(store.bolt, warehouse, 15).await);
    assert_eq!(store.bolt_stock(at).await, [25, 10, 15, 10]);
    let at = store.step(order, "allocate", None, "partially_shipped").await;
    store.sees(a, order, at, &Seen { line: [20, 20, 0], stock: [25, 20, 5, 0], ..partially }).await;

    let at = store.step(order, "ship", ship(20), "shipped").await;
    let shipped = Seen {
        status: "shipped",
        line: [40, 0, 0],
        stock: [5, 0, 5, 0],
        history: 4,
        from: Some("partially_shipped"),
        ..partially
    };
    store.sees(a, order, at, &shipped).await;
    let at = store.step(order, "deliver", None, "delivered").await;
    let delivered = Seen { status: "delivered", history: 5, from: Some("shipped"), ..shipped };
    let detail = store.sees(a, order, at, &delivered).await;
    let steps: Vec<(String, String)> = history(&detail).into_iter().map(|(_, to, id, _)| (to, id)).collect();
    let (buyer, staff) = (a.id.to_string(), ops.id.to_string());
    let expected = [
        ("placed", &buyer),
        ("confirmed", &staff),
        ("partially_shipped", &staff),
        ("shipped", &staff),
        ("delivered", &staff),
    ];
    assert_eq!(steps, expected.map(|(to, id)| (to.to_owned(), id.clone())), "{detail}");
    assert_eq!(store.ok("/v1/orders", Some(&a.token), at).await["orders"][0]["status"], "delivered");

    // A rebuild replays every commerce event into the same rows.
    store.pipeline.converged().await;
    let live = store.pipeline.read_model().await;
    assert_eq!(live["order_history"].as_array().map(Vec::len), Some(5), "{}", live["order_history"]);
    store.pipeline.rebuild().await;
    assert_eq!(store.pipeline.read_model().await, live);
    store.pipeline.finish().await;
}

#[tokio::test]
async fn a_cancelled_order_shows_its_reason_and_gives_back_its_reserved_and_backordered_stock() {
    let store = Storefront::open("cancel").await;
    store.set_terms().await;
    let (a, b, ops) = (&store.buyer_a, &store.buyer_b, store.ops());
    store.shop.receive(store.bolt, store.shop.warehouse, 5).await;

    // Company B pays the list price: 10 bolts for 5 in stock.
    assert_eq!(store.shop.add(b, store.bolt, 10).await.status, StatusCode::OK);
    let (order, at) = store.checkout(b, "k-2", "PO-8").await;
    let placed =
        Seen { status: "placed", line: [0, 5, 5], stock: [5, 5, 0, 5], history: 1, from: None, actor: (b.id, "buyer") };
    let detail = store.sees(b, order, at, &placed).await;
    assert_eq!((amount(&detail["lines"][0]["unit_price"]), amount(&detail["total"])), (1299, 12_990), "{detail}");
    assert_eq!(store.get(&format!("/v1/orders/{order}"), Some(&a.token), at).await.status, StatusCode::NOT_FOUND);

    let at = store.step(order, "confirm", None, "confirmed").await;
    let confirmed = Seen { status: "confirmed", history: 2, from: Some("placed"), actor: (ops.id, "ops"), ..placed };
    store.sees(b, order, at, &confirmed).await;
    let reason = json!({"reason": "duplicate order"});
    let at = store.step(order, "cancel", Some(reason), "cancelled").await;
    let cancelled = Seen {
        status: "cancelled",
        line: [0, 0, 0],
        stock: [5, 0, 5, 0],
        history: 3,
        from: Some("confirmed"),
        ..confirmed
    };
    let detail = store.sees(b, order, at, &cancelled).await;
    assert_eq!(detail["history"][2]["details"]["reason"], "duplicate order", "{detail}");
    assert_eq!(detail["lines"][0]["backordered_at_placement"], 5, "{detail}");
    let queue = store.ok("/v1/orders?status=placed,confirmed,partially_shipped", Some(&ops.token), at).await;
    assert_eq!(queue["total"], 0, "{queue}");
    store.pipeline.finish().await;
}

#[tokio::test]
async fn ops_endpoints_refuse_missing_tokens_and_buyers_and_show_price_lists_to_staff() {
    let store = Storefront::open("staff").await;
    store.set_terms().await;
    let (list, at) = store.set_price_list().await;
    let (a, ops) = (&store.buyer_a.token, &store.ops().token);
    for path in ["/v1/stock", "/v1/price-lists", &format!("/v1/price-lists/{list}")] {
        let missing = store.get(path, None, at).await;
        assert_eq!(missing.status, StatusCode::UNAUTHORIZED, "{path}: {missing:?}");
        assert_eq!(missing.header("content-type"), Some("application/problem+json"));
        assert_eq!(store.get(path, Some("garbage"), at).await.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(store.get(path, Some(a), at).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    for path in ["/v1/cart", "/v1/orders"] {
        assert_eq!(store.get(path, None, at).await.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let lists = store.ok(&format!("/v1/price-lists?company_id={}", store.company_a), Some(ops), at).await;
    assert_eq!((lists["total"].as_i64(), lists["price_lists"][0]["id"].clone()), (Some(1), json!(list)), "{lists}");
    assert_eq!(
        (lists["price_lists"][0]["valid_today"].clone(), lists["price_lists"][0]["entries"].clone()),
        (json!(true), json!(1))
    );
    let none = store.ok(&format!("/v1/price-lists?company_id={}", store.company_b), Some(ops), at).await;
    assert_eq!(none["total"], 0);
    let by_product = store.ok(&format!("/v1/price-lists?product_id={}", store.nut), Some(ops), at).await;
    assert_eq!(by_product["total"], 0, "{by_product}");
    let detail = store.ok(&format!("/v1/price-lists/{list}"), Some(ops), at).await;
    assert_eq!(detail["companies"], json!([store.company_a]));
    assert_eq!(detail["entries"][0]["product_id"], json!(store.bolt));
    let breaks = &detail["entries"][0]["breaks"];
    assert_eq!((breaks[1]["min_quantity"].as_u64(), amount(&breaks[1]["unit_price"])), (Some(50), 900), "{detail}");
    let admin = store.ok(&format!("/v1/price-lists/{list}"), Some(&store.shop.app.token), at).await;
    assert_eq!(admin["name"], "Key accounts");
    let unknown = store.get(&format!("/v1/price-lists/{}", Uuid::new_v4()), Some(ops), at).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{unknown:?}");

    // Entries and companies follow each change: the nut added, the bolt repriced then removed,
    // company A unassigned.
    let entry = |product: Uuid| format!("/v1/price-lists/{list}/entries/{product}");
    let breaks = |amount: i64| Some(json!({"breaks": [{"min_quantity": 1, "amount_minor": amount}]}));
    let staff = store.ops();
    store.write(staff, Method::PUT, &entry(store.nut), breaks(200), StatusCode::OK).await;
    store.write(staff, Method::PUT, &entry(store.bolt), breaks(1100), StatusCode::OK).await;
    let repriced = store.ok(&format!("/v1/price-lists/{list}"), Some(ops), store.pipeline.converged().await).await;
    let bolt_entry =
        repriced["entries"].as_array().and_then(|e| e.iter().find(|e| e["product_id"] == json!(store.bolt)));
    assert_eq!(bolt_entry.map(|e| amount(&e["breaks"][0]["unit_price"])), Some(1100), "{repriced}");
    store.write(staff, Method::DELETE, &entry(store.bolt), None, StatusCode::OK).await;
    let unassign = format!("/v1/price-lists/{list}/companies/{}", store.company_a);
    let at = store.write(staff, Method::DELETE, &unassign, None, StatusCode::OK).await;
    let after = store.ok(&format!("/v1/price-lists/{list}"), Some(ops), at).await;
    assert_eq!(after["companies"], json!([]), "{after}");
    let products: Vec<&Value> =
        after["entries"].as_array().map(|e| e.iter().map(|e| &e["product_id"]).collect()).unwrap_or_default();
    assert_eq!(products, [&json!(store.nut)], "{after}");
    let for_a = store.ok(&format!("/v1/price-lists?company_id={}", store.company_a), Some(ops), at).await;
    assert_eq!(for_a["total"], 0, "{for_a}");
    let for_bolt = store.ok(&format!("/v1/price-lists?product_id={}", store.bolt), Some(ops), at).await;
    assert_eq!(for_bolt["total"], 0, "{for_bolt}");
    // A rebuild gives the same entries and companies.
    let before = store.pipeline.read_model().await;
    store.pipeline.rebuild().await;
    assert_eq!(store.pipeline.read_model().await, before);
    store.pipeline.finish().await;
}
