//! The audit trail: every event carries who, which request, which correlation, when, and change
//! events carry their diff.

use event_store::EventFilter;
use integration_tests::{hex_bolts, TestApp};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn events_carry_the_actor_request_correlation_and_time() {
    let app = TestApp::spawn().await;
    let cat = hex_bolts(&app).await;
    let correlation = Uuid::new_v4();
    let causation = Uuid::new_v4();
    let before = chrono::Utc::now();
    let create = |request_id: &'static str, body: serde_json::Value| {
        TestApp::answer(
            app.client
                .post(format!("{}/v1/products", app.base))
                .bearer_auth(&app.token)
                .header("x-request-id", request_id)
                .header("x-correlation-id", correlation.to_string())
                .header("x-causation-id", causation.to_string())
                .json(&body),
        )
    };
    let specs = json!({"thread_size": "M8", "length": 10});
    let created = create(
        "req-audit-1",
        json!({"family_id": cat.family, "name": "Audited", "specs": specs, "actor_id": "mallory"}),
    )
    .await;
    // The actor comes from the token, never from the body: a body naming one is refused.
    assert_eq!(created.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(created.field_errors(), [("actor_id".to_owned(), "unknown_field".to_owned())]);

    let created = create("req-audit-2", json!({"family_id": cat.family, "name": "Audited", "specs": specs})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    assert_eq!(created.header("x-request-id"), Some("req-audit-2"));

    let trail = app.get(&format!("/v1/streams/{}/events", created.id())).await;
    assert_eq!(trail.status, StatusCode::OK);
    let event = &trail.body[0];
    assert_eq!(event["event_type"], "ProductCreated");
    assert_eq!(event["schema_version"], 1);
    assert_eq!(event["actor_id"], app.admin_id.to_string());
    assert_eq!(event["actor_role"], "admin");
    assert_eq!(event["request_id"], "req-audit-2");
    assert_eq!(event["correlation_id"], correlation.to_string());
    assert_eq!(event["causation_id"], causation.to_string());
    assert_eq!(event["stream_type"], "product");
    assert_eq!(event["version"], 1);
    let recorded: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(event["recorded_at"].clone()).unwrap_or_else(|e| panic!("{e}"));
    assert!(recorded >= before && recorded <= chrono::Utc::now());

    let no_token = app.send(reqwest::Method::GET, &format!("/v1/streams/{}/events", created.id()), None, None).await;
    assert_eq!(no_token.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn updates_carry_their_diff_and_null_removes_a_spec() {
    let app = TestApp::spawn().await;
    let cat = hex_bolts(&app).await;
    let created = app
        .post(
            "/v1/products",
            json!({"family_id": cat.family, "name": "Bolt", "specs": {"thread_size": "M8", "length": 10, "material": "A2"}}),
        )
        .await;
    let id = created.id();
    let updated = app
        .patch(
            &format!("/v1/products/{id}"),
            json!({"name": "Bolt M8x12", "specs": {"length": 12, "material": null}, "expected_version": 1}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{updated:?}");
    assert_eq!(updated.body["version"], 2);
    assert!(updated.body["specs"].get("material").is_none());
    assert_eq!(updated.body["specs"]["length"]["value"], 12.0);
    assert_eq!(updated.body["sku"], created.body["sku"], "a SKU never changes");

    let trail = app.get(&format!("/v1/streams/{id}/events")).await;
    let changes = &trail.body[1]["payload"]["changes"];
    assert_eq!(trail.body[1]["event_type"], "ProductUpdated");
    assert_eq!(changes["name"], json!({"from": "Bolt", "to": "Bolt M8x12"}));
    assert_eq!(changes["specs.length"]["from"]["value"], 10.0);
    assert_eq!(changes["specs.length"]["to"]["value"], 12.0);
    assert_eq!(changes["specs.material"], json!({"from": "A2", "to": null}));
    assert_eq!(
        changes["variant_key"],
        json!({"from": "thread_size=m8|length=10|material=a2", "to": "thread_size=m8|length=12|material=-"})
    );

    // An update that changes nothing appends nothing and answers where the product stands.
    let count = app.event_count().await;
    let same = app.patch(&format!("/v1/products/{id}"), json!({"name": "Bolt M8x12"})).await;
    assert_eq!(same.status, StatusCode::OK);
    assert_eq!(same.body["position"], updated.body["position"]);
    assert_eq!(app.event_count().await, count);
}

#[tokio::test]
async fn a_product_made_invalid_by_a_schema_change_stays_until_its_next_update() {
    let app = TestApp::spawn().await;
    let cat = hex_bolts(&app).await;
    let created = app
        .post(
            "/v1/products",
            json!({"family_id": cat.family, "name": "Old", "specs": {"thread_size": "M8", "length": 10}}),
        )
        .await;
    let id = created.id();
    app.attribute(cat.hex_bolts, "grade", json!({"label": "Grade", "type": "text", "required": true})).await;
    let product_events = app.count_events(EventFilter::all().stream(id)).await;
    assert_eq!(product_events, 1, "the schema change did not rewrite the product");
    let rename = app.patch(&format!("/v1/products/{id}"), json!({"name": "Old bolt"})).await;
    assert_eq!(rename.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(rename.field_errors(), [("specs.grade".to_owned(), "required".to_owned())]);
    let fixed = app.patch(&format!("/v1/products/{id}"), json!({"name": "Old bolt", "specs": {"grade": "8.8"}})).await;
    assert_eq!(fixed.status, StatusCode::OK, "{fixed:?}");
}

#[tokio::test]
async fn a_streams_trail_is_read_by_ops_and_auditors_and_refused_to_buyers() {
    use integration_tests::commerce::{issue, PASSWORD};
    let app = TestApp::spawn().await;
    let brand = app.post("/v1/brands", json!({"name": "Acme"})).await.id();
    let path = format!("/v1/streams/{brand}/events");
    for role in ["ops", "auditor"] {
        let email = format!("{role}@ferrule.test");
        let created = app.post("/v1/users", json!({"email": email, "password": PASSWORD, "role": role})).await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        let login = app.login(&email, PASSWORD).await;
        let token = login.body["access_token"].as_str().unwrap_or_default().to_owned();
        let trail = app.send(reqwest::Method::GET, &path, None, Some(&token)).await;
        assert_eq!(trail.status, StatusCode::OK, "{role}: {trail:?}");
        assert_eq!(trail.body[0]["event_type"], "BrandCreated");
    }
    let buyer = issue(&app, Uuid::new_v4(), "buyer", Some(Uuid::new_v4()));
    let refused = app.send(reqwest::Method::GET, &path, None, Some(&buyer)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");
}
