//! Rights take effect at once: a user disabled or demoted, or a buyer whose company was
//! disabled, cannot act or read with an access token issued before — on the command API (its
//! commands require the caller's current rights inside their append) and on the query API (the
//! revocation entries in Redis, recorded by the command API and again by the projector).

use std::time::{Duration, Instant};

use event_store::{EventFilter, EventStore};
use integration_tests::commerce::{issue, Shop, User, PASSWORD};
use integration_tests::pipeline::{redis_url, OwnRedis, Pipeline, DEADLINE};
use integration_tests::{test_config, Answer, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

/// The whole stack with revocations on: a shop over a command API that records them in the
/// pipeline's Redis, and a query API that reads them there.
struct Stack {
    pipeline: Pipeline,
    shop: Shop,
    query: String,
}

impl Stack {
    async fn start(tag: &str) -> Stack {
        let pipeline = Pipeline::start_with_cache(tag).await;
        let cache = pipeline.cache.as_ref().unwrap_or_else(|| panic!("the pipeline has a cache"));
        let config = command_api::config::Config {
            redis_url: Some(cache.redis_url.clone().into()),
            revocation_prefix: cache.revocation_prefix(),
            ..test_config()
        };
        let recording = pipeline.app.replica_with(config).await;
        let shop = Shop::over(recording).await;
        let query = pipeline.query_api_on(Some(&redis_url())).await;
        Stack { pipeline, shop, query }
    }

    /// A new staff user of `role` with an access token, as a login would issue it.
    async fn staff(&self, role: &str) -> User {
        let email = format!("{role}-{}@ferrule.test", Uuid::new_v4().simple());
        let created =
            self.shop.app.post("/v1/users", json!({"email": email, "password": PASSWORD, "role": role})).await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        User { id: created.id(), company: None, token: issue(&self.shop.app, created.id(), role, None) }
    }

    async fn command(&self, user: &User, method: Method, path: &str, body: serde_json::Value) -> Answer {
        self.shop.send(Some(user), method, path, Some(body)).await
    }

    /// A query API read as `user`, once the read model has what the command API committed.
    async fn read(&self, user: &User, path: &str) -> Answer {
        let position = self.pipeline.converged().await;
        let request = self
            .shop
            .app
            .client
            .get(format!("{}{path}", self.query))
            .bearer_auth(&user.token)
            .header("X-Min-Position", position.to_string());
        TestApp::answer(request).await
    }

    async fn events_by(&self, user: Uuid) -> i64 {
        self.shop.app.count_events(EventFilter::all().actor(&user.to_string())).await
    }

    async fn finish(self) {
        self.pipeline.finish().await;
    }
}

fn assert_revoked(answer: &Answer, what: &str) {
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{what}: {answer:?}");
    assert_eq!(answer.header("www-authenticate"), Some("Bearer"), "{what}");
    let detail = answer.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("no longer holds"), "{what}: {detail}");
}

#[tokio::test]
async fn a_disabled_admin_is_refused_at_once_on_both_apis_with_a_token_issued_before() {
    let stack = Stack::start("revoke-admin").await;
    let rogue = stack.staff("admin").await;
    // Given an admin whose token works on both APIs,
    let brand = stack.command(&rogue, Method::POST, "/v1/brands", json!({"name": "Before"})).await;
    assert_eq!(brand.status, StatusCode::CREATED, "{brand:?}");
    assert_eq!(stack.read(&rogue, "/v1/stock").await.status, StatusCode::OK);
    // when another admin disables them,
    let disabled = stack.shop.app.post(&format!("/v1/users/{}/disable", rogue.id), json!({})).await;
    assert_eq!(disabled.status, StatusCode::OK, "{disabled:?}");
    let acted = stack.events_by(rogue.id).await;

    // then the old token neither commands, nor reads on the command API, nor on the query API.
    let email = format!("backdoor-{}@ferrule.test", Uuid::new_v4().simple());
    let backdoor = json!({"email": email, "password": PASSWORD, "role": "admin"});
    assert_revoked(&stack.command(&rogue, Method::POST, "/v1/users", backdoor).await, "create an admin");
    assert_revoked(&stack.command(&rogue, Method::POST, "/v1/brands", json!({"name": "After"})).await, "brand");
    let own_role = format!("/v1/users/{}/role", rogue.id);
    assert_revoked(&stack.command(&rogue, Method::PUT, &own_role, json!({"role": "admin"})).await, "own role");
    let audit = stack.shop.send(Some(&rogue), Method::GET, &format!("/v1/streams/{}/events", rogue.id), None).await;
    assert_revoked(&audit, "audit");
    // Without waiting for the projector: the command API recorded the revocation itself.
    for path in ["/v1/stock", "/v1/orders", "/v1/price-lists"] {
        let request = stack.shop.app.client.get(format!("{}{path}", stack.query)).bearer_auth(&rogue.token);
        assert_revoked(&TestApp::answer(request).await, path);
    }
    assert_eq!(stack.events_by(rogue.id).await, acted, "nothing was appended with the revoked token");
    let users = EventStore::count_heads(&stack.shop.app.db, None, Some(&json!({ "email": email })))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(users, 0, "no backdoor admin exists");
    stack.finish().await;
}

#[tokio::test]
async fn a_demoted_admin_is_refused_with_its_admin_token_and_works_as_ops_with_a_new_one() {
    let stack = Stack::start("revoke-demote").await;
    let demoted = stack.staff("admin").await;
    let role = format!("/v1/users/{}/role", demoted.id);
    let changed = stack.shop.app.put(&role, json!({"role": "ops"})).await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:?}");

    // The admin token can no longer put its own role back, nor read staff data.
    assert_revoked(&stack.command(&demoted, Method::PUT, &role, json!({"role": "admin"})).await, "own role");
    assert_revoked(&stack.read(&demoted, "/v1/stock").await, "stock");
    let user = stack.shop.app.get(&format!("/v1/streams/{}/events", demoted.id)).await;
    let roles: Vec<&str> =
        user.body.as_array().into_iter().flatten().filter_map(|e| e["payload"]["role"]["to"].as_str()).collect();
    assert_eq!(roles, ["ops"], "the role stays ops: {user:?}");

    // Signed in again, they are ops: ops reads and commands work, admin work is 403.
    let ops = User { token: issue(&stack.shop.app, demoted.id, "ops", None), ..demoted };
    assert_eq!(stack.read(&ops, "/v1/stock").await.status, StatusCode::OK);
    let terms = json!({"list_price": {"amount_minor": 100, "currency": "EUR"}});
    let product = stack.shop.product("Ops may price it").await;
    let priced = stack.command(&ops, Method::PUT, &format!("/v1/products/{product}/terms"), terms).await;
    assert_eq!(priced.status, StatusCode::OK, "{priced:?}");
    assert_eq!(stack.command(&ops, Method::PUT, &role, json!({"role": "admin"})).await.status, StatusCode::FORBIDDEN);
    stack.finish().await;
}

#[tokio::test]
async fn a_disabled_ops_user_can_neither_price_nor_move_stock_with_an_old_token() {
    let stack = Stack::start("revoke-ops").await;
    let ops = stack.staff("ops").await;
    let product = stack.shop.stocked("Guarded", 500, 10).await;
    let list = stack.command(&ops, Method::POST, "/v1/price-lists", json!({"name": "Q4", "currency": "EUR"})).await;
    assert_eq!(list.status, StatusCode::CREATED, "{list:?}");
    let entry = format!("/v1/price-lists/{}/entries/{product}", list.id());
    let breaks = json!({"breaks": [{"min_quantity": 1, "amount_minor": 400}]});
    assert_eq!(stack.command(&ops, Method::PUT, &entry, breaks.clone()).await.status, StatusCode::OK);

    let disabled = stack.shop.app.post(&format!("/v1/users/{}/disable", ops.id), json!({})).await;
    assert_eq!(disabled.status, StatusCode::OK, "{disabled:?}");
    let acted = stack.events_by(ops.id).await;
    let cheaper = json!({"breaks": [{"min_quantity": 1, "amount_minor": 1}]});
    assert_revoked(&stack.command(&ops, Method::PUT, &entry, cheaper).await, "price-list entry");
    // The same breaks again would change nothing: refused all the same.
    assert_revoked(&stack.command(&ops, Method::PUT, &entry, breaks).await, "unchanged entry");
    let stock = format!("/v1/products/{product}/stock/{}", stack.shop.warehouse);
    let adjust = json!({"by": -10, "reason": "lost"});
    assert_revoked(&stack.command(&ops, Method::POST, &format!("{stock}/adjustments"), adjust).await, "adjust");
    let receive = json!({"quantity": 5});
    assert_revoked(&stack.command(&ops, Method::POST, &format!("{stock}/receipts"), receive).await, "receipt");
    assert_revoked(&stack.read(&ops, "/v1/price-lists").await, "price lists");
    assert_eq!(stack.events_by(ops.id).await, acted);
    assert_eq!(stack.shop.stock(product, stack.shop.warehouse).await, (10, 0, 0));
    stack.finish().await;
}

#[tokio::test]
async fn buyers_of_a_disabled_company_are_refused_on_both_apis_with_their_old_tokens() {
    let stack = Stack::start("revoke-company").await;
    let product = stack.shop.stocked("Cart item", 250, 20).await;
    let company = stack.shop.company("Closing down").await;
    let buyer = stack.shop.buyer(company).await;
    assert_eq!(stack.shop.add(&buyer, product, 2).await.status, StatusCode::OK);
    assert_eq!(stack.read(&buyer, "/v1/cart").await.status, StatusCode::OK);

    let disabled = stack.shop.app.post(&format!("/v1/companies/{company}/disable"), json!({})).await;
    assert_eq!(disabled.status, StatusCode::OK, "{disabled:?}");
    let acted = stack.events_by(buyer.id).await;
    let add = stack.shop.add(&buyer, product, 1).await;
    assert!(matches!(add.status, StatusCode::CONFLICT | StatusCode::UNAUTHORIZED), "{add:?}");
    let checkout = stack.shop.checkout(&buyer, None, "PO-1").await;
    assert!(matches!(checkout.status, StatusCode::CONFLICT | StatusCode::UNAUTHORIZED), "{checkout:?}");
    assert_eq!(stack.events_by(buyer.id).await, acted, "nothing was appended");
    for path in ["/v1/cart", "/v1/orders"] {
        assert_revoked(&stack.read(&buyer, path).await, path);
    }
    // A search with the token is refused too (it would carry the company's prices).
    assert_revoked(&stack.read(&buyer, "/v1/search?q=cart").await, "priced search");
    stack.finish().await;
}

#[tokio::test]
async fn the_projector_records_a_revocation_the_command_api_did_not() {
    let stack = Stack::start("revoke-backstop").await;
    let rogue = stack.staff("ops").await;
    assert_eq!(stack.read(&rogue, "/v1/stock").await.status, StatusCode::OK);
    // Disabled through a command API that records no revocation (no Redis), as if it had crashed
    // right after the commit:
    let disabled = stack.pipeline.app.post(&format!("/v1/users/{}/disable", rogue.id), json!({})).await;
    assert_eq!(disabled.status, StatusCode::OK, "{disabled:?}");
    // the query API refuses the token once the projector has projected the change.
    let answer = stack.read(&rogue, "/v1/stock").await;
    assert_revoked(&answer, "after the projection");
    stack.finish().await;
}

#[tokio::test]
async fn with_the_revocations_unreachable_a_token_is_503_and_anonymous_reads_are_served() {
    let pipeline = Pipeline::start("revoke-down").await;
    let mut redis = OwnRedis::start().await;
    let query = pipeline.query_api_on(Some(&redis.url())).await;
    let ops = issue(&pipeline.app, pipeline.app.admin_id, "admin", None);
    let stock = |token: Option<String>| {
        let mut request = pipeline.app.client.get(format!("{query}/v1/stock"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        TestApp::answer(request)
    };
    assert_eq!(stock(Some(ops.clone())).await.status, StatusCode::OK);
    redis.stop();
    let deadline = Instant::now() + DEADLINE;
    let refused = loop {
        let answer = stock(Some(ops.clone())).await;
        if answer.status != StatusCode::OK || Instant::now() > deadline {
            break answer;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE, "{refused:?}");
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(stock(None).await.status, StatusCode::UNAUTHORIZED, "no token is still a 401");
    let browse = TestApp::answer(pipeline.app.client.get(format!("{query}/v1/categories"))).await;
    assert_eq!(browse.status, StatusCode::OK, "{browse:?}");
    pipeline.finish().await;
}
