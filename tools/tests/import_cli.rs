//! `ferrule import` as an operator runs it: the real binary against a command API (in this test's
//! process, over a scratch database of its own on the real PostgreSQL), with the example file the
//! README walks through and a file with bad rows.

use std::path::{Path, PathBuf};
use std::process::Output;

use event_store::{EventFilter, EventStore};
use ferrule_seed::local::{self, LocalApi, ADMIN_EMAIL};
use uuid::Uuid;

fn admin_url() -> String {
    std::env::var("FERRULE_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A command API with an import worker over a fresh database, and a directory for the files.
struct Installation {
    api: Option<LocalApi>,
    store: EventStore,
    database: String,
    dir: PathBuf,
}

impl Installation {
    async fn start() -> Installation {
        let options =
            event_store::scratch::fresh_database(&admin_url(), "ferrule_cli").await.expect("scratch database");
        let database = options.get_database().unwrap_or_default().to_owned();
        let store = EventStore::connect(options, 8).await.expect("connect");
        let config = command_api::config::Config { import_workers: 1, import_max_bytes: 64 << 20, ..local::config(8) };
        let api = LocalApi::start(store.clone(), config).await.expect("command API");
        let dir = std::env::temp_dir().join(format!("ferrule-cli-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("password"), &api.password).expect("password file");
        Installation { api: Some(api), store, database, dir }
    }

    /// Runs `ferrule import FILE ARGS…` as the admin.
    async fn import(&self, file: &Path, args: &[&str]) -> Output {
        let api = self.api.as_ref().expect("running");
        tokio::process::Command::new(env!("CARGO_BIN_EXE_ferrule"))
            .arg("import")
            .arg(file)
            .args(args)
            .args(["--api", &api.base, "--admin-email", ADMIN_EMAIL])
            .arg("--admin-password-file")
            .arg(self.dir.join("password"))
            .output()
            .await
            .expect("the ferrule binary runs")
    }

    async fn count(&self, filter: EventFilter<'_>) -> i64 {
        EventStore::count_events(self.store.pool(), &filter).await.expect("count events")
    }

    /// Events appended by an import (their request ids name it).
    async fn imported(&self) -> i64 {
        let events = EventStore::events(self.store.pool(), &EventFilter::all()).await.expect("events");
        events.iter().filter(|e| e.request_id.starts_with("import-")).count() as i64
    }

    /// Events whose correlation id is an import job and whose actor is that job's owner.
    async fn by_job_owners(&self) -> i64 {
        let jobs: Vec<(Uuid, Uuid)> =
            sqlx::query_as("SELECT id, owner FROM import_jobs").fetch_all(self.store.pool()).await.expect("jobs");
        let mut count = 0;
        for (job, owner) in jobs {
            let owner = owner.to_string();
            count += self.count(EventFilter::all().correlation(job).actor(&owner)).await;
        }
        count
    }

    async fn stop(mut self) {
        if let Some(api) = self.api.take() {
            api.stop().await;
        }
        self.store.pool().close().await;
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = event_store::scratch::drop_database(&admin_url(), &self.database).await;
    }
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/catalog.csv")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_file_imports_then_imports_again_as_unchanged() {
    let installation = Installation::start().await;
    let rows = std::fs::read_to_string(example()).expect("example").lines().count() as i64 - 1;

    // When the example is imported
    let first = installation.import(&example(), &[]).await;

    // Then it exits 0 with a summary of every row applied, and the events are there
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let summary = text(&first);
    assert!(summary.contains(&format!("import done: {rows} rows read, {rows} applied")), "{summary}");
    assert!(installation.count(EventFilter::all().event_type("ProductCreated")).await >= 1);
    // And every event of the import names the admin as actor and the job as correlation id
    assert_eq!(installation.by_job_owners().await, installation.imported().await);
    assert!(installation.by_job_owners().await >= rows);

    // When it is imported again, Then nothing changes and it still exits 0
    let events = installation.count(EventFilter::all()).await;
    let again = installation.import(&example(), &[]).await;
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(
        text(&again).contains(&format!("0 applied (0 created, 0 updated), {rows} unchanged, 0 refused")),
        "{}",
        text(&again)
    );
    assert_eq!(installation.count(EventFilter::all()).await, events);
    installation.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_rows_exit_2_and_are_written_to_the_errors_file() {
    let installation = Installation::start().await;
    let file = installation.dir.join("bad.ndjson");
    let lines = [
        r#"{"kind":"category","external_id":"C1","name":"Fasteners"}"#,
        r#"{"kind":"category","external_id":"C2","name":"Bolts","parent":"NOPE"}"#,
        r#"not json"#,
        r#"{"kind":"brand","external_id":"B1","name":"Acme"}"#,
    ];
    std::fs::write(&file, lines.join("\n")).expect("write");
    let errors = installation.dir.join("bad.ndjson.errors.ndjson");

    // When the file is dry-run, Then nothing is appended, the refusals are reported, exit 2
    let dry = installation.import(&file, &["--dry-run"]).await;
    assert_eq!(dry.status.code(), Some(2), "{}", text(&dry));
    assert_eq!(installation.imported().await, 0);

    // When it is imported
    let output = installation.import(&file, &[]).await;

    // Then it exits 2, applied the good rows, and the errors file names the bad ones
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("4 rows read, 2 applied"), "{}", text(&output));
    let written: Vec<serde_json::Value> = std::fs::read_to_string(&errors)
        .expect("errors file")
        .lines()
        .map(|l| serde_json::from_str(l).expect("an NDJSON error"))
        .collect();
    let codes: Vec<(u64, &str, &str)> = written
        .iter()
        .map(|e| (e["row"].as_u64().unwrap_or(0), e["field"].as_str().unwrap_or(""), e["code"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(codes, vec![(2, "parent", "unknown_reference"), (3, "", "malformed_row")], "{written:?}");
    installation.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_file_says_so_and_exits_non_zero() {
    let installation = Installation::start().await;
    let output = installation.import(&installation.dir.join("nowhere.csv"), &[]).await;
    assert_ne!(output.status.code(), Some(0));
    assert!(text(&output).contains("cannot open"), "{}", text(&output));
    installation.stop().await;
}
