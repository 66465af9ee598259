//! The commerce read side: terms, price lists, stock, carts and orders projected into the read
//! model and served by the query API — the buyer's prices on product answers (never cached for
//! another company), the cart, order tracking, the ops order queue, stock and price lists, who may
//! see what, and a rebuild that reproduces every commerce table.
//!
//! Commerce events are decided by the domain and appended straight to the write database, as the
//! command API does; tokens are issued with the test API's own keyring.

use std::collections::HashMap;

use chrono::Utc;
use domain::commerce::checkout::{self, AddressInput, Checkout, Offer};
use domain::commerce::price_list::{self, BreakInput, CreatePriceList, PriceList};
use domain::commerce::terms::{self, ProductTerms, PurchasingRules, StockPolicy};
use domain::commerce::{cart, order, stock, Money, Quantity};
use domain::events::SCHEMA_VERSION;
use domain::identity::company::{Company, PaymentTerms};
use domain::identity::user::User;
use domain::identity::{Email, PasswordHash, Role};
use domain::product::Product;
use domain::{evolve, Aggregate, NewEvent};
use event_store::{Append, EventStore, EventToAppend, Metadata, StreamWrite};
use integration_tests::pipeline::Pipeline;
use integration_tests::{hex_bolts, Answer, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

/// A catalog of two bolts, two companies with a buyer each, an ops user, one warehouse, and a
/// query API over the pipeline's read model.
struct Shop {
    pipeline: Pipeline,
    query: String,
    bolt: Uuid,
    nut: Uuid,
    company_a: Uuid,
    company_b: Uuid,
    buyer_a: User,
    buyer_b: User,
    ops: Uuid,
    warehouse: Uuid,
}

impl Shop {
    async fn open(tag: &str) -> Shop {
        let pipeline = Pipeline::start_with_cache(tag).await;
        let hex = hex_bolts(&pipeline.app).await;
        let bolt = product(&pipeline.app, hex.family, "M8").await;
        let nut = product(&pipeline.app, hex.family, "M10").await;
        let query = pipeline.query_api().await;
        let (company_a, company_b) = (Uuid::new_v4(), Uuid::new_v4());
        Shop {
            query,
            bolt,
            nut,
            company_a,
            company_b,
            buyer_a: buyer(company_a),
            buyer_b: buyer(company_b),
            ops: Uuid::new_v4(),
            warehouse: Uuid::new_v4(),
            pipeline,
        }
    }

    fn app(&self) -> &TestApp {
        &self.pipeline.app
    }

    fn token(&self, user: Uuid, role: &str, company: Option<Uuid>) -> String {
        let now = Utc::now().timestamp();
        let issued = self.app().keyring.issue(now, user, role, company, Uuid::new_v4());
        issued.unwrap_or_else(|e| panic!("{e}")).access_token
    }

    fn buyer_token(&self, buyer: &User) -> String {
        self.token(buyer.id, "buyer", buyer.company_id)
    }

    fn ops_token(&self) -> String {
        self.token(self.ops, "ops", None)
    }

    /// GET on the query API, once the read model has reached `position`.
    async fn get(&self, path: &str, token: Option<&str>, position: i64) -> Answer {
        let mut request =
            self.app().client.get(format!("{}{path}", self.query)).header("X-Min-Position", position.to_string());
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

    /// Appends `events` as `actor` (in the role given), folding them into the streams' snapshots as
    /// the command API does; the position of the last one.
    async fn commit(&self, events: Vec<NewEvent>, actor: Uuid, role: &str) -> i64 {
        commit(self.app(), events, actor, role).await
    }

    async fn state(&self, id: Uuid) -> Option<Aggregate> {
        let rows = EventStore::load_streams(&self.app().db, &[id]).await.unwrap_or_else(|e| panic!("{e}"));
        rows.into_iter().next().map(|row| serde_json::from_value(row.snapshot).unwrap_or_else(|e| panic!("{e}")))
    }

    async fn product(&self, id: Uuid) -> Product {
        let stored = EventStore::read_stream(&self.app().db, id).await.unwrap_or_else(|e| panic!("{e}"));
        let mut state = None;
        for event in stored {
            let event = domain::Event::from_stored(&event.event_type, event.schema_version, &event.payload)
                .unwrap_or_else(|e| panic!("{e}"));
            state = Some(evolve(state, id, &event).unwrap_or_else(|e| panic!("{e}")));
        }
        match state {
            Some(Aggregate::Product(p)) => p,
            other => panic!("{id} is no product: {other:?}"),
        }
    }

    async fn terms(&self, product: Uuid) -> Option<ProductTerms> {
        match self.state(domain::commerce::terms_id(product)).await {
            Some(Aggregate::ProductTerms(t)) => Some(t),
            _ => None,
        }
    }

    async fn price_list(&self, id: Uuid) -> PriceList {
        match self.state(id).await {
            Some(Aggregate::PriceList(l)) => l,
            other => panic!("{id} is no price list: {other:?}"),
        }
    }

    async fn stock(&self, product: Uuid) -> Option<stock::Stock> {
        match self.state(domain::commerce::stock_id(product, self.warehouse)).await {
            Some(Aggregate::Stock(s)) => Some(s),
            _ => None,
        }
    }

    async fn cart(&self, buyer: &User) -> Option<cart::Cart> {
        match self.state(domain::commerce::cart_id(buyer.id)).await {
            Some(Aggregate::Cart(c)) => Some(c),
            _ => None,
        }
    }

    async fn order(&self, id: Uuid) -> order::Order {
        match self.state(id).await {
            Some(Aggregate::Order(o)) => o,
            other => panic!("{id} is no order: {other:?}"),
        }
    }

    /// The bolt at 12.99 EUR a unit, sold from 10 in packs of 5, backordered when short; the nut at
    /// 2.50 EUR with the default rules.
    async fn set_terms(&self) -> i64 {
        let eur = |amount| {
            Money::new(amount, domain::commerce::Currency::parse("c", "EUR").unwrap_or_else(|e| panic!("{e:?}")))
        };
        let bolt = self.product(self.bolt).await;
        let events = terms::set_list_price(&bolt, None, Some(eur(1299))).unwrap_or_else(|e| panic!("{e}"));
        self.commit(events, self.ops, "ops").await;
        let rules = PurchasingRules::parse(10, 5, StockPolicy::Backorder).unwrap_or_else(|e| panic!("{e}"));
        let current = self.terms(self.bolt).await;
        let events = terms::set_rules(&bolt, current.as_ref(), rules).unwrap_or_else(|e| panic!("{e}"));
        self.commit(events, self.ops, "ops").await;
        let nut = self.product(self.nut).await;
        let events = terms::set_list_price(&nut, None, Some(eur(250))).unwrap_or_else(|e| panic!("{e}"));
        self.commit(events, self.ops, "ops").await
    }

    /// Company A's list: the bolt at 10.00 from 1, 9.00 from 50.
    async fn set_price_list(&self) -> (Uuid, i64) {
        let id = Uuid::new_v4();
        let create = CreatePriceList {
            id,
            name: "Key accounts".into(),
            currency: "EUR".into(),
            priority: 10,
            valid_from: None,
            valid_until: None,
        };
        self.commit(price_list::create(create).unwrap_or_else(|e| panic!("{e}")), self.ops, "ops").await;
        let list = self.price_list(id).await;
        let bolt = self.product(self.bolt).await;
        let breaks =
            [BreakInput { min_quantity: 1, amount_minor: 1000 }, BreakInput { min_quantity: 50, amount_minor: 900 }];
        let events = price_list::set_entry(&list, &bolt, &breaks).unwrap_or_else(|e| panic!("{e}"));
        self.commit(events, self.ops, "ops").await;
        let list = self.price_list(id).await;
        let company = company(self.company_a);
        let events = price_list::assign(&list, &company).unwrap_or_else(|e| panic!("{e}"));
        (id, self.commit(events, self.ops, "ops").await)
    }
}

async fn product(app: &TestApp, family: Uuid, thread: &str) -> Uuid {
    let answer = app
        .post(
            "/v1/products",
            json!({"family_id": family, "name": format!("Hex bolt {thread}"),
                   "specs": {"thread_size": thread, "length": 40, "material": "A2"}}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    answer.id()
}

fn buyer(company: Uuid) -> User {
    let id = Uuid::new_v4();
    User {
        id,
        email: Email::parse("email", &format!("buyer-{}@example.test", id.simple()))
            .unwrap_or_else(|e| panic!("{e:?}")),
        role: Role::Buyer,
        company_id: Some(company),
        password_hash: PasswordHash("$argon2id$unused".into()),
        disabled: false,
    }
}

fn company(id: Uuid) -> Company {
    Company { id, name: format!("Company {}", id.simple()), disabled: false, payment_terms: PaymentTerms::Net30 }
}

async fn commit(app: &TestApp, events: Vec<NewEvent>, actor: Uuid, role: &str) -> i64 {
    let mut ids: Vec<Uuid> = Vec::new();
    for event in &events {
        if !ids.contains(&event.stream_id) {
            ids.push(event.stream_id);
        }
    }
    let rows = EventStore::load_streams(&app.db, &ids).await.unwrap_or_else(|e| panic!("{e}"));
    let mut heads: HashMap<Uuid, (i64, i64, Option<Aggregate>)> = HashMap::new();
    for row in rows {
        let state = serde_json::from_value(row.snapshot).unwrap_or_else(|e| panic!("{e}"));
        heads.insert(row.stream_id, (row.version, row.version, Some(state)));
    }
    let mut append = Append::default();
    for new in &events {
        let head = heads.entry(new.stream_id).or_insert((0, 0, None));
        head.1 += 1;
        head.2 = Some(evolve(head.2.take(), new.stream_id, &new.event).unwrap_or_else(|e| panic!("{e}")));
        append.events.push(EventToAppend {
            event_id: Uuid::new_v4(),
            stream_id: new.stream_id,
            stream_type: new.stream_type.as_str(),
            version: head.1,
            event_type: new.event.type_name(),
            schema_version: SCHEMA_VERSION,
            payload: new.event.payload(),
        });
    }
    for id in ids {
        let Some((expected_version, version, Some(state))) = heads.get(&id) else { continue };
        append.streams.push(StreamWrite {
            stream_id: id,
            stream_type: state.stream_type().as_str(),
            expected_version: *expected_version,
            version: *version,
            parent_id: state.parent_id(),
            snapshot: serde_json::to_value(state).unwrap_or_else(|e| panic!("{e}")),
        });
    }
    let metadata = Metadata {
        actor_id: actor.to_string(),
        actor_role: role.to_owned(),
        request_id: "commerce-reads".into(),
        correlation_id: Uuid::new_v4(),
        causation_id: None,
    };
    EventStore::append(&app.db, &append, &metadata, Utc::now()).await.unwrap_or_else(|e| panic!("{e}"))
}

fn amount(value: &Value) -> i64 {
    value["amount_minor"].as_i64().unwrap_or_else(|| panic!("no amount in {value}"))
}

#[tokio::test]
async fn a_buyer_sees_its_company_price_on_detail_and_search_and_no_other_company_sees_it() {
    let shop = Shop::open("prices").await;
    shop.set_terms().await;
    let (list, at) = shop.set_price_list().await;
    let (a, b, ops) = (shop.buyer_token(&shop.buyer_a), shop.buyer_token(&shop.buyer_b), shop.ops_token());
    let detail = format!("/v1/products/{}", shop.bolt);

    // Anonymous first, so that the shared answer is cached before any priced request.
    let anonymous = shop.ok(&detail, None, at).await;
    assert!(anonymous.get("price").is_none(), "prices are for signed-in callers: {anonymous}");

    let priced = shop.ok(&detail, Some(&a), at).await;
    let price = &priced["price"];
    assert_eq!(amount(&price["unit"]), 1000, "{priced}");
    assert_eq!(price["source"], json!({"kind": "price_list", "price_list_id": list, "min_quantity": 1}));
    assert_eq!((price["quantity"].as_u64(), price["minimum_quantity"].as_u64()), (Some(10), Some(10)));
    assert_eq!(price["order_increment"], 5);
    let breaks: Vec<(u64, i64)> = price["breaks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| (b["min_quantity"].as_u64().unwrap_or(0), amount(&b["unit"])))
        .collect();
    assert_eq!(breaks, vec![(10, 1000), (50, 900)]);
    let at_fifty = shop.ok(&format!("{detail}?quantity=50"), Some(&a), at).await;
    assert_eq!(amount(&at_fifty["price"]["unit"]), 900);
    assert_eq!(shop.get(&format!("{detail}?quantity=0"), Some(&a), at).await.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Company B has no list: the list price, though A's answer was just served (and cached).
    let other = shop.get(&detail, Some(&b), at).await;
    assert_eq!(other.header("x-cache"), Some("hit"), "the shared answer is cached: {other:?}");
    assert_eq!(amount(&other.body["price"]["unit"]), 1299, "{}", other.body);
    assert_eq!(other.body["price"]["source"], json!({"kind": "list_price"}));
    assert_eq!(other.body["price"]["breaks"].as_array().map(Vec::len), Some(1));
    let staff = shop.ok(&detail, Some(&ops), at).await;
    assert_eq!((amount(&staff["price"]["unit"]), staff["price"]["breaks"].clone()), (1299, json!([])));
    let again = shop.get(&detail, None, at).await;
    assert!(again.body.get("price").is_none(), "the cache holds no price: {:?}", again);

    // Search hits, priced in one go per page, each for its caller.
    for (token, bolt, nut) in [(&a, 1000, 250), (&b, 1299, 250)] {
        let found = shop.ok("/v1/search?q=hex", Some(token), at).await;
        let hits = found["hits"].as_array().cloned().unwrap_or_default();
        assert_eq!(hits.len(), 2, "{found}");
        for hit in hits {
            let expected = if hit["id"] == json!(shop.bolt) { bolt } else { nut };
            assert_eq!(amount(&hit["price"]["unit"]), expected, "{hit}");
        }
    }
    let anonymous = shop.ok("/v1/search?q=hex", None, at).await;
    assert!(anonymous["hits"].as_array().into_iter().flatten().all(|h| h.get("price").is_none()), "{anonymous}");
    let forged = shop.get(&detail, Some("not-a-token"), at).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED, "{forged:?}");
    shop.pipeline.finish().await;
}

#[tokio::test]
async fn cart_orders_and_stock_follow_each_step_and_a_rebuild_reproduces_them() {
    let shop = Shop::open("orders").await;
    shop.set_terms().await;
    let (list_id, _) = shop.set_price_list().await;
    let (a, b, ops) = (shop.buyer_token(&shop.buyer_a), shop.buyer_token(&shop.buyer_b), shop.ops_token());
    let unit = Quantity::parse("q", 1).unwrap_or_else(|e| panic!("{e:?}"));

    // Stock: 30 bolts received, 2 written off.
    let events = stock::receive(None, shop.bolt, shop.warehouse, Quantity::parse("q", 32).unwrap_or(unit))
        .unwrap_or_else(|e| panic!("{e}"));
    shop.commit(events, shop.ops, "ops").await;
    let current = shop.stock(shop.bolt).await.unwrap_or_else(|| panic!("no stock"));
    let events = stock::adjust(&current, -2, stock::AdjustmentReason::Damaged).unwrap_or_else(|e| panic!("{e}"));
    let at = shop.commit(events, shop.ops, "ops").await;
    let levels = shop.ok(&format!("/v1/stock?product_id={}", shop.bolt), Some(&ops), at).await;
    assert_eq!(levels["total"], 1);
    let level = &levels["stock"][0];
    assert_eq!((level["on_hand"].as_i64(), level["available"].as_i64()), (Some(30), Some(30)), "{levels}");
    assert_eq!(level["warehouse_id"], json!(shop.warehouse));

    // An empty cart, then 40 bolts (company A's 10.00 a unit) and 3 nuts, which are then retired.
    let empty = shop.ok("/v1/cart", Some(&a), at).await;
    assert_eq!((empty["lines"].clone(), empty["total"].clone()), (json!([]), Value::Null));
    let bolt = shop.product(shop.bolt).await;
    let terms = shop.terms(shop.bolt).await;
    let events = cart::add_line(None, &shop.buyer_a, &bolt, terms.as_ref(), 40).unwrap_or_else(|e| panic!("{e}"));
    shop.commit(events, shop.buyer_a.id, "buyer").await;
    let nut = shop.product(shop.nut).await;
    let current = shop.cart(&shop.buyer_a).await;
    let events = cart::add_line(current.as_ref(), &shop.buyer_a, &nut, None, 3).unwrap_or_else(|e| panic!("{e}"));
    shop.commit(events, shop.buyer_a.id, "buyer").await;
    let retired = shop.app().post(&format!("/v1/products/{}/retire", shop.nut), json!({})).await;
    assert!(retired.status.is_success(), "{retired:?}");
    let at = retired.body["position"].as_i64().unwrap_or_else(|| panic!("{retired:?}"));
    let cart = shop.ok("/v1/cart", Some(&a), at).await;
    assert_eq!(cart["lines"][0]["sku"], json!(bolt.sku.as_str()), "{cart}");
    assert_eq!((amount(&cart["lines"][0]["unit_price"]), amount(&cart["lines"][0]["line_total"])), (1000, 40_000));
    assert_eq!(cart["lines"][0]["breaks_rules"], false);
    assert_eq!((cart["lines"][1]["retired"].clone(), cart["orderable"].clone()), (json!(true), json!(false)));
    assert_eq!(amount(&cart["total"]), 40_000, "a retired line counts for nothing: {cart}");
    // Another buyer's cart is their own (empty); staff have none.
    assert_eq!(shop.ok("/v1/cart", Some(&b), at).await["lines"], json!([]));
    assert_eq!(shop.get("/v1/cart", Some(&ops), at).await.status, StatusCode::FORBIDDEN);

    // Checkout: 30 reserved, 10 backordered; the cart is empty again.
    let current = shop.cart(&shop.buyer_a).await.unwrap_or_else(|| panic!("no cart"));
    let events = cart::remove_line(&current, shop.nut).unwrap_or_else(|e| panic!("{e}"));
    shop.commit(events, shop.buyer_a.id, "buyer").await;
    let cart_now = shop.cart(&shop.buyer_a).await;
    let list = shop.price_list(list_id).await;
    let stock_now = shop.stock(shop.bolt).await;
    let offers =
        [Offer { product: &bolt, terms: terms.as_ref(), warehouse_id: shop.warehouse, stock: stock_now.as_ref() }];
    let command = Checkout {
        idempotency_key: "k-1".into(),
        po_number: "PO-7".into(),
        shipping_address: AddressInput {
            recipient: "Dock 4".into(),
            line1: "Hafenstraße 1".into(),
            city: "Hamburg".into(),
            postal_code: "20457".into(),
            country: "de".into(),
            ..AddressInput::default()
        },
        today: Utc::now().date_naive(),
    };
    let events = checkout::place_order(
        None,
        cart_now.as_ref(),
        &shop.buyer_a,
        &company(shop.company_a),
        &[list],
        &offers,
        &command,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let order_id = events[0].stream_id;
    let at = shop.commit(events, shop.buyer_a.id, "buyer").await;
    assert_eq!(shop.ok("/v1/cart", Some(&a), at).await["lines"], json!([]));
    let placed = shop.ok(&format!("/v1/orders/{order_id}"), Some(&a), at).await;
    assert_eq!((placed["status"].as_str(), placed["po_number"].as_str()), (Some("placed"), Some("PO-7")), "{placed}");
    assert_eq!((placed["payment_terms"].as_str(), amount(&placed["total"])), (Some("net30"), 40_000));
    let line = &placed["lines"][0];
    assert_eq!(
        (line["quantity"].as_u64(), line["reserved"].as_u64(), line["backordered"].as_u64()),
        (Some(40), Some(30), Some(10))
    );
    assert_eq!(placed["shipping_address"]["country"], "DE");
    assert_eq!(placed["history"][0]["to_status"], "placed");
    assert_eq!(placed["history"][0]["actor"], json!({"id": shop.buyer_a.id.to_string(), "role": "buyer"}));
    let level = shop.ok(&format!("/v1/stock?warehouse_id={}", shop.warehouse), Some(&ops), at).await;
    let level = &level["stock"][0];
    assert_eq!(
        (level["reserved"].as_i64(), level["available"].as_i64(), level["backordered"].as_i64()),
        (Some(30), Some(0), Some(10))
    );
    // Another company's buyer: no such order, and none in its list.
    assert_eq!(shop.get(&format!("/v1/orders/{order_id}"), Some(&b), at).await.status, StatusCode::NOT_FOUND);
    assert_eq!(shop.ok("/v1/orders", Some(&b), at).await["total"], 0);
    assert_eq!(shop.ok("/v1/orders", Some(&a), at).await["orders"][0]["id"], json!(order_id));

    // Ops confirm and ship 20: partially shipped, the queue filters by status.
    let events = order::confirm(&shop.order(order_id).await).unwrap_or_else(|e| panic!("{e}"));
    shop.commit(events, shop.ops, "ops").await;
    let stocks: Vec<stock::Stock> = shop.stock(shop.bolt).await.into_iter().collect();
    let ship = [order::ShipInput { product_id: shop.bolt, quantity: 20 }];
    let events =
        order::ship(&shop.order(order_id).await, &stocks, Uuid::new_v4(), &ship).unwrap_or_else(|e| panic!("{e}"));
    let at = shop.commit(events, shop.ops, "ops").await;
    let queue = shop.ok("/v1/orders?status=partially_shipped&sort=oldest", Some(&ops), at).await;
    assert_eq!((queue["total"].as_i64(), queue["orders"][0]["id"].clone()), (Some(1), json!(order_id)), "{queue}");
    assert_eq!(shop.ok("/v1/orders?status=placed,confirmed", Some(&ops), at).await["total"], 0);
    assert_eq!(shop.get("/v1/orders?status=lost", Some(&ops), at).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let tracked = shop.ok(&format!("/v1/orders/{order_id}"), Some(&a), at).await;
    let steps: Vec<(&str, &str)> = tracked["history"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| (h["to_status"].as_str().unwrap_or(""), h["actor"]["role"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(steps, vec![("placed", "buyer"), ("confirmed", "ops"), ("partially_shipped", "ops")], "{tracked}");
    assert_eq!(tracked["history"][2]["details"]["lines"][0]["quantity"], 20);
    assert_eq!(
        (tracked["lines"][0]["shipped"].as_u64(), tracked["lines"][0]["reserved"].as_u64()),
        (Some(20), Some(10))
    );

    // A rebuild replays every commerce event into the same rows.
    shop.pipeline.converged().await;
    let live = shop.pipeline.read_model().await;
    assert_eq!(live["order_history"].as_array().map(Vec::len), Some(3), "{}", live["order_history"]);
    shop.pipeline.rebuild().await;
    assert_eq!(shop.pipeline.read_model().await, live);
    shop.pipeline.finish().await;
}

#[tokio::test]
async fn ops_endpoints_refuse_missing_tokens_and_buyers_and_show_price_lists_to_staff() {
    let shop = Shop::open("staff").await;
    shop.set_terms().await;
    let (list, at) = shop.set_price_list().await;
    let (a, ops) = (shop.buyer_token(&shop.buyer_a), shop.ops_token());
    for path in ["/v1/stock", "/v1/price-lists", &format!("/v1/price-lists/{list}")] {
        let missing = shop.get(path, None, at).await;
        assert_eq!(missing.status, StatusCode::UNAUTHORIZED, "{path}: {missing:?}");
        assert_eq!(missing.header("content-type"), Some("application/problem+json"));
        assert_eq!(shop.get(path, Some("garbage"), at).await.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(shop.get(path, Some(&a), at).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    for path in ["/v1/cart", "/v1/orders"] {
        assert_eq!(shop.get(path, None, at).await.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let lists = shop.ok(&format!("/v1/price-lists?company_id={}", shop.company_a), Some(&ops), at).await;
    assert_eq!((lists["total"].as_i64(), lists["price_lists"][0]["id"].clone()), (Some(1), json!(list)), "{lists}");
    assert_eq!(lists["price_lists"][0]["valid_today"], true);
    let none = shop.ok(&format!("/v1/price-lists?company_id={}", shop.company_b), Some(&ops), at).await;
    assert_eq!(none["total"], 0);
    let detail = shop.ok(&format!("/v1/price-lists/{list}"), Some(&ops), at).await;
    assert_eq!(detail["companies"], json!([shop.company_a]));
    let breaks = &detail["entries"][0]["breaks"];
    assert_eq!((breaks[1]["min_quantity"].as_u64(), amount(&breaks[1]["unit_price"])), (Some(50), 900), "{detail}");
    let admin = shop.ok(&format!("/v1/price-lists/{list}"), Some(&shop.app().token), at).await;
    assert_eq!(admin["name"], "Key accounts");
    assert_eq!(
        shop.get(&format!("/v1/price-lists/{}", Uuid::new_v4()), Some(&ops), at).await.status,
        StatusCode::NOT_FOUND
    );
    shop.pipeline.finish().await;
}
