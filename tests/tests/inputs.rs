//! Hostile and sloppy input at the HTTP boundary (issue 13): email addresses that look like
//! another one, blank passwords, countries that do not exist, unknown fields inside nested
//! objects, path ids that are not UUIDs — on every route of both services — and answers that no
//! cache may keep.

use integration_tests::commerce::{address, Shop, User, PASSWORD};
use integration_tests::pipeline::Pipeline;
use integration_tests::{Answer, TestApp, ADMIN_EMAIL, ADMIN_PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

/// A fresh address of the test's own at `domain`, as `{local}-{n}@{domain}` (lower-case ASCII).
fn fresh(local: &str, domain: &str) -> String {
    format!("{local}-{}@{domain}", &Uuid::new_v4().simple().to_string()[..8])
}

/// The address with its ASCII letters, digits, '@' and '.' written full-width (`ｃｅｏ＠ｘ．ｃｏｍ`).
fn full_width(email: &str) -> String {
    email
        .chars()
        .map(|c| match c {
            '!'..='~' if c.is_ascii_alphanumeric() || c == '@' || c == '.' => {
                char::from_u32(u32::from(c) - 0x21 + 0xFF01).unwrap_or(c)
            }
            _ => c,
        })
        .collect()
}

fn staff(email: &str) -> Value {
    json!({"email": email, "password": PASSWORD, "role": "ops"})
}

fn assert_refused(answer: &Answer, field: &str, code: &str) {
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{answer:?}");
    assert_eq!(answer.field_errors(), [(field.to_owned(), code.to_owned())], "{answer:?}");
}

#[tokio::test]
async fn look_alike_emails_are_the_same_account_or_refused_for_staff_and_buyers_alike() {
    let app = TestApp::spawn().await;
    let real = fresh("ceo", "x.com");
    let created = app.post("/v1/users", staff(&real)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let admin = fresh("ceo-admin", "x.com");
    assert_eq!(app.post("/v1/users", staff(&admin)).await.status, StatusCode::CREATED);
    let company = app.post("/v1/companies", json!({"name": format!("Look-alikes {}", Uuid::new_v4())})).await;
    let buyers = format!("/v1/companies/{}/users", company.id());

    // Full-width letters are the same letters: the same address, taken.
    let as_buyer = json!({"email": full_width(&real), "password": PASSWORD});
    for (path, body) in [("/v1/users", staff(&full_width(&real))), (buyers.as_str(), as_buyer)] {
        let taken = app.post(path, body).await;
        assert_eq!(taken.status, StatusCode::CONFLICT, "{path}: {taken:?}");
        assert_eq!(taken.field_errors(), [("email".to_owned(), "duplicate".to_owned())]);
    }
    // A Cyrillic 'а' among Latin letters, or an invisible character, is refused outright.
    let cyrillic = admin.replacen("ceo-a", "ceo-\u{0430}", 1);
    assert_refused(&app.post("/v1/users", staff(&cyrillic)).await, "email", "mixed_script");
    assert_refused(&app.post(&buyers, json!({"email": cyrillic, "password": PASSWORD})).await, "email", "mixed_script");
    let hidden = format!("{real}\u{200B}");
    let refused = app.post("/v1/users", staff(&hidden)).await;
    assert_refused(&refused, "email", "invisible_character");
    assert!(refused.body["errors"][0]["message"].as_str().unwrap_or("").contains("U+200B"), "{refused:?}");
    assert_refused(
        &app.post(&buyers, json!({"email": hidden, "password": PASSWORD})).await,
        "email",
        "invisible_character",
    );

    // The account is kept under its plain form and logs in by any form that normalizes to it.
    assert_eq!(created.body["email"], real.as_str());
    for form in [real.clone(), full_width(&real), real.to_uppercase(), format!("  {}\u{3000}", real.to_uppercase())] {
        let login = app.login(&form, PASSWORD).await;
        assert_eq!(login.status, StatusCode::OK, "{form:?}: {login:?}");
        let token = login.body["access_token"].as_str().unwrap_or_default();
        assert_eq!(app.token_claims(token).sub, created.id(), "{form:?}");
    }
    assert_eq!(app.login(&hidden, PASSWORD).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn users_stored_before_addresses_were_normalized_still_log_in_by_their_address() {
    let app = TestApp::spawn().await;
    // Two users as an earlier version stored them: trimmed and lower-cased only, so `ß` kept and
    // a Cyrillic letter allowed. Made here by storing an ASCII user's claim and snapshot so.
    let mut users = Vec::new();
    for legacy in [fresh("straße", "bücher.de"), fresh("ceo-\u{0430}dmin", "x.com")] {
        let placeholder = fresh("legacy", "x.com");
        let created = app.post("/v1/users", staff(&placeholder)).await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        let mut conn = app.db.acquire().await.unwrap_or_else(|e| panic!("{e}"));
        let (claim, legacy_claim) = (format!("email:{placeholder}"), format!("email:{legacy}"));
        let rewritten = event_store::scratch::rewrite_claim(&mut conn, &claim, &legacy_claim, "email", &legacy)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(rewritten, "no stream held {claim}");
        users.push((legacy, created.id()));
    }
    for (legacy, id) in &users {
        // As the user types it, capitalized: lower-cased, it is what was stored.
        let typed: String = legacy.chars().take(1).flat_map(char::to_uppercase).chain(legacy.chars().skip(1)).collect();
        let login = app.login(&typed, PASSWORD).await;
        assert_eq!(login.status, StatusCode::OK, "{legacy:?}: {login:?}");
        assert_eq!(app.token_claims(login.body["access_token"].as_str().unwrap_or_default()).sub, *id);
        assert_eq!(app.login(legacy, "not the password at all").await.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn a_password_of_only_spaces_is_refused_on_create_and_on_change() {
    let app = TestApp::spawn().await;
    let blank = " ".repeat(12);
    let created =
        app.post("/v1/users", json!({"email": fresh("ops", "x.com"), "password": blank, "role": "ops"})).await;
    assert_refused(&created, "password", "password_blank");
    let user = app.post("/v1/users", staff(&fresh("ops", "x.com"))).await;
    assert_eq!(user.status, StatusCode::CREATED, "{user:?}");
    let changed = app.put(&format!("/v1/users/{}/password", user.id()), json!({"password": "\t".repeat(16)})).await;
    assert_refused(&changed, "password", "password_blank");
}

/// A checkout of the buyer's cart with `shipping_address`, under a fresh idempotency key.
async fn checkout(shop: &Shop, buyer: &User, shipping_address: Value) -> Answer {
    let body = json!({"po_number": "PO-13", "shipping_address": shipping_address});
    let request = shop
        .app
        .client
        .post(format!("{}/v1/checkout", shop.app.base))
        .bearer_auth(&buyer.token)
        .header("Idempotency-Key", Uuid::new_v4().to_string())
        .json(&body);
    TestApp::answer(request).await
}

#[tokio::test]
async fn checkout_refuses_a_country_iso_3166_does_not_assign_and_unknown_fields_inside_the_address() {
    let shop = Shop::open().await;
    let product = shop.stocked("Hex bolt M12x40 A4", 1_000, 100).await;
    let buyer = shop.buyer(shop.company("Nordwerk").await).await;
    assert_eq!(shop.add(&buyer, product, 10).await.status, StatusCode::OK);

    for country in ["ZZ", "XK", "UK", "eu"] {
        let mut address = address();
        address["country"] = json!(country);
        assert_refused(&checkout(&shop, &buyer, address).await, "shipping_address.country", "invalid_country");
    }
    let mut extra = address();
    extra["extra"] = json!(1);
    assert_refused(&checkout(&shop, &buyer, extra).await, "shipping_address.extra", "unknown_field");

    let mut british = address();
    british["country"] = json!("gb");
    let placed = checkout(&shop, &buyer, british).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{placed:?}");
    assert_eq!(placed.body["shipping_address"]["country"], "GB");
}

#[tokio::test]
async fn unknown_fields_inside_nested_objects_are_refused_like_those_at_the_top() {
    let shop = Shop::open().await;
    let product = shop.product("Hex bolt M12x40 A4").await;
    let price = json!({"list_price": {"amount_minor": 100, "currency": "EUR", "discount": 5}});
    let terms = shop.ops(Method::PUT, &format!("/v1/products/{product}/terms"), Some(price)).await;
    assert_refused(&terms, "list_price.discount", "unknown_field");

    let list = shop.ops(Method::POST, "/v1/price-lists", Some(json!({"name": "Contract", "currency": "EUR"}))).await;
    assert_eq!(list.status, StatusCode::CREATED, "{list:?}");
    let breaks = json!({"breaks": [{"min_quantity": 1, "amount_minor": 90}, {"min_quantity": 10, "amount_minor": 80, "note": "x"}]});
    let entry = shop.ops(Method::PUT, &format!("/v1/price-lists/{}/entries/{product}", list.id()), Some(breaks)).await;
    assert_refused(&entry, "breaks.1.note", "unknown_field");
}

/// Every (method, path) of a served OpenAPI document with a path id, once per id parameter: the
/// path with that parameter `not-a-uuid`, every other id a UUID and every other parameter a key.
async fn routes_with_a_malformed_id(client: &reqwest::Client, base: &str) -> Vec<(Method, String, String)> {
    let doc = TestApp::answer(client.get(format!("{base}/openapi.json"))).await.body;
    let paths = doc["paths"].as_object().unwrap_or_else(|| panic!("no paths in {doc}"));
    let mut routes = Vec::new();
    for (path, item) in paths {
        let parameters: Vec<&str> = path.split('{').skip(1).filter_map(|p| p.split_once('}')).map(|(p, _)| p).collect();
        for malformed in parameters.iter().filter(|p| service_http::path_ids::is_id(p)) {
            let mut concrete = path.clone();
            for parameter in &parameters {
                let value = match *parameter {
                    p if p == *malformed => "not-a-uuid".to_owned(),
                    p if service_http::path_ids::is_id(p) => Uuid::new_v4().to_string(),
                    _ => "length".to_owned(),
                };
                concrete = concrete.replace(&format!("{{{parameter}}}"), &value);
            }
            for method in ["get", "put", "post", "patch", "delete"].into_iter().filter(|m| item.get(*m).is_some()) {
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap_or(Method::GET);
                routes.push((method, concrete.clone(), (*malformed).to_owned()));
            }
        }
    }
    routes
}

#[tokio::test]
async fn every_route_of_both_services_answers_a_path_id_that_is_not_a_uuid_with_a_400_naming_it() {
    let pipeline = Pipeline::start("inputs").await;
    let app = &pipeline.app;
    let query = pipeline.query_api().await;
    for (base, at_least) in [(app.base.clone(), 30), (query, 4)] {
        let routes = routes_with_a_malformed_id(&app.client, &base).await;
        assert!(routes.len() >= at_least, "only {} routes with ids at {base}", routes.len());
        for (method, path, parameter) in routes {
            // A body that would be refused too: the id is checked first, whoever asks.
            for token in [Some(app.token.as_str()), None] {
                let mut request = app.client.request(method.clone(), format!("{base}{path}")).json(&json!({}));
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                let answer = TestApp::answer(request).await;
                assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{method} {path}: {answer:?}");
                assert_eq!(answer.header("content-type"), Some("application/problem+json"));
                assert_eq!(answer.body["type"], "https://ferrule.dev/problems/bad-request", "{answer:?}");
                assert_eq!(answer.body["title"], "Bad request");
                assert!(answer.body["detail"].as_str().unwrap_or("").contains(&parameter), "{answer:?}");
                assert_eq!(answer.field_errors(), [(parameter.clone(), "invalid_uuid".to_owned())], "{method} {path}");
            }
        }
    }
    pipeline.finish().await;
}

fn assert_no_store(answer: &Answer, what: &str) {
    assert_eq!(answer.header("cache-control"), Some("no-store"), "{what}: {answer:?}");
}

#[tokio::test]
async fn answers_with_tokens_users_carts_or_orders_are_no_store_and_public_reads_stay_cacheable() {
    let pipeline = Pipeline::start_with_cache("inputsnostore").await;
    let shop = Shop::over(pipeline.app.clone()).await;
    let app = &shop.app;
    let product = shop.stocked("Hex bolt M12x40 A4", 1_000, 100).await;
    let company = shop.company("Nordwerk").await;

    // Auth: the pair, its refresh, a refused login and the logout.
    let login = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_no_store(&login, "login");
    assert_no_store(&app.login(ADMIN_EMAIL, "not the password at all").await, "a refused login");
    let refresh = json!({"refresh_token": login.body["refresh_token"]});
    let refreshed = app.send(Method::POST, "/v1/auth/refresh", Some(refresh), None).await;
    assert_no_store(&refreshed, "refresh");
    let logout = json!({"refresh_token": refreshed.body["refresh_token"]});
    assert_no_store(&app.send(Method::POST, "/v1/auth/logout", Some(logout), None).await, "logout");

    // Users and buyers, and their problems.
    assert_no_store(&app.post("/v1/users", staff(&fresh("ops", "x.com"))).await, "a staff user");
    assert_no_store(&app.post("/v1/users", json!({"email": "nope"})).await, "a refused user");
    let buyers = format!("/v1/companies/{company}/users");
    let created = app.post(&buyers, json!({"email": fresh("buyer", "x.com"), "password": PASSWORD})).await;
    assert_no_store(&created, "a buyer");
    let buyer = shop.buyer(company).await;

    // The cart, checkout and an order's transition; a problem of each.
    assert_no_store(&shop.add(&buyer, product, 10).await, "a cart line");
    assert_no_store(&shop.add(&buyer, product, 0).await, "a refused cart line");
    let order = checkout(&shop, &buyer, address()).await;
    assert_eq!(order.status, StatusCode::CREATED, "{order:?}");
    assert_no_store(&order, "checkout");
    assert_no_store(&checkout(&shop, &buyer, address()).await, "a refused checkout (empty cart)");
    let confirmed = shop.transition(order.id(), "confirm", None).await;
    assert_no_store(&confirmed, "an order transition");
    assert_no_store(&shop.transition(Uuid::new_v4(), "confirm", None).await, "an unknown order");

    // The query API: the buyer's cart and orders, the ops views, and whatever carries a token.
    pipeline.converged().await;
    let query = pipeline.query_api().await;
    let get = |path: &str, user: Option<&User>| {
        let mut request = app.client.get(format!("{query}{path}"));
        if let Some(user) = user {
            request = request.bearer_auth(&user.token);
        }
        TestApp::answer(request)
    };
    let order_path = format!("/v1/orders/{}", order.id());
    let product_path = format!("/v1/products/{product}");
    for (path, user) in [
        ("/v1/cart", Some(&buyer)),
        ("/v1/orders", Some(&buyer)),
        (order_path.as_str(), Some(&buyer)),
        ("/v1/orders", None),
        ("/v1/cart", None),
        ("/v1/stock", Some(&shop.ops)),
        ("/v1/price-lists", Some(&shop.ops)),
        (product_path.as_str(), Some(&buyer)),
        ("/v1/search?q=M12", Some(&buyer)),
    ] {
        let answer = get(path, user).await;
        assert!(answer.status.is_success() || answer.status == StatusCode::UNAUTHORIZED, "{path}: {answer:?}");
        assert_no_store(&answer, path);
    }
    for path in ["/v1/search?q=M12", product_path.as_str(), "/v1/categories"] {
        for _ in 0..2 {
            // A miss, then (once stored) possibly a hit: neither is marked.
            let answer = get(path, None).await;
            assert_eq!(answer.status, StatusCode::OK, "{path}: {answer:?}");
            assert_eq!(answer.header("cache-control"), None, "{path} is public: {answer:?}");
        }
    }
    pipeline.finish().await;
}
