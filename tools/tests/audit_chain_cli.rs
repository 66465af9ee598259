//! `ferrule audit verify` and `ferrule audit replay` as an operator runs them: the real binary
//! against a write database that a command API in this test's process chains.

use std::process::Output;
use std::time::{Duration, Instant};

use command_api::chainer::ChainConfig;
use event_store::EventStore;
use ferrule_seed::local::{self, LocalApi};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn admin_url() -> String {
    std::env::var("FERRULE_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

async fn ferrule(args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_ferrule"))
        .args(args)
        .env_remove("FERRULE_AUDIT_SIGNING_KEY")
        .env_remove("FERRULE_AUDIT_SIGNING_KEY_FILE")
        .output()
        .await
        .unwrap_or_else(|e| panic!("the ferrule binary runs: {e}"))
}

/// A command API with its chainer over a fresh database, a few brands in it, chained.
async fn chained() -> (LocalApi, EventStore, String, i64) {
    let options = event_store::scratch::fresh_database(&admin_url(), "ferrule_cli")
        .await
        .unwrap_or_else(|e| panic!("scratch database: {e}"));
    let url = format!(
        "{}/{}",
        admin_url().rsplit_once('/').map_or("", |(server, _)| server),
        options.get_database().unwrap_or_default()
    );
    let store = EventStore::connect(options, 8).await.unwrap_or_else(|e| panic!("{e}"));
    let config = command_api::config::Config {
        chain: ChainConfig { chain_idle_ms: 10, ..ChainConfig::default() },
        ..local::config(8)
    };
    let api = LocalApi::start(store.clone(), config).await.unwrap_or_else(|e| panic!("command API: {e}"));
    let client = reqwest::Client::new();
    let mut position = 0;
    for name in ["Bossard", "Würth", "Fabory"] {
        let answer = client
            .post(format!("{}/v1/brands", api.base))
            .bearer_auth(&api.token)
            .json(&json!({"name": name}))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(answer.status(), StatusCode::CREATED);
        let body: Value = answer.json().await.unwrap_or_else(|e| panic!("{e}"));
        position = body["position"].as_i64().unwrap_or_default();
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while EventStore::chain_head(store.pool()).await.ok().flatten().is_none_or(|head| head.position < position) {
        assert!(Instant::now() < deadline, "the chain never reached {position}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (api, store, url, position)
}

#[tokio::test]
async fn verify_exits_0_on_an_untouched_store_and_1_naming_an_altered_event() {
    let (api, store, url, position) = chained().await;
    let clean = ferrule(&["audit", "verify", "--write-database-url", &url]).await;
    let stdout = String::from_utf8_lossy(&clean.stdout);
    assert!(clean.status.success(), "{stdout}{}", String::from_utf8_lossy(&clean.stderr));
    assert!(stdout.contains("the chain verifies up to position"), "{stdout}");

    let mut tx = store.pool().begin().await.unwrap_or_else(|e| panic!("{e}"));
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    sqlx::query("UPDATE events SET payload = jsonb_set(payload, '{name}', '\"Forged\"') WHERE position = $1")
        .bind(position)
        .execute(&mut *tx)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));

    let broken = ferrule(&["audit", "verify", "--write-database-url", &url, "--json"]).await;
    assert_eq!(broken.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&broken.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report["broken"]["what"], "payload_altered");
    assert_eq!(report["broken"]["position"], position);
    let human = ferrule(&["audit", "verify", "--write-database-url", &url]).await;
    let stdout = String::from_utf8_lossy(&human.stdout);
    assert!(stdout.contains(&format!("BROKEN at position {position}")) && stdout.contains("next:"), "{stdout}");
    api.stop().await;
}

#[tokio::test]
async fn replay_builds_the_read_model_up_to_the_position_into_a_new_database() {
    let (api, _store, url, position) = chained().await;
    let target = format!(
        "{}/ferrule_cli_replay_{}",
        admin_url().rsplit_once('/').map_or("", |(server, _)| server),
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let replay = ferrule(&[
        "audit",
        "replay",
        "--write-database-url",
        &url,
        "--to-position",
        &position.to_string(),
        "--into-database",
        &target,
    ])
    .await;
    assert!(
        replay.status.success(),
        "{}{}",
        String::from_utf8_lossy(&replay.stdout),
        String::from_utf8_lossy(&replay.stderr)
    );
    let read = sqlx::PgPool::connect(&target).await.unwrap_or_else(|e| panic!("{e}"));
    let (checkpoint, brands): (i64, i64) =
        sqlx::query_as("SELECT (SELECT position FROM catalog.checkpoint), (SELECT count(*) FROM catalog.brands)")
            .fetch_one(&read)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((checkpoint, brands), (position, 3));
    // A second replay into the same database is refused: it already holds a read model.
    let again =
        ferrule(&["audit", "replay", "--write-database-url", &url, "--to-position", "1", "--into-database", &target])
            .await;
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds a read model"));
    read.close().await;
    api.stop().await;
    let name = target.rsplit_once('/').map_or("", |(_, name)| name);
    event_store::scratch::drop_database(&admin_url(), name).await.unwrap_or_else(|e| panic!("{e}"));
}
