//! The outer layers of both services, against the real services: gzip, `X-Request-Id` on every
//! answer, security headers, CORS from configuration, the body limit (with and without
//! `Content-Length`) and the timeout, all answering problem+json. Rate limits:
//! tests/tests/rate_limits.rs.

use std::io::Read;
use std::time::Duration;

use integration_tests::outer::{command_api, rate_limited, serve};
use integration_tests::pipeline::{redis_url, Pipeline};
use integration_tests::{hex_bolts, test_config, TestApp};
use reqwest::header::{HeaderMap, ACCEPT_ENCODING, CONTENT_TYPE, ORIGIN};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{json, Value};
use service_http::HttpConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

/// An answer as it came over the wire: the body not decoded.
struct Raw {
    status: StatusCode,
    headers: HeaderMap,
    bytes: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text()))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// A problem+json answer of `status`, with the request id every answer carries.
    fn assert_problem(&self, status: StatusCode) {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.header("content-type"), "application/problem+json", "{}", self.text());
        assert_eq!(self.json()["status"], status.as_u16(), "{}", self.text());
        assert!(!self.header("x-request-id").is_empty(), "a {status} without X-Request-Id");
    }
}

async fn fetch(request: RequestBuilder) -> Raw {
    let response = request.send().await.unwrap_or_else(|e| panic!("request failed: {e}"));
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap_or_else(|e| panic!("reading the body failed: {e}")).to_vec();
    Raw { status, headers, bytes }
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut decoded)
        .unwrap_or_else(|e| panic!("the body is not gzip: {e}"));
    decoded
}

/// Asks `request` without and with `Accept-Encoding: gzip`: the second is gzipped (and says it
/// varies by it) and decodes to the JSON of the first.
async fn assert_gzipped(request: RequestBuilder, content_type: &str) {
    let again = request.try_clone().unwrap_or_else(|| panic!("a request with a streamed body"));
    let plain = fetch(request).await;
    assert_eq!(plain.header("content-type"), content_type, "{}", plain.text());
    assert_eq!(plain.header("content-encoding"), "", "not compressed unless asked");
    let zipped = fetch(again.header(ACCEPT_ENCODING, "gzip")).await;
    assert_eq!(zipped.status, plain.status);
    assert_eq!(zipped.header("content-encoding"), "gzip", "{content_type} answer of {} bytes", plain.bytes.len());
    // Several layers may each add a `Vary` line (the query API's prices vary by Authorization).
    let vary: Vec<String> =
        zipped.headers.get_all("vary").iter().filter_map(|v| v.to_str().ok()).map(str::to_ascii_lowercase).collect();
    assert!(vary.iter().any(|v| v.contains("accept-encoding")), "{vary:?}");
    assert!(zipped.bytes.len() < plain.bytes.len(), "gzip made it no smaller");
    let decoded: Value = serde_json::from_slice(&gunzip(&zipped.bytes)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(decoded, plain.json());
}

#[tokio::test]
async fn both_services_gzip_json_and_problem_json_for_clients_that_accept_it() {
    let pipeline = Pipeline::start("gzip").await;
    let app = &pipeline.app;
    let hex = hex_bolts(app).await;
    let events = format!("{}/v1/streams/{}/events", app.base, hex.hex_bolts);
    assert_gzipped(app.client.get(&events).bearer_auth(&app.token), "application/json").await;
    let unknown: serde_json::Map<String, Value> =
        (0..12).map(|i| (format!("not_a_field_{i}"), Value::from(i))).collect();
    let mut invalid = json!({"family_id": hex.family, "name": "Hex bolt"});
    invalid.as_object_mut().unwrap_or_else(|| panic!("an object")).extend(unknown);
    let products = format!("{}/v1/products", app.base);
    assert_gzipped(app.client.post(&products).bearer_auth(&app.token).json(&invalid), "application/problem+json").await;

    pipeline.converged().await;
    let query = pipeline.query_api().await;
    let category = format!("{query}/v1/categories/{}", hex.hex_bolts);
    assert_gzipped(app.client.get(&category), "application/json").await;
    let long_id = "x".repeat(300);
    assert_gzipped(app.client.get(format!("{query}/v1/products/{long_id}")), "application/problem+json").await;

    let tiny = fetch(app.client.get(format!("{query}/v1/nowhere")).header(ACCEPT_ENCODING, "gzip")).await;
    tiny.assert_problem(StatusCode::NOT_FOUND);
    assert_eq!(tiny.header("content-encoding"), "", "a tiny answer is not worth compressing");
    pipeline.finish().await;
}

#[tokio::test]
async fn every_answer_of_the_command_api_carries_a_request_id_generated_or_echoed() {
    let app = command_api(rate_limited(&redis_url(), 20, 10)).await;
    let url = |path: &str| format!("{}{path}", app.base);
    let ok = fetch(app.client.get(url("/v1/health"))).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert!(Uuid::parse_str(ok.header("x-request-id")).is_ok(), "generated: {:?}", ok.header("x-request-id"));
    let echoed = fetch(app.client.get(url("/v1/health")).header("x-request-id", "client-chosen-7")).await;
    assert_eq!(echoed.header("x-request-id"), "client-chosen-7");

    let missing = fetch(app.client.get(url("/v1/nowhere")).header("x-request-id", "lost-1")).await;
    missing.assert_problem(StatusCode::NOT_FOUND);
    assert_eq!(missing.header("x-request-id"), "lost-1");
    let wrong_method = fetch(app.client.delete(url("/v1/brands"))).await;
    wrong_method.assert_problem(StatusCode::METHOD_NOT_ALLOWED);
    assert!(wrong_method.header("allow").contains("POST"), "405 keeps Allow: {:?}", wrong_method.headers);
    fetch(app.client.post(url("/v1/brands")).json(&json!({"name": "Acme"})))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED);
    let too_large = json!({"name": "x".repeat(100 * 1024)});
    fetch(app.client.post(url("/v1/brands")).bearer_auth(&app.token).json(&too_large))
        .await
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE);
    for _ in 0..20 {
        let answer = fetch(app.client.get(url("/v1/health"))).await;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            answer.assert_problem(StatusCode::TOO_MANY_REQUESTS);
            return;
        }
        assert_eq!(answer.status, StatusCode::OK);
    }
    panic!("the general limit of 20 was never reached");
}

#[tokio::test]
async fn a_query_that_outlasts_the_timeout_is_503_problem_json_with_its_request_id() {
    let mut pipeline = Pipeline::start("timeout").await;
    let query = pipeline.query_api_with(None, HttpConfig::unlimited(), 1).await;
    // A position written but never projected (the projector is stopped; a position beyond the
    // write head would be refused at once): the request waits until the timeout ends it.
    pipeline.kill_projector().await;
    let written = pipeline.app.post("/v1/categories", serde_json::json!({ "name": "Valves" })).await;
    let never = written.body["position"].as_i64().unwrap_or_else(|| panic!("{written:?}")).to_string();
    let client = &pipeline.app.client;
    let slow = fetch(client.get(format!("{query}/v1/categories")).header("x-min-position", never)).await;
    slow.assert_problem(StatusCode::SERVICE_UNAVAILABLE);
    let ok = fetch(client.get(format!("{query}/v1/categories")).header("x-request-id", "q-1")).await;
    assert_eq!((ok.status, ok.header("x-request-id")), (StatusCode::OK, "q-1"));
    pipeline.finish().await;
}

fn assert_security_headers(answer: &Raw) {
    assert_eq!(answer.header("x-content-type-options"), "nosniff");
    assert_eq!(answer.header("x-frame-options"), "DENY");
    assert_eq!(answer.header("referrer-policy"), "no-referrer");
    assert_eq!(answer.header("content-security-policy"), "default-src 'none'; frame-ancestors 'none'");
}

#[tokio::test]
async fn security_headers_are_on_every_answer_and_hsts_only_when_configured() {
    let app = command_api(HttpConfig { hsts_max_age_secs: Some(31_536_000), ..HttpConfig::unlimited() }).await;
    for path in ["/v1/health", "/v1/nowhere"] {
        let answer = fetch(app.client.get(format!("{}{path}", app.base))).await;
        assert_security_headers(&answer);
        assert_eq!(answer.header("strict-transport-security"), "max-age=31536000", "{path}");
    }
    let plain = TestApp::spawn().await;
    let answer = fetch(plain.client.get(format!("{}/v1/health", plain.base))).await;
    assert_security_headers(&answer);
    assert_eq!(answer.header("strict-transport-security"), "", "no HSTS unless configured");
}

#[tokio::test]
async fn a_route_may_set_its_own_content_security_policy_and_keeps_the_other_headers() {
    use axum::routing::get;
    let docs_policy = "default-src 'self'; script-src 'self'";
    let routes = axum::Router::new()
        .route("/docs", get(|| async { "<html></html>" }))
        .route_layer(service_http::security::content_security_policy(docs_policy))
        .route("/api", get(|| async { "{}" }));
    let base = serve(routes, &HttpConfig::unlimited(), service_http::Identity::anonymous()).await;
    let client = reqwest::Client::new();
    let docs = fetch(client.get(format!("{base}/docs"))).await;
    assert_eq!(docs.header("content-security-policy"), docs_policy);
    assert_eq!(docs.header("x-frame-options"), "DENY");
    assert_security_headers(&fetch(client.get(format!("{base}/api"))).await);
}

#[tokio::test]
async fn cors_answers_preflights_for_configured_origins_and_says_nothing_to_others() {
    let shop = "https://shop.example";
    let app = command_api(HttpConfig { cors_origins: vec![shop.into()], ..HttpConfig::unlimited() }).await;
    let products = format!("{}/v1/products/{}", app.base, Uuid::new_v4());
    let preflight = |origin: &str| {
        app.client
            .request(Method::OPTIONS, &products)
            .header(ORIGIN, origin)
            .header("access-control-request-method", "PATCH")
            .header(
                "access-control-request-headers",
                "authorization, content-type, if-match, idempotency-key, x-request-id",
            )
    };
    let allowed = fetch(preflight(shop)).await;
    assert!(allowed.status.is_success(), "{:?}", allowed.status);
    assert_eq!(allowed.header("access-control-allow-origin"), shop);
    assert!(allowed.header("access-control-allow-methods").contains("PATCH"));
    let headers = allowed.header("access-control-allow-headers").to_ascii_lowercase();
    for name in ["authorization", "content-type", "if-match", "idempotency-key", "x-request-id", "x-min-position"] {
        assert!(headers.contains(name), "{name} not allowed: {headers}");
    }
    assert!(!allowed.header("x-request-id").is_empty());

    let get = fetch(app.client.get(format!("{}/v1/health", app.base)).header(ORIGIN, shop)).await;
    assert_eq!(get.header("access-control-allow-origin"), shop);
    let exposed = get.header("access-control-expose-headers").to_ascii_lowercase();
    for name in ["x-request-id", "x-position", "x-cache", "retry-after"] {
        assert!(exposed.contains(name), "{name} not exposed: {exposed}");
    }

    let evil = "https://evil.example";
    assert_eq!(fetch(preflight(evil)).await.header("access-control-allow-origin"), "");
    let get = fetch(app.client.get(format!("{}/v1/health", app.base)).header(ORIGIN, evil)).await;
    assert_eq!(get.header("access-control-allow-origin"), "");

    let unconfigured = TestApp::spawn().await;
    let get = fetch(unconfigured.client.get(format!("{}/v1/health", unconfigured.base)).header(ORIGIN, shop)).await;
    let cors: Vec<_> = get.headers.keys().filter(|name| name.as_str().starts_with("access-control-")).collect();
    assert!(cors.is_empty(), "CORS headers without configured origins: {cors:?}");
}

/// POSTs `body` to `path` in chunks, without `Content-Length`, over a connection of its own.
async fn post_chunked(app: &TestApp, path: &str, body: &[u8]) -> Raw {
    let (base, token) = (app.base.as_str(), app.token.as_str());
    let addr = base.strip_prefix("http://").unwrap_or(base);
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap_or_else(|e| panic!("{e}"));
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let mut request = head.into_bytes();
    for chunk in body.chunks(8 * 1024) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    // The server may answer and close before it has read everything.
    let _ = stream.write_all(&request).await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "no answer within 20 s");
    parse_http(&answer)
}

/// An HTTP/1.1 answer with a `Content-Length` body.
fn parse_http(answer: &[u8]) -> Raw {
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or_else(|| panic!("no head in {answer:?}"));
    let head = String::from_utf8_lossy(&answer[..split]);
    let mut lines = head.lines();
    let status = lines.next().and_then(|line| line.split(' ').nth(1)).and_then(|code| code.parse::<u16>().ok());
    let status = status.and_then(|code| StatusCode::from_u16(code).ok()).unwrap_or_else(|| panic!("{head}"));
    let mut headers = HeaderMap::new();
    for (name, value) in lines.filter_map(|line| line.split_once(':')) {
        if let (Ok(name), Ok(value)) = (
            reqwest::header::HeaderName::from_bytes(name.trim().as_bytes()),
            reqwest::header::HeaderValue::from_str(value.trim()),
        ) {
            headers.append(name, value);
        }
    }
    Raw { status, headers, bytes: answer[split + 4..].to_vec() }
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_problem_json_with_or_without_content_length() {
    let app = TestApp::spawn().await;
    let limit = test_config().body_limit_bytes;
    let too_large = serde_json::to_vec(&json!({"name": "x".repeat(limit + 1)})).unwrap_or_default();
    let brands = format!("{}/v1/brands", app.base);
    let declared = fetch(
        app.client
            .post(&brands)
            .bearer_auth(&app.token)
            .header(CONTENT_TYPE, "application/json")
            .body(too_large.clone()),
    )
    .await;
    declared.assert_problem(StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(declared.json()["type"], "https://ferrule.dev/problems/payload-too-large");
    let nowhere = fetch(app.client.post(format!("{}/v1/nowhere", app.base)).body(too_large.clone())).await;
    nowhere.assert_problem(StatusCode::PAYLOAD_TOO_LARGE);

    let streamed = post_chunked(&app, "/v1/brands", &too_large).await;
    streamed.assert_problem(StatusCode::PAYLOAD_TOO_LARGE);
    let small = post_chunked(&app, "/v1/brands", br#"{"name": "Chunked brand"}"#).await;
    assert_eq!(small.status, StatusCode::CREATED, "a chunked body under the limit is read: {}", small.text());

    let pipeline = Pipeline::start("bodylimit").await;
    let query = pipeline.query_api().await;
    let search = fetch(pipeline.app.client.post(format!("{query}/v1/search")).body(vec![b' '; 64 * 1024])).await;
    search.assert_problem(StatusCode::PAYLOAD_TOO_LARGE);
    pipeline.finish().await;
}
