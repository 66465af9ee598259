//! Audit history (issue 17): the auditor role, history queries with every filter and paging, the
//! state of an entity as of a time, version or position, and signed exports.

use integration_tests::commerce::{issue, PASSWORD};
use integration_tests::{hex_bolts, test_config, Answer, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

/// A new user of `role` (admin-created) and an access token from their own login.
async fn user(app: &TestApp, role: &str) -> (Uuid, String) {
    let email = format!("{role}-{}@ferrule.test", Uuid::new_v4().simple());
    let created = app.post("/v1/users", json!({"email": email, "password": PASSWORD, "role": role})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let login = app.login(&email, PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{login:?}");
    (created.id(), login.body["access_token"].as_str().unwrap_or_default().to_owned())
}

async fn get_as(app: &TestApp, path: &str, token: &str) -> Answer {
    app.send(Method::GET, path, None, Some(token)).await
}

/// A command sent with a request id and a correlation id of the test's choosing.
async fn command(app: &TestApp, method: Method, path: &str, body: Value, request: &str, correlation: Uuid) -> Answer {
    TestApp::answer(
        app.client
            .request(method, format!("{}{path}", app.base))
            .bearer_auth(&app.token)
            .header("x-request-id", request)
            .header("x-correlation-id", correlation.to_string())
            .json(&body),
    )
    .await
}

fn positions(page: &Answer) -> Vec<i64> {
    page.body["events"]
        .as_array()
        .map(|e| e.iter().filter_map(|e| e["position"].as_i64()).collect())
        .unwrap_or_default()
}

fn types(page: &Answer) -> Vec<String> {
    let events = page.body["events"].as_array().cloned().unwrap_or_default();
    events.iter().map(|e| e["type"].as_str().unwrap_or_default().to_owned()).collect()
}

fn at(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true).replace('+', "%2B")
}

#[tokio::test]
async fn an_auditor_reads_every_audit_endpoint_writes_nothing_and_a_buyer_reads_none() {
    let app = TestApp::spawn().await;
    let (auditor_id, auditor) = user(&app, "auditor").await;
    let brand = app.post("/v1/brands", json!({"name": "Acme"})).await;
    assert_eq!(brand.status, StatusCode::CREATED, "{brand:?}");
    let id = brand.id();

    let events = get_as(&app, &format!("/v1/audit/events?actor={}", app.admin_id), &auditor).await;
    assert_eq!(events.status, StatusCode::OK, "{events:?}");
    assert!(types(&events).contains(&"BrandCreated".to_owned()), "{events:?}");
    for path in [
        format!("/v1/streams/{id}/events"),
        format!("/v1/audit/brand/{id}"),
        format!("/v1/audit/brand/{id}/fields/name"),
        format!("/v1/audit/brand/{id}/state?version=1"),
    ] {
        let answer = get_as(&app, &path, &auditor).await;
        assert_eq!(answer.status, StatusCode::OK, "GET {path} as an auditor: {answer:?}");
    }

    let before = app.event_count().await;
    let writes = [
        (Method::POST, "/v1/brands".to_owned(), json!({"name": "Auditor's brand"})),
        (
            Method::POST,
            "/v1/users".to_owned(),
            json!({"email": "x@ferrule.test", "password": PASSWORD, "role": "admin"}),
        ),
        (
            Method::PUT,
            format!("/v1/users/{auditor_id}/password"),
            json!({"password": "another long passphrase", "current_password": PASSWORD}),
        ),
        (Method::PUT, format!("/v1/users/{auditor_id}/role"), json!({"role": "admin"})),
        (Method::POST, "/v1/price-lists".to_owned(), json!({"name": "Auditor's", "currency": "EUR"})),
    ];
    for (method, path, body) in writes {
        let answer = app.send(method.clone(), &path, Some(body), Some(&auditor)).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{method} {path} as an auditor: {answer:?}");
    }
    assert_eq!(app.event_count().await, before, "an auditor's refused commands appended events");

    let buyer = issue(&app, Uuid::new_v4(), "buyer", Some(Uuid::new_v4()));
    for path in [
        format!("/v1/audit/events?stream_id={id}"),
        format!("/v1/streams/{id}/events"),
        format!("/v1/audit/brand/{id}"),
    ] {
        let answer = get_as(&app, &path, &buyer).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "GET {path} as a buyer: {answer:?}");
    }
}

#[tokio::test]
async fn history_queries_select_by_every_filter_and_page_by_position() {
    let app = TestApp::spawn().await;
    let cat = hex_bolts(&app).await;
    let (ops_id, ops) = user(&app, "ops").await;
    let started = chrono::Utc::now();
    let correlation = Uuid::new_v4();
    let specs = json!({"thread_size": "M8", "length": 10});
    let body = json!({"family_id": cat.family, "name": "Bolt", "specs": specs});
    let product = command(&app, Method::POST, "/v1/products", body, "req-history-1", correlation).await;
    assert_eq!(product.status, StatusCode::CREATED, "{product:?}");
    let id = product.id();
    let renamed = command(
        &app,
        Method::PATCH,
        &format!("/v1/products/{id}"),
        json!({"name": "Bolt M8"}),
        "req-history-2",
        correlation,
    )
    .await;
    assert_eq!(renamed.status, StatusCode::OK, "{renamed:?}");
    let brand =
        command(&app, Method::POST, "/v1/brands", json!({"name": "Acme"}), "req-history-3", Uuid::new_v4()).await;
    let ended = chrono::Utc::now();

    let by_stream = app.get(&format!("/v1/audit/events?stream_id={id}")).await;
    assert_eq!(by_stream.status, StatusCode::OK, "{by_stream:?}");
    assert_eq!(types(&by_stream), ["ProductCreated", "ProductUpdated"]);
    let update = &by_stream.body["events"][1];
    assert_eq!(update["diff"]["name"], json!({"from": "Bolt", "to": "Bolt M8"}));
    assert_eq!(update["actor"]["id"], app.admin_id.to_string());
    assert_eq!(update["actor"]["email"], integration_tests::ADMIN_EMAIL);
    assert_eq!(update["actor"]["role"], "admin");
    assert_eq!(
        (update["request_id"].as_str(), update["correlation_id"].as_str()),
        (Some("req-history-2"), Some(&*correlation.to_string()))
    );
    assert_eq!((update["stream"]["type"].as_str(), update["stream"]["version"].as_i64()), (Some("product"), Some(2)));
    assert_eq!(by_stream.body["events"][0]["diff"]["name"], json!({"from": null, "to": "Bolt"}));

    let two = app.get(&format!("/v1/audit/events?stream_id={id}&stream_id={}", brand.id())).await;
    assert_eq!(types(&two), ["ProductCreated", "ProductUpdated", "BrandCreated"]);
    let by_correlation = app.get(&format!("/v1/audit/events?correlation_id={correlation}")).await;
    assert_eq!(types(&by_correlation), ["ProductCreated", "ProductUpdated"]);
    let by_request = app.get("/v1/audit/events?request_id=req-history-3").await;
    assert_eq!(types(&by_request), ["BrandCreated"]);
    let window = format!("from={}&to={}", at(started), at(ended));
    let in_window = app.get(&format!("/v1/audit/events?{window}")).await;
    assert_eq!(types(&in_window), ["ProductCreated", "ProductUpdated", "BrandCreated"], "{in_window:?}");
    let typed = app.get(&format!("/v1/audit/events?{window}&event_type=ProductUpdated&event_type=BrandCreated")).await;
    assert_eq!(types(&typed), ["ProductUpdated", "BrandCreated"]);
    let of_type = app.get(&format!("/v1/audit/events?{window}&stream_type=brand")).await;
    assert_eq!(types(&of_type), ["BrandCreated"]);
    let by_actor = app.get(&format!("/v1/audit/events?actor={}&{window}", app.admin_id)).await;
    assert_eq!(types(&by_actor), ["ProductCreated", "ProductUpdated", "BrandCreated"]);
    let nobody = app.get(&format!("/v1/audit/events?actor={ops_id}&{window}")).await;
    assert_eq!(types(&nobody), Vec::<String>::new(), "the ops user recorded nothing");
    let all = positions(&in_window);
    let range = app.get(&format!("/v1/audit/events?after_position={}&before_position={}", all[0], all[2])).await;
    assert_eq!(positions(&range), [all[1]]);

    // Paging: one event a page, each page's cursor the last position, the last page without one.
    let (mut seen, mut cursor) = (Vec::new(), None::<i64>);
    loop {
        let after = cursor.map(|c| format!("&after_position={c}")).unwrap_or_default();
        let page = get_as(&app, &format!("/v1/audit/events?{window}&limit=1{after}"), &ops).await;
        assert_eq!(page.status, StatusCode::OK, "{page:?}");
        seen.extend(positions(&page));
        match page.body["next_after_position"].as_i64() {
            Some(next) => cursor = Some(next),
            None => break,
        }
        assert!(seen.len() <= 3, "paging does not end: {seen:?}");
    }
    assert_eq!(seen, all);

    let history = app.get(&format!("/v1/audit/product/{id}?from_version=2")).await;
    assert_eq!(types(&history), ["ProductUpdated"]);
    let names = app.get(&format!("/v1/audit/product/{id}/fields/name")).await;
    assert_eq!(names.status, StatusCode::OK, "{names:?}");
    let changes: Vec<(Value, Value)> = names.body["changes"]
        .as_array()
        .map(|c| c.iter().map(|c| (c["from"].clone(), c["to"].clone())).collect())
        .unwrap_or_default();
    assert_eq!(changes, [(Value::Null, json!("Bolt")), (json!("Bolt"), json!("Bolt M8"))]);
    // `specs` is set once, when the product is made: its first value is its only change.
    let specs = app.get(&format!("/v1/audit/product/{id}/fields/specs")).await;
    let specs = specs.body["changes"].as_array().cloned().unwrap_or_default();
    assert_eq!(specs.len(), 1, "{specs:?}");
    assert_eq!((specs[0]["field"].as_str(), specs[0]["to"]["thread_size"].as_str()), (Some("specs"), Some("M8")));
}

#[tokio::test]
async fn bad_history_queries_are_422s_naming_the_parameter_and_unknown_entities_404s() {
    let app = TestApp::spawn().await;
    let brand = app.post("/v1/brands", json!({"name": "Acme"})).await.id();
    let now = chrono::Utc::now();
    let cases = [
        (
            format!("/v1/audit/events?from={}&to={}", at(now), at(now - chrono::Duration::hours(1))),
            "to",
            "inverted_range",
        ),
        ("/v1/audit/events?after_position=9&before_position=3".to_owned(), "before_position", "inverted_range"),
        (format!("/v1/audit/events?stream_id={brand}&stream_type=widget"), "stream_type", "unknown_stream_type"),
        (format!("/v1/audit/events?stream_id={brand}&event_type=BrandDeleted"), "event_type", "unknown_event_type"),
        (format!("/v1/audit/events?stream_id={brand}&limit=501"), "limit", "limit_too_large"),
        (format!("/v1/audit/events?stream_id={brand}&limit=0"), "limit", "invalid_number"),
        ("/v1/audit/events?from=yesterday&to=2026-01-01T00:00:00Z".to_owned(), "from", "invalid_time"),
        ("/v1/audit/events?stream_id=42".to_owned(), "stream_id", "invalid_uuid"),
        ("/v1/audit/events".to_owned(), "from", "unbounded"),
        ("/v1/audit/events?event_type=BrandCreated&stream_type=brand".to_owned(), "from", "unbounded"),
        (format!("/v1/audit/events?stream_id={brand}&colour=red"), "colour", "unknown_parameter"),
        (format!("/v1/audit/widget/{brand}"), "stream_type", "unknown_stream_type"),
        (format!("/v1/audit/brand/{brand}?from_version=3&to_version=2"), "to_version", "inverted_range"),
        (format!("/v1/audit/brand/{brand}/state?version=1&position=1"), "at", "ambiguous"),
        (format!("/v1/audit/synonyms/{brand}/state?version=1"), "stream_type", "unknown_kind"),
        ("/v1/audit/export".to_owned(), "from", "unbounded"),
    ];
    for (path, field, code) in cases {
        let answer = app.get(&path).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "GET {path}: {answer:?}");
        assert!(answer.field_errors().contains(&(field.to_owned(), code.to_owned())), "GET {path}: {answer:?}");
    }
    for path in [
        format!("/v1/audit/brand/{}", Uuid::new_v4()),
        format!("/v1/audit/product/{brand}"),
        format!("/v1/audit/brand/{}/state?version=1", Uuid::new_v4()),
        format!("/v1/audit/brand/{brand}/state?version=2"),
        format!("/v1/audit/brand/{}/fields/name", Uuid::new_v4()),
    ] {
        let answer = app.get(&path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "GET {path}: {answer:?}");
    }
}

#[tokio::test]
async fn the_state_as_of_a_position_version_or_time_is_the_fold_of_the_prefix_then() {
    let app = TestApp::spawn().await;
    let cat = hex_bolts(&app).await;
    let specs = json!({"thread_size": "M8", "length": 10});
    let created = app.post("/v1/products", json!({"family_id": cat.family, "name": "Bolt", "specs": specs})).await;
    let id = created.id();
    let created_at = created.body["position"].as_i64().unwrap_or_default();
    let between = chrono::Utc::now();
    let renamed = app.patch(&format!("/v1/products/{id}"), json!({"name": "Bolt M8"})).await;
    assert_eq!(renamed.status, StatusCode::OK, "{renamed:?}");
    let lengthened = app.patch(&format!("/v1/products/{id}"), json!({"specs": {"length": 12}})).await;
    assert_eq!(lengthened.status, StatusCode::OK, "{lengthened:?}");

    let then = app.get(&format!("/v1/audit/product/{id}/state?position={}", created_at)).await;
    assert_eq!(then.status, StatusCode::OK, "{then:?}");
    assert_eq!(
        (then.body["state"]["kind"].as_str(), then.body["state"]["name"].as_str()),
        (Some("product"), Some("Bolt"))
    );
    assert_eq!((then.body["version"].as_i64(), then.body["event"]["type"].as_str()), (Some(1), Some("ProductCreated")));
    let second = app.get(&format!("/v1/audit/product/{id}/state?version=2")).await;
    assert_eq!(second.body["state"]["name"], "Bolt M8");
    assert_eq!(second.body["state"]["specs"]["length"]["value"], 10.0);
    let latest = app.get(&format!("/v1/audit/product/{id}/state?at={}", at(chrono::Utc::now()))).await;
    assert_eq!(
        (latest.body["version"].as_i64(), &latest.body["state"]["specs"]["length"]["value"]),
        (Some(3), &json!(12.0))
    );
    let current = app.get(&format!("/v1/audit/product/{id}/state")).await;
    assert_eq!((current.status, current.body["version"].as_i64()), (StatusCode::OK, Some(3)), "{current:?}");
    let at_between = app.get(&format!("/v1/audit/product/{id}/state?at={}", at(between))).await;
    assert_eq!(at_between.body["state"]["name"], "Bolt", "{at_between:?}");
    let before = app.get(&format!("/v1/audit/product/{id}/state?position={}", created_at - 1)).await;
    assert_eq!(before.status, StatusCode::NOT_FOUND, "{before:?}");
    assert!(before.body["detail"].as_str().is_some_and(|d| d.contains("did not exist yet")), "{before:?}");

    // Other kinds fold alike: a category renamed, a brand, a user (its hash redacted).
    let category = cat.hex_bolts;
    let first = app.get(&format!("/v1/audit/category/{category}/state?version=1")).await;
    let renamed = app.patch(&format!("/v1/categories/{category}"), json!({"name": "Hexagon bolts"})).await;
    assert_eq!(renamed.status, StatusCode::OK, "{renamed:?}");
    let now = app.get(&format!("/v1/audit/category/{category}/state?at={}", at(chrono::Utc::now()))).await;
    assert_eq!(
        (first.body["state"]["name"].as_str(), now.body["state"]["name"].as_str()),
        (Some("Hex bolts"), Some("Hexagon bolts"))
    );
    // The product priced after its rename: the price list's state before the entry has none.
    let list = app.post("/v1/price-lists", json!({"name": "Contract", "currency": "EUR"})).await;
    assert_eq!(list.status, StatusCode::CREATED, "{list:?}");
    let list = list.id();
    let entry = json!({"breaks": [{"min_quantity": 1, "amount_minor": 1299}]});
    let priced = app.put(&format!("/v1/price-lists/{list}/entries/{id}"), entry).await;
    assert_eq!(priced.status, StatusCode::OK, "{priced:?}");
    let unpriced = app.get(&format!("/v1/audit/price_list/{list}/state?version=1")).await;
    assert_eq!(unpriced.body["state"]["entries"], json!({}), "{unpriced:?}");
    let priced = app.get(&format!("/v1/audit/price_list/{list}/state?version=2")).await;
    assert_eq!(priced.body["state"]["entries"][id.to_string()][0]["unit_price"]["amount_minor"], 1299, "{priced:?}");
    let renamed_then = app.get(&format!("/v1/audit/product/{id}/state?position={}", created_at)).await;
    assert_eq!(renamed_then.body["state"]["name"], "Bolt", "the state before the rename keeps the old name");

    let brand = app.post("/v1/brands", json!({"name": "Acme"})).await.id();
    let brand_state = app.get(&format!("/v1/audit/brand/{brand}/state?version=1")).await;
    assert_eq!(brand_state.body["state"]["name"], "Acme");
    let admin = app.get(&format!("/v1/audit/user/{}/state?version=1", app.admin_id)).await;
    assert_eq!(admin.status, StatusCode::OK, "{admin:?}");
    assert_eq!(
        (admin.body["state"]["role"].as_str(), admin.body["state"]["password_hash"].as_str()),
        (Some("admin"), Some("[redacted]"))
    );
}

#[tokio::test]
async fn an_export_streams_the_events_with_a_signed_manifest_that_one_altered_byte_breaks() {
    let (signer, pem) = auth_tokens::AuditSigner::generate().unwrap_or_else(|e| panic!("{e}"));
    let mut config = test_config();
    config.audit.audit_signing_key = Some(pem);
    let app = TestApp::spawn_with(config).await;
    let started = chrono::Utc::now();
    for name in ["Acme", "Bosch", "Würth"] {
        assert_eq!(app.post("/v1/brands", json!({"name": name})).await.status, StatusCode::CREATED);
    }
    let query =
        format!("stream_type=brand&from={}&to={}", at(started), at(chrono::Utc::now() + chrono::Duration::seconds(1)));
    let response = app
        .client
        .get(format!("{}/v1/audit/export?{query}", app.base))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/x-ndjson"));
    let bytes = response.bytes().await.unwrap_or_else(|e| panic!("{e}")).to_vec();
    let text = String::from_utf8(bytes.clone()).unwrap_or_else(|e| panic!("{e}"));
    let lines: Vec<Value> =
        text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(lines[0]["payload"]["name"], "Acme");
    let manifest = &lines[3]["manifest"];
    assert_eq!(manifest["event_count"], 3);
    assert_eq!(manifest["first_position"], lines[0]["position"]);
    assert_eq!(manifest["last_position"], lines[2]["position"]);
    assert_eq!(manifest["key_id"], signer.key_id());
    assert_eq!(manifest["filter"]["stream_type"], "brand");

    let checked = command_api::audit_manifest::check(&bytes, signer.public_key()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(checked.event_count, 3);
    // One byte of an event, then one byte of the manifest: each breaks the export.
    let name_at = text.find("Bosch").unwrap_or_default();
    let mut altered = bytes.clone();
    altered[name_at] = b'b';
    assert!(command_api::audit_manifest::check(&altered, signer.public_key()).is_err());
    let generated_at = text.rfind("\"generated_at\":\"").unwrap_or_default() + 16;
    let mut altered = bytes.clone();
    altered[generated_at + 3] = if altered[generated_at + 3] == b'1' { b'2' } else { b'1' };
    assert_eq!(
        command_api::audit_manifest::check(&altered, signer.public_key()),
        Err(command_api::audit_manifest::CheckError::BadSignature)
    );
    let (other, _) = auth_tokens::AuditSigner::generate().unwrap_or_else(|e| panic!("{e}"));
    assert!(command_api::audit_manifest::check(&bytes, other.public_key()).is_err());
}
