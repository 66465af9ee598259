//! Tamper evidence (issue 17): the chainer hashes the events in gap-safe order, the events and the
//! chain are append-only, and `verify` names the first link a superuser's tampering broke. And
//! replay: the read model as it was at a position, served by a query API.

use std::sync::Arc;
use std::time::{Duration, Instant};

use auth_tokens::{AuditKeyConfig, AuditSigner};
use command_api::chainer::{ChainConfig, Chainer};
use event_store::{Append, Break, EventStore, EventToAppend, Metadata, StreamWrite, Verification, VerifyOptions};
use integration_tests::pipeline::{query_api_over, DEADLINE};
use integration_tests::{admin_url, hex_bolts, test_config, TestApp};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

/// A command API without a chainer of its own: the test runs the rounds.
async fn app_without_chainer() -> TestApp {
    TestApp::spawn_with(command_api::Config {
        chain: ChainConfig { enabled: false, ..ChainConfig::default() },
        ..test_config()
    })
    .await
}

fn manual_chainer(app: &TestApp, signer: Option<Arc<AuditSigner>>) -> Chainer {
    let options = (*app.db.connect_options()).clone();
    Chainer::new(options, ChainConfig { chain_batch: 3, chain_checkpoint_events: 2, ..ChainConfig::default() }, signer)
}

async fn brands(app: &TestApp, n: usize) -> i64 {
    let mut position = 0;
    for _ in 0..n {
        let answer = app.post("/v1/brands", json!({"name": format!("Brand {}", Uuid::new_v4())})).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        position = answer.body["position"].as_i64().unwrap_or_default();
    }
    position
}

/// Runs rounds until the chain reaches `position` (other tests' transactions may hold the
/// horizon back for a moment).
async fn chain_up_to(chainer: &mut Chainer, conn: &mut PgConnection, position: i64) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let round = chainer.round(conn).await.unwrap_or_else(|e| panic!("{e}"));
        if round.head.is_some_and(|(head, _)| head >= position) {
            return;
        }
        assert!(Instant::now() < deadline, "the chain never reached {position}: {round:?}");
        if round.chained == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn verify(app: &TestApp, public_key: Option<&[u8]>) -> Verification {
    EventStore::verify_chain(&app.db, VerifyOptions { batch: 4, public_key }, |_, _| {})
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A chained store of a dozen events, signed checkpoints, and the signer's public key.
async fn chained_store() -> (TestApp, Vec<i64>, Vec<u8>) {
    let app = app_without_chainer().await;
    let last = brands(&app, 10).await;
    let (signer, _) = AuditSigner::generate().unwrap_or_else(|e| panic!("{e}"));
    let public_key = signer.public_key().to_vec();
    let mut chainer = manual_chainer(&app, Some(Arc::new(signer)));
    let mut conn = PgConnection::connect_with(&app.db.connect_options()).await.unwrap_or_else(|e| panic!("{e}"));
    chain_up_to(&mut chainer, &mut conn, last).await;
    let positions: Vec<i64> = sqlx::query_scalar("SELECT position FROM events ORDER BY position")
        .fetch_all(&app.db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (app, positions, public_key)
}

/// Runs `sql` as a superuser with the append-only triggers off (what only an attacker with the
/// server's keys could do).
async fn tamper(app: &TestApp, statements: &[String]) {
    let mut tx = app.db.begin().await.unwrap_or_else(|e| panic!("{e}"));
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for sql in statements {
        sqlx::query(sql).execute(&mut *tx).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn an_untouched_store_verifies_with_every_checkpoint_signature() {
    let (app, positions, public_key) = chained_store().await;
    let verification = verify(&app, Some(&public_key)).await;
    assert_eq!(verification.broken, None);
    assert_eq!(verification.events, positions.len() as u64);
    assert!(verification.checkpoints >= 2, "{verification:?}");
    assert_eq!(verification.signatures, verification.checkpoints);
    assert_eq!(verification.head.map(|h| h.0), positions.last().copied());
}

#[tokio::test]
async fn events_and_the_chain_refuse_update_delete_and_truncate() {
    let (app, positions, _) = chained_store().await;
    for sql in [
        format!("UPDATE events SET payload = '{{}}' WHERE position = {}", positions[1]),
        format!("DELETE FROM events WHERE position = {}", positions[1]),
        "TRUNCATE events CASCADE".to_owned(),
        format!("UPDATE event_chain SET hash = hash WHERE position = {}", positions[1]),
        "DELETE FROM event_chain".to_owned(),
        "DELETE FROM chain_checkpoints".to_owned(),
    ] {
        let error = sqlx::query(&sql).execute(&app.db).await.expect_err(&sql).to_string();
        assert!(error.contains("append-only"), "{sql}: {error}");
    }
    assert_eq!(verify(&app, None).await.broken, None);
}

#[tokio::test]
async fn verify_names_an_altered_payload() {
    let (app, positions, public_key) = chained_store().await;
    let target = positions[4];
    tamper(
        &app,
        &[format!(
            "UPDATE events SET payload = jsonb_set(payload, '{{name}}', '\"Forged\"') WHERE position = {target}"
        )],
    )
    .await;
    let broken = verify(&app, Some(&public_key)).await.broken.unwrap_or_else(|| panic!("not found"));
    assert_eq!((broken.what, broken.position, broken.seq), (Break::PayloadAltered, target, 5));
}

#[tokio::test]
async fn verify_names_a_deleted_event() {
    let (app, positions, _) = chained_store().await;
    let target = positions[6];
    tamper(&app, &[format!("DELETE FROM events WHERE position = {target}")]).await;
    let broken = verify(&app, None).await.broken.unwrap_or_else(|| panic!("not found"));
    assert_eq!((broken.what, broken.position, broken.seq), (Break::EventMissing, target, 7));
}

#[tokio::test]
async fn verify_names_two_reordered_events() {
    let (app, positions, _) = chained_store().await;
    let (a, b) = (positions[3], positions[8]);
    tamper(
        &app,
        &[
            format!("UPDATE events SET position = -1 WHERE position = {a}"),
            format!("UPDATE events SET position = {a} WHERE position = {b}"),
            format!("UPDATE events SET position = {b} WHERE position = -1"),
        ],
    )
    .await;
    let broken = verify(&app, None).await.broken.unwrap_or_else(|| panic!("not found"));
    assert_eq!((broken.what, broken.position, broken.seq), (Break::OrderChanged, a, 4), "{}", broken.detail);
}

#[tokio::test]
async fn verify_names_a_deleted_chain_row() {
    let (app, positions, _) = chained_store().await;
    tamper(&app, &[format!("DELETE FROM event_chain WHERE position = {}", positions[2])]).await;
    let broken = verify(&app, None).await.broken.unwrap_or_else(|| panic!("not found"));
    assert_eq!((broken.what, broken.seq), (Break::ChainRowMissing, 3));
}

#[tokio::test]
async fn verify_names_a_forged_checkpoint() {
    let (app, positions, public_key) = chained_store().await;
    let key_id = auth_tokens::audit_signer::key_id(&public_key);
    let target = positions[0];
    tamper(
        &app,
        &[
            format!("DELETE FROM chain_checkpoints WHERE position = {target}"),
            format!(
                "INSERT INTO chain_checkpoints (position, seq, hash, key_id, signature) \
                 SELECT position, seq, hash, '{key_id}', decode(repeat('ab', 64), 'hex') FROM event_chain WHERE position = {target}"
            ),
        ],
    )
    .await;
    let broken = verify(&app, Some(&public_key)).await.broken.unwrap_or_else(|| panic!("not found"));
    assert_eq!((broken.what, broken.position), (Break::CheckpointSignatureInvalid, target));
    // Without the public key the forged checkpoint still matches the chain: nothing else is wrong.
    assert_eq!(verify(&app, None).await.broken, None);
}

fn brand_append(name: &str) -> (Append, Metadata) {
    let stream = Uuid::new_v4();
    let append = Append {
        events: vec![EventToAppend {
            event_id: Uuid::new_v4(),
            stream_id: stream,
            stream_type: "brand",
            version: 1,
            event_type: "BrandCreated",
            schema_version: 1,
            payload: json!({"name": name}),
        }],
        streams: vec![StreamWrite {
            stream_id: stream,
            stream_type: "brand",
            expected_version: 0,
            version: 1,
            parent_id: None,
            snapshot: json!({"name": name}),
        }],
        ..Append::default()
    };
    let metadata = Metadata {
        actor_id: "test".into(),
        actor_role: "admin".into(),
        request_id: "held".into(),
        correlation_id: Uuid::new_v4(),
        causation_id: None,
    };
    (append, metadata)
}

#[tokio::test]
async fn the_chainer_never_chains_past_an_open_transaction() {
    let app = app_without_chainer().await;
    let before = brands(&app, 2).await;
    let mut chainer = manual_chainer(&app, None);
    let mut conn = PgConnection::connect_with(&app.db.connect_options()).await.unwrap_or_else(|e| panic!("{e}"));
    chain_up_to(&mut chainer, &mut conn, before).await;

    // A transaction appends and stays open; a later command commits above it.
    let mut held = app.db.begin().await.unwrap_or_else(|e| panic!("{e}"));
    let (append, metadata) = brand_append("Held");
    EventStore::append(&mut *held, &append, &metadata, chrono::Utc::now()).await.unwrap_or_else(|e| panic!("{e}"));
    let held_position: i64 = sqlx::query_scalar("SELECT max(position) FROM events")
        .fetch_one(&mut *held)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let after = brands(&app, 1).await;
    assert!(after > held_position);
    for _ in 0..5 {
        let round = chainer.round(&mut conn).await.unwrap_or_else(|e| panic!("{e}"));
        let (head, _) = round.head.unwrap_or_default();
        assert!(head < held_position, "chained {head} past the open transaction at {held_position}");
    }

    held.commit().await.unwrap_or_else(|e| panic!("{e}"));
    chain_up_to(&mut chainer, &mut conn, after).await;
    let chained: Vec<i64> = sqlx::query_scalar("SELECT position FROM event_chain ORDER BY seq")
        .fetch_all(&app.db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(chained.contains(&held_position) && chained.contains(&after), "{chained:?}");
    assert_eq!(verify(&app, None).await.broken, None);
}

#[tokio::test]
async fn the_command_api_chains_and_serves_the_head_with_a_signed_checkpoint() {
    let (signer, pem) = AuditSigner::generate().unwrap_or_else(|e| panic!("{e}"));
    let config = command_api::Config {
        chain: ChainConfig { chain_idle_ms: 10, ..ChainConfig::default() },
        audit: AuditKeyConfig { audit_signing_key: Some(pem), audit_signing_key_file: None },
        ..test_config()
    };
    let app = TestApp::spawn_with(config).await;
    let last = brands(&app, 3).await;
    let deadline = Instant::now() + DEADLINE;
    let head = loop {
        let answer = app.get("/v1/audit/chain/head").await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        if answer.body["head"]["position"].as_i64().unwrap_or_default() >= last && !answer.body["checkpoint"].is_null()
        {
            break answer.body;
        }
        assert!(Instant::now() < deadline, "the chain never reached {last}: {answer:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(head["public_key"]["key_id"], signer.key_id());
    assert_eq!(head["public_key"]["public_key"], signer.public_key_base64());
    assert_eq!(head["checkpoint"]["key_id"], signer.key_id());
    let page = app.get("/v1/audit/chain/checkpoints?after_position=0&limit=10").await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    assert!(!page.body["checkpoints"].as_array().is_none_or(Vec::is_empty), "{page:?}");
    let bad = app.get("/v1/audit/chain/checkpoints?limit=0&after_position=x").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad.field_errors(),
        vec![("after_position".into(), "invalid_position".into()), ("limit".into(), "out_of_range".into())]
    );
    assert_eq!(verify(&app, Some(signer.public_key())).await.broken, None);
}

#[tokio::test]
async fn a_replay_to_a_position_serves_what_the_storefront_showed_then() {
    let app = app_without_chainer().await;
    let catalog = hex_bolts(&app).await;
    let created = app
        .post("/v1/products", json!({"family_id": catalog.family, "name": "Hex bolt M12 old", "specs": {"thread_size": "M12", "length": 40}}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let then = created.body["position"].as_i64().unwrap_or_default();
    let id = created.id();
    let renamed = app.patch(&format!("/v1/products/{id}"), json!({"name": "Hex bolt M12 new"})).await;
    assert_eq!(renamed.status, StatusCode::OK, "{renamed:?}");

    let read_options =
        event_store::scratch::fresh_database_from(&admin_url(), "ft_replay", &read_store::READ_MIGRATOR, "read")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    let read = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect_with(read_options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let options = projector::RebuildOptions { until: Some(then), ..projector::RebuildOptions::default() };
    let rebuilt = projector::rebuild(&read, &app.db, options, &()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rebuilt.checkpoint, then);

    let query = query_api_over(&app, read).await;
    let answer = TestApp::answer(app.client.get(format!("{query}/v1/products/{id}"))).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.body["name"], "Hex bolt M12 old");
}
