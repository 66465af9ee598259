//! The event pipeline end to end: command API → write database → relay → JetStream → projector →
//! read database, against the real PostgreSQL and NATS, each test on its own databases and stream.

use std::time::{Duration, Instant};

use async_nats::HeaderMap;
use event_store::EventStore;
use integration_tests::pipeline::{read_model, unique_names, OwnNats, Pipeline, DEADLINE};
use integration_tests::{hex_bolts, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

async fn product(app: &TestApp, family: Uuid, thread: &str, length: f64) -> Uuid {
    let answer = app
        .post(
            "/v1/products",
            json!({"family_id": family, "name": format!("Hex bolt {thread}x{length}"),
                   "specs": {"thread_size": thread, "length": length, "material": "A4"}}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    answer.id()
}

/// Every catalog event of the write database (not the test admin's: the read model skips
/// identity streams), once the gap-safe reader sees them all (transactions of other tests on the
/// server may hold its horizon back for a moment).
async fn all_events(app: &TestApp) -> Vec<event_store::StoredEvent> {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let events = EventStore::read_all(&app.db, 0, 10_000).await.unwrap_or_else(|e| panic!("{e}"));
        if events.len() as i64 == app.event_count().await {
            return events.into_iter().filter(|e| domain::StreamType::projected(&e.stream_type)).collect();
        }
        assert!(Instant::now() < deadline, "the gap-safe reader never caught up");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn row(pipeline: &Pipeline, sql: &str, id: Uuid) -> Value {
    sqlx::query_scalar(&format!("SELECT to_jsonb(t) FROM ({sql}) t WHERE id = $1"))
        .bind(id)
        .fetch_one(&pipeline.read)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn products_reach_the_read_model_with_family_brand_schema_and_completeness() {
    let pipeline = Pipeline::start("flow").await;
    let app = &pipeline.app;
    let catalog = hex_bolts(app).await;
    let bolt = product(app, catalog.family, "M12", 50.0).await;
    let answer = app
        .post("/v1/products", json!({"family_id": catalog.family, "name": "Hex bolt M8", "specs": {"thread_size": "M8", "length": {"value": 2, "unit": "in"}}}))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    let inches = answer.id();
    pipeline.converged().await;

    let bolt_row = row(&pipeline, "SELECT * FROM catalog.products", bolt).await;
    assert_eq!(bolt_row["sku"], "HB933-M12-50-A4");
    assert_eq!(bolt_row["family_name"], "DIN 933");
    assert_eq!(bolt_row["category_id"], json!(catalog.hex_bolts));
    assert_eq!(bolt_row["category_path"], json!([catalog.fasteners, catalog.bolts, catalog.hex_bolts]));
    assert_eq!(bolt_row["missing_required"], json!([]));
    let search = bolt_row["search"].as_str().unwrap_or_default();
    // The normalizer's terms: the standard whole, the thread by its size too, each source weighted
    // (name and SKU A, family B, spec values D, which carry no letter).
    for term in ["'hex':1A", "'hb933':5A", "'din933':8B", "'m12':4A,10 ", "'m12x50':3A"] {
        assert!(search.contains(term), "{term} missing from {search}");
    }
    let numbers: Vec<(String, f64)> =
        sqlx::query_as("SELECT key, value FROM catalog.product_numbers WHERE product_id = $1 ORDER BY key")
            .bind(inches)
            .fetch_all(&pipeline.read)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(numbers.len(), 1);
    assert!((numbers[0].1 - 50.8).abs() < 1e-9, "{numbers:?}");

    // The family's resolved attributes, each with the level it came from; the family's override wins.
    let family = row(&pipeline, "SELECT * FROM catalog.families", catalog.family).await;
    let material = family["resolved"].as_array().and_then(|a| a.iter().find(|d| d["key"] == "material")).cloned();
    assert_eq!(material.as_ref().map(|m| m["options"].clone()), Some(json!(["A2", "A4"])), "{family}");
    assert_eq!(family["required_keys"], json!(["thread_size"]));

    // A schema change: material becomes required on the leaf. The family's override keeps it
    // optional, so make it required on the family: products lacking it are reported, not rewritten.
    let answer = app
        .put(
            &format!("/v1/families/{}/attributes/material", catalog.family),
            json!({"label": "Material", "type": "select", "options": ["A2", "A4"], "variant_defining": true, "filterable": true, "required": true}),
        )
        .await;
    assert!(answer.status.is_success(), "{answer:?}");
    pipeline.converged().await;
    let inches_row = row(&pipeline, "SELECT * FROM catalog.products", inches).await;
    assert_eq!(inches_row["missing_required"], json!(["material"]));
    let bolt_row = row(&pipeline, "SELECT * FROM catalog.products", bolt).await;
    assert_eq!(bolt_row["missing_required"], json!([]));
    pipeline.finish().await;
}

#[tokio::test]
async fn a_created_product_is_served_by_the_query_api_at_the_position_its_command_answered() {
    let pipeline = Pipeline::start("ryw").await;
    let query = pipeline.query_api().await;
    let catalog = hex_bolts(&pipeline.app).await;
    let created = pipeline
        .app
        .post(
            "/v1/products",
            json!({"family_id": catalog.family, "name": "Hex bolt M16", "specs": {"thread_size": "M16", "length": 80}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let position = created.header("x-position").unwrap_or_default().to_owned();
    assert_eq!(created.body["position"].to_string(), position);

    // No sleep and no polling: the query API waits until the read model has the position.
    let answer = TestApp::answer(
        pipeline.app.client.get(format!("{query}/v1/products/{}", created.id())).header("X-Min-Position", &position),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.body["sku"], "HB933-M16-80");
    assert_eq!(answer.body["category"]["id"], json!(catalog.hex_bolts));
    assert_eq!(answer.body["missing_required"], json!([]));
    let served_at: i64 = answer.header("x-position").and_then(|p| p.parse().ok()).unwrap_or_default();
    assert!(served_at >= position.parse().unwrap_or(i64::MAX), "{served_at} < {position}");

    let category = TestApp::answer(
        pipeline
            .app
            .client
            .get(format!("{query}/v1/categories/{}", catalog.hex_bolts))
            .header("X-Min-Position", &position),
    )
    .await;
    assert_eq!(category.status, StatusCode::OK, "{category:?}");
    assert_eq!(category.body["ancestors"].as_array().map(Vec::len), Some(2));
    let health = TestApp::answer(pipeline.app.client.get(format!("{query}/v1/health"))).await;
    assert_eq!(health.status, StatusCode::OK, "{health:?}");
    assert!(health.body["checkpoint"]["position"].as_i64() >= position.parse().ok(), "{health:?}");
    pipeline.finish().await;
}

#[tokio::test]
async fn a_category_moved_under_another_cluster_rewrites_its_subtree_paths_and_search_vectors() {
    let pipeline = Pipeline::start("move").await;
    let app = &pipeline.app;
    let catalog = hex_bolts(app).await;
    let bolt = product(app, catalog.family, "M10", 30.0).await;
    let hardware = app.category("Hardware", None).await;
    let answer = app.patch(&format!("/v1/categories/{}", catalog.bolts), json!({"parent_id": hardware})).await;
    assert!(answer.status.is_success(), "{answer:?}");
    pipeline.converged().await;

    let leaf = row(
        &pipeline,
        "SELECT id, path, path_names, search::text AS search FROM catalog.categories",
        catalog.hex_bolts,
    )
    .await;
    assert_eq!(leaf["path"], json!([hardware, catalog.bolts, catalog.hex_bolts]));
    assert_eq!(leaf["path_names"], "Hardware Bolts");
    let search = leaf["search"].as_str().unwrap_or_default();
    assert!(search.contains("'hardware'") && !search.contains("'fasteners'"), "{search}");
    let product = row(&pipeline, "SELECT id, category_path FROM catalog.products", bolt).await;
    assert_eq!(product["category_path"], json!([hardware, catalog.bolts, catalog.hex_bolts]));
    // Resolved attributes follow the new ancestors (none of Fasteners' are left: it had none).
    let node = row(&pipeline, "SELECT id, path_text FROM catalog.categories", catalog.bolts).await;
    assert_eq!(node["path_text"], domain::format_path(&[hardware, catalog.bolts]));
    pipeline.finish().await;
}

#[tokio::test]
async fn a_rebuild_equals_the_live_read_model_and_swaps_in_under_a_running_projection() {
    let pipeline = Pipeline::start("rebuild").await;
    let app = &pipeline.app;
    let catalog = hex_bolts(app).await;
    for (i, thread) in ["M6", "M8", "M10", "M12"].iter().enumerate() {
        product(app, catalog.family, thread, 10.0 + i as f64).await;
    }
    let renamed = app.patch(&format!("/v1/categories/{}", catalog.bolts), json!({"name": "Screws and bolts"})).await;
    assert!(renamed.status.is_success(), "{renamed:?}");
    pipeline.converged().await;
    let live = pipeline.read_model().await;

    let rebuilt = pipeline.rebuild().await;
    assert_eq!(rebuilt.checkpoint, pipeline.checkpoint().await);
    assert_eq!(pipeline.read_model().await, live);

    // The projection carries on over the swapped-in tables.
    product(app, catalog.family, "M16", 99.0).await;
    pipeline.converged().await;
    pipeline.finish().await;
}

#[tokio::test]
async fn the_query_api_keeps_serving_while_a_rebuild_runs_and_swaps() {
    let pipeline = Pipeline::start("serving").await;
    let query = pipeline.query_api().await;
    let catalog = hex_bolts(&pipeline.app).await;
    let bolt = product(&pipeline.app, catalog.family, "M12", 40.0).await;
    pipeline.converged().await;

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (client, stop) = (pipeline.app.client.clone(), stop.clone());
        let paths = [format!("{query}/v1/products/{bolt}"), format!("{query}/v1/categories/{}", catalog.hex_bolts)];
        tokio::spawn(async move {
            let mut answers = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for path in &paths {
                    let status = client.get(path).send().await.map(|r| r.status()).ok();
                    answers.push((Instant::now(), status));
                }
            }
            answers
        })
    };
    let started = Instant::now();
    pipeline.rebuild().await;
    let ended = Instant::now();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let answers = reader.await.unwrap_or_else(|e| panic!("{e}"));
    let during = answers.iter().filter(|(at, _)| *at >= started && *at <= ended).count();
    assert!(during > 0, "no request was answered while the rebuild ran");
    let failed: Vec<_> = answers.iter().filter(|(_, status)| *status != Some(StatusCode::OK)).collect();
    assert!(failed.is_empty(), "{} of {} requests failed: {failed:?}", failed.len(), answers.len());
    pipeline.finish().await;
}

#[tokio::test]
async fn the_projector_killed_mid_batch_and_restarted_leaves_what_a_fresh_rebuild_makes() {
    let mut pipeline = Pipeline::start("kill").await;
    let catalog = hex_bolts(&pipeline.app).await;
    // Writers keep creating products while the projector is killed and started again.
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let app: TestApp = pipeline.app.clone();
            let family = catalog.family;
            tokio::spawn(async move {
                for n in 0..40 {
                    let answer = app
                        .post("/v1/products", json!({"family_id": family, "name": format!("bolt {w}-{n}"),
                               "sku": format!("K-{w}-{n}"), "specs": {"thread_size": "M8", "length": (n + 1) as f64 + w as f64 * 100.0}}))
                        .await;
                    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
                }
            })
        })
        .collect();
    for _ in 0..3 {
        // Kill it once it has applied something new, while writes go on.
        let before = pipeline.checkpoint().await;
        let deadline = Instant::now() + DEADLINE;
        while pipeline.checkpoint().await == before {
            assert!(Instant::now() < deadline, "the projector applied nothing new");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        pipeline.kill_projector().await;
        pipeline.start_projector().await;
    }
    for writer in writers {
        writer.await.unwrap_or_else(|e| panic!("{e}"));
    }
    pipeline.converged().await;
    let live = pipeline.read_model().await;
    assert_eq!(live["products"].as_array().map(Vec::len), Some(160));
    pipeline.rebuild().await;
    assert_eq!(pipeline.read_model().await, live);
    pipeline.finish().await;
}

/// Publishes an event the way the relay does, but without a Msg-Id, so JetStream cannot drop a
/// second copy: what a republish after the duplicate window looks like.
async fn publish(pipeline: &Pipeline, event: &event_store::StoredEvent, previous: i64) {
    let mut headers = HeaderMap::new();
    headers.insert(relay::POSITION_HEADER, event.position.to_string().as_str());
    headers.insert(relay::PREVIOUS_HEADER, previous.to_string().as_str());
    let payload = serde_json::to_vec(event).unwrap_or_default();
    let subject = pipeline.names.subject(&event.stream_type, &event.event_type);
    pipeline
        .jetstream()
        .await
        .publish_with_headers(subject, headers, payload.into())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn messages_delivered_twice_or_after_a_later_one_are_applied_once_in_order() {
    let mut pipeline = Pipeline::start("order").await;
    pipeline.stop_relay().await;
    let app = &pipeline.app;
    let first = app.post("/v1/brands", json!({"name": "Bossard"})).await.id();
    let second = app.post("/v1/brands", json!({"name": "Würth"})).await.id();
    let third = app.post("/v1/brands", json!({"name": "Fabory"})).await.id();
    let events = all_events(app).await;
    // The last first: the projector fills the hole from the write database, in order.
    publish(&pipeline, &events[2], events[1].position).await;
    // Then the first and the last again, each after a later one.
    publish(&pipeline, &events[0], 0).await;
    publish(&pipeline, &events[2], events[1].position).await;
    let deadline = Instant::now() + DEADLINE;
    while pipeline.projector_stats().messages < 3 {
        assert!(Instant::now() < deadline, "the projector saw {:?}", pipeline.projector_stats());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stats = pipeline.projector_stats();
    // Each event applied once; the second, never published, came from the write database. How
    // the rest split between fills and duplicates depends on whether the first batch had to be
    // retried (a hole the write database cannot show yet is nak'd, and the copies sent meanwhile
    // may then come first), but every message is either applied as itself or a duplicate.
    assert_eq!(stats.applied, 3, "{stats:?}");
    assert!(stats.filled >= 1, "{stats:?}");
    assert_eq!(stats.messages, stats.applied - stats.filled + stats.duplicates, "{stats:?}");
    assert_eq!(pipeline.checkpoint().await, events[2].position);
    let brands: Vec<(Uuid, i64)> = sqlx::query_as("SELECT id, position FROM catalog.brands ORDER BY position")
        .fetch_all(&pipeline.read)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(brands, [(first, events[0].position), (second, events[1].position), (third, events[2].position)]);
    pipeline.finish().await;
}

#[tokio::test]
async fn a_write_transaction_is_applied_whole_even_when_only_its_first_message_arrived() {
    let mut pipeline = Pipeline::start("whole").await;
    let catalog = hex_bolts(&pipeline.app).await;
    let hardware = pipeline.app.category("Hardware", None).await;
    pipeline.converged().await;
    let before = pipeline.checkpoint().await;
    pipeline.stop_relay().await;
    // One command, one transaction: Bolts moves and Hex bolts' path changes with it.
    let moved = pipeline.app.patch(&format!("/v1/categories/{}", catalog.bolts), json!({"parent_id": hardware})).await;
    assert!(moved.status.is_success(), "{moved:?}");
    let events: Vec<_> = all_events(&pipeline.app).await.into_iter().filter(|e| e.position > before).collect();
    assert_eq!(events.len(), 2, "{events:?}");
    publish(&pipeline, &events[0], before).await;
    let deadline = Instant::now() + DEADLINE;
    while pipeline.checkpoint().await < events[0].position {
        assert!(Instant::now() < deadline, "the projector did not apply the message");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Never the moved node without its subtree.
    assert_eq!(pipeline.checkpoint().await, events[1].position);
    let leaf = row(&pipeline, "SELECT id, path FROM catalog.categories", catalog.hex_bolts).await;
    assert_eq!(leaf["path"], json!([hardware, catalog.bolts, catalog.hex_bolts]));
    pipeline.finish().await;
}

#[tokio::test]
async fn a_relay_killed_after_publishing_before_recording_applies_nothing_twice() {
    let mut pipeline = Pipeline::start("relaykill").await;
    pipeline.stop_relay().await;
    let catalog = hex_bolts(&pipeline.app).await;
    for thread in ["M6", "M8", "M10"] {
        product(&pipeline.app, catalog.family, thread, 20.0).await;
    }
    // A relay that publishes everything and dies before it records how far it got.
    let events = all_events(&pipeline.app).await;
    let config = relay::RelayConfig { names: pipeline.names.clone(), ..relay::RelayConfig::default() };
    let options = pipeline.app.store.pool().connect_options().as_ref().clone();
    let dying = relay::Relay::new(options, pipeline.jetstream().await, config);
    dying.publish(&events, 0).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(relay::progress(&pipeline.app.db).await.unwrap_or(-1), 0);
    // Its successor starts from the recorded progress and publishes them all again.
    pipeline.start_relay().await;
    pipeline.converged().await;
    let deadline = Instant::now() + DEADLINE;
    while relay::progress(&pipeline.app.db).await.unwrap_or(0) < events.last().map_or(0, |e| e.position) {
        assert!(Instant::now() < deadline, "the relay did not record its progress");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stats = pipeline.projector_stats();
    assert_eq!(stats.applied, events.len() as u64, "{stats:?}");
    let live = pipeline.read_model().await;
    pipeline.rebuild().await;
    assert_eq!(pipeline.read_model().await, live);
    pipeline.finish().await;
}

#[tokio::test]
async fn a_writer_that_commits_late_is_neither_skipped_by_the_relay_nor_by_the_projector() {
    let pipeline = Pipeline::start("late").await;
    let app = &pipeline.app;
    let early = app.post("/v1/brands", json!({"name": "Early"})).await.id();
    pipeline.converged().await;
    // A transaction that appends and holds on, while later ones commit and are projected around it.
    let mut slow = pipeline.app.store.pool().begin().await.unwrap_or_else(|e| panic!("{e}"));
    let late = Uuid::new_v4();
    let append = event_store::Append {
        events: vec![event_store::EventToAppend {
            event_id: Uuid::new_v4(),
            stream_id: late,
            stream_type: "brand",
            version: 1,
            event_type: "BrandCreated",
            schema_version: domain::events::SCHEMA_VERSION,
            payload: json!({"name": "Late"}),
        }],
        ..event_store::Append::default()
    };
    let metadata = event_store::Metadata {
        actor_id: "t".into(),
        actor_role: "admin".into(),
        request_id: "r".into(),
        correlation_id: Uuid::new_v4(),
        causation_id: None,
    };
    EventStore::append(&mut *slow, &append, &metadata, chrono::Utc::now()).await.unwrap_or_else(|e| panic!("{e}"));
    let mut later = Vec::new();
    for n in 0..5 {
        later.push(app.post("/v1/brands", json!({"name": format!("Later {n}")})).await.id());
    }
    slow.commit().await.unwrap_or_else(|e| panic!("{e}"));
    pipeline.converged().await;
    let brands: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM catalog.brands ORDER BY position")
        .fetch_all(&pipeline.read)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut expected = vec![early, late];
    expected.extend(later);
    assert_eq!(brands, expected, "the late writer's event is in the read model, in position order");
    pipeline.finish().await;
}

#[tokio::test]
async fn nats_down_longer_than_the_duplicate_window_while_commands_continue_converges_after() {
    let mut nats = OwnNats::start().await;
    let names = relay::Names { duplicate_window: Some(Duration::from_secs(1)), ..unique_names("outage") };
    let pipeline = Pipeline::start_on(&nats.url(), names).await;
    let app = &pipeline.app;
    let catalog = hex_bolts(app).await;
    product(app, catalog.family, "M6", 10.0).await;
    pipeline.converged().await;

    nats.stop();
    for (i, thread) in ["M8", "M10", "M12"].iter().enumerate() {
        product(app, catalog.family, thread, 11.0 + i as f64).await;
    }
    // The scenario itself: the outage outlasts the stream's duplicate window.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    product(app, catalog.family, "M16", 20.0).await;
    nats.resume().await;

    pipeline.converged().await;
    let live = read_model(&pipeline.read).await;
    assert_eq!(live["products"].as_array().map(Vec::len), Some(5));
    pipeline.rebuild().await;
    assert_eq!(read_model(&pipeline.read).await, live);
    pipeline.finish().await;
}
