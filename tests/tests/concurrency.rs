//! Concurrency: optimistic versions and the schema guard, against the real PostgreSQL.

use event_store::EventFilter;
use futures::future::join_all;
use integration_tests::{hex_bolts, TestApp};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn two_concurrent_updates_with_the_same_expected_version_give_exactly_one_409() {
    let app = TestApp::spawn().await;
    let cat = hex_bolts(&app).await;
    for round in 0..5 {
        let created = app
            .post(
                "/v1/products",
                json!({"family_id": cat.family, "name": format!("Bolt {round}"),
                       "specs": {"thread_size": "M8", "length": 10 + round, "material": "A2"}}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED);
        let path = format!("/v1/products/{}", created.id());
        let (a, b) = tokio::join!(
            app.patch(&path, json!({"name": "Renamed by A", "expected_version": 1})),
            app.patch(&path, json!({"name": "Renamed by B", "expected_version": 1})),
        );
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{a:?} {b:?}");
        let conflict = if a.status == StatusCode::CONFLICT { &a } else { &b };
        assert_eq!(conflict.header("content-type"), Some("application/problem+json"));
        let versions: Vec<i64> = app.stream_events(created.id()).await.into_iter().map(|e| e.version).collect();
        assert_eq!(versions, [1, 2], "exactly one update was appended");
    }
}

#[tokio::test]
async fn many_clients_updating_one_product_never_lose_a_write() {
    let app = TestApp::spawn().await;
    let cat = hex_bolts(&app).await;
    let created = app
        .post(
            "/v1/products",
            json!({"family_id": cat.family, "name": "Shared", "specs": {"thread_size": "M8", "length": 10}}),
        )
        .await;
    let path = format!("/v1/products/{}", created.id());
    let answers = join_all((0..16).map(|i| app.patch(&path, json!({"name": format!("Writer {i}")})))).await;
    let ok = answers.iter().filter(|a| a.status == StatusCode::OK).count();
    let conflicts = answers.iter().filter(|a| a.status == StatusCode::CONFLICT).count();
    assert_eq!(ok + conflicts, 16, "only 200 or 409: {answers:?}");
    let last = app.stream_events(created.id()).await.last().map_or(0, |e| e.version);
    assert_eq!(last as usize, 1 + ok, "every 200 is one event, every 409 none");
}

/// Replica A has the family's schema cached; replica B adds a required attribute. A product
/// created through A must be checked against the new schema, not A's stale copy.
#[tokio::test]
async fn a_schema_change_on_another_replica_is_not_missed_by_a_cached_schema() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let cat = hex_bolts(&a).await;
    let warm = a
        .post(
            "/v1/products",
            json!({"family_id": cat.family, "name": "Warm", "specs": {"thread_size": "M8", "length": 10}}),
        )
        .await;
    assert_eq!(warm.status, StatusCode::CREATED);
    b.attribute(
        cat.hex_bolts,
        "head_height",
        json!({"label": "Head height", "type": "number", "unit": "mm", "required": true}),
    )
    .await;
    let stale = a
        .post(
            "/v1/products",
            json!({"family_id": cat.family, "name": "Late", "specs": {"thread_size": "M8", "length": 12}}),
        )
        .await;
    assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY, "{stale:?}");
    assert_eq!(stale.field_errors(), [("specs.head_height".to_owned(), "required".to_owned())]);
}

/// Schema changes and product writes racing: every product whose event comes after the change
/// that made `finish` required carries `finish` (none slipped in validated against the old schema).
#[tokio::test]
async fn products_racing_a_schema_change_are_validated_against_the_schema_they_commit_under() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let cat = hex_bolts(&a).await;
    let writers = (0..40).map(|i| {
        let app = &a;
        let family = cat.family;
        async move {
            app.post(
                "/v1/products",
                json!({"family_id": family, "name": format!("Racer {i}"), "specs": {"thread_size": "M10", "length": 100 + i}}),
            )
            .await
        }
    });
    let finish = format!("/v1/categories/{}/attributes/finish", cat.bolts);
    let change = b.put(&finish, json!({"label": "Finish", "type": "text", "required": true}));
    let (answers, changed) = tokio::join!(join_all(writers), change);
    assert_eq!(changed.status, StatusCode::CREATED);
    let change_position = changed.body["position"].as_i64().unwrap_or_default();
    assert!(answers.iter().all(|a| a.status == StatusCode::CREATED || a.status == StatusCode::UNPROCESSABLE_ENTITY));
    let late: Vec<serde_json::Value> = a
        .events(EventFilter::all().event_type("ProductCreated").after(change_position))
        .await
        .into_iter()
        .map(|e| e.payload)
        .collect();
    assert!(late.iter().all(|p| p["specs"]["finish"].is_string()), "a product slipped past the new schema");
}
