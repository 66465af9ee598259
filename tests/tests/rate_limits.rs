//! Rate limiting against the real services and a real Redis: the general limit and the tighter
//! login class answer 429 problem+json with `Retry-After` after exactly the configured count;
//! clients (by IP, or by user when authenticated) have buckets of their own; and while Redis is
//! down general traffic is served at once while logins stay limited by each replica. Each test
//! has its own Redis key prefix.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use integration_tests::outer::{command_api, rate_limited, serve};
use integration_tests::pipeline::{redis_url, OwnRedis, Pipeline, DEADLINE};
use integration_tests::{Answer, TestApp};
use reqwest::StatusCode;
use serde_json::json;
use service_http::rate_limit::TrustedProxies;
use service_http::{Client, HttpConfig, Identity};

async fn get(client: &reqwest::Client, url: &str) -> Answer {
    TestApp::answer(client.get(url)).await
}

async fn login(app: &TestApp) -> Answer {
    let body = json!({"email": "buyer@example.com", "password": "guess"});
    TestApp::answer(app.client.post(format!("{}/v1/auth/login", app.base)).json(&body)).await
}

fn number(answer: &Answer, name: &str) -> u64 {
    answer.header(name).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("no numeric {name}: {answer:?}"))
}

/// A 429 problem+json with a `Retry-After` of 1..=`at_most` seconds.
fn assert_limited(answer: &Answer, at_most: u64) {
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS, "{answer:?}");
    assert_eq!(answer.header("content-type"), Some("application/problem+json"));
    assert_eq!(answer.body["type"], "https://ferrule.dev/problems/rate-limited");
    assert_eq!(answer.body["status"], 429);
    let retry_after = number(answer, "retry-after");
    assert!((1..=at_most).contains(&retry_after), "Retry-After {retry_after}");
    assert_eq!(number(answer, "ratelimit-remaining"), 0);
    assert!(answer.header("x-request-id").is_some());
}

#[tokio::test]
async fn the_general_limit_answers_429_with_retry_after_after_the_configured_count() {
    let app = command_api(rate_limited(&redis_url(), 5, 3)).await;
    let health = format!("{}/v1/health", app.base);
    for remaining in (0..5).rev() {
        let answer = get(&app.client, &health).await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        assert_eq!(number(&answer, "ratelimit-limit"), 5);
        assert_eq!(number(&answer, "ratelimit-remaining"), remaining);
    }
    // 5 per 60 s: one request is earned back every 12 s.
    assert_limited(&get(&app.client, &health).await, 12);
    let other_endpoint = get(&app.client, &format!("{}/v1/nowhere", app.base)).await;
    assert_limited(&other_endpoint, 12);
}

#[tokio::test]
async fn the_query_api_is_limited_too() {
    let pipeline = Pipeline::start("ratelimit").await;
    let query = pipeline.query_api_with(None, rate_limited(&redis_url(), 3, 3), 30).await;
    let categories = format!("{query}/v1/categories");
    for _ in 0..3 {
        assert_eq!(get(&pipeline.app.client, &categories).await.status, StatusCode::OK);
    }
    assert_limited(&get(&pipeline.app.client, &categories).await, 20);
    pipeline.finish().await;
}

#[tokio::test]
async fn the_login_class_is_limited_more_tightly_and_apart_from_general_traffic() {
    let app = command_api(rate_limited(&redis_url(), 100, 3)).await;
    // The test app logged its admin in as it started: that was attempt 1.
    for attempt in 2..=3 {
        let answer = login(&app).await;
        assert_ne!(answer.status, StatusCode::TOO_MANY_REQUESTS, "attempt {attempt} of 3: {answer:?}");
    }
    let fourth = login(&app).await;
    // 3 per 60 s: one attempt is earned back every 20 s.
    assert_limited(&fourth, 20);
    assert_eq!(number(&fourth, "ratelimit-limit"), 3);
    let refresh =
        TestApp::answer(app.client.post(format!("{}/v1/auth/refresh", app.base)).json(&json!({"refresh_token": "x"})))
            .await;
    assert_limited(&refresh, 20);
    let general = get(&app.client, &format!("{}/v1/health", app.base)).await;
    assert_eq!(general.status, StatusCode::OK, "general traffic has its own bucket: {general:?}");
    assert_eq!(number(&general, "ratelimit-limit"), 100);
}

fn client_from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder().local_address(IpAddr::from(ip)).build().unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn clients_at_different_addresses_do_not_share_a_bucket_and_cannot_spoof_one() {
    let app = command_api(rate_limited(&redis_url(), 2, 2)).await;
    let health = format!("{}/v1/health", app.base);
    let (first, second) = (client_from([127, 0, 0, 1]), client_from([127, 0, 0, 2]));
    for _ in 0..2 {
        assert_eq!(get(&first, &health).await.status, StatusCode::OK);
    }
    assert_limited(&get(&first, &health).await, 30);
    let spoofed = TestApp::answer(first.get(&health).header("x-forwarded-for", "203.0.113.9")).await;
    assert_limited(&spoofed, 30);
    assert_eq!(get(&second, &health).await.status, StatusCode::OK, "another address, another bucket");

    // Behind one trusted proxy, the address it forwards is the client.
    let proxied =
        command_api(HttpConfig { trusted_proxies: TrustedProxies::Count(1), ..rate_limited(&redis_url(), 2, 2) }).await;
    let health = format!("{}/v1/health", proxied.base);
    let via_proxy = |client: &reqwest::Client, ip: &str| client.get(&health).header("x-forwarded-for", ip.to_owned());
    for _ in 0..2 {
        assert_eq!(TestApp::answer(via_proxy(&first, "203.0.113.1")).await.status, StatusCode::OK);
    }
    assert_limited(&TestApp::answer(via_proxy(&second, "203.0.113.1")).await, 30);
    assert_eq!(TestApp::answer(via_proxy(&first, "203.0.113.2")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn authenticated_users_have_a_bucket_each_whatever_their_address() {
    // Stands in for the verified token subject the command API will pass.
    let identity = Identity::new(|parts| {
        let user = parts.headers.get("x-test-user")?.to_str().ok()?.to_owned();
        Some(Client { user, staff: false })
    });
    let routes = axum::Router::new().route("/v1/things", axum::routing::get(|| async { "[]" }));
    let base = serve(routes, &rate_limited(&redis_url(), 2, 2), identity).await;
    let client = reqwest::Client::new();
    let as_user = |user: &str| client.get(format!("{base}/v1/things")).header("x-test-user", user.to_owned());
    for _ in 0..2 {
        assert_eq!(TestApp::answer(as_user("alice")).await.status, StatusCode::OK);
    }
    assert_limited(&TestApp::answer(as_user("alice")).await, 30);
    assert_eq!(TestApp::answer(as_user("bob")).await.status, StatusCode::OK, "another user, another bucket");
    let anonymous = get(&client, &format!("{base}/v1/things")).await;
    assert_eq!(anonymous.status, StatusCode::OK, "anonymous requests count against the IP, not a user");
}

/// Each request answers within this, Redis or not.
const FAST: Duration = Duration::from_secs(1);

/// Sends `n` general requests: every one is 200 without waiting for Redis.
async fn assert_served_at_once(app: &TestApp, n: usize) {
    let health = format!("{}/v1/health", app.base);
    for i in 0..n {
        let started = Instant::now();
        let answer = get(&app.client, &health).await;
        assert_eq!(answer.status, StatusCode::OK, "request {i}: {answer:?}");
        assert!(started.elapsed() < FAST, "request {i} took {:?}", started.elapsed());
    }
}

/// Logins: `limit` pass the limiter (`spent` of them made already), the next is 429.
async fn assert_logins_limited(app: &TestApp, limit: usize, spent: usize) {
    for attempt in spent + 1..=limit {
        let answer = login(app).await;
        assert_ne!(answer.status, StatusCode::TOO_MANY_REQUESTS, "attempt {attempt} of {limit}: {answer:?}");
    }
    assert_limited(&login(app).await, 60);
}

#[tokio::test]
async fn with_redis_down_general_traffic_is_served_at_once_and_logins_stay_limited_per_replica() {
    let mut redis = OwnRedis::start().await;
    let http = rate_limited(&redis.url(), 2, 3);
    let prefix = http.rate_limit.rate_limit_prefix.clone();
    let app = command_api(http).await;
    let health = format!("{}/v1/health", app.base);
    // The limiter connects to Redis in the background: until then requests pass uncounted.
    counted_in_redis(&app, &health).await;
    let key = format!("{prefix}:general:ip:127.0.0.1");
    let mut connection = redis::Client::open(redis.url())
        .unwrap_or_else(|e| panic!("{e}"))
        .get_multiplexed_async_connection()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let exists: bool = redis::cmd("EXISTS").arg(&key).query_async(&mut connection).await.unwrap_or(false);
    assert!(exists, "the limiter keeps {key} in Redis");

    redis.stop();
    // Far over the general limit of 2: fails open.
    assert_served_at_once(&app, 20).await;
    // The app's own login at start was counted in Redis, not by the fallback.
    assert_logins_limited(&app, 3, 0).await;

    redis.resume().await;
    // Once the breaker lets a probe through, general requests are counted in Redis again.
    counted_in_redis(&app, &health).await;
}

/// Waits until a general request is counted in Redis (its answer carries the limit's headers).
async fn counted_in_redis(app: &TestApp, url: &str) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let answer = get(&app.client, url).await;
        if answer.header("ratelimit-limit").is_some() {
            return;
        }
        assert_eq!(answer.status, StatusCode::OK);
        assert!(Instant::now() < deadline, "rate limits never went to Redis");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn with_no_redis_answering_from_the_start_the_api_serves_and_logins_are_limited() {
    let app = command_api(rate_limited("redis://127.0.0.1:1", 2, 3)).await;
    assert_served_at_once(&app, 10).await;
    // The app's own login at start was the fallback's first.
    assert_logins_limited(&app, 3, 1).await;
}

#[tokio::test]
async fn the_admin_tools_wait_out_a_429_and_carry_on() {
    let mut http = rate_limited(&redis_url(), 2, 2);
    // 2 per second: a request is earned back every 500 ms.
    http.rate_limit.rate_limit_window_secs = 1;
    let app = command_api(http).await;
    let health = format!("{}/v1/health", app.base);
    let started = Instant::now();
    for i in 0..5 {
        let response = ferrule_seed::send_within_rate_limits(app.client.get(&health))
            .await
            .unwrap_or_else(|e| panic!("request {i}: {e}"));
        assert_eq!(response.status(), StatusCode::OK, "request {i}");
    }
    // Three requests beyond the burst of 2 are earned back at 500 ms each: it waited for them.
    assert!(started.elapsed() >= Duration::from_millis(1000), "no 429 was waited out: {:?}", started.elapsed());
}

#[tokio::test]
async fn signed_in_staff_have_the_staff_class_and_buyers_the_general_one() {
    let mut http = rate_limited(&redis_url(), 2, 10);
    http.rate_limit.rate_limit_staff_requests = 5;
    let app = command_api(http).await;
    let (app, health) = (&app, format!("{}/v1/health", app.base));
    let health = health.as_str();
    let as_user = |role: &str| {
        let token = integration_tests::commerce::issue(app, uuid::Uuid::new_v4(), role, None);
        move || app.client.get(health).bearer_auth(&token)
    };
    let (ops, buyer) = (as_user("ops"), as_user("buyer"));
    for i in 0..5 {
        assert_eq!(TestApp::answer(ops()).await.status, StatusCode::OK, "staff request {i}");
    }
    let refused = TestApp::answer(ops()).await;
    assert_limited(&refused, 60);
    assert_eq!(refused.header("ratelimit-limit"), Some("5"), "{refused:?}");
    for i in 0..2 {
        assert_eq!(TestApp::answer(buyer()).await.status, StatusCode::OK, "buyer request {i}");
    }
    assert_limited(&TestApp::answer(buyer()).await, 60);
    let forged = app.client.get(health).bearer_auth("not.a.token");
    assert_eq!(TestApp::answer(forged).await.status, StatusCode::OK, "an invalid token counts against the IP");
}
