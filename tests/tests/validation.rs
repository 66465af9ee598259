//! Every validation rule, over HTTP: each bad input is refused with the right status and field
//! codes, and a refused command appends nothing.

use integration_tests::{hex_bolts, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

async fn refused(app: &TestApp, family: Uuid, specs: Value) -> Vec<(String, String)> {
    let before = app.event_count().await;
    let answer = app.post("/v1/products", json!({"family_id": family, "name": "Probe", "specs": specs})).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{answer:?}");
    assert_eq!(app.event_count().await, before, "a refused command appended events");
    answer.field_errors()
}

fn codes(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(f, c)| ((*f).to_owned(), (*c).to_owned())).collect()
}

#[tokio::test]
async fn product_specs_are_checked_against_every_rule() {
    let app = TestApp::spawn().await;
    let cat = hex_bolts(&app).await;
    app.attribute(cat.hex_bolts, "drive", json!({"label": "Drive", "type": "text", "regex": "[A-Z]{2}[0-9]{1,2}"}))
        .await;
    app.attribute(cat.hex_bolts, "coated", json!({"label": "Coated", "type": "boolean"})).await;
    app.attribute(
        cat.hex_bolts,
        "standards",
        json!({"label": "Standards", "type": "multi_select", "options": ["DIN", "ISO", "ANSI"]}),
    )
    .await;
    app.attribute(cat.hex_bolts, "pack", json!({"label": "Pack size", "type": "number", "min": 1})).await;
    let family = cat.family;

    assert_eq!(refused(&app, family, json!({"length": 10})).await, codes(&[("specs.thread_size", "required")]));
    let base = |extra: Value| {
        let mut specs = json!({"thread_size": "M8"});
        if let (Some(map), Value::Object(more)) = (specs.as_object_mut(), extra) {
            map.extend(more);
        }
        specs
    };
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({"length": "long"}), "specs.length", "invalid_type"),
        (json!({"length": {"value": 10, "unit": "furlong"}}), "specs.length", "unknown_unit"),
        (json!({"length": {"value": 10, "unit": "V"}}), "specs.length", "wrong_unit_family"),
        (json!({"length": 0.5}), "specs.length", "below_minimum"),
        (json!({"length": {"value": 40, "unit": "in"}}), "specs.length", "above_maximum"),
        (json!({"pack": {"value": 10, "unit": "mm"}}), "specs.pack", "unexpected_unit"),
        (json!({"drive": "hex"}), "specs.drive", "pattern_mismatch"),
        (json!({"coated": "yes"}), "specs.coated", "invalid_type"),
        (json!({"standards": ["DIN", "DIN"]}), "specs.standards", "duplicate_option"),
        (json!({"standards": ["JIS"]}), "specs.standards", "invalid_option"),
        (json!({"material": "brass"}), "specs.material", "invalid_option"),
        (json!({"size": "XL"}), "specs.size", "unknown_attribute"),
    ];
    for (extra, field, code) in cases {
        let specs = base(extra.clone());
        assert_eq!(refused(&app, family, specs).await, codes(&[(field, code)]), "for {extra}");
    }

    // Within bounds once normalized: 39 in = 990.6 mm is below the 1000 mm maximum.
    let ok = app
        .post(
            "/v1/products",
            json!({"family_id": family, "name": "Long bolt",
                   "specs": {"thread_size": "m16", "length": {"value": 39, "unit": "in"}, "drive": "TX40",
                             "coated": true, "standards": ["ISO", "DIN"], "pack": 100, "material": "a4"}}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{ok:?}");
    assert_eq!(ok.body["specs"]["thread_size"], "M16", "options are stored as defined");
    assert_eq!(ok.body["specs"]["material"], "A4");
    assert_eq!(ok.body["specs"]["length"]["base_value"], 990.6);
}

#[tokio::test]
async fn bad_requests_get_the_documented_statuses() {
    let app = TestApp::spawn().await;
    let cat = hex_bolts(&app).await;
    let before = app.event_count().await;

    let malformed = TestApp::answer(
        app.client
            .post(format!("{}/v1/products", app.base))
            .bearer_auth(&app.token)
            .header("content-type", "application/json")
            .body("{\"family_id\": "),
    )
    .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.header("content-type"), Some("application/problem+json"));
    assert_eq!(malformed.body["status"], 400);

    let wrong_types = app.post("/v1/products", json!({"family_id": 5, "name": 7, "specs": [], "colour": "red"})).await;
    assert_eq!(wrong_types.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = wrong_types.field_errors().into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["colour", "family_id", "name", "specs"]);

    let missing = app.post("/v1/categories", json!({})).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.field_errors(), [("name".to_owned(), "missing_field".to_owned())]);

    let unknown_family = app.post("/v1/products", json!({"family_id": Uuid::new_v4(), "name": "x", "specs": {}})).await;
    assert_eq!(unknown_family.status, StatusCode::NOT_FOUND, "{unknown_family:?}");
    let unknown_product = app.patch(&format!("/v1/products/{}", Uuid::new_v4()), json!({"name": "x"})).await;
    assert_eq!(unknown_product.status, StatusCode::NOT_FOUND);
    let not_an_id = app.patch("/v1/products/not-a-uuid", json!({"name": "x"})).await;
    assert_eq!(not_an_id.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_an_id.field_errors(), [("id".to_owned(), "invalid_uuid".to_owned())]);
    let unknown_parent = app.post("/v1/categories", json!({"name": "Orphan", "parent_id": Uuid::new_v4()})).await;
    assert_eq!(unknown_parent.status, StatusCode::NOT_FOUND);
    let unknown_attribute = app.delete(&format!("/v1/categories/{}/attributes/nothing_here", cat.hex_bolts)).await;
    assert_eq!(unknown_attribute.status, StatusCode::NOT_FOUND);

    let huge = "x".repeat(100 * 1024);
    let too_large = app.post("/v1/categories", json!({ "name": huge })).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.header("content-type"), Some("application/problem+json"));

    let no_token = app.send(Method::POST, "/v1/brands", Some(json!({"name": "Acme"})), None).await;
    assert_eq!(no_token.status, StatusCode::UNAUTHORIZED);
    let wrong_token = app.send(Method::POST, "/v1/brands", Some(json!({"name": "Acme"})), Some("not-the-token")).await;
    assert_eq!(wrong_token.status, StatusCode::UNAUTHORIZED);

    let bad_definition = app
        .put(&format!("/v1/categories/{}/attributes/Bad-Key", cat.hex_bolts), json!({"label": "x", "type": "select"}))
        .await;
    assert_eq!(bad_definition.status, StatusCode::UNPROCESSABLE_ENTITY);
    let override_type = app
        .put(&format!("/v1/families/{}/attributes/length", cat.family), json!({"label": "Length", "type": "text"}))
        .await;
    assert_eq!(override_type.field_errors(), [("type".to_owned(), "override_type_mismatch".to_owned())]);

    assert_eq!(app.event_count().await, before, "refused commands appended events");
    for answer in [&malformed, &wrong_types, &unknown_family, &too_large, &no_token] {
        assert!(answer.header("x-request-id").is_some_and(|id| !id.is_empty()), "{answer:?}");
    }
}

#[tokio::test]
async fn skus_and_variant_combinations_are_unique() {
    let app = TestApp::spawn().await;
    let cat = hex_bolts(&app).await;
    let specs = json!({"thread_size": "M10", "length": 30, "material": "A2"});
    let first = app.post("/v1/products", json!({"family_id": cat.family, "name": "One", "specs": specs})).await;
    assert_eq!(first.status, StatusCode::CREATED);

    let same_variant = app
        .post("/v1/products", json!({"family_id": cat.family, "name": "Two", "sku": "OTHER-1", "specs": specs}))
        .await;
    assert_eq!(same_variant.status, StatusCode::CONFLICT, "{same_variant:?}");
    assert_eq!(same_variant.field_errors(), [("specs".to_owned(), "duplicate".to_owned())]);

    // 30 mm given as 3 cm is the same variant.
    let same_in_cm = app
        .post(
            "/v1/products",
            json!({"family_id": cat.family, "name": "Three", "sku": "OTHER-2",
                   "specs": {"thread_size": "M10", "length": {"value": 3, "unit": "cm"}, "material": "A2"}}),
        )
        .await;
    assert_eq!(same_in_cm.status, StatusCode::CONFLICT);

    let same_sku = app
        .post(
            "/v1/products",
            json!({"family_id": cat.family, "name": "Four", "sku": "hb933-m10-30-a2",
                   "specs": {"thread_size": "M10", "length": 35, "material": "A2"}}),
        )
        .await;
    assert_eq!(same_sku.status, StatusCode::CONFLICT);
    assert_eq!(same_sku.field_errors(), [("sku".to_owned(), "duplicate".to_owned())]);

    // Retiring a product frees its variant combination, never its SKU.
    let retired = app.post(&format!("/v1/products/{}/retire", first.id()), json!({})).await;
    assert_eq!(retired.status, StatusCode::OK, "{retired:?}");
    let again = app
        .post("/v1/products", json!({"family_id": cat.family, "name": "Again", "sku": "NEW-1", "specs": specs}))
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{again:?}");
}
