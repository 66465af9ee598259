//! `ferrule audit` as an auditor runs it: the real binary against a command API in this test's
//! process (over a scratch database of its own, with an audit signing key): history as NDJSON,
//! the state as of a version, and an export that checks, then fails to once a byte is altered.

use std::process::Output;

use ferrule_seed::local::{self, LocalApi};
use serde_json::{json, Value};
use uuid::Uuid;

fn admin_url() -> String {
    std::env::var("FERRULE_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

async fn ferrule(api: &LocalApi, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_ferrule"))
        .arg("audit")
        .args(args)
        .args(["--api", &api.base, "--token", &api.token])
        .env("NO_COLOR", "1")
        .output()
        .await
        .expect("the ferrule binary runs")
}

async fn ferrule_offline(args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_ferrule")).arg("audit").args(args).output().await.expect("runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_history_state_and_a_checked_export_from_the_command_line() {
    let options = event_store::scratch::fresh_database(&admin_url(), "ferrule_audit_cli").await.expect("database");
    let database = options.get_database().unwrap_or_default().to_owned();
    let store = event_store::EventStore::connect(options, 8).await.expect("connect");
    let (signer, pem) = auth_tokens::AuditSigner::generate().expect("key");
    let mut config = local::config(8);
    config.audit.audit_signing_key = Some(pem);
    let api = LocalApi::start(store.clone(), config).await.expect("command API");
    let started = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let client = reqwest::Client::new();
    let upsert = |name: &'static str| {
        client
            .put(format!("{}/v1/brands/by-external-id/B1", api.base))
            .bearer_auth(&api.token)
            .json(&json!({ "name": name }))
            .send()
    };
    let brand: Value = upsert("Acme").await.expect("create").json().await.expect("json");
    let id = brand["id"].as_str().expect("an id").to_owned();
    assert!(upsert("Acme Tools").await.expect("rename").status().is_success());
    let ended =
        (chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);

    // History as NDJSON, and as a table with the diff `from → to`.
    let history = ferrule(&api, &["history", "--stream-id", &id, "--json"]).await;
    assert_eq!(history.status.code(), Some(0), "{}", text(&history));
    let events: Vec<Value> = String::from_utf8_lossy(&history.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(events[0]["type"], "BrandCreated");
    let table = ferrule(&api, &["history", "--stream-type", "brand", "--from", &started, "--to", &ended]).await;
    assert_eq!(table.status.code(), Some(0), "{}", text(&table));
    assert!(text(&table).contains("BrandCreated"), "{}", text(&table));
    assert!(text(&table).contains("name: Acme → Acme Tools"), "{}", text(&table));
    let unbounded = ferrule(&api, &["history", "--stream-type", "brand"]).await;
    assert_eq!(unbounded.status.code(), Some(1));
    assert!(text(&unbounded).contains("unbounded"), "{}", text(&unbounded));

    // The state at version 1.
    let state = ferrule(&api, &["state", "brand", &id, "--version", "1", "--json"]).await;
    assert_eq!(state.status.code(), Some(0), "{}", text(&state));
    let state: Value = serde_json::from_slice(&state.stdout).expect("JSON");
    assert_eq!(state["state"]["name"], "Acme");

    // An export, checked with the public key; one altered byte fails the check.
    let dir = std::env::temp_dir().join(format!("ferrule-audit-cli-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("export.ndjson");
    let path = file.to_string_lossy().into_owned();
    let export = ferrule(&api, &["export", "--stream-id", &id, "-o", &path]).await;
    assert_eq!(export.status.code(), Some(0), "{}", text(&export));
    assert!(text(&export).contains(&format!("signed   by key {}", signer.key_id())), "{}", text(&export));
    let key = signer.public_key_base64();
    let checked = ferrule_offline(&["export", "--check", &path, "--public-key", &key]).await;
    assert_eq!(checked.status.code(), Some(0), "{}", text(&checked));
    assert!(text(&checked).contains("OK"), "{}", text(&checked));
    let mut bytes = std::fs::read(&file).expect("read");
    let at = String::from_utf8_lossy(&bytes).find("Acme").expect("the brand's name");
    bytes[at] = b'a';
    std::fs::write(&file, &bytes).expect("write");
    let altered = ferrule_offline(&["export", "--check", &path, "--public-key", &key]).await;
    assert_eq!(altered.status.code(), Some(1), "{}", text(&altered));
    assert!(text(&altered).contains("altered"), "{}", text(&altered));

    api.stop().await;
    store.pool().close().await;
    let _ = std::fs::remove_dir_all(&dir);
    let _ = event_store::scratch::drop_database(&admin_url(), &database).await;
}
