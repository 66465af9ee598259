//! The README's walk-through over HTTP against the real PostgreSQL.

use event_store::EventFilter;
use integration_tests::{hex_bolts, TestApp};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_walk_through_builds_a_catalog_and_validates_products() {
    let app = TestApp::spawn().await;
    let cat = hex_bolts(&app).await;

    let valid = app
        .post(
            "/v1/products",
            json!({"family_id": cat.family, "name": "Hex bolt M12x50 A4",
                   "specs": {"thread_size": "M12", "length": 50, "material": "A4"}}),
        )
        .await;
    assert_eq!(valid.status, StatusCode::CREATED, "{valid:?}");
    assert_eq!(valid.body["sku"], "HB933-M12-50-A4");
    assert_eq!(valid.body["version"], 1);
    let position = valid.body["position"].as_i64().unwrap_or_default();
    assert!(position > 0);
    assert_eq!(valid.header("x-position"), Some(position.to_string().as_str()));

    let five_bad = app
        .post(
            "/v1/products",
            json!({"family_id": cat.family, "name": "Bad bolt",
                   "specs": {"thread_size": "M13", "length": 5000, "material": "steel 8.8",
                             "colour": "red", "weight": {"value": 1, "unit": "kg"}}}),
        )
        .await;
    assert_eq!(five_bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{five_bad:?}");
    assert_eq!(five_bad.header("content-type"), Some("application/problem+json"));
    assert_eq!(
        five_bad.field_errors(),
        [
            ("specs.colour".to_owned(), "unknown_attribute".to_owned()),
            ("specs.length".to_owned(), "above_maximum".to_owned()),
            ("specs.material".to_owned(), "invalid_option".to_owned()),
            ("specs.thread_size".to_owned(), "invalid_option".to_owned()),
            ("specs.weight".to_owned(), "unknown_attribute".to_owned()),
        ]
    );

    let inches = app
        .post(
            "/v1/products",
            json!({"family_id": cat.family, "name": "Hex bolt M12x2in A2",
                   "specs": {"thread_size": "M12", "length": {"value": 2, "unit": "in"}, "material": "A2"}}),
        )
        .await;
    assert_eq!(inches.status, StatusCode::CREATED, "{inches:?}");
    let length = &inches.body["specs"]["length"];
    assert_eq!(length["value"], 2.0);
    assert_eq!(length["unit"], "in");
    assert_eq!(length["base_value"], 50.8);
    assert_eq!(length["base_unit"], "mm");
    assert_eq!(inches.body["sku"], "HB933-M12-50.8-A2");

    // What the API answered is what the store holds: the event's payload carries the same specs.
    let created = app.events(EventFilter::all().stream(inches.id()).event_type("ProductCreated")).await;
    let stored = created.first().map(|e| e.payload.clone()).unwrap_or_else(|| panic!("no ProductCreated"));
    assert_eq!(stored["specs"]["length"]["base_value"], 50.8);
}

#[tokio::test]
async fn a_family_override_replaces_the_inherited_options() {
    let app = TestApp::spawn().await;
    let cat = hex_bolts(&app).await;
    let steel = app
        .post(
            "/v1/products",
            json!({"family_id": cat.family, "name": "Steel bolt", "specs": {"thread_size": "M8", "length": 20, "material": "steel 8.8"}}),
        )
        .await;
    assert_eq!(steel.status, StatusCode::UNPROCESSABLE_ENTITY, "{steel:?}");
    assert_eq!(steel.field_errors(), [("specs.material".to_owned(), "invalid_option".to_owned())]);
}
