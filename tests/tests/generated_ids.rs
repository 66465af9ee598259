//! Generated identifiers, through the command API: SKUs of a family without variant-defining
//! attributes and family codes derived from names never collide, and a SKU, once generated, is
//! never generated again.

use std::collections::BTreeSet;

use integration_tests::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

/// Fasteners > Washers, a leaf whose only attribute (material) is not variant-defining.
async fn washers(app: &TestApp) -> Uuid {
    let fasteners = app.category("Fasteners", None).await;
    let washers = app.category("Washers", Some(fasteners)).await;
    app.attribute(
        washers,
        "material",
        json!({"label": "Material", "type": "select", "options": ["steel", "A2", "A4"]}),
    )
    .await;
    washers
}

async fn family(app: &TestApp, category: Uuid, name: &str) -> Value {
    let answer = app.post("/v1/families", json!({"category_id": category, "name": name})).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{name}: {answer:?}");
    answer.body
}

/// CODE-XXXXXX-XXXXXX, the two groups in Crockford's base 32.
fn is_generated(sku: &str, code: &str) -> bool {
    let Some(rest) = sku.strip_prefix(code).and_then(|r| r.strip_prefix('-')) else { return false };
    let groups: Vec<&str> = rest.split('-').collect();
    groups.len() == 2
        && groups.iter().all(|g| g.len() == 6 && g.chars().all(|c| "0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(c)))
}

#[tokio::test]
async fn products_created_back_to_back_in_a_family_without_variant_attributes_get_distinct_skus() {
    let app = TestApp::spawn().await;
    let washers = washers(&app).await;
    let family = family(&app, washers, "Gear probe 1").await;
    assert_eq!(family["code"], "GEARPROBE1");
    let mut skus = BTreeSet::new();
    for n in 0..20 {
        let answer = app
            .post(
                "/v1/products",
                json!({"family_id": family["id"], "name": format!("Probe {n}"), "specs": {"material": "A4"}}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "product {n}: {answer:?}");
        let sku = answer.body["sku"].as_str().unwrap_or_default().to_owned();
        assert!(is_generated(&sku, "GEARPROBE1"), "product {n} got {sku}");
        assert!(skus.insert(sku.clone()), "product {n} got {sku} again");
    }
    assert_eq!(skus.len(), 20);
}

#[tokio::test]
async fn families_whose_names_share_a_long_prefix_get_distinct_codes() {
    let app = TestApp::spawn().await;
    let washers = washers(&app).await;
    let names = [
        "Socket head cap screw DIN 912",
        "Socket head cap screw ISO 4762",
        "Socket head cap screw DIN 912 A2",
        "Socket head cap screw, steel",
        "Socket head cap screw, stainless",
        "Socket head cap screw, special",
        "Socket head cap screws DIN 912",
        "Socket head cap screw - DIN 912",
        "Socket head cap screw, low head",
        "Socket head cap screw, long head",
    ];
    let mut codes = Vec::new();
    for name in names {
        codes.push(family(&app, washers, name).await["code"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(
        codes,
        [
            "SHCSDIN912",
            "SHCSISO4762",
            "SHCSDIN912A2",
            "SHCSS",
            "SHCSS2",
            "SHCSS3",
            "SHCSDIN912B",
            "SHCSDIN912C",
            "SHCSLH",
            "SHCSLH2"
        ]
    );
    // A code given explicitly is used as given: a taken one is refused.
    let taken = app.post("/v1/families", json!({"category_id": washers, "name": "Screws", "code": "SHCSS2"})).await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{taken:?}");
    // The same name again takes the next free code.
    assert_eq!(family(&app, washers, "Socket head cap screw, steel").await["code"], "SHCSS4");
}

#[tokio::test]
async fn an_update_keeps_the_generated_sku() {
    let app = TestApp::spawn().await;
    let washers = washers(&app).await;
    let family = family(&app, washers, "DIN 125").await;
    let created = app
        .post("/v1/products", json!({"family_id": family["id"], "name": "Washer", "specs": {"material": "A2"}}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let sku = created.body["sku"].clone();
    let path = format!("/v1/products/{}", created.id());
    let updated = app.patch(&path, json!({"name": "Washer, large", "specs": {"material": "A4"}})).await;
    assert_eq!(updated.status, StatusCode::OK, "{updated:?}");
    assert_eq!((&updated.body["sku"], &updated.body["name"]), (&sku, &json!("Washer, large")));
    // The update's event changes the name and material only; the SKU is the created event's.
    let again = app.patch(&path, json!({"specs": {"material": "steel"}})).await;
    assert_eq!(again.body["sku"], sku, "{again:?}");
    let events: Vec<Value> = app.stream_events(created.id()).await.into_iter().map(|e| e.payload).collect();
    assert_eq!(events.len(), 3);
    assert_eq!(events[0]["sku"], sku);
    for update in &events[1..] {
        let changed: Vec<&String> = update["changes"].as_object().map(|c| c.keys().collect()).unwrap_or_default();
        assert!(changed.iter().all(|k| !k.contains("sku")), "{update}");
    }
}
