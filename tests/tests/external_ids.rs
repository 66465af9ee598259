//! External ids and upserts through the real services: `PUT …/by-external-id/{external_id}`
//! creates, updates, or appends nothing and says so; an external id is unique per kind, checked
//! with a code, and shown and found by the query API.

use event_store::{EventFilter, EventStore};
use integration_tests::pipeline::Pipeline;
use integration_tests::{hex_bolts, Answer, HexBolts, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

/// "MAT/4711 A" percent-encoded: a slash and a space, as ERP keys have them.
const MAT_4711: &str = "MAT%2F4711%20A";

async fn stream_events(app: &TestApp, id: Uuid) -> i64 {
    app.count_events(EventFilter::all().stream(id)).await
}

fn bolt(cat: &HexBolts, name: &str, specs: Value) -> Value {
    json!({"family_id": cat.family, "name": name, "specs": specs})
}

fn m12_50_a4() -> Value {
    json!({"thread_size": "M12", "length": 50, "material": "A4"})
}

async fn upsert_product(app: &TestApp, external_id: &str, body: Value) -> Answer {
    app.put(&format!("/v1/products/by-external-id/{external_id}"), body).await
}

#[tokio::test]
async fn a_product_upsert_creates_then_appends_nothing_for_the_same_row_then_updates_a_changed_one() {
    let app = TestApp::spawn().await;
    let cat = hex_bolts(&app).await;

    let created = upsert_product(&app, MAT_4711, bolt(&cat, "Hex bolt M12x50", m12_50_a4())).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    assert_eq!(created.body["outcome"], "created");
    assert_eq!(created.body["external_id"], "MAT/4711 A");
    let id = created.id();
    assert_eq!(created.header("location"), Some(format!("/v1/products/{id}").as_str()));
    assert_eq!(stream_events(&app, id).await, 1);

    let before = app.event_count().await;
    let again = upsert_product(&app, MAT_4711, bolt(&cat, "Hex bolt M12x50", m12_50_a4())).await;
    assert_eq!(again.status, StatusCode::OK, "{again:?}");
    assert_eq!((again.body["outcome"].as_str(), again.id()), (Some("unchanged"), id));
    assert_eq!(again.body["position"], created.body["position"], "{again:?}");
    assert_eq!(app.event_count().await, before, "an unchanged upsert appends nothing");
    // Specs left out keep their values, as a PATCH merges them.
    let fewer = upsert_product(&app, MAT_4711, bolt(&cat, "Hex bolt M12x50", json!({"thread_size": "M12"}))).await;
    assert_eq!(fewer.body["outcome"], "unchanged", "{fewer:?}");
    assert_eq!(app.event_count().await, before);

    let changed = upsert_product(&app, MAT_4711, bolt(&cat, "Hex bolt M12x50 A2", json!({"material": "A2"}))).await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:?}");
    assert_eq!((changed.body["outcome"].as_str(), changed.id()), (Some("updated"), id));
    assert_eq!(
        (changed.body["name"].as_str(), changed.body["version"].as_i64()),
        (Some("Hex bolt M12x50 A2"), Some(2))
    );
    assert_eq!(stream_events(&app, id).await, 2);
    let history = app.get(&format!("/v1/streams/{id}/events")).await;
    assert_eq!(history.status, StatusCode::OK, "{history:?}");
    assert!(history.body.to_string().contains("ProductUpdated"), "{history:?}");

    // What an update cannot change is refused, naming the field.
    let sku = upsert_product(&app, MAT_4711, json!({"family_id": cat.family, "name": "x", "sku": "OTHER-1"})).await;
    assert_eq!(sku.status, StatusCode::CONFLICT, "{sku:?}");
    assert_eq!(sku.field_errors(), [("sku".to_owned(), "unchangeable".to_owned())]);
    let other =
        app.post("/v1/families", json!({"category_id": cat.hex_bolts, "name": "DIN 931", "code": "HB931"})).await;
    let moved = upsert_product(&app, MAT_4711, json!({"family_id": other.id(), "name": "x"})).await;
    assert_eq!(moved.status, StatusCode::CONFLICT, "{moved:?}");
    assert_eq!(moved.field_errors(), [("family_id".to_owned(), "unchangeable".to_owned())]);
    assert_eq!(stream_events(&app, id).await, 2);
}

#[tokio::test]
async fn categories_brands_and_families_upsert_by_external_id_and_say_what_they_did() {
    let app = TestApp::spawn().await;
    let root = app.put("/v1/categories/by-external-id/C-1", json!({"name": "Fasteners"})).await;
    assert_eq!((root.status, root.body["outcome"].as_str()), (StatusCode::CREATED, Some("created")), "{root:?}");
    let leaf_body = json!({"name": "Hex bolts", "parent_id": root.id()});
    let leaf = app.put("/v1/categories/by-external-id/C-2", leaf_body.clone()).await;
    assert_eq!(leaf.status, StatusCode::CREATED, "{leaf:?}");
    let before = app.event_count().await;
    let same = app.put("/v1/categories/by-external-id/C-2", leaf_body).await;
    assert_eq!((same.status, same.body["outcome"].as_str(), same.id()), (StatusCode::OK, Some("unchanged"), leaf.id()));
    assert_eq!(app.event_count().await, before);
    // The body is what the category is to be: renamed, and (no parent) moved to the top.
    let renamed = app.put("/v1/categories/by-external-id/C-2", json!({"name": "Hexagon bolts"})).await;
    assert_eq!(renamed.body["outcome"], "updated", "{renamed:?}");
    assert_eq!((renamed.body["name"].as_str(), renamed.body["parent_id"].as_str()), (Some("Hexagon bolts"), None));
    let back = app.put("/v1/categories/by-external-id/C-2", json!({"name": "Hex bolts", "parent_id": root.id()})).await;
    assert_eq!(back.body["outcome"], "updated", "{back:?}");

    let brand = app.put("/v1/brands/by-external-id/B-1", json!({"name": "Acme"})).await;
    assert_eq!((brand.status, brand.body["external_id"].as_str()), (StatusCode::CREATED, Some("B-1")), "{brand:?}");
    let before = app.event_count().await;
    let same = app.put("/v1/brands/by-external-id/B-1", json!({"name": "Acme", "external_id": " B-1 "})).await;
    assert_eq!(same.body["outcome"], "unchanged", "{same:?}");
    assert_eq!(app.event_count().await, before);
    let renamed = app.put("/v1/brands/by-external-id/B-1", json!({"name": "Acme Tools"})).await;
    assert_eq!(
        (renamed.body["outcome"].as_str(), renamed.body["name"].as_str()),
        (Some("updated"), Some("Acme Tools"))
    );
    // The old name's claim went with the rename.
    let reuse = app.post("/v1/brands", json!({"name": "Acme"})).await;
    assert_eq!(reuse.status, StatusCode::CREATED, "{reuse:?}");

    let family_body = json!({"category_id": back.id(), "brand_id": brand.id(), "name": "DIN 933"});
    let family = app.put("/v1/families/by-external-id/F-1", family_body.clone()).await;
    assert_eq!((family.status, family.body["code"].as_str()), (StatusCode::CREATED, Some("DIN933")), "{family:?}");
    let before = app.event_count().await;
    let same = app.put("/v1/families/by-external-id/F-1", family_body).await;
    assert_eq!(same.body["outcome"], "unchanged", "{same:?}");
    assert_eq!(app.event_count().await, before);
    let renamed = app
        .put(
            "/v1/families/by-external-id/F-1",
            json!({"category_id": back.id(), "brand_id": brand.id(), "name": "DIN 933 bolts"}),
        )
        .await;
    assert_eq!((renamed.body["outcome"].as_str(), renamed.body["code"].as_str()), (Some("updated"), Some("DIN933")));
    let recoded = app
        .put(
            "/v1/families/by-external-id/F-1",
            json!({"category_id": back.id(), "brand_id": brand.id(), "name": "DIN 933 bolts", "code": "X933"}),
        )
        .await;
    assert_eq!(recoded.status, StatusCode::CONFLICT, "{recoded:?}");
    assert_eq!(recoded.field_errors(), [("code".to_owned(), "unchangeable".to_owned())]);
}

#[tokio::test]
async fn an_external_id_is_unique_per_kind_and_checked_with_a_code() {
    let app = TestApp::spawn().await;
    let cat = hex_bolts(&app).await;
    let first = app
        .post(
            "/v1/products",
            json!({"family_id": cat.family, "name": "Bolt", "external_id": "P-1",
                                                "specs": {"thread_size": "M6", "length": 10}}),
        )
        .await;
    assert_eq!((first.status, first.body["external_id"].as_str()), (StatusCode::CREATED, Some("P-1")), "{first:?}");
    let duplicate = app
        .post(
            "/v1/products",
            json!({"family_id": cat.family, "name": "Bolt", "external_id": "P-1",
                                     "specs": {"thread_size": "M8", "length": 10}}),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT, "{duplicate:?}");
    assert_eq!(duplicate.field_errors(), [("external_id".to_owned(), "duplicate".to_owned())]);
    assert!(duplicate.body["detail"].as_str().is_some_and(|d| d.contains("\"P-1\"") && d.contains("product")));
    // Per kind: a brand may carry the same one.
    let brand = app.post("/v1/brands", json!({"name": "Acme", "external_id": "P-1"})).await;
    assert_eq!(brand.status, StatusCode::CREATED, "{brand:?}");

    let control = upsert_product(&app, "P%01", bolt(&cat, "Bolt", json!({}))).await;
    assert_eq!(control.status, StatusCode::UNPROCESSABLE_ENTITY, "{control:?}");
    assert_eq!(control.field_errors(), [("external_id".to_owned(), "invalid_external_id".to_owned())]);
    let long = app.put(&format!("/v1/categories/by-external-id/{}", "x".repeat(129)), json!({"name": "Long"})).await;
    assert_eq!(long.field_errors(), [("external_id".to_owned(), "external_id_too_long".to_owned())], "{long:?}");
    let blank = app.post("/v1/brands", json!({"name": "", "external_id": "  "})).await;
    let mut errors = blank.field_errors();
    errors.sort();
    assert_eq!(
        errors,
        [("external_id".to_owned(), "invalid_external_id".to_owned()), ("name".to_owned(), "invalid_name".to_owned())]
    );
    let mismatch = app.put("/v1/brands/by-external-id/B-1", json!({"name": "Acme", "external_id": "B-2"})).await;
    assert_eq!(mismatch.field_errors(), [("external_id".to_owned(), "external_id_mismatch".to_owned())]);
    // Nothing refused made anything: one product, one brand beyond the walk-through's.
    let held = EventStore::count_claims(&app.db, "external:").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(held, 2);
}

#[tokio::test]
async fn concurrent_upserts_of_one_new_external_id_create_exactly_one_product() {
    let app = TestApp::spawn().await;
    let cat = hex_bolts(&app).await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (app, body) = (app.clone(), bolt(&cat, "Hex bolt M12x50", m12_50_a4()));
            tokio::spawn(async move { upsert_product(&app, "RACE-1", body).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    let mut ids = std::collections::BTreeSet::new();
    for task in tasks {
        let answer = task.await.unwrap_or_else(|e| panic!("{e}"));
        assert!(answer.status.is_success(), "{answer:?}");
        outcomes.push(answer.body["outcome"].as_str().unwrap_or_default().to_owned());
        ids.insert(answer.id());
    }
    outcomes.sort();
    assert_eq!(outcomes.iter().filter(|o| *o == "created").count(), 1, "{outcomes:?}");
    assert!(outcomes.iter().all(|o| o == "created" || o == "unchanged"), "{outcomes:?}");
    assert_eq!(ids.len(), 1, "every answer names the one product");
    let created = app.count_events(EventFilter::all().event_type("ProductCreated")).await;
    assert_eq!(created, 1);
}

#[tokio::test]
async fn the_query_api_shows_external_ids_and_finds_a_product_by_its_own() {
    let pipeline = Pipeline::start("extid").await;
    let app = &pipeline.app;
    let base = pipeline.query_api().await;
    let client = reqwest::Client::new();
    let read = |path: String, position: &Value| {
        let request = client.get(format!("{base}{path}")).header("x-min-position", position.to_string());
        TestApp::answer(request)
    };

    let root = app.put("/v1/categories/by-external-id/C-1", json!({"name": "Fasteners"})).await;
    let leaf = app.put("/v1/categories/by-external-id/C-2", json!({"name": "Bolts", "parent_id": root.id()})).await;
    let brand = app.put("/v1/brands/by-external-id/B-1", json!({"name": "Acme"})).await;
    let family = app
        .put(
            "/v1/families/by-external-id/F-1",
            json!({"category_id": leaf.id(), "brand_id": brand.id(), "name": "Bolts"}),
        )
        .await;
    assert_eq!(family.status, StatusCode::CREATED, "{family:?}");
    let product = app
        .put("/v1/products/by-external-id/P%201", json!({"family_id": family.id(), "name": "Bolt", "sku": "B-1"}))
        .await;
    assert_eq!(product.status, StatusCode::CREATED, "{product:?}");
    let other = app.post("/v1/products", json!({"family_id": family.id(), "name": "Nut", "sku": "N-1"})).await;
    assert_eq!(other.status, StatusCode::CREATED, "{other:?}");

    let found = read("/v1/products?external_id=P%201".into(), &other.body["position"]).await;
    assert_eq!(found.status, StatusCode::OK, "{found:?}");
    assert_eq!(found.body["total"], 1, "{found:?}");
    let shown = &found.body["products"][0];
    assert_eq!((shown["id"].as_str(), shown["external_id"].as_str()), (product.body["id"].as_str(), Some("P 1")));
    assert_eq!(shown["family"]["external_id"], "F-1");
    assert_eq!(shown["brand"]["external_id"], "B-1");
    let none = read("/v1/products?external_id=P-2".into(), &other.body["position"]).await;
    assert_eq!((none.status, none.body["total"].as_i64()), (StatusCode::OK, Some(0)), "{none:?}");
    let bad = read("/v1/products?external_id=%20".into(), &other.body["position"]).await;
    assert_eq!(bad.field_errors(), [("external_id".to_owned(), "invalid_external_id".to_owned())]);
    let category = read(format!("/v1/categories/{}", leaf.id()), &other.body["position"]).await;
    assert_eq!(category.body["external_id"], "C-2", "{category:?}");

    // Renames by upsert reach the products that show the names.
    let renamed = app.put("/v1/brands/by-external-id/B-1", json!({"name": "Acme Tools"})).await;
    assert_eq!(renamed.body["outcome"], "updated", "{renamed:?}");
    let detail = read(format!("/v1/products/{}", product.id()), &renamed.body["position"]).await;
    assert_eq!(
        (detail.body["brand"]["name"].as_str(), detail.body["external_id"].as_str()),
        (Some("Acme Tools"), Some("P 1"))
    );

    // An external id given later reaches the read model too; a rebuild from the events makes the
    // same rows.
    let adopted = app.patch(&format!("/v1/products/{}", other.id()), json!({"external_id": "N-1"})).await;
    let found = read("/v1/products?external_id=N-1".into(), &adopted.body["position"]).await;
    assert_eq!(found.body["products"][0]["id"], other.body["id"], "{found:?}");
    let stored: Option<String> = sqlx::query_scalar("SELECT external_id FROM catalog.brands WHERE id = $1")
        .bind(brand.id())
        .fetch_one(&pipeline.read)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stored.as_deref(), Some("B-1"));
    pipeline.converged().await;
    let live = pipeline.read_model().await;
    pipeline.rebuild().await;
    assert_eq!(pipeline.read_model().await, live);
    pipeline.finish().await;
}

#[tokio::test]
async fn a_record_made_by_hand_is_given_an_external_id_and_an_upsert_then_finds_it() {
    let app = TestApp::spawn().await;
    let cat = hex_bolts(&app).await;
    let made = app.post("/v1/products", bolt(&cat, "Hex bolt M12x50", m12_50_a4())).await;
    assert_eq!(made.status, StatusCode::CREATED, "{made:?}");
    let id = made.id();

    let adopted = app.patch(&format!("/v1/products/{id}"), json!({"external_id": "ERP-7"})).await;
    assert_eq!((adopted.status, adopted.body["external_id"].as_str()), (StatusCode::OK, Some("ERP-7")), "{adopted:?}");
    let before = app.event_count().await;
    let found = upsert_product(&app, "ERP-7", bolt(&cat, "Hex bolt M12x50", m12_50_a4())).await;
    assert_eq!((found.status, found.body["outcome"].as_str(), found.id()), (StatusCode::OK, Some("unchanged"), id));
    assert_eq!(app.event_count().await, before);

    // Another record cannot take it; once removed, it is free again.
    let taken = app.patch(&format!("/v1/categories/{}", cat.bolts), json!({"external_id": "ERP-7"})).await;
    assert_eq!(taken.status, StatusCode::OK, "another kind may: {taken:?}");
    let second =
        app.post("/v1/products", bolt(&cat, "Hex bolt M8x50", json!({"thread_size": "M8", "length": 50}))).await;
    let refused = app.patch(&format!("/v1/products/{}", second.id()), json!({"external_id": "ERP-7"})).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{refused:?}");
    assert_eq!(refused.field_errors(), [("external_id".to_owned(), "duplicate".to_owned())]);
    let removed = app.patch(&format!("/v1/products/{id}"), json!({"external_id": null})).await;
    assert_eq!((removed.status, removed.body["external_id"].clone()), (StatusCode::OK, Value::Null), "{removed:?}");
    let moved = app.patch(&format!("/v1/products/{}", second.id()), json!({"external_id": "ERP-7"})).await;
    assert_eq!(moved.status, StatusCode::OK, "{moved:?}");
    let upserted = upsert_product(&app, "ERP-7", bolt(&cat, "Hex bolt M8x50", json!({}))).await;
    assert_eq!((upserted.body["outcome"].as_str(), upserted.id()), (Some("unchanged"), second.id()), "{upserted:?}");
}

/// What an import worker does: the service functions in process, with a context of its own.
#[tokio::test]
async fn an_import_worker_upserts_in_process_and_resolves_a_batch_of_external_ids() {
    use command_api::service::{Catalog, CommandContext};
    use command_api::upsert::{Outcome, ProductFields};
    use domain::names::ExternalId;
    use domain::StreamType;

    let app = TestApp::spawn().await;
    let cat = hex_bolts(&app).await;
    let catalog = Catalog::new(app.store.clone(), event_store::GroupOptions::default());
    let ctx = CommandContext {
        metadata: event_store::Metadata {
            actor_id: app.admin_id.to_string(),
            actor_role: "admin".into(),
            request_id: "import-1".into(),
            correlation_id: Uuid::new_v4(),
            causation_id: None,
        },
        now: chrono::Utc::now(),
        requires: Vec::new(),
        idempotency: None,
    };
    let row = |thread: &str| ProductFields {
        family_id: cat.family,
        name: format!("Hex bolt {thread}x50"),
        sku: None,
        specs: json!({"thread_size": thread, "length": 50}).as_object().cloned().unwrap_or_default(),
    };
    let ids: Vec<ExternalId> =
        ["R-1", "R-2", "R-3"].iter().map(|e| ExternalId::parse(e).unwrap_or_else(|e| panic!("{e:?}"))).collect();
    let mut made = Vec::new();
    for (external_id, thread) in ids.iter().zip(["M6", "M8", "M10"]) {
        let done = catalog.upsert_product(&ctx, external_id, &row(thread)).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(done.outcome, Outcome::Created);
        made.push(done.id);
    }
    // The second run of the same rows appends nothing.
    let before = app.event_count().await;
    for (external_id, thread) in ids.iter().zip(["M6", "M8", "M10"]) {
        let done = catalog.upsert_product(&ctx, external_id, &row(thread)).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(done.outcome, Outcome::Unchanged);
    }
    assert_eq!(app.event_count().await, before);

    let mut asked = ids.clone();
    asked.push(ExternalId::parse("R-404").unwrap_or_else(|e| panic!("{e:?}")));
    let resolved = catalog.resolve_external_ids(StreamType::Product, &asked).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resolved.len(), 3, "{resolved:?}");
    for (external_id, id) in ids.iter().zip(&made) {
        assert_eq!(resolved.get(external_id), Some(id));
    }
    // Per kind: no category is known by them.
    let categories = catalog.resolve_external_ids(StreamType::Category, &ids).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(categories.is_empty());
    let events = app.stream_events(made[0]).await;
    let recorded = events.first().map(|e| e.request_id.clone()).unwrap_or_else(|| panic!("no event"));
    assert_eq!(recorded, "import-1");
}
