//! The category tree over HTTP: clusters, nodes and leaves, moves that rewrite paths, cycles.

use domain::format_path;
use event_store::EventFilter;
use integration_tests::{hex_bolts, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

async fn snapshot(app: &TestApp, id: Uuid) -> Value {
    app.snapshot(id).await.unwrap_or_else(|| panic!("stream {id} has no head"))
}

async fn path_of(app: &TestApp, id: Uuid) -> Vec<Uuid> {
    serde_json::from_value(snapshot(app, id).await["path"].clone()).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn moving_a_node_rewrites_every_descendants_path() {
    let app = TestApp::spawn().await;
    let cat = hex_bolts(&app).await;
    let carriage = app.category("Carriage bolts", Some(cat.bolts)).await;
    let hardware = app.category("Hardware", None).await;

    let moved = app.patch(&format!("/v1/categories/{}", cat.bolts), json!({"parent_id": hardware})).await;
    assert_eq!(moved.status, StatusCode::OK, "{moved:?}");
    assert_eq!(moved.body["path"], format_path(&[hardware, cat.bolts]));

    assert_eq!(path_of(&app, cat.hex_bolts).await, [hardware, cat.bolts, cat.hex_bolts]);
    assert_eq!(path_of(&app, carriage).await, [hardware, cat.bolts, carriage]);
    assert_eq!(path_of(&app, cat.fasteners).await, [cat.fasteners]);

    // One command, one transaction: the move and each descendant's new path, in that order.
    let last = moved.body["position"].as_i64().unwrap_or_default();
    let events: Vec<(String, Uuid, String)> = app
        .events(EventFilter::all().after(last - 3))
        .await
        .into_iter()
        .filter(|e| e.position <= last)
        .map(|e| (e.event_type, e.stream_id, e.request_id))
        .collect();
    let kinds: Vec<&str> = events.iter().map(|(t, _, _)| t.as_str()).collect();
    assert_eq!(kinds, ["CategoryMoved", "CategoryPathChanged", "CategoryPathChanged"]);
    assert!(events.iter().all(|(_, _, r)| *r == events[0].2));

    // The moved subtree keeps its schema: products still validate against the inherited attributes.
    let product = app
        .post("/v1/products", json!({"family_id": cat.family, "name": "Bolt", "specs": {"thread_size": "M6", "length": 10, "material": "A2"}}))
        .await;
    assert_eq!(product.status, StatusCode::CREATED, "{product:?}");
}

#[tokio::test]
async fn a_category_cannot_move_under_itself_or_its_descendants() {
    let app = TestApp::spawn().await;
    let cat = hex_bolts(&app).await;
    let itself = app.patch(&format!("/v1/categories/{}", cat.bolts), json!({"parent_id": cat.bolts})).await;
    assert_eq!(itself.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(itself.field_errors(), [("parent_id".to_owned(), "cycle".to_owned())]);
    let node = app.category("Special", Some(cat.bolts)).await;
    let below = app.patch(&format!("/v1/categories/{}", cat.fasteners), json!({"parent_id": node})).await;
    assert_eq!(below.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(below.field_errors(), [("parent_id".to_owned(), "cycle".to_owned())]);
}

#[tokio::test]
async fn leaves_hold_families_and_clusters_do_not() {
    let app = TestApp::spawn().await;
    let cat = hex_bolts(&app).await;
    // Hex bolts holds a family: it is a leaf and takes no child category, not even by a move.
    let child = app.post("/v1/categories", json!({"name": "Tiny", "parent_id": cat.hex_bolts})).await;
    assert_eq!(child.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(child.field_errors(), [("parent_id".to_owned(), "leaf_category".to_owned())]);
    let other = app.category("Washers", Some(cat.fasteners)).await;
    let moved = app.patch(&format!("/v1/categories/{other}"), json!({"parent_id": cat.hex_bolts})).await;
    assert_eq!(moved.field_errors(), [("parent_id".to_owned(), "leaf_category".to_owned())]);

    // Families go in leaves: not in a cluster, not in a node with children.
    let in_cluster = app.post("/v1/families", json!({"category_id": cat.fasteners, "name": "Loose"})).await;
    assert_eq!(in_cluster.field_errors(), [("category_id".to_owned(), "not_a_leaf".to_owned())]);
    let in_node = app.post("/v1/families", json!({"category_id": cat.bolts, "name": "Loose"})).await;
    assert_eq!(in_node.field_errors(), [("category_id".to_owned(), "not_a_leaf".to_owned())]);

    // A leaf with families cannot become a root, and cannot be retired.
    let to_root = app.patch(&format!("/v1/categories/{}", cat.hex_bolts), json!({"parent_id": null})).await;
    assert_eq!(to_root.field_errors(), [("parent_id".to_owned(), "cluster_with_families".to_owned())]);
    let retire = app.post(&format!("/v1/categories/{}/retire", cat.hex_bolts), json!({})).await;
    assert_eq!(retire.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn siblings_have_distinct_names_and_renames_keep_the_path() {
    let app = TestApp::spawn().await;
    let root = app.category("Bearings", None).await;
    let first = app.category("Ball bearings", Some(root)).await;
    let twin = app.post("/v1/categories", json!({"name": "ball BEARINGS", "parent_id": root})).await;
    assert_eq!(twin.status, StatusCode::CONFLICT);
    let renamed = app
        .patch(&format!("/v1/categories/{first}"), json!({"name": "Deep groove ball bearings", "expected_version": 1}))
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{renamed:?}");
    assert_eq!(renamed.body["name"], "Deep groove ball bearings");
    assert_eq!(renamed.body["version"], 2);
    assert_eq!(renamed.body["path"], format_path(&[root, first]));
    let stale = app.patch(&format!("/v1/categories/{first}"), json!({"name": "Other", "expected_version": 1})).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn attribute_definitions_inherit_and_can_be_replaced_and_removed() {
    let app = TestApp::spawn().await;
    let cat = hex_bolts(&app).await;
    // A definition on the cluster reaches the family's products.
    app.attribute(
        cat.fasteners,
        "finish",
        json!({"label": "Finish", "type": "select", "options": ["zinc", "plain"], "required": true}),
    )
    .await;
    let missing = app
        .post(
            "/v1/products",
            json!({"family_id": cat.family, "name": "B", "specs": {"thread_size": "M6", "length": 10}}),
        )
        .await;
    assert_eq!(missing.field_errors(), [("specs.finish".to_owned(), "required".to_owned())]);

    let replaced = app
        .put(
            &format!("/v1/categories/{}/attributes/finish", cat.fasteners),
            json!({"label": "Finish", "type": "select", "options": ["zinc", "plain"]}),
        )
        .await;
    assert_eq!(replaced.status, StatusCode::OK, "replacing answers 200: {replaced:?}");
    let ok = app
        .post(
            "/v1/products",
            json!({"family_id": cat.family, "name": "B", "specs": {"thread_size": "M6", "length": 10}}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{ok:?}");

    let removed = app.delete(&format!("/v1/categories/{}/attributes/finish", cat.fasteners)).await;
    assert_eq!(removed.status, StatusCode::OK);
    assert_eq!(removed.body["attribute"], Value::Null);
    let unknown_now = app
        .post("/v1/products", json!({"family_id": cat.family, "name": "C", "specs": {"thread_size": "M8", "length": 10, "finish": "zinc"}}))
        .await;
    assert_eq!(unknown_now.field_errors(), [("specs.finish".to_owned(), "unknown_attribute".to_owned())]);
}

#[tokio::test]
async fn putting_an_attribute_exactly_as_it_stands_changes_nothing_and_answers_200() {
    let app = TestApp::spawn().await;
    let fasteners = app.category("Fasteners", None).await;
    let thread = json!({"label": "Thread size", "type": "select", "options": ["M6", "M8"]});
    let path = format!("/v1/categories/{fasteners}/attributes/thread_size");
    let first = app.put(&path, thread.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    let events = app.event_count().await;
    let again = app.put(&path, thread).await;
    assert_eq!(again.status, StatusCode::OK, "{again:?}");
    assert_eq!(again.body["position"], first.body["position"]);
    assert_eq!(app.event_count().await, events);
}
