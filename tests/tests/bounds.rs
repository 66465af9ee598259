//! Bounds on what a client sends, against the real services: search and suggest queries are at
//! most 512 characters and 32 terms (422 naming the bound, at once), a word longer than a
//! PostgreSQL lexeme is found as it was indexed (never a 5xx), a refused request logs a short
//! line; request ids are 1 to 128 visible ASCII characters, anything else replaced by a generated
//! one in the answer and in the events the request writes, alike in both services.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use domain::search::{QUERY_MAX_CHARS, QUERY_MAX_TERMS};
use integration_tests::pipeline::Pipeline;
use integration_tests::{hex_bolts, TestApp};
use reqwest::header::HeaderValue;
use reqwest::StatusCode;
use serde_json::{json, Value};
use service_http::request_id::REQUEST_ID_MAX;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::Layer;
use uuid::Uuid;

/// A letter of four bytes in UTF-8 (CJK Extension B): 512 of them are 2,048 bytes.
const WIDE: &str = "𠀀";
/// A character that folds to four letters of three bytes (`アハート`).
const FOLDS_LONG: &str = "㌀";

fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A product whose searchable note is one word of 1,000 four-byte letters (4,000 bytes: more
/// than a lexeme holds), projected; the query API over it.
struct Catalog {
    pipeline: Pipeline,
    query: String,
    position: i64,
    long_word: Uuid,
}

async fn catalog(tag: &str) -> Catalog {
    let pipeline = Pipeline::start(tag).await;
    let app = &pipeline.app;
    let hex = hex_bolts(app).await;
    app.attribute(
        hex.hex_bolts,
        "note",
        json!({"label": "Note", "type": "text", "required": false, "variant_defining": false,
               "filterable": false, "searchable": true}),
    )
    .await;
    let specs = json!({"thread_size": "M12", "length": 40, "material": "A4", "note": WIDE.repeat(1000)});
    let created =
        app.post("/v1/products", json!({"family_id": hex.family, "name": "Hex bolt noted", "specs": specs})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let position = pipeline.converged().await;
    let query = pipeline.query_api().await;
    Catalog { pipeline, query, position, long_word: created.id() }
}

struct Reply {
    status: StatusCode,
    body: Value,
    took: Duration,
}

impl Catalog {
    /// `GET {path}?q=…` on the query API, once the read model holds the catalog.
    async fn ask(&self, path: &str, q: &str) -> Reply {
        let started = Instant::now();
        let request = self
            .pipeline
            .app
            .client
            .get(format!("{}{path}?q={}", self.query, form_encode(q)))
            .header("x-min-position", self.position);
        let answer = TestApp::answer(request).await;
        Reply { status: answer.status, body: answer.body, took: started.elapsed() }
    }
}

/// A 422 of the API's format whose one error is `q` with `code`, its message naming `bound`.
fn assert_refused(reply: &Reply, code: &str, bound: usize) {
    let body = &reply.body;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["status"], 422, "{body}");
    assert_eq!(body["type"], "https://ferrule.dev/problems/validation", "{body}");
    assert_eq!(body["title"], "Validation failed");
    let errors = body["errors"].as_array().unwrap_or_else(|| panic!("no errors: {body}"));
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!((errors[0]["field"].as_str(), errors[0]["code"].as_str()), (Some("q"), Some(code)), "{body}");
    let message = errors[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains(&format!("at most {bound}")), "the message names the bound: {message}");
    assert_eq!(body["detail"].as_str(), Some(message), "{body}");
    assert!(body.to_string().len() < 1024, "the answer does not repeat the query: {} bytes", body.to_string().len());
}

#[tokio::test]
async fn search_and_suggest_refuse_a_query_beyond_512_characters_or_32_terms_at_once_naming_the_bound() {
    let c = catalog("bounds_refused").await;
    let words: Vec<String> = (0..3000).map(|i| format!("w{i}")).collect();
    let many = words.join(" ");
    let short_many = words[..QUERY_MAX_TERMS + 1].join(" ");
    for path in ["/v1/search", "/v1/search/suggest"] {
        let refused = c.ask(path, &many).await;
        assert_refused(&refused, "query_too_long", QUERY_MAX_CHARS);
        assert!(refused.took < Duration::from_secs(1), "{path}: 3,000 words took {:?}", refused.took);
        // A word of 2,048 and one of 60,000 bytes: over the characters a query may hold.
        for bytes in [2_048, 60_000] {
            assert_refused(&c.ask(path, &"x".repeat(bytes)).await, "query_too_long", QUERY_MAX_CHARS);
        }
        assert_refused(&c.ask(path, &"x".repeat(QUERY_MAX_CHARS + 1)).await, "query_too_long", QUERY_MAX_CHARS);
        assert!(short_many.chars().count() < QUERY_MAX_CHARS);
        assert_refused(&c.ask(path, &short_many).await, "too_many_terms", QUERY_MAX_TERMS);
    }
    c.pipeline.finish().await;
}

#[tokio::test]
async fn queries_at_the_bounds_are_answered_and_a_word_longer_than_a_lexeme_is_found_as_it_was_indexed() {
    let c = catalog("bounds_at_limit").await;
    // 32 distinct terms in exactly 512 characters.
    let mut at_limit: Vec<String> = (0..QUERY_MAX_TERMS).map(|i| format!("t{i:02}{}", "q".repeat(12))).collect();
    at_limit[QUERY_MAX_TERMS - 1].push('z');
    let at_limit = at_limit.join(" ");
    assert_eq!(at_limit.chars().count(), QUERY_MAX_CHARS);
    for path in ["/v1/search", "/v1/search/suggest"] {
        let answered = c.ask(path, &at_limit).await;
        assert_eq!(answered.status, StatusCode::OK, "{path}: {}", answered.body);
        assert!(answered.took < Duration::from_secs(2), "{path}: a query at the bounds took {:?}", answered.took);
        // Folded, this one word is 6 KB: cut to a lexeme's length, it finds nothing, and says so.
        let folded = c.ask(path, &FOLDS_LONG.repeat(QUERY_MAX_CHARS)).await;
        assert_eq!(folded.status, StatusCode::OK, "{path}: {}", folded.body);
    }

    // 512 four-byte letters, 2,048 bytes: the product whose note holds 1,000 of them was indexed
    // by their first 2,047 bytes, and a query is cut alike, so both search and suggest find it.
    let long = WIDE.repeat(QUERY_MAX_CHARS);
    let found = c.ask("/v1/search", &long).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert_eq!(found.body["total"], 1, "{}", found.body);
    assert_eq!(found.body["hits"][0]["id"], c.long_word.to_string(), "{}", found.body);
    let suggested = c.ask("/v1/search/suggest", &long).await;
    assert_eq!(suggested.status, StatusCode::OK, "{}", suggested.body);
    assert_eq!(suggested.body["products"][0]["id"], c.long_word.to_string(), "{}", suggested.body);
    // And as a prefix of it, as it is being typed.
    let typing = c.ask("/v1/search/suggest", &WIDE.repeat(40)).await;
    assert_eq!(typing.body["products"][0]["id"], c.long_word.to_string(), "{}", typing.body);
    c.pipeline.finish().await;
}

/// What the services in this test binary log, at debug level for Ferrule's crates and the HTTP
/// trace layer.
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let writer = LogWriter(logs.clone());
        let targets = tracing_subscriber::filter::Targets::new()
            .with_default(tracing::Level::INFO)
            .with_target("tower_http", tracing::Level::DEBUG)
            .with_target("service_http", tracing::Level::DEBUG)
            .with_target("query_api", tracing::Level::DEBUG);
        let layer = tracing_subscriber::fmt::layer().with_ansi(false).with_writer(move || writer.clone());
        let subscriber = tracing_subscriber::registry().with(layer.with_filter(targets));
        tracing::subscriber::set_global_default(subscriber).unwrap_or_else(|e| panic!("{e}"));
        logs
    })
}

#[derive(Clone)]
struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logged_lines_with(marker: &str) -> Vec<String> {
    let logs = logs().lock().unwrap_or_else(PoisonError::into_inner);
    String::from_utf8_lossy(&logs).lines().filter(|line| line.contains(marker)).map(str::to_owned).collect()
}

#[tokio::test]
async fn a_refused_query_of_60000_bytes_is_logged_in_lines_of_a_few_hundred_bytes() {
    logs();
    let c = catalog("bounds_logs").await;
    for (path, id) in [("/v1/search/suggest", "bounds-log-suggest"), ("/v1/search", "bounds-log-search")] {
        let url = format!("{}{path}?q={}", c.query, "x".repeat(60_000));
        let answer = c.pipeline.app.client.get(url).header("x-request-id", id).send().await;
        let answer = answer.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
        // The trace layer logs the answer once it is sent: wait for that line.
        let deadline = Instant::now() + Duration::from_secs(10);
        let lines = loop {
            let lines = logged_lines_with(id);
            if lines.iter().any(|line| line.contains("finished processing request")) {
                break lines;
            }
            assert!(Instant::now() < deadline, "no line logged the answer: {lines:?}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        for line in &lines {
            assert!(line.len() < 1024, "a line of {} bytes: {}…", line.len(), &line[..300.min(line.len())]);
        }
        // The URI is cut to its first 200 characters, and says how long it was.
        let cut = format!("… ({} bytes)", path.len() + "?q=".len() + 60_000);
        assert!(lines.iter().any(|line| line.contains(&cut)), "{lines:?}");
    }
    c.pipeline.finish().await;
}

/// Request ids a client may send and whether each is taken (else replaced by a generated one).
fn request_ids() -> Vec<(&'static str, HeaderValue, bool)> {
    let value = |text: &str| HeaderValue::from_bytes(text.as_bytes()).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    let visible: String = (0x21u8..=0x7e).map(char::from).collect::<String>().chars().cycle().take(128).collect();
    vec![
        ("60,000 characters", value(&"r".repeat(60_000)), false),
        ("129 characters", value(&"r".repeat(REQUEST_ID_MAX + 1)), false),
        ("a space", value("two words"), false),
        ("non-ASCII", value("café-1"), false),
        ("a control character", value("tab\there"), false),
        ("empty", HeaderValue::from_static(""), false),
        ("128 visible characters", value(&visible), true),
        ("a short id", value("client-chosen-7"), true),
    ]
}

/// The answer's id is the one sent when it was taken, else a generated UUID.
fn assert_echoed_or_replaced(what: &str, sent: &HeaderValue, taken: bool, answered: Option<&HeaderValue>) -> String {
    let answered = answered.unwrap_or_else(|| panic!("{what}: no X-Request-Id"));
    let text = answered.to_str().unwrap_or_else(|e| panic!("{what}: {e}")).to_owned();
    if taken {
        assert_eq!(answered, sent, "{what}: echoed");
    } else {
        assert!(
            Uuid::parse_str(&text).is_ok(),
            "{what}: replaced by a generated id, not {:?}",
            &text[..text.len().min(80)]
        );
    }
    text
}

#[tokio::test]
async fn a_request_id_beyond_the_rule_is_replaced_in_the_answer_and_in_the_events_the_request_writes() {
    let app = TestApp::spawn().await;
    for (i, (what, sent, taken)) in request_ids().into_iter().enumerate() {
        let request = app.client.post(format!("{}/v1/brands", app.base)).bearer_auth(&app.token);
        let answer =
            TestApp::answer(request.header("x-request-id", sent.clone()).json(&json!({"name": format!("Brand {i}")})))
                .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{what}: {answer:?}");
        let id = assert_echoed_or_replaced(what, &sent, taken, answer.headers.get("x-request-id"));
        let stored: Vec<String> = app.stream_events(answer.id()).await.into_iter().map(|e| e.request_id).collect();
        assert!(!stored.is_empty(), "{what}: no events");
        assert!(stored.iter().all(|s| *s == id), "{what}: the events keep the answer's id, not {stored:?}");
    }
}

#[tokio::test]
async fn a_correlation_id_that_is_not_a_uuid_is_replaced_and_a_uuid_is_kept() {
    let app = TestApp::spawn().await;
    let kept = Uuid::new_v4();
    let mut replaced = Vec::new();
    for (i, sent) in [kept.to_string(), "c".repeat(4_000), "not a uuid".to_owned(), String::new()].iter().enumerate() {
        let request = app.client.post(format!("{}/v1/brands", app.base)).bearer_auth(&app.token);
        let request = request.header("x-correlation-id", sent.as_str()).header("x-causation-id", sent.as_str());
        let answer = TestApp::answer(request.json(&json!({"name": format!("Correlated {i}")}))).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        let events = app.stream_events(answer.id()).await;
        let event = events.first().unwrap_or_else(|| panic!("no event: {answer:?}"));
        let (correlation, causation) = (event.correlation_id, event.causation_id);
        if i == 0 {
            assert_eq!((correlation, causation), (kept, Some(kept)));
        } else {
            assert_eq!(causation, None, "a causation id that is not a UUID is dropped");
            assert!(correlation != kept && !replaced.contains(&correlation), "a new correlation id each time");
            replaced.push(correlation);
        }
    }
}

#[tokio::test]
async fn both_services_echo_or_replace_request_ids_by_the_same_rule_on_every_answer() {
    let pipeline = Pipeline::start("bounds_ids").await;
    let query = pipeline.query_api().await;
    let command = pipeline.app.base.clone();
    let client = &pipeline.app.client;
    for (what, sent, taken) in request_ids() {
        for url in [
            format!("{command}/v1/health"),
            format!("{command}/v1/nowhere"),
            format!("{query}/v1/categories"),
            format!("{query}/v1/nowhere"),
        ] {
            let answer = client.get(&url).header("x-request-id", sent.clone()).send().await;
            let answer = answer.unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_echoed_or_replaced(&format!("{what} at {url}"), &sent, taken, answer.headers().get("x-request-id"));
        }
    }
    // Several lines: the first decides, and only one is echoed.
    let answer = client
        .get(format!("{query}/v1/categories"))
        .header("x-request-id", "first-1")
        .header("x-request-id", "second-2")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let echoed: Vec<&HeaderValue> = answer.headers().get_all("x-request-id").iter().collect();
    assert_eq!(echoed, [HeaderValue::from_static("first-1")]);
    pipeline.finish().await;
}

#[tokio::test]
async fn the_openapi_documents_state_the_query_and_request_id_bounds() {
    let pipeline = Pipeline::start("bounds_openapi").await;
    let query = pipeline.query_api().await;
    let client = &pipeline.app.client;
    let document = |base: String| async move {
        let answer = client.get(format!("{base}/openapi.json")).send().await.unwrap_or_else(|e| panic!("{e}"));
        answer.json::<Value>().await.unwrap_or_else(|e| panic!("{e}"))
    };
    let parameter = |doc: &Value, path: &str, method: &str, name: &str| -> Value {
        doc["paths"][path][method]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{method} {path} has no parameter {name}"))
    };
    let read = document(query).await;
    for path in ["/v1/search", "/v1/search/suggest"] {
        let q = parameter(&read, path, "get", "q");
        assert_eq!(q["schema"]["maxLength"], QUERY_MAX_CHARS, "{path}: {q}");
        assert!(q["description"].as_str().unwrap_or_default().contains("32 search terms"), "{path}: {q}");
    }
    let write = document(pipeline.app.base.clone()).await;
    for (doc, path, method) in [(&read, "/v1/search", "get"), (&write, "/v1/brands", "post")] {
        // Any X-Request-Id is taken (one out of bounds is replaced, never refused), so the bounds
        // are stated where they hold: on the answer's header, and in the parameter's description.
        let id = parameter(doc, path, method, "X-Request-Id");
        assert!(id["description"].as_str().unwrap_or_default().contains("replaced"), "{path}: {id}");
        let answered = &doc["paths"][path][method]["responses"]["429"]["headers"]["X-Request-Id"]["schema"];
        assert_eq!(answered["maxLength"], REQUEST_ID_MAX, "{path}: {answered}");
        assert_eq!(answered["minLength"], 1, "{path}: {answered}");
        assert_eq!(answered["pattern"], "^[!-~]+$", "{path}: {answered}");
    }
    pipeline.finish().await;
}
