//! `Idempotency-Key` on every command, through the real command API and PostgreSQL: a retry with
//! the same key and body gets the first answer and runs nothing; another body is a 422; keys are
//! the caller's; the key is written in the command's own transaction.

use event_store::{EventFilter, EventStore};
use integration_tests::{hex_bolts, Answer, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

async fn keyed(app: &TestApp, method: Method, path: &str, key: &str, body: &Value, token: &str) -> Answer {
    let request = app
        .client
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body);
    TestApp::answer(request).await
}

fn product(family: Uuid, thread: &str, length: u32) -> Value {
    json!({"family_id": family, "name": format!("Hex bolt {thread}x{length}"),
           "specs": {"thread_size": thread, "length": length, "material": "A4"}})
}

async fn key_rows(app: &TestApp, key: &str) -> i64 {
    EventStore::count_keys(&app.db, key).await.unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn a_retried_create_answers_the_first_answer_and_creates_nothing_more() {
    let app = TestApp::spawn().await;
    let bolts = hex_bolts(&app).await;
    let body = product(bolts.family, "M8", 40);

    let first = keyed(&app, Method::POST, "/v1/products", "create-m8-40", &body, &app.token).await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    assert_eq!(first.header("idempotent-replayed"), None);
    let events = app.event_count().await;

    let again = keyed(&app, Method::POST, "/v1/products", "create-m8-40", &body, &app.token).await;
    assert_eq!(again.status, StatusCode::CREATED, "{again:?}");
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body, "the same body, id and position");
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("x-position"), first.header("x-position"));
    assert_eq!(app.event_count().await, events, "the retry appended nothing");

    // Without the key, the same body is a new command: here refused as a duplicate variant.
    let unkeyed = app.post("/v1/products", body).await;
    assert_eq!(unkeyed.status, StatusCode::CONFLICT, "{unkeyed:?}");
}

#[tokio::test]
async fn the_same_key_with_another_body_is_refused() {
    let app = TestApp::spawn().await;
    let bolts = hex_bolts(&app).await;
    let first = keyed(&app, Method::POST, "/v1/products", "k-1", &product(bolts.family, "M8", 40), &app.token).await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    let events = app.event_count().await;

    let other = keyed(&app, Method::POST, "/v1/products", "k-1", &product(bolts.family, "M8", 50), &app.token).await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY, "{other:?}");
    assert_eq!(other.field_errors(), vec![("Idempotency-Key".to_owned(), "idempotency_key_reused".to_owned())]);
    assert_eq!(app.event_count().await, events);

    // Another path with the same key and body is another request too.
    let renamed = json!({"name": "Renamed"});
    let path = format!("/v1/products/{}", first.id());
    let update = keyed(&app, Method::PATCH, &path, "k-1", &renamed, &app.token).await;
    assert_eq!(update.status, StatusCode::UNPROCESSABLE_ENTITY, "{update:?}");
}

#[tokio::test]
async fn keys_belong_to_their_caller() {
    let app = TestApp::spawn().await;
    let bolts = hex_bolts(&app).await;
    let email = format!("ops-{}@example.com", Uuid::new_v4().simple());
    let created =
        app.post("/v1/users", json!({"email": email, "password": "a long passphrase 1", "role": "admin"})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let login = app.login(&email, "a long passphrase 1").await;
    let other = login.body["access_token"].as_str().unwrap_or_default().to_owned();

    let mine = keyed(&app, Method::POST, "/v1/products", "shared", &product(bolts.family, "M8", 40), &app.token).await;
    assert_eq!(mine.status, StatusCode::CREATED, "{mine:?}");
    // The other admin's key of the same text is a key of its own: its command runs.
    let theirs = keyed(&app, Method::POST, "/v1/products", "shared", &product(bolts.family, "M10", 40), &other).await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{theirs:?}");
    assert_eq!(theirs.header("idempotent-replayed"), None);
    assert_ne!(theirs.id(), mine.id());
    assert_eq!(key_rows(&app, "shared").await, 2);
}

#[tokio::test]
async fn refusals_are_answered_again_but_token_refusals_are_not_kept() {
    let app = TestApp::spawn().await;
    let bolts = hex_bolts(&app).await;
    let invalid = json!({"family_id": bolts.family, "name": "No specs", "specs": {"thread_size": "M99"}});
    let first = keyed(&app, Method::POST, "/v1/products", "bad-1", &invalid, &app.token).await;
    assert_eq!(first.status, StatusCode::UNPROCESSABLE_ENTITY, "{first:?}");
    let again = keyed(&app, Method::POST, "/v1/products", "bad-1", &invalid, &app.token).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);

    // A request without a valid token is refused before anything is kept.
    let body = product(bolts.family, "M8", 40);
    let anonymous = keyed(&app, Method::POST, "/v1/products", "anon-1", &body, "not-a-token").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(key_rows(&app, "anon-1").await, 0);
}

#[tokio::test]
async fn a_malformed_key_is_a_422() {
    let app = TestApp::spawn().await;
    let bolts = hex_bolts(&app).await;
    let events = app.event_count().await;
    let long = "k".repeat(256);
    for key in ["with space", long.as_str()] {
        let answer = keyed(&app, Method::POST, "/v1/products", key, &product(bolts.family, "M8", 40), &app.token).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{key}: {answer:?}");
        assert_eq!(answer.field_errors(), vec![("Idempotency-Key".to_owned(), "invalid_idempotency_key".to_owned())]);
    }
    assert_eq!(app.event_count().await, events);
}

#[tokio::test]
async fn concurrent_requests_with_one_key_run_the_command_once() {
    let app = TestApp::spawn().await;
    let bolts = hex_bolts(&app).await;
    let body = product(bolts.family, "M12", 60);
    let events = app.event_count().await;
    let answers = futures::future::join_all(
        (0..8).map(|_| keyed(&app, Method::POST, "/v1/products", "race-1", &body, &app.token)),
    )
    .await;
    let created: Vec<&Answer> = answers.iter().filter(|a| a.status == StatusCode::CREATED).collect();
    assert!(!created.is_empty(), "{answers:?}");
    for answer in &answers {
        // Each is the one create, replayed, or told that it is still running.
        match answer.status {
            StatusCode::CREATED => assert_eq!(answer.id(), created[0].id()),
            StatusCode::CONFLICT => {
                assert_eq!(answer.field_errors()[0].1, "idempotency_key_in_use", "{answer:?}");
            }
            _ => panic!("unexpected answer {answer:?}"),
        }
    }
    assert_eq!(app.event_count().await, events + 1, "one product created");
}

#[tokio::test]
async fn the_key_is_written_with_the_events_and_a_lost_answer_still_says_it_was_applied() {
    let app = TestApp::spawn().await;
    let bolts = hex_bolts(&app).await;
    let body = product(bolts.family, "M16", 80);
    let first = keyed(&app, Method::POST, "/v1/products", "lost-1", &body, &app.token).await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    let recorded = app.store.recorded_key(app.admin_id, "lost-1").await.unwrap_or_else(|e| panic!("{e}"));
    let recorded = recorded.unwrap_or_else(|| panic!("the key lost-1 is not recorded"));
    let (position, status) = (recorded.position, recorded.status);
    assert_eq!(position, first.body["position"].as_i64(), "recorded with the command's events");
    assert_eq!(status, Some(201));
    // The answer is lost as if the process had stopped between commit and recording it.
    event_store::scratch::forget_answers(&app.db, "lost-1").await.unwrap_or_else(|e| panic!("{e}"));
    let events = app.event_count().await;
    let again = keyed(&app, Method::POST, "/v1/products", "lost-1", &body, &app.token).await;
    assert_eq!(again.status, StatusCode::OK, "{again:?}");
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body["position"], first.body["position"]);
    assert_eq!(app.event_count().await, events, "not applied twice");
}

#[tokio::test]
async fn updates_and_structure_changes_are_idempotent_too() {
    let app = TestApp::spawn().await;
    // A structure change (appended in its own transaction under the schema lock).
    let category = json!({"name": "Washers"});
    let first = keyed(&app, Method::POST, "/v1/categories", "cat-1", &category, &app.token).await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    let again = keyed(&app, Method::POST, "/v1/categories", "cat-1", &category, &app.token).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"), "{again:?}");
    assert_eq!(again.id(), first.id());
    let rows = app.count_events(EventFilter::all().stream(first.id())).await;
    assert_eq!(rows, 1);

    // An update.
    let path = format!("/v1/categories/{}", first.id());
    let rename = json!({"name": "Flat washers"});
    let renamed = keyed(&app, Method::PATCH, &path, "cat-2", &rename, &app.token).await;
    assert!(renamed.status.is_success(), "{renamed:?}");
    let replayed = keyed(&app, Method::PATCH, &path, "cat-2", &rename, &app.token).await;
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"), "{replayed:?}");
    assert_eq!(replayed.body, renamed.body);
}
