//! Security regressions: each test is one probe of an attacker's (OWASP API Security Top 10,
//! 2023) that held against the running stack, kept so that none reopens. This table is the one
//! index of the probes, here and in the tests that covered them before this suite. A probe that
//! found a hole is here too, `#[ignore = "finding: …"]`, until the hole is closed.
//!
//! | probe | OWASP | test |
//! |---|---|---|
//! | another company's orders, carts, price lists, stock: command API | API1 | `a_buyer_cannot_change_another_companys_orders_carts_price_lists_or_stock_through_the_command_api` |
//! | the same through the query API (404 for an order, as for none) | API1 | `a_buyer_cannot_read_another_companys_orders_carts_price_lists_or_stock_through_the_query_api` |
//! | another company's contract prices | API1 | commerce_reads.rs `a_buyer_sees_its_company_price_on_detail_and_search_and_no_other_company_sees_it` |
//! | another user's password | API1, API5 | `changing_another_users_password_is_refused_with_403`, `changing_another_users_password_is_refused_with_403_before_the_body_is_validated` |
//! | every operation without a token, with a buyer's or ops token | API5 | `every_operation_of_the_command_api_refuses_no_token_with_401_and_the_wrong_role_with_403` |
//! | the same for the query API's reads | API5 | `every_read_of_the_query_api_that_needs_a_token_refuses_none_with_401_and_the_wrong_role_with_403` |
//! | unknown fields (`role`, `company_id`, `id`, …) in creates | API3 | `unknown_fields_in_user_product_and_cart_bodies_are_422_unknown_field_and_never_applied` |
//! | JWT `alg: none`, HS256 keyed with the public key, tampering | API2 | `tokens_with_alg_none_an_hmac_keyed_with_the_public_key_or_a_tampered_payload_get_401` |
//! | unknown and tricky `kid`s, even under a genuine signature | API2 | `tokens_naming_an_unknown_or_tricky_kid_get_401_even_under_a_genuine_signature` |
//! | `jwk`, `jku`, `x5u` headers naming the attacker's key | API2 | `tokens_that_bring_their_own_key_in_jwk_jku_or_x5u_get_401_and_nothing_is_fetched` |
//! | expired, other iss/aud, unknown role, no exp, type swaps | API2 | `expired_foreign_roleless_and_swapped_tokens_get_401` (and identity.rs `forged_expired_foreign_and_misused_tokens_get_401`) |
//! | forged refresh tokens; they revoke nothing | API2 | `forged_refresh_tokens_get_401_and_leave_the_family_alive` |
//! | every forgery against the query API | API2 | `the_query_api_refuses_every_forged_token_with_401` |
//! | a reused refresh token; two racing refreshes | API2 | `a_reused_refresh_token_revokes_its_family_and_of_two_racing_refreshes_one_wins` (and identity.rs, 8 racing) |
//! | login: unknown email vs wrong password | API2 | `a_login_for_an_unknown_email_answers_as_a_wrong_password_does_after_the_same_hashing_work` |
//! | login and general rate limits | API4 | rate_limits.rs (every test) |
//! | deeply nested JSON | API4 | `deeply_nested_json_is_a_400_problem_and_the_service_answers_on` |
//! | huge bodies; huge headers | API4 | `a_huge_body_is_413_and_a_huge_header_is_refused_without_a_5xx`, hardening.rs `a_body_over_the_limit_is_413_problem_json_with_or_without_content_length`, `a_100_kib_header_is_refused_by_the_services_themselves` |
//! | `per_page` above the cap | API4 | search.rs `bad_parameters_are_422_problems_and_per_page_is_capped` |
//! | SQL and tsquery injection in every search parameter | API8 | `injection_in_every_search_parameter_never_answers_5xx_and_leaves_the_catalog_intact` |
//! | internal text in 5xx bodies | API8 | `a_5xx_of_either_service_carries_no_internal_text` |
//! | CORS from a hostile origin | API8 | `a_hostile_origin_gets_no_cors_grant_and_no_one_gets_credentials`, hardening.rs `cors_answers_preflights_for_configured_origins_and_says_nothing_to_others` |
//! | security headers | API8 | hardening.rs `security_headers_are_on_every_answer_and_hsts_only_when_configured` |
//! | the password hash in the audit trail | API3 | identity.rs `events_record_the_authenticated_user_and_role_and_never_serve_the_hash` |
//! | oversell by racing checkouts | API6 | commerce.rs `fifty_concurrent_orders_for_ten_units_reserve_exactly_ten` |
//! | a retried checkout placing two orders | API6 | commerce.rs `a_retried_checkout_with_the_same_idempotency_key_answers_the_same_order_and_places_one` |
//! | a disabled user or company acting on | API2, API5 | identity.rs `a_disabled_user_can_neither_log_in_nor_refresh`, commerce.rs `carts_belong_to_buyers_flag_retired_products_at_checkout_and_refuse_staff` |

use std::collections::BTreeSet;
use std::future::Future;
use std::time::{Duration, Instant};

use auth_tokens::Claims;
use futures::future::join_all;
use integration_tests::commerce::{address, issue, Shop, PASSWORD};
use integration_tests::outer::command_api;
use integration_tests::pipeline::Pipeline;
use integration_tests::probe::{
    attackers_key, b64url, ed25519, hs256, jwt, on_the_wire, public_key, public_key_forms, query_api_with_keys,
    with_known_key,
};
use integration_tests::{hex_bolts, Answer, TestApp, ADMIN_EMAIL, ADMIN_PASSWORD, KID};
use reqwest::header::ORIGIN;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use service_http::HttpConfig;
use uuid::Uuid;

/// A refusal as API.md says: `status`, problem+json repeating it, and `WWW-Authenticate` on a 401.
fn assert_problem(answer: &Answer, status: StatusCode, what: &str) {
    assert_eq!(answer.status, status, "{what}: {answer:?}");
    assert_eq!(answer.header("content-type"), Some("application/problem+json"), "{what}: {answer:?}");
    assert_eq!(answer.body["status"], status.as_u16(), "{what}: {answer:?}");
    if status == StatusCode::UNAUTHORIZED {
        assert_eq!(answer.header("www-authenticate"), Some("Bearer"), "{what}");
    }
}

/// A GET of `url` once the read model has reached `position` (the future borrows nothing).
fn get(app: &TestApp, url: &str, token: Option<&str>, position: i64) -> impl Future<Output = Answer> {
    let mut request = app.client.get(url).header("X-Min-Position", position.to_string());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    TestApp::answer(request)
}

/// A request to the command API (the future borrows nothing).
fn call(
    app: &TestApp,
    method: &Method,
    path: &str,
    body: &Option<Value>,
    token: Option<&str>,
) -> impl Future<Output = Answer> {
    let mut request = app.client.request(method.clone(), format!("{}{path}", app.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    TestApp::answer(request)
}

async fn snapshot(app: &TestApp, stream: Uuid) -> Option<Value> {
    app.snapshot(stream).await
}

// ---- API1: no cross-company access -------------------------------------------------------------

#[tokio::test]
async fn a_buyer_cannot_change_another_companys_orders_carts_price_lists_or_stock_through_the_command_api() {
    let shop = Shop::open().await;
    let bolt = shop.stocked("Hex bolt M12x40 A4", 1_000, 100).await;
    let (company_a, company_b) = (shop.company("Nordwerk").await, shop.company("Suedbau").await);
    let (a, b) = (shop.buyer(company_a).await, shop.buyer(company_b).await);
    assert_eq!(shop.add(&a, bolt, 5).await.status, StatusCode::OK);
    let order = shop.checkout(&a, Some("a-1"), "PO-A").await;
    assert_eq!(order.status, StatusCode::CREATED, "{order:?}");
    let order = order.id();
    assert_eq!(shop.add(&a, bolt, 3).await.status, StatusCode::OK);
    let list =
        shop.ops(Method::POST, "/v1/price-lists", Some(json!({"name": "A's contract", "currency": "EUR"}))).await;
    assert_eq!(list.status, StatusCode::CREATED, "{list:?}");
    let list = list.id();
    let assigned = shop.ops(Method::PUT, &format!("/v1/price-lists/{list}/companies/{company_a}"), None).await;
    assert_eq!(assigned.status, StatusCode::OK, "{assigned:?}");

    let before = shop.app.event_count().await;
    let a_cart = domain::commerce::cart_id(a.id);
    let cart_before = snapshot(&shop.app, a_cart).await;
    let stock = |what: &str| format!("/v1/products/{bolt}/stock/{}/{what}", shop.warehouse);
    let breaks = json!({"breaks": [{"min_quantity": 1, "amount_minor": 1}]});
    let new_buyer = json!({"email": "mallory@nordwerk.test", "password": PASSWORD});
    let forbidden = StatusCode::FORBIDDEN;
    let probes: Vec<(Method, String, Option<Value>, StatusCode)> = vec![
        (Method::POST, format!("/v1/orders/{order}/cancel"), Some(json!({"reason": "not mine"})), forbidden),
        (Method::POST, format!("/v1/orders/{order}/confirm"), Some(json!({})), forbidden),
        // The cart is always the token's own: B's has no line of A's.
        (Method::PATCH, format!("/v1/cart/lines/{bolt}"), Some(json!({"quantity": 50})), StatusCode::NOT_FOUND),
        (Method::DELETE, format!("/v1/cart/lines/{bolt}"), None, StatusCode::NOT_FOUND),
        (Method::PUT, format!("/v1/price-lists/{list}/companies/{company_b}"), None, forbidden),
        (Method::DELETE, format!("/v1/price-lists/{list}/companies/{company_a}"), None, forbidden),
        (Method::PUT, format!("/v1/price-lists/{list}/entries/{bolt}"), Some(breaks), forbidden),
        (Method::PATCH, format!("/v1/price-lists/{list}"), Some(json!({"priority": 1})), forbidden),
        (Method::POST, stock("receipts"), Some(json!({"quantity": 1})), forbidden),
        (Method::POST, stock("adjustments"), Some(json!({"by": -1, "reason": "damaged"})), forbidden),
        (
            Method::PUT,
            format!("/v1/companies/{company_a}/payment-terms"),
            Some(json!({"payment_terms": "net90"})),
            forbidden,
        ),
        (Method::POST, format!("/v1/companies/{company_a}/users"), Some(new_buyer), forbidden),
        (Method::PATCH, format!("/v1/companies/{company_a}"), Some(json!({"name": "Mine now"})), forbidden),
        (Method::POST, format!("/v1/companies/{company_a}/disable"), Some(json!({})), forbidden),
    ];
    for (method, path, body, status) in probes {
        let answer = shop.send(Some(&b), method.clone(), &path, body).await;
        assert_problem(&answer, status, &format!("{method} {path}"));
    }
    assert_eq!(shop.app.event_count().await, before, "a refused command appended events");
    assert_eq!(snapshot(&shop.app, a_cart).await, cart_before, "A's cart changed");
    // B's checkout is of B's cart, which is empty: A's lines are not B's to order.
    let checkout = shop.checkout(&b, Some("b-1"), "PO-B").await;
    assert_problem(&checkout, StatusCode::CONFLICT, "B's checkout");
    assert_eq!(shop.app.event_count().await, before);
}

#[tokio::test]
async fn a_buyer_cannot_read_another_companys_orders_carts_price_lists_or_stock_through_the_query_api() {
    let pipeline = Pipeline::start("xcompany").await;
    let shop = Shop::over(pipeline.app.clone()).await;
    let bolt = shop.stocked("Hex bolt M12x40 A4", 1_000, 100).await;
    let (company_a, company_b) = (shop.company("Nordwerk").await, shop.company("Suedbau").await);
    let (a, b) = (shop.buyer(company_a).await, shop.buyer(company_b).await);
    assert_eq!(shop.add(&a, bolt, 5).await.status, StatusCode::OK);
    let order = shop.checkout(&a, Some("a-1"), "PO-A").await;
    assert_eq!(order.status, StatusCode::CREATED, "{order:?}");
    let order = order.id();
    assert_eq!(shop.add(&a, bolt, 3).await.status, StatusCode::OK);
    let list =
        shop.ops(Method::POST, "/v1/price-lists", Some(json!({"name": "A's contract", "currency": "EUR"}))).await;
    let list = list.id();
    shop.ops(Method::PUT, &format!("/v1/price-lists/{list}/companies/{company_a}"), None).await;
    let at = pipeline.converged().await;
    let query = pipeline.query_api().await;
    let read = |path: &str, token: &str| get(&shop.app, &format!("{query}{path}"), Some(token), at);

    // The control: A sees its order and its cart.
    assert_eq!(read(&format!("/v1/orders/{order}"), &a.token).await.status, StatusCode::OK);
    assert_eq!(read("/v1/orders", &a.token).await.body["total"], 1);
    assert_eq!(read("/v1/cart", &a.token).await.body["lines"].as_array().map(Vec::len), Some(1));

    // B: A's order is not found, exactly as an order that does not exist is not.
    let theirs = read(&format!("/v1/orders/{order}"), &b.token).await;
    assert_problem(&theirs, StatusCode::NOT_FOUND, "A's order read by B");
    let nobodys_id = Uuid::new_v4();
    let nobodys = read(&format!("/v1/orders/{nobodys_id}"), &b.token).await;
    let without_id = |answer: &Answer, id: Uuid| answer.body.to_string().replace(&id.to_string(), "ID");
    assert_eq!(without_id(&theirs, order), without_id(&nobodys, nobodys_id), "an existence oracle");
    let listed = read("/v1/orders", &b.token).await;
    assert_eq!((listed.status, &listed.body["total"], &listed.body["orders"]), (StatusCode::OK, &json!(0), &json!([])));
    let scoped = read(&format!("/v1/orders?company_id={company_a}"), &b.token).await;
    assert_problem(&scoped, StatusCode::UNPROCESSABLE_ENTITY, "a company_id parameter");
    assert_eq!(scoped.field_errors(), [("company_id".to_owned(), "unknown_parameter".to_owned())]);
    let cart = read("/v1/cart", &b.token).await;
    assert_eq!((cart.status, &cart.body["lines"]), (StatusCode::OK, &json!([])), "{cart:?}");
    for path in [
        "/v1/price-lists".to_owned(),
        format!("/v1/price-lists/{list}"),
        format!("/v1/price-lists?company_id={company_a}"),
        "/v1/stock".to_owned(),
        format!("/v1/stock?product_id={bolt}"),
    ] {
        assert_problem(&read(&path, &b.token).await, StatusCode::FORBIDDEN, &path);
    }
    pipeline.finish().await;
}

/// A buyer and ops, each on another buyer's and on the admin's password, with `body`: each a 403,
/// nothing appended, the admin's password as it was.
async fn assert_others_passwords_refused(body: Value) {
    let shop = Shop::open().await;
    let (company_a, company_b) = (shop.company("Nordwerk").await, shop.company("Suedbau").await);
    let (a, b) = (shop.buyer(company_a).await, shop.buyer(company_b).await);
    let before = shop.app.event_count().await;
    for (who, target) in [(&b, a.id), (&b, shop.app.admin_id), (&shop.ops, a.id), (&shop.ops, shop.app.admin_id)] {
        let path = format!("/v1/users/{target}/password");
        let answer = shop.send(Some(who), Method::PUT, &path, Some(body.clone())).await;
        assert_problem(&answer, StatusCode::FORBIDDEN, &format!("PUT {path} with {body}"));
    }
    assert_eq!(shop.app.event_count().await, before);
    assert_eq!(shop.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status, StatusCode::OK);
}

#[tokio::test]
async fn changing_another_users_password_is_refused_with_403() {
    assert_others_passwords_refused(json!({"password": "mallory's own passphrase"})).await;
}

#[tokio::test]
async fn changing_another_users_password_is_refused_with_403_before_the_body_is_validated() {
    assert_others_passwords_refused(json!({})).await;
}

// ---- API5: function-level authorization --------------------------------------------------------

/// Who may call a secured operation of the command API, as its handler's extractor says
/// (`Admin`, `Staff`, `Buyer` in command-api/src/http/*.rs). An operation not named here is taken
/// to be admin-only, so that a new route is refused to ops and buyers until it is listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Needs {
    Admin,
    /// Ops or admin.
    Staff,
    /// A company's buyer (staff have no cart).
    Buyer,
    /// The user named in the path, or an admin.
    SelfOrAdmin,
    /// Anyone signed in (query API reads that scope what they answer to the caller).
    Caller,
    /// A reader of the audit trail: admin, ops or auditor.
    AuditReader,
}

fn command_needs(method: &str, path: &str) -> Needs {
    let staff = ["/v1/price-lists", "/v1/orders/", "/v1/products/{id}/stock/"].iter().any(|p| path.starts_with(p))
        || ["/v1/products/{id}/terms", "/v1/companies/{id}/payment-terms"].contains(&path);
    if path.starts_with("/v1/audit/") || path.starts_with("/v1/streams/") {
        Needs::AuditReader
    } else if path.starts_with("/v1/cart/") || path == "/v1/checkout" {
        Needs::Buyer
    } else if staff {
        Needs::Staff
    } else if (method, path) == ("PUT", "/v1/users/{id}/password") {
        Needs::SelfOrAdmin
    } else {
        Needs::Admin
    }
}

/// The documented operations of the service at `base`: (method, path, needs a token).
async fn operations(client: &reqwest::Client, base: &str) -> Vec<(Method, String, bool)> {
    let doc: Value = client
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let paths = doc["paths"].as_object().unwrap_or_else(|| panic!("no paths in {doc}"));
    let mut found = Vec::new();
    for (path, item) in paths {
        for method in ["get", "put", "post", "delete", "patch"] {
            let Some(operation) = item.get(method) else { continue };
            // A requirement that is empty (`{}`) makes the token optional.
            let requirements = operation["security"].as_array().cloned().unwrap_or_default();
            let secured =
                !requirements.is_empty() && requirements.iter().all(|r| r.as_object().is_some_and(|r| !r.is_empty()));
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap_or_else(|e| panic!("{e}"));
            found.push((method, path.clone(), secured));
        }
    }
    assert!(found.len() > 10, "too few operations in the document: {found:?}");
    found
}

/// A documented path with its parameters filled in: a fresh UUID each, an attribute key for `{key}`.
fn concrete(path: &str) -> String {
    let parameter = regex::Regex::new(r"\{([a-z_]+)\}").unwrap_or_else(|e| panic!("{e}"));
    parameter
        .replace_all(
            path,
            |found: &regex::Captures| {
                if &found[1] == "key" {
                    "colour".to_owned()
                } else {
                    Uuid::new_v4().to_string()
                }
            },
        )
        .into_owned()
}

#[tokio::test]
async fn every_operation_of_the_command_api_refuses_no_token_with_401_and_the_wrong_role_with_403() {
    let app = TestApp::spawn().await;
    let ops = issue(&app, Uuid::new_v4(), "ops", None);
    let buyer = issue(&app, Uuid::new_v4(), "buyer", Some(Uuid::new_v4()));
    // The auditor reads the audit trail and nothing else: every command refuses it.
    let auditor = issue(&app, Uuid::new_v4(), "auditor", None);
    let before = app.event_count().await;
    let operations = operations(&app.client, &app.base).await;
    let public: BTreeSet<String> =
        operations.iter().filter(|(_, _, secured)| !secured).map(|(m, p, _)| format!("{m} {p}")).collect();
    let expected = [
        "GET /docs",
        "GET /openapi.json",
        "GET /v1/health",
        "POST /v1/auth/login",
        "POST /v1/auth/logout",
        "POST /v1/auth/refresh",
    ];
    assert_eq!(public, expected.map(str::to_owned).into(), "operations that need no token");

    let mut checked = 0;
    for (method, documented, _) in operations.iter().filter(|(_, _, secured)| *secured) {
        let path = concrete(documented);
        let needs = command_needs(method.as_str(), documented);
        let body = (method != Method::GET).then(|| match needs {
            // Whose password it is is decided in the handler, from the path: a well-formed body gets there.
            Needs::SelfOrAdmin => json!({"password": "a long enough passphrase"}),
            _ => json!({}),
        });
        let what = |who: &str| format!("{method} {documented} as {who}");
        let call = |token: Option<&str>| call(&app, method, &path, &body, token);
        assert_problem(&call(None).await, StatusCode::UNAUTHORIZED, &what("nobody"));
        assert_problem(&call(Some("not-a-token")).await, StatusCode::UNAUTHORIZED, &what("a garbage token"));
        let refused: &[(&str, &str)] = match needs {
            Needs::Admin | Needs::SelfOrAdmin => &[("a buyer", &buyer), ("ops", &ops), ("an auditor", &auditor)],
            Needs::Staff => &[("a buyer", &buyer), ("an auditor", &auditor)],
            Needs::Buyer => &[("ops", &ops), ("an admin", &app.token), ("an auditor", &auditor)],
            Needs::AuditReader => &[("a buyer", &buyer)],
            Needs::Caller => &[],
        };
        for (who, token) in refused {
            assert_problem(&call(Some(token)).await, StatusCode::FORBIDDEN, &what(who));
        }
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} secured operations were checked");
    assert_eq!(app.event_count().await, before, "a refused call appended events");
}

#[tokio::test]
async fn every_read_of_the_query_api_that_needs_a_token_refuses_none_with_401_and_the_wrong_role_with_403() {
    let app = TestApp::spawn().await;
    let query = query_api_with_keys(app.keyring.clone()).await;
    let ops = issue(&app, Uuid::new_v4(), "ops", None);
    let buyer = issue(&app, Uuid::new_v4(), "buyer", Some(Uuid::new_v4()));
    let auditor = issue(&app, Uuid::new_v4(), "auditor", None);
    let operations = operations(&app.client, &query).await;
    let secured: Vec<&(Method, String, bool)> = operations.iter().filter(|(_, _, secured)| *secured).collect();
    let paths: BTreeSet<&str> = secured.iter().map(|(_, p, _)| p.as_str()).collect();
    let expected = [
        "/v1/cart",
        "/v1/exports/products",
        "/v1/media/{id}/download",
        "/v1/orders",
        "/v1/orders/{id}",
        "/v1/price-lists",
        "/v1/price-lists/{id}",
        "/v1/stock",
    ];
    assert_eq!(paths, expected.into(), "the reads that need a token");
    for (method, documented, _) in secured {
        let needs = match documented.as_str() {
            "/v1/cart" => Needs::Buyer,
            // Buyers-only documents: any signed-in buyer of a company, or staff.
            "/v1/orders" | "/v1/orders/{id}" | "/v1/media/{id}/download" => Needs::Caller,
            _ => Needs::Staff,
        };
        let path = concrete(documented);
        let what = |who: &str| format!("{method} {documented} as {who}");
        let call = |token: Option<&str>| {
            let mut request = app.client.request(method.clone(), format!("{query}{path}"));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            TestApp::answer(request)
        };
        assert_problem(&call(None).await, StatusCode::UNAUTHORIZED, &what("nobody"));
        assert_problem(&call(Some("not-a-token")).await, StatusCode::UNAUTHORIZED, &what("a garbage token"));
        // An auditor reads the audit trail (the command API's) and none of the query API's
        // staff or company reads.
        let refused: &[(&str, &str)] = match needs {
            Needs::Staff => &[("a buyer", &buyer), ("an auditor", &auditor)],
            Needs::Buyer => &[("ops", &ops), ("an admin", &app.token), ("an auditor", &auditor)],
            Needs::Caller => &[("an auditor", &auditor)],
            _ => &[],
        };
        for (who, token) in refused {
            assert_problem(&call(Some(token)).await, StatusCode::FORBIDDEN, &what(who));
        }
    }
    // A token is optional on a product, but a bad one is still refused.
    let product = format!("{query}/v1/products/{}", Uuid::new_v4());
    let answer = TestApp::answer(app.client.get(&product).bearer_auth("not-a-token")).await;
    assert_problem(&answer, StatusCode::UNAUTHORIZED, "a garbage token on a product");
}

// ---- API3: no mass assignment ------------------------------------------------------------------

#[tokio::test]
async fn unknown_fields_in_user_product_and_cart_bodies_are_422_unknown_field_and_never_applied() {
    let shop = Shop::open().await;
    let app = &shop.app;
    let (company, other) = (shop.company("Nordwerk").await, shop.company("Suedbau").await);
    let bolt = shop.stocked("Hex bolt M12x40 A4", 1_000, 100).await;
    let buyer = shop.buyer(company).await;
    let before = app.event_count().await;
    let (mallory, id) = ("mallory@ferrule.test", Uuid::new_v4());
    let cases: [(&str, Method, String, Value, &[&str]); 7] = [
        (
            &app.token,
            Method::POST,
            "/v1/users".into(),
            json!({"email": mallory, "password": PASSWORD, "role": "ops", "company_id": other, "disabled": false,
                   "id": id, "version": 7, "position": 1}),
            &["company_id", "disabled", "id", "position", "version"],
        ),
        (
            &app.token,
            Method::POST,
            format!("/v1/companies/{company}/users"),
            json!({"email": mallory, "password": PASSWORD, "role": "admin", "company_id": other, "disabled": false,
                   "id": id}),
            &["company_id", "disabled", "id", "role"],
        ),
        (
            &app.token,
            Method::POST,
            "/v1/companies".into(),
            json!({"name": "Mallory AG", "disabled": false, "payment_terms": "net90", "id": id, "version": 0}),
            &["disabled", "id", "payment_terms", "version"],
        ),
        (
            &app.token,
            Method::POST,
            "/v1/products".into(),
            json!({"family_id": shop.family, "name": "Hex bolt M12x99 A4", "specs": {"thread_size": "M12", "length": 99},
                   "id": id, "version": 9, "position": 1, "retired": true, "company_id": other}),
            &["company_id", "id", "position", "retired", "version"],
        ),
        (
            &app.token,
            Method::PATCH,
            format!("/v1/products/{bolt}"),
            json!({"name": "Renamed", "sku": "HACK-1", "family_id": Uuid::new_v4(), "retired": false, "version": 99}),
            &["family_id", "retired", "sku", "version"],
        ),
        (
            &buyer.token,
            Method::POST,
            "/v1/cart/lines".into(),
            json!({"product_id": bolt, "quantity": 1, "buyer_id": Uuid::new_v4(), "cart_id": Uuid::new_v4(),
                   "company_id": other, "role": "admin", "unit_price": {"amount_minor": 1, "currency": "EUR"}}),
            &["buyer_id", "cart_id", "company_id", "role", "unit_price"],
        ),
        (
            &buyer.token,
            Method::POST,
            "/v1/checkout".into(),
            json!({"po_number": "PO-1", "shipping_address": address(), "company_id": other, "buyer_id": id,
                   "payment_terms": "net90", "total": {"amount_minor": 1, "currency": "EUR"}, "status": "delivered"}),
            &["buyer_id", "company_id", "payment_terms", "status", "total"],
        ),
    ];
    for (token, method, path, body, unknown) in cases {
        let answer = app.send(method.clone(), &path, Some(body), Some(token)).await;
        assert_problem(&answer, StatusCode::UNPROCESSABLE_ENTITY, &format!("{method} {path}"));
        let expected: Vec<(String, String)> =
            unknown.iter().map(|field| ((*field).to_owned(), "unknown_field".to_owned())).collect();
        assert_eq!(answer.field_errors(), expected, "{method} {path}");
    }
    assert_eq!(app.event_count().await, before, "a refused body was applied");
    assert_eq!(app.login(mallory, PASSWORD).await.status, StatusCode::UNAUTHORIZED, "mallory was created");
    assert_eq!(snapshot(app, domain::commerce::cart_id(buyer.id)).await, None, "the cart was written");
}

// ---- API2: broken authentication ---------------------------------------------------------------

/// An access token of `role` signed with the API's own keys (the admin's, for `admin`), and its
/// claims.
fn genuine(app: &TestApp, role: &str, company: Option<Uuid>) -> (String, Value) {
    let now = chrono::Utc::now().timestamp();
    let user = if role == "admin" { app.admin_id } else { Uuid::new_v4() };
    let issued = app.keyring.issue(now, user, role, company, Uuid::new_v4()).unwrap_or_else(|e| panic!("{e}"));
    (issued.access_token, serde_json::to_value(&issued.access).unwrap_or_else(|e| panic!("{e}")))
}

/// The three base64url parts of a JWT, as they are: header, claims, signature.
fn parts(token: &str) -> (String, String, String) {
    let mut parts = token.split('.').map(str::to_owned);
    let mut next = || parts.next().unwrap_or_default();
    (next(), next(), next())
}

/// Tokens that would each be an admin's if they were accepted: forged with `alg: none`, with
/// HMACs keyed with the server's public key (`pkcs8` is its private half), or tampered with.
fn forged_algorithms(app: &TestApp, pkcs8: &[u8]) -> Vec<(String, String)> {
    let (token, claims) = genuine(app, "admin", None);
    let (_, _, signature) = parts(&token);
    let (raw, (spki, pem)) = (public_key(pkcs8), public_key_forms(pkcs8));
    let hs = |alg: &str| json!({"alg": alg, "typ": "JWT", "kid": KID});
    let none = |alg: &str| jwt(&json!({"alg": alg, "typ": "JWT", "kid": KID}), &claims, |_| Vec::new());
    let (buyer_token, buyer_claims) = genuine(app, "buyer", Some(Uuid::new_v4()));
    let (buyer_header, _, buyer_signature) = parts(&buyer_token);
    let promoted = Value::Object(
        buyer_claims
            .as_object()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .chain([("role".into(), json!("admin"))])
            .collect(),
    );
    vec![
        ("alg none".into(), none("none")),
        ("alg None".into(), none("None")),
        ("alg NONE".into(), none("NONE")),
        ("alg none, the genuine signature kept".into(), {
            let (_, body, _) = parts(&none("none"));
            format!("{}.{body}.{signature}", b64url(hs("none").to_string().as_bytes()))
        }),
        ("HS256 keyed with the raw public key".into(), jwt(&hs("HS256"), &claims, hs256(&raw))),
        ("HS256 keyed with the public key's DER".into(), jwt(&hs("HS256"), &claims, hs256(&spki))),
        ("HS256 keyed with the public key's PEM".into(), jwt(&hs("HS256"), &claims, hs256(pem.as_bytes()))),
        ("HS256 keyed with nothing".into(), jwt(&hs("HS256"), &claims, hs256(b""))),
        (
            "HS512 keyed with the raw public key".into(),
            jwt(&hs("HS512"), &claims, |input| {
                ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA512, &raw), input).as_ref().to_vec()
            }),
        ),
        ("the genuine token without its signature".into(), {
            let (header, body, _) = parts(&token);
            format!("{header}.{body}.")
        }),
        ("a buyer's signature over its claims promoted to admin".into(), {
            format!("{buyer_header}.{}.{buyer_signature}", b64url(promoted.to_string().as_bytes()))
        }),
        ("the genuine signature over another payload".into(), {
            let (header, _, signature) = parts(&token);
            format!("{header}.{}.{signature}", b64url(promoted.to_string().as_bytes()))
        }),
    ]
}

/// Tokens signed with the server's own key (`pkcs8`) whose `kid` the server does not hold as
/// written: unknown, path traversal, SQL, NUL, case and padding tricks, wrong types, none.
fn forged_kids(app: &TestApp, pkcs8: &[u8]) -> Vec<(String, String)> {
    let (_, claims) = genuine(app, "admin", None);
    let kids = [
        json!("test-2"),
        json!("TEST-1"),
        json!(" test-1"),
        json!("test-1 "),
        json!("test-1\u{0}"),
        json!("test-1/../test-1"),
        json!("../../../../../../dev/null"),
        json!("/dev/null"),
        json!("file:///etc/passwd"),
        json!("test-1' OR '1'='1"),
        json!("' UNION SELECT 'secret' --"),
        json!("test-1; DROP TABLE events; --"),
        json!("*"),
        json!(""),
        json!(1),
        json!(["test-1"]),
        json!({"kid": "test-1"}),
        Value::Null,
    ];
    let mut cases: Vec<(String, String)> = kids
        .into_iter()
        .map(|kid| {
            let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": kid});
            (format!("kid {kid}"), jwt(&header, &claims, ed25519(pkcs8)))
        })
        .collect();
    cases.push(("no kid".into(), jwt(&json!({"alg": "EdDSA", "typ": "JWT"}), &claims, ed25519(pkcs8))));
    cases
}

/// Tokens signed with the attacker's key that point at it: an embedded `jwk`, a `jku` or `x5u`
/// URL (to `attacker_url`), or just the server's kid.
fn forged_keys(app: &TestApp, attacker_url: &str) -> Vec<(String, String)> {
    let (_, claims) = genuine(app, "admin", None);
    let key = attackers_key();
    let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": b64url(&public_key(&key)), "kid": "attacker"});
    let signed = |header: Value| jwt(&header, &claims, ed25519(&key));
    let jku = format!("{attacker_url}/.well-known/jwks.json");
    let x5u = format!("{attacker_url}/cert.pem");
    vec![
        ("the attacker's key under the server's kid".into(), signed(json!({"alg": "EdDSA", "kid": KID}))),
        ("an embedded jwk, no kid".into(), signed(json!({"alg": "EdDSA", "jwk": jwk}))),
        ("an embedded jwk under its own kid".into(), signed(json!({"alg": "EdDSA", "kid": "attacker", "jwk": jwk}))),
        ("an embedded jwk under the server's kid".into(), signed(json!({"alg": "EdDSA", "kid": KID, "jwk": jwk}))),
        ("jku to the attacker's key set".into(), signed(json!({"alg": "EdDSA", "kid": "attacker", "jku": jku}))),
        ("jku under the server's kid".into(), signed(json!({"alg": "EdDSA", "kid": KID, "jku": jku}))),
        ("x5u to the attacker's certificate".into(), signed(json!({"alg": "EdDSA", "kid": "attacker", "x5u": x5u}))),
        ("x5u under the server's kid".into(), signed(json!({"alg": "EdDSA", "kid": KID, "x5u": x5u}))),
    ]
}

/// Tokens signed with the server's own key (`pkcs8`) whose claims are wrong for an access token.
fn misused(app: &TestApp, pkcs8: &[u8]) -> Vec<(String, String)> {
    let now = chrono::Utc::now().timestamp();
    let issued = app.keyring.issue(now, app.admin_id, "admin", None, Uuid::new_v4()).unwrap_or_else(|e| panic!("{e}"));
    let claims = issued.access.clone();
    let sign = |c: Claims| app.keyring.sign(&c).unwrap_or_else(|e| panic!("{e}"));
    let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": KID});
    let without = |field: &str| {
        let mut value = serde_json::to_value(&claims).unwrap_or_default();
        value.as_object_mut().map(|m| m.remove(field));
        jwt(&header, &value, ed25519(pkcs8))
    };
    vec![
        ("expired".into(), sign(Claims { iat: now - 1000, exp: now - 100, ..claims.clone() })),
        ("for another audience".into(), sign(Claims { aud: "storefront".into(), ..claims.clone() })),
        ("from another issuer".into(), sign(Claims { iss: "elsewhere".into(), ..claims.clone() })),
        ("of a role nobody has".into(), sign(Claims { role: "root".into(), ..claims.clone() })),
        ("a refresh token as access".into(), issued.refresh_token.clone()),
        ("without exp".into(), without("exp")),
        ("without typ".into(), without("typ")),
        ("without aud".into(), without("aud")),
        ("garbage".into(), "not-a-token".into()),
        ("empty parts".into(), "..".into()),
    ]
}

/// Each token, sent to create a brand, is a 401 (an admin's token would create it: 201), and none
/// appended anything.
async fn assert_refused_by_the_command_api(app: &TestApp, cases: &[(String, String)]) {
    let before = app.event_count().await;
    for (i, (what, token)) in cases.iter().enumerate() {
        let body = json!({ "name": format!("Forged {i}") });
        let answer = app.send(Method::POST, "/v1/brands", Some(body), Some(token)).await;
        assert_problem(&answer, StatusCode::UNAUTHORIZED, what);
    }
    assert_eq!(app.event_count().await, before);
}

/// The control of the hand-made tokens: the admin's claims, put together and signed as the
/// forgeries are but with the server's key and kid, are accepted.
async fn assert_hand_made_tokens_work(app: &TestApp, pkcs8: &[u8]) {
    let (_, claims) = genuine(app, "admin", None);
    let token = jwt(&json!({"alg": "EdDSA", "typ": "JWT", "kid": KID}), &claims, ed25519(pkcs8));
    let answer = app.send(Method::POST, "/v1/brands", Some(json!({"name": "Hand-made"})), Some(&token)).await;
    assert_eq!(answer.status, StatusCode::CREATED, "the control: {answer:?}");
}

/// A listener where the attacker's key set would be served, to see that nobody comes for it.
fn attackers_server() -> (std::net::TcpListener, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    listener.set_nonblocking(true).unwrap_or_else(|e| panic!("{e}"));
    let url = format!("http://{}", listener.local_addr().unwrap_or_else(|e| panic!("{e}")));
    (listener, url)
}

/// No connection reached `listener`: a fetch made while verifying would have been accepted by the
/// kernel before the answer it delayed was sent.
fn assert_never_called(listener: &std::net::TcpListener) {
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("the API fetched the attacker's URL: {other:?}"),
    }
}

#[tokio::test]
async fn tokens_with_alg_none_an_hmac_keyed_with_the_public_key_or_a_tampered_payload_get_401() {
    let (app, pkcs8) = with_known_key().await;
    assert_refused_by_the_command_api(&app, &forged_algorithms(&app, &pkcs8)).await;
    assert_hand_made_tokens_work(&app, &pkcs8).await;
}

#[tokio::test]
async fn tokens_naming_an_unknown_or_tricky_kid_get_401_even_under_a_genuine_signature() {
    let (app, pkcs8) = with_known_key().await;
    assert_refused_by_the_command_api(&app, &forged_kids(&app, &pkcs8)).await;
    assert_hand_made_tokens_work(&app, &pkcs8).await;
}

#[tokio::test]
async fn tokens_that_bring_their_own_key_in_jwk_jku_or_x5u_get_401_and_nothing_is_fetched() {
    let (app, pkcs8) = with_known_key().await;
    let (listener, url) = attackers_server();
    assert_refused_by_the_command_api(&app, &forged_keys(&app, &url)).await;
    assert_never_called(&listener);
    assert_hand_made_tokens_work(&app, &pkcs8).await;
}

#[tokio::test]
async fn expired_foreign_roleless_and_swapped_tokens_get_401() {
    let (app, pkcs8) = with_known_key().await;
    assert_refused_by_the_command_api(&app, &misused(&app, &pkcs8)).await;
    // An access token is no refresh token.
    let (access, _) = genuine(&app, "admin", None);
    let answer = app.send(Method::POST, "/v1/auth/refresh", Some(json!({ "refresh_token": access })), None).await;
    assert_problem(&answer, StatusCode::UNAUTHORIZED, "an access token as refresh");
    assert_hand_made_tokens_work(&app, &pkcs8).await;
}

async fn refresh(app: &TestApp, token: &str) -> Answer {
    app.send(Method::POST, "/v1/auth/refresh", Some(json!({ "refresh_token": token })), None).await
}

fn text(answer: &Answer, field: &str) -> String {
    answer.body[field].as_str().unwrap_or_else(|| panic!("no {field} in {answer:?}")).to_owned()
}

#[tokio::test]
async fn forged_refresh_tokens_get_401_and_leave_the_family_alive() {
    let (app, pkcs8) = with_known_key().await;
    let spendable = text(&app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await, "refresh_token");
    let claims = app.token_claims(&spendable);
    let value = serde_json::to_value(&claims).unwrap_or_default();
    let (_, _, signature) = parts(&spendable);
    let raw = public_key(&pkcs8);
    let now = chrono::Utc::now().timestamp();
    let sign = |c: Claims| app.keyring.sign(&c).unwrap_or_else(|e| panic!("{e}"));
    let another_user = json!(Uuid::new_v4());
    let tampered = Value::Object(
        value.as_object().cloned().unwrap_or_default().into_iter().chain([("sub".into(), another_user)]).collect(),
    );
    let (header, _, _) = parts(&spendable);
    let cases: Vec<(&str, String)> = vec![
        ("alg none", jwt(&json!({"alg": "none", "kid": KID}), &value, |_| Vec::new())),
        ("HS256 keyed with the public key", jwt(&json!({"alg": "HS256", "kid": KID}), &value, hs256(&raw))),
        (
            "the attacker's key under the server's kid",
            jwt(&json!({"alg": "EdDSA", "kid": KID}), &value, ed25519(&attackers_key())),
        ),
        (
            "the genuine signature over another user",
            format!("{header}.{}.{signature}", b64url(tampered.to_string().as_bytes())),
        ),
        ("expired", sign(Claims { iat: now - 1000, exp: now - 100, ..claims.clone() })),
        ("for another audience", sign(Claims { aud: "storefront".into(), ..claims.clone() })),
        ("an access token", genuine(&app, "admin", None).0),
        ("garbage", "x.y.z".into()),
    ];
    for (what, token) in &cases {
        assert_problem(&refresh(&app, token).await, StatusCode::UNAUTHORIZED, what);
        let logout = app.send(Method::POST, "/v1/auth/logout", Some(json!({ "refresh_token": token })), None).await;
        assert_problem(&logout, StatusCode::UNAUTHORIZED, &format!("logout with {what}"));
    }
    let rotated = refresh(&app, &spendable).await;
    assert_eq!(rotated.status, StatusCode::OK, "the forgeries revoked the family they named: {rotated:?}");
}

#[tokio::test]
async fn the_query_api_refuses_every_forged_token_with_401() {
    let (app, pkcs8) = with_known_key().await;
    let query = query_api_with_keys(app.keyring.clone()).await;
    let (listener, url) = attackers_server();
    let cases =
        [forged_algorithms(&app, &pkcs8), forged_kids(&app, &pkcs8), forged_keys(&app, &url), misused(&app, &pkcs8)];
    let lists = format!("{query}/v1/price-lists");
    for (what, token) in cases.iter().flatten() {
        let answer = TestApp::answer(app.client.get(&lists).bearer_auth(token)).await;
        assert_problem(&answer, StatusCode::UNAUTHORIZED, what);
    }
    assert_never_called(&listener);
    let (_, claims) = genuine(&app, "admin", None);
    let control = jwt(&json!({"alg": "EdDSA", "typ": "JWT", "kid": KID}), &claims, ed25519(&pkcs8));
    let answer = TestApp::answer(app.client.get(&lists).bearer_auth(control)).await;
    assert_eq!(answer.status, StatusCode::OK, "the control: {answer:?}");
}

#[tokio::test]
async fn a_reused_refresh_token_revokes_its_family_and_of_two_racing_refreshes_one_wins() {
    let app = TestApp::spawn().await;
    let spent = text(&app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await, "refresh_token");
    let rotated = refresh(&app, &spent).await;
    assert_eq!(rotated.status, StatusCode::OK, "{rotated:?}");
    assert_problem(&refresh(&app, &spent).await, StatusCode::UNAUTHORIZED, "the spent token again");
    let newer = text(&rotated, "refresh_token");
    assert_problem(&refresh(&app, &newer).await, StatusCode::UNAUTHORIZED, "the newer token of the revoked family");

    let raced = text(&app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await, "refresh_token");
    let answers = join_all((0..2).map(|_| refresh(&app, &raced))).await;
    let mut statuses: Vec<StatusCode> = answers.iter().map(|a| a.status).collect();
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::UNAUTHORIZED], "{answers:?}");
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

async fn timed_login(app: &TestApp, body: Value) -> (Answer, Duration) {
    let started = Instant::now();
    let answer = app.send(Method::POST, "/v1/auth/login", Some(body), None).await;
    (answer, started.elapsed())
}

#[tokio::test]
async fn a_login_for_an_unknown_email_answers_as_a_wrong_password_does_after_the_same_hashing_work() {
    let app = TestApp::spawn().await;
    let disabled = "disabled-ops@ferrule.test";
    let created = app.post("/v1/users", json!({"email": disabled, "password": PASSWORD, "role": "ops"})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let off = app.post(&format!("/v1/users/{}/disable", created.id()), json!({})).await;
    assert_eq!(off.status, StatusCode::OK, "{off:?}");
    let login = |email: &str, password: &str| json!({"email": email, "password": password});
    let wrong_password = login(ADMIN_EMAIL, "not the password at all");
    let unknown_email = login("nobody-at-all@ferrule.test", ADMIN_PASSWORD);

    let (reference, _) = timed_login(&app, wrong_password.clone()).await;
    assert_problem(&reference, StatusCode::UNAUTHORIZED, "a wrong password");
    for (what, body) in [
        ("an unknown email", unknown_email.clone()),
        ("a malformed email", login("not an email", ADMIN_PASSWORD)),
        ("a disabled user's right password", login(disabled, PASSWORD)),
    ] {
        let (answer, _) = timed_login(&app, body).await;
        assert_problem(&answer, StatusCode::UNAUTHORIZED, what);
        assert_eq!(answer.body, reference.body, "{what} answers otherwise than a wrong password");
    }

    // Interleaved, so that a slower moment of the machine weighs on both.
    let (mut known, mut unknown, mut none) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        known.push(timed_login(&app, wrong_password.clone()).await.1);
        unknown.push(timed_login(&app, unknown_email.clone()).await.1);
        // No credentials at all: refused before any hashing.
        let (answer, took) = timed_login(&app, json!({})).await;
        assert_problem(&answer, StatusCode::UNPROCESSABLE_ENTITY, "an empty login");
        none.push(took);
    }
    let (known, unknown, none) = (median(known), median(unknown), median(none));
    assert!(known >= none * 5, "hashing is not what a login costs (known {known:?}, no hashing {none:?})");
    // Without the dummy hash an unknown email would cost a lookup (a few ms) against a hashing's
    // hundred or more; a factor of 4 leaves room for a loaded machine without hiding that.
    assert!(unknown >= none * 5, "an unknown email is answered without hashing: {unknown:?} against {none:?}");
    assert!(unknown * 4 >= known, "an unknown email is answered sooner: {unknown:?} against {known:?}");
}

// ---- API4: unrestricted resource consumption ---------------------------------------------------

/// POSTs `body` as JSON, with `token` when given.
async fn post_raw(app: &TestApp, path: &str, body: String, token: Option<&str>) -> Answer {
    let mut request =
        app.client.post(format!("{}{path}", app.base)).header("content-type", "application/json").body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    TestApp::answer(request).await
}

async fn assert_still_answers(app: &TestApp) {
    let health = app.send(Method::GET, "/v1/health", None, None).await;
    assert_eq!(health.status, StatusCode::OK, "{health:?}");
    let name = format!("Still here {}", Uuid::new_v4().simple());
    assert_eq!(app.post("/v1/brands", json!({ "name": name })).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn deeply_nested_json_is_a_400_problem_and_the_service_answers_on() {
    let app = TestApp::spawn().await;
    let arrays = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let objects = format!("{}1{}", r#"{"a":"#.repeat(10_000), "}".repeat(10_000));
    let in_a_field = format!(r#"{{"name": {arrays}}}"#);
    assert!(objects.len() < integration_tests::test_config().body_limit_bytes, "under the body limit");
    let before = app.event_count().await;
    for (what, path, body, token) in [
        ("arrays", "/v1/brands", arrays.clone(), Some(app.token.as_str())),
        ("objects", "/v1/brands", objects.clone(), Some(app.token.as_str())),
        ("arrays in a field", "/v1/brands", in_a_field, Some(app.token.as_str())),
        (
            "arrays in a product's specs",
            "/v1/products",
            format!(r#"{{"family_id": "{}", "name": "x", "specs": {{"a": {arrays}}}}}"#, Uuid::new_v4()),
            Some(app.token.as_str()),
        ),
        ("arrays to the login", "/v1/auth/login", arrays.clone(), None),
        ("objects to the refresh", "/v1/auth/refresh", objects.clone(), None),
    ] {
        let answer = post_raw(&app, path, body, token).await;
        assert_problem(&answer, StatusCode::BAD_REQUEST, what);
        assert_eq!(answer.body["type"], "https://ferrule.dev/problems/malformed-json", "{what}");
    }
    assert_eq!(app.event_count().await, before);
    assert_still_answers(&app).await;
}

#[tokio::test]
async fn a_huge_body_is_413_and_a_huge_header_is_refused_without_a_5xx() {
    let app = TestApp::spawn().await;
    let huge = json!({ "name": "x".repeat(1024 * 1024) }).to_string();
    for (path, token) in [("/v1/brands", Some(app.token.as_str())), ("/v1/auth/login", None)] {
        let answer = post_raw(&app, path, huge.clone(), token).await;
        assert_problem(&answer, StatusCode::PAYLOAD_TOO_LARGE, path);
    }
    assert_still_answers(&app).await;

    for name in ["X-Probe", "Authorization"] {
        let answer = huge_header(&app, name, 1024 * 1024).await;
        let status = answer.as_ref().map(|a| a.status);
        let refused = [StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, StatusCode::BAD_REQUEST].map(Some);
        assert!(refused.contains(&status), "a 1 MiB {name} header is answered {answer:?}");
        assert_still_answers(&app).await;
        // Smaller, it may be served, but never as a 5xx.
        let answer = huge_header(&app, name, 100 * 1024).await;
        assert!(answer.as_ref().is_some_and(|a| !a.status.is_server_error()), "a 100 KiB {name} header: {answer:?}");
        assert_still_answers(&app).await;
    }
}

/// `GET /v1/health` with a `name` header of `size` bytes, written on the socket.
async fn huge_header(app: &TestApp, name: &str, size: usize) -> Option<integration_tests::probe::Wire> {
    let addr = app.base.strip_prefix("http://").unwrap_or(&app.base);
    let value = if name == "Authorization" { format!("Bearer {}", "a".repeat(size)) } else { "a".repeat(size) };
    let request = format!("GET /v1/health HTTP/1.1\r\nHost: {addr}\r\n{name}: {value}\r\nConnection: close\r\n\r\n");
    on_the_wire(&app.base, request.as_bytes()).await
}

#[tokio::test]
async fn a_100_kib_header_is_refused_by_the_services_themselves() {
    let app = TestApp::spawn().await;
    for name in ["X-Probe", "Authorization"] {
        let answer = huge_header(&app, name, 100 * 1024).await.expect("the service answers");
        assert_eq!(answer.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "a 100 KiB {name} header: {answer:?}");
        assert!(answer.head.to_ascii_lowercase().contains("application/problem+json"), "{answer:?}");
        assert!(answer.head.to_ascii_lowercase().contains("x-request-id"), "{answer:?}");
    }
    let ordinary = huge_header(&app, "X-Probe", 6 * 1024).await.expect("the service answers");
    assert_eq!(ordinary.status, StatusCode::OK, "a 6 KiB header is within the limit: {ordinary:?}");
}

// ---- API8: security misconfiguration: injection, error bodies, CORS ----------------------------

/// Percent-encodes every byte but the unreserved ones.
fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What an attacker types into a search box or a URL: SQL metacharacters and statements,
/// tsquery operators, NUL and control bytes, unicode tricks, numbers that are not, long input.
fn payloads() -> Vec<String> {
    let fixed = [
        "'",
        "''",
        "\"",
        "\\",
        "%",
        "_",
        "*",
        ";",
        "--",
        "/*",
        "$1",
        "$$",
        "?",
        "' OR '1'='1",
        "' OR 1=1 --",
        "\" OR \"\"=\"",
        "') OR ('a'='a",
        "1' AND pg_sleep(0) IS NULL --",
        "'; DROP TABLE catalog.products; --",
        "\"; DROP TABLE products; --",
        "1; DELETE FROM catalog.products",
        "x' UNION SELECT password_hash FROM users --",
        "E'\\x00'",
        "$tag$ DROP TABLE products $tag$",
        "&",
        "|",
        "!",
        "<->",
        "<2>",
        ":*",
        "a & b | !c <-> d:*",
        "!(",
        "())",
        "':*",
        "&&||!!",
        "m12:* & !",
        "\u{0}",
        "a\u{0}b",
        "\u{1}\u{7f}\u{1b}[31m",
        "\r\nSet-Cookie: a=b",
        "\u{202e}evil",
        "ǅ𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🔩",
        "M12\u{301}",
        "\u{feff}",
        "\u{fffd}",
        "ボルト",
        "İıſK",
        "1..2..3",
        "..",
        "NaN..inf",
        "1e309..-1e309",
        "-0",
        "99999999999999999999999",
        "-1",
        "0x1F",
        "1e2",
        "null",
        "[]",
        "{}",
        "<script>alert(1)</script>",
    ];
    let mut all: Vec<String> = fixed.iter().map(|p| (*p).to_owned()).collect();
    all.push("x".repeat(2_000));
    all.push("m12 & ".repeat(60));
    all
}

#[tokio::test]
async fn injection_in_every_search_parameter_never_answers_5xx_and_leaves_the_catalog_intact() {
    let pipeline = Pipeline::start("injection").await;
    let app = &pipeline.app;
    let hex = hex_bolts(app).await;
    let coating = json!({"label": "Coating", "type": "text", "filterable": true, "searchable": true});
    app.attribute(hex.hex_bolts, "coating", coating).await;
    for length in [40, 50] {
        let specs = json!({"thread_size": "M12", "length": length, "material": "A4", "coating": "zinc flake"});
        let body = json!({"family_id": hex.family, "name": format!("Hex bolt M12x{length} A4"), "specs": specs});
        assert_eq!(app.post("/v1/products", body).await.status, StatusCode::CREATED);
    }
    let at = pipeline.converged().await;
    let query = pipeline.query_api().await;
    let events = app.event_count().await;
    let scope = format!("category_id={}", hex.hex_bolts);

    let mut asked = 0;
    let mut ask = |path: String| {
        asked += 1;
        let url = format!("{query}{path}");
        async move {
            let answer = get(app, &url, None, at).await;
            let fine = [StatusCode::OK, StatusCode::BAD_REQUEST, StatusCode::UNPROCESSABLE_ENTITY];
            assert!(fine.contains(&answer.status), "GET {path}: {answer:?}");
            let json = answer.header("content-type").is_some_and(|t| t.contains("json"));
            assert!(json && answer.body.is_object(), "GET {path}: not JSON: {answer:?}");
        }
    };
    for payload in payloads() {
        let p = form_encode(&payload);
        for path in [
            format!("/v1/search?q={p}"),
            format!("/v1/search?{scope}&q={p}"),
            format!("/v1/search?category_id={p}"),
            format!("/v1/search?{scope}&filter.material={p}"),
            format!("/v1/search?{scope}&filter.coating={p}"),
            format!("/v1/search?filter.coating={p}"),
            format!("/v1/search?{scope}&filter.length={p}"),
            format!("/v1/search?{scope}&filter.{p}=1"),
            format!("/v1/search?{scope}&range.length={p}"),
            format!("/v1/search?{scope}&range.length={p}..{p}"),
            format!("/v1/search?{scope}&range.{p}=1..2"),
            format!("/v1/search?q=bolt&sort={p}"),
            format!("/v1/search?q=bolt&page={p}"),
            format!("/v1/search?q=bolt&per_page={p}"),
            format!("/v1/search?{p}=1"),
            format!("/v1/search/suggest?q={p}"),
        ] {
            ask(path).await;
        }
    }
    // Percent-encodings that decode to no valid UTF-8, or are not encodings at all.
    for raw in ["%FF%FE", "%C0%80", "%", "%zz", "%E2%80", "%00%00%00"] {
        ask(format!("/v1/search?q={raw}")).await;
        ask(format!("/v1/search?{scope}&filter.coating={raw}")).await;
        ask(format!("/v1/search/suggest?q={raw}")).await;
    }
    assert!(asked > 1_000, "only {asked} probes");

    let (products, table): (i64, Option<String>) =
        sqlx::query_as("SELECT (SELECT count(*) FROM catalog.products), to_regclass('catalog.products')::text")
            .fetch_one(&pipeline.read)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((products, table.as_deref()), (2, Some("catalog.products")));
    assert_eq!(app.event_count().await, events);
    let found = get(app, &format!("{query}/v1/search?q=zinc+flake"), None, at).await;
    assert_eq!((found.status, &found.body["total"]), (StatusCode::OK, &json!(2)), "{found:?}");
    pipeline.finish().await;
}

/// A 5xx answer as STYLE.md says: problem+json with a generic detail, nothing of the cause.
fn assert_generic_5xx(answer: &Answer, status: StatusCode, what: &str) {
    assert_problem(answer, status, what);
    let text = answer.body.to_string().to_lowercase();
    let internal = [
        "sqlx",
        "sql",
        "postgres",
        "relation",
        "claims",
        "catalog.",
        "_probe",
        "select",
        "database",
        "error returned",
        ".rs",
        "src/",
        "panicked",
        "anyhow",
        "backtrace",
        "tokio",
        "column",
        "line ",
    ];
    for word in internal {
        assert!(!text.contains(word), "{what}: the body says {word:?}: {text}");
    }
}

#[tokio::test]
async fn a_5xx_of_either_service_carries_no_internal_text() {
    let mut pipeline = Pipeline::start("generic5xx").await;
    let query = pipeline.query_api().await;
    let slow = pipeline.query_api_with(None, HttpConfig::unlimited(), 1).await;
    pipeline.converged().await;
    // A position written but never projected (beyond the write head it would be refused at once):
    // waiting for it outlasts the slow API's timeout.
    pipeline.kill_projector().await;
    let written = pipeline.app.post("/v1/categories", json!({"name": "Unprojected"})).await;
    let unprojected = written.body["position"].as_i64().unwrap_or_else(|| panic!("{written:?}"));
    let app = &pipeline.app;
    // The test's own databases, broken under the services: a table they read is gone.
    event_store::scratch::break_claims(&app.db).await.unwrap_or_else(|e| panic!("{e}"));
    sqlx::query("ALTER TABLE catalog.orders RENAME TO orders_probe")
        .execute(&pipeline.read)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let login = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_generic_5xx(&login, StatusCode::INTERNAL_SERVER_ERROR, "a login without its table");
    let brand = app.post("/v1/brands", json!({"name": "Unclaimed"})).await;
    assert_generic_5xx(&brand, StatusCode::INTERNAL_SERVER_ERROR, "a create without its table");
    let orders = TestApp::answer(app.client.get(format!("{query}/v1/orders")).bearer_auth(&app.token)).await;
    assert_generic_5xx(&orders, StatusCode::INTERNAL_SERVER_ERROR, "orders without their table");
    let waited = app.client.get(format!("{slow}/v1/categories")).header("x-min-position", unprojected.to_string());
    assert_generic_5xx(&TestApp::answer(waited).await, StatusCode::SERVICE_UNAVAILABLE, "a timeout");
    pipeline.finish().await;
}

#[tokio::test]
async fn a_hostile_origin_gets_no_cors_grant_and_no_one_gets_credentials() {
    let shop = "https://shop.example";
    let app = command_api(HttpConfig { cors_origins: vec![shop.into()], ..HttpConfig::unlimited() }).await;
    let brands = format!("{}/v1/brands", app.base);
    let preflight = |origin: &str| {
        app.client
            .request(Method::OPTIONS, &brands)
            .header(ORIGIN, origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type")
    };
    let write = |origin: &str| app.client.post(&brands).header(ORIGIN, origin).bearer_auth(&app.token).json(&json!({}));
    let hostile = [
        "https://evil.example",
        "null",
        "https://shop.example.evil.example",
        "https://evilshop.example",
        "http://shop.example",
        "https://shop.example:8443",
        "https://shop.example/",
        "https://shop.example%60.evil.example",
    ];
    for origin in hostile {
        for answer in [TestApp::answer(preflight(origin)).await, TestApp::answer(write(origin)).await] {
            // Without Allow-Origin a browser lets the page read nothing (the methods and headers a
            // preflight lists are the same for everyone).
            let granted = ["access-control-allow-origin", "access-control-allow-credentials"].map(|h| answer.header(h));
            assert_eq!(granted, [None, None], "{origin} was granted: {answer:?}");
        }
    }
    for answer in [TestApp::answer(preflight(shop)).await, TestApp::answer(write(shop)).await] {
        assert_eq!(answer.header("access-control-allow-origin"), Some(shop), "{answer:?}");
        assert_eq!(answer.header("access-control-allow-credentials"), None, "{answer:?}");
    }
}

/// Configurations are logged at start and may be printed while debugging: the credentials in
/// database, Redis and NATS URLs never show in their `Debug`.
#[test]
fn configurations_print_no_credentials() {
    use clap::Parser;
    let secret = "hunter2-secret";
    let pg = format!("postgres://ferrule:{secret}@db.internal:5432/ferrule");
    let redis = format!("rediss://default:{secret}@cache.internal:6380");
    let nats = format!("nats://relay:{secret}@nats.internal:4222");
    let command = command_api::config::Config::parse_from([
        "command-api",
        "--database-url",
        &pg,
        "--redis-url",
        &redis,
        "--nats-url",
        &nats,
        "--rate-limit-redis-url",
        &redis,
    ]);
    let query = query_api::config::Config::parse_from([
        "query-api",
        "--read-database-url",
        &pg,
        "--write-database-url",
        &pg,
        "--redis-url",
        &redis,
    ]);
    let projector = projector::Config::parse_from([
        "projector",
        "--read-database-url",
        &pg,
        "--write-database-url",
        &pg,
        "--nats-url",
        &nats,
        "--redis-url",
        &redis,
    ]);
    for printed in [format!("{command:?}"), format!("{query:?}"), format!("{projector:?}")] {
        assert!(!printed.contains(secret), "a credential is printed: {printed}");
        assert!(printed.contains("REDACTED") || printed.contains("redacted"), "{printed}");
    }
}
