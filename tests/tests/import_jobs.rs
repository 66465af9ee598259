//! Import jobs through the real command API: `POST /v1/imports` queues a file, a worker applies
//! it as the submitting admin (the job's id as correlation id), `GET /v1/imports/{id}` and its
//! errors follow it; a job resumes after its worker stopped, and a cancelled one applies nothing.

use std::time::{Duration, Instant};

use command_api::Config;
use event_store::{EventFilter, StoredEvent};
use integration_tests::{test_config, Answer, TestApp};
use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

const CSV: &str = "kind,external_id,name,parent\n\
                   category,C-ROOT,Fasteners,\n\
                   category,C-BOLTS,Bolts,C-ROOT\n\
                   category,C-BAD,Nuts,C-NOPE\n\
                   brand,B-ACME,Acme,\n\
                   category,C-ROOT,Again,\n\
                   widget,W-1,Thing,\n\
                   brand,B-BETA,Beta,\n";

async fn submit(app: &TestApp, content_type: &str, body: &str, query: &str) -> Answer {
    submit_as(app, &app.token, content_type, body, query).await
}

async fn submit_as(app: &TestApp, token: &str, content_type: &str, body: &str, query: &str) -> Answer {
    TestApp::answer(
        app.client
            .post(format!("{}/v1/imports{query}", app.base))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body.to_owned()),
    )
    .await
}

async fn queued(app: &TestApp, content_type: &str, body: &str, query: &str) -> Uuid {
    let answer = submit(app, content_type, body, query).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{answer:?}");
    let id = answer.id();
    assert_eq!(answer.header("location"), Some(format!("/v1/imports/{id}").as_str()));
    assert_eq!(answer.body["links"]["errors"], format!("/v1/imports/{id}/errors"));
    id
}

/// Polls the job until it is in one of `states` (or panics at the deadline).
async fn until(app: &TestApp, id: Uuid, states: &[&str]) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let job = app.get(&format!("/v1/imports/{id}")).await;
        assert_eq!(job.status, StatusCode::OK, "{job:?}");
        if states.iter().any(|s| job.body["state"] == *s) {
            return job.body;
        }
        assert!(Instant::now() < deadline, "job {id} never reached {states:?}: {:?}", job.body);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn counters(job: &Value) -> [i64; 6] {
    ["rows_read", "created", "updated", "unchanged", "checked", "refused"].map(|k| job[k].as_i64().unwrap_or(-1))
}

/// `(row, field, code)` of every error of the job, page by page.
async fn errors(app: &TestApp, id: Uuid, limit: u32) -> Vec<(i64, String, String)> {
    let mut found = Vec::new();
    let mut after = -1;
    loop {
        let page = app.get(&format!("/v1/imports/{id}/errors?after_row={after}&limit={limit}")).await;
        assert_eq!(page.status, StatusCode::OK, "{page:?}");
        for e in page.body["errors"].as_array().cloned().unwrap_or_default() {
            found.push((
                e["row"].as_i64().unwrap_or(-1),
                e["field"].as_str().unwrap_or_default().to_owned(),
                e["code"].as_str().unwrap_or_default().to_owned(),
            ));
        }
        match page.body["next_after_row"].as_i64() {
            Some(next) => after = next,
            None => return found,
        }
    }
}

/// How many of `events` mention `text` anywhere in their payload.
fn mentioning(events: &[StoredEvent], text: &str) -> i64 {
    events.iter().filter(|e| e.payload.to_string().contains(text)).count() as i64
}

/// `(events, events by the admin)` carrying `correlation` as correlation id.
async fn events_of(app: &TestApp, correlation: Uuid) -> (i64, i64) {
    let events = app.events(EventFilter::all().correlation(correlation)).await;
    let admin = app.admin_id.to_string();
    let by_admin = events.iter().filter(|e| e.actor_id == admin && e.actor_role == "admin").count();
    (events.len() as i64, by_admin as i64)
}

fn expected_errors() -> Vec<(i64, String, String)> {
    [(3, "parent", "unknown_reference"), (5, "external_id", "duplicate_in_file"), (6, "kind", "invalid_kind")]
        .map(|(row, field, code)| (row, field.to_owned(), code.to_owned()))
        .to_vec()
}

fn without_workers() -> Config {
    Config { import_workers: 0, ..test_config() }
}

#[tokio::test]
async fn a_csv_job_applies_its_good_rows_as_the_admin_and_lists_the_bad_ones() {
    let app = TestApp::spawn().await;
    let id = queued(&app, "text/csv; charset=utf-8", CSV, "").await;
    let job = until(&app, id, &["done", "failed"]).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(counters(&job), [7, 4, 0, 0, 0, 3], "{job}");
    assert_eq!((job["applied"].as_i64(), job["error_count"].as_i64()), (Some(4), Some(3)), "{job}");
    assert_eq!((job["next_row"].as_i64(), job["bytes"].as_u64()), (Some(8), Some(CSV.len() as u64)), "{job}");
    assert!(job["finished_at"].is_string() && job["rows_per_second"].is_number(), "{job}");
    // Paged one row at a time and all at once alike.
    assert_eq!(errors(&app, id, 1).await, expected_errors());
    assert_eq!(errors(&app, id, 100).await, expected_errors());
    let (events, by_admin) = events_of(&app, id).await;
    assert!(events >= 4, "{events}");
    assert_eq!(by_admin, events, "every event of the job is the admin's");
    let bolts = mentioning(&app.events(EventFilter::all().correlation(id)).await, "Bolts");
    assert_eq!(bolts, 1);
    let chunks: i64 = sqlx::query_scalar("SELECT count(*) FROM import_chunks WHERE job_id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(chunks, 0, "a done job's file is deleted");

    // A done job cannot be cancelled.
    let cancel = app.post(&format!("/v1/imports/{id}/cancel"), Value::Null).await;
    assert_eq!(cancel.status, StatusCode::CONFLICT, "{cancel:?}");

    // The same file as a dry run: checked, nothing appended.
    let before = app.event_count().await;
    let dry = queued(&app, "text/csv", CSV, "?dry_run=true").await;
    let job = until(&app, dry, &["done", "failed"]).await;
    assert_eq!((job["state"].as_str(), job["dry_run"].as_bool()), (Some("done"), Some(true)), "{job}");
    assert_eq!(counters(&job), [7, 0, 0, 0, 4, 3], "{job}");
    assert_eq!(app.event_count().await, before, "a dry run appends nothing");
    assert_eq!(events_of(&app, dry).await, (0, 0));

    // A second run: every good row unchanged, nothing appended.
    let again = queued(&app, "text/csv", CSV, "?dry_run=false").await;
    let job = until(&app, again, &["done", "failed"]).await;
    assert_eq!(counters(&job), [7, 0, 0, 4, 0, 3], "{job}");
    assert_eq!(app.event_count().await, before);

    // Unknown jobs and bad parameters.
    let missing = app.get(&format!("/v1/imports/{}", Uuid::new_v4())).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{missing:?}");
    let bad = submit(&app, "text/csv", CSV, "?dry_run=maybe&x=1").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
    assert_eq!(
        bad.field_errors(),
        [("dry_run".to_owned(), "invalid_boolean".to_owned()), ("x".to_owned(), "unknown_parameter".to_owned())]
    );
    let bad = app.get(&format!("/v1/imports/{id}/errors?limit=0")).await;
    assert_eq!(bad.field_errors(), [("limit".to_owned(), "out_of_range".to_owned())]);
    let anonymous =
        app.client.post(format!("{}/v1/imports", app.base)).header("content-type", "text/csv").body(CSV).send().await;
    assert_eq!(anonymous.map(|r| r.status()).ok(), Some(StatusCode::UNAUTHORIZED));
}

#[tokio::test]
async fn ndjson_empty_unsupported_unrecognized_and_bad_header_files() {
    let app = TestApp::spawn().await;
    let ndjson = "{\"kind\":\"category\",\"external_id\":\"N-1\",\"name\":\"Tools\"}\n\
                  {\"kind\":\"category\",\"external_id\":\"N-2\",\"name\":\"Saws\",\"parent\":\"N-1\"}\n\
                  {\"kind\":\"brand\",\"external_id\":\"N-B\",\"name\":\"Acme\",\"colour\":\"red\"}\n";
    let id = queued(&app, "application/x-ndjson", ndjson, "").await;
    let job = until(&app, id, &["done", "failed"]).await;
    assert_eq!((job["state"].as_str(), job["encoding"].as_str()), (Some("done"), Some("ndjson")), "{job}");
    assert_eq!(counters(&job), [3, 2, 0, 0, 0, 1], "{job}");
    let listed = errors(&app, id, 10).await;
    assert_eq!(listed.iter().map(|(row, _, _)| *row).collect::<Vec<_>>(), [3], "{listed:?}");
    let (events, by_admin) = events_of(&app, id).await;
    assert!(events >= 2 && by_admin == events, "{events} {by_admin}");

    // application/ndjson is NDJSON too.
    let other = queued(&app, "application/ndjson", ndjson, "").await;
    let job = until(&app, other, &["done", "failed"]).await;
    assert_eq!(counters(&job), [3, 0, 0, 2, 0, 1], "{job}");

    let jobs_before: i64 = sqlx::query_scalar("SELECT count(*) FROM import_jobs")
        .fetch_one(&app.db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let plain = submit(&app, "text/plain", CSV, "").await;
    assert_eq!(plain.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{plain:?}");
    assert_eq!(plain.header("content-type"), Some("application/problem+json"));
    let unrecognized = submit(&app, "text/csv", "hello,world\n", "").await;
    assert_eq!(unrecognized.status, StatusCode::UNPROCESSABLE_ENTITY, "{unrecognized:?}");
    assert_eq!(unrecognized.field_errors(), [("body".to_owned(), "unrecognized_file".to_owned())]);
    let jobs_after: i64 = sqlx::query_scalar("SELECT count(*) FROM import_jobs")
        .fetch_one(&app.db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(jobs_after, jobs_before, "a refused upload leaves no job");

    // An empty file: a job of no rows, done at once.
    let empty = submit(&app, "text/csv", "", "").await;
    assert_eq!(empty.status, StatusCode::ACCEPTED, "{empty:?}");
    assert_eq!((empty.body["state"].as_str(), empty.body["rows_read"].as_i64()), (Some("done"), Some(0)), "{empty:?}");

    // A header with an unknown column refuses the whole file: failed, the error on row 0.
    let bad_header = queued(&app, "text/csv", "kind,external_id,colour\ncategory,C-1,red\n", "").await;
    let job = until(&app, bad_header, &["done", "failed"]).await;
    assert_eq!(job["state"], "failed", "{job}");
    assert!(job["failure"].as_str().unwrap_or_default().contains("colour"), "{job}");
    assert_eq!(job["rows_read"], 0, "{job}");
    assert_eq!(errors(&app, bad_header, 10).await, [(0, "colour".to_owned(), "unknown_column".to_owned())]);
    assert_eq!(events_of(&app, bad_header).await, (0, 0));
}

#[tokio::test]
async fn a_job_whose_worker_stopped_resumes_at_its_checkpoint_and_appends_nothing_twice() {
    // Submitted to a replica that runs no jobs: they wait.
    let app = TestApp::spawn_with(without_workers()).await;
    let first = queued(&app, "text/csv", CSV, "").await;
    let second = queued(&app, "text/csv", CSV, "").await;
    // The second as a worker that stopped would leave it: running, its lease expired, rows 1 to
    // 3 handled (two created, row 3 refused) and checkpointed.
    sqlx::query(
        "UPDATE import_jobs SET state = 'running', lease_until = now() - interval '1 second', claim = gen_random_uuid(), \
                started_at = now(), next_row = 4, rows_read = 3, created = 2, applied = 2, refused = 1, error_count = 1 \
          WHERE id = $1",
    )
    .bind(second)
    .execute(&app.db)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    sqlx::query(
        "INSERT INTO import_errors (job_id, row, field, code, message) VALUES ($1, 3, 'parent', 'unknown_reference', 'x')",
    )
    .bind(second)
    .execute(&app.db)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let still = app.get(&format!("/v1/imports/{first}")).await;
    assert_eq!(still.body["state"], "queued", "{still:?}");

    // A replica with a worker over the same database: the first job applies the rows (the stopped
    // run of the second had applied them too), then the second resumes at row 4.
    let replica = app.replica().await;
    let job = until(&replica, first, &["done", "failed"]).await;
    assert_eq!(counters(&job), [7, 4, 0, 0, 0, 3], "{job}");
    let appended = app.event_count().await;
    let job = until(&replica, second, &["done", "failed"]).await;
    assert_eq!(job["state"], "done", "{job}");
    // Rows 4 to 7: B-ACME and B-BETA unchanged, row 5 still a duplicate of row 1, row 6 refused.
    assert_eq!(counters(&job), [7, 2, 0, 2, 0, 3], "{job}");
    assert_eq!(errors(&replica, second, 10).await, expected_errors());
    assert_eq!(events_of(&app, second).await, (0, 0), "nothing is appended twice");
    assert_eq!(app.event_count().await, appended);
    let roots = mentioning(&app.events(EventFilter::all()).await, "Fasteners");
    assert_eq!(roots, 1, "one category C-ROOT");
}

#[tokio::test]
async fn a_cancelled_job_applies_nothing() {
    let app = TestApp::spawn_with(without_workers()).await;
    let id = queued(&app, "text/csv", CSV, "").await;
    let cancelled = app.post(&format!("/v1/imports/{id}/cancel"), Value::Null).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{cancelled:?}");
    assert_eq!(cancelled.body["state"], "cancelled");
    let again = app.post(&format!("/v1/imports/{id}/cancel"), Value::Null).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{again:?}");

    // A worker starts: it runs the next job, never the cancelled one.
    let replica = app.replica().await;
    let next =
        queued(&replica, "application/x-ndjson", "{\"kind\":\"brand\",\"external_id\":\"B-1\",\"name\":\"One\"}\n", "")
            .await;
    let job = until(&replica, next, &["done", "failed"]).await;
    assert_eq!(counters(&job), [1, 1, 0, 0, 0, 0], "{job}");
    let job = until(&replica, id, &["cancelled"]).await;
    assert_eq!(job["rows_read"], 0, "{job}");
    assert_eq!(events_of(&app, id).await, (0, 0));
    let chunks: i64 = sqlx::query_scalar("SELECT count(*) FROM import_chunks WHERE job_id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(chunks, 0, "a cancelled job's file is deleted");
}

#[tokio::test]
async fn a_file_far_over_the_json_body_limit_is_taken_in_chunks_up_to_its_own_limit() {
    let app = TestApp::spawn_with(Config { import_max_bytes: 2 << 20, ..without_workers() }).await;
    // About 1.3 MiB (the JSON limit is 64 KiB): two stored chunks, records across their boundary.
    let mut file = String::from("kind,external_id,name\n");
    let rows = 7_000;
    for i in 0..rows {
        file.push_str(&format!("category,C-{i:05},Category {i} {}\n", "x".repeat(160)));
    }
    assert!(file.len() > 1 << 20);
    let id = queued(&app, "text/csv", &file, "?dry_run=true").await;
    let chunks: i64 = sqlx::query_scalar("SELECT count(*) FROM import_chunks WHERE job_id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(chunks, 2);
    let replica = app.replica().await;
    let job = until(&replica, id, &["done", "failed"]).await;
    assert_eq!(counters(&job), [rows, 0, 0, 0, rows, 0], "{job}");
    assert_eq!((job["bytes"].as_u64(), job["bytes_done"].as_u64()), (Some(file.len() as u64), Some(file.len() as u64)));

    // Over FERRULE_IMPORT_MAX_BYTES: 413, and no job.
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM import_jobs")
        .fetch_one(&app.db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let big = submit(&app, "text/csv", &file.repeat(2), "").await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE, "{big:?}");
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM import_jobs")
        .fetch_one(&app.db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(after, jobs);
}

#[tokio::test]
async fn a_job_whose_admin_was_disabled_fails_with_the_reason_and_applies_nothing() {
    let app = TestApp::spawn_with(without_workers()).await;
    let email = format!("importer-{}@ferrule.test", Uuid::new_v4().simple());
    let password = "another correct horse battery";
    let user = app.post("/v1/users", serde_json::json!({"email": email, "password": password, "role": "admin"})).await;
    assert_eq!(user.status, StatusCode::CREATED, "{user:?}");
    let login = app.login(&email, password).await;
    let token = login.body["access_token"].as_str().unwrap_or_default().to_owned();
    let answer = submit_as(&app, &token, "text/csv", CSV, "").await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{answer:?}");
    let id = answer.id();
    assert_eq!(answer.body["owner"], user.id().to_string());
    let disabled = app.post(&format!("/v1/users/{}/disable", user.id()), serde_json::json!({})).await;
    assert_eq!(disabled.status, StatusCode::OK, "{disabled:?}");

    let replica = app.replica().await;
    let job = until(&replica, id, &["done", "failed"]).await;
    assert_eq!(job["state"], "failed", "{job}");
    assert!(job["failure"].as_str().unwrap_or_default().contains("disabled"), "{job}");
    assert_eq!(job["applied"], 0, "{job}");
    assert_eq!(events_of(&app, id).await, (0, 0));
}

#[tokio::test]
async fn a_running_job_cancelled_stops_and_its_file_goes_once_no_worker_holds_it() {
    let app = TestApp::spawn_with(without_workers()).await;
    let id = queued(&app, "text/csv", CSV, "").await;
    // As a worker holds it: running, its lease live.
    sqlx::query(
        "UPDATE import_jobs SET state = 'running', claim = gen_random_uuid(), lease_until = now() + interval '1 minute', \
                started_at = now() WHERE id = $1",
    )
    .bind(id)
    .execute(&app.db)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let cancelled = app.post(&format!("/v1/imports/{id}/cancel"), Value::Null).await;
    assert_eq!(
        (cancelled.status, cancelled.body["state"].as_str()),
        (StatusCode::OK, Some("cancelled")),
        "{cancelled:?}"
    );
    let chunks = |app: TestApp| async move {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM import_chunks WHERE job_id = $1")
            .bind(id)
            .fetch_one(&app.db)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(chunks(app.clone()).await, 1, "its worker is still reading it");
    // The worker stopped without a checkpoint: once its lease is over, a worker deletes the file,
    // and the job stays cancelled with nothing applied.
    sqlx::query("UPDATE import_jobs SET lease_until = now() - interval '1 second' WHERE id = $1")
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let replica = app.replica().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while chunks(app.clone()).await > 0 {
        assert!(Instant::now() < deadline, "the cancelled job's file was never deleted");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let job = replica.get(&format!("/v1/imports/{id}")).await;
    assert_eq!((job.body["state"].as_str(), job.body["rows_read"].as_i64()), (Some("cancelled"), Some(0)), "{job:?}");
    assert_eq!(events_of(&app, id).await, (0, 0));
}

#[tokio::test]
async fn a_file_sent_again_with_its_idempotency_key_answers_the_first_job_and_another_file_is_refused() {
    let app = TestApp::spawn_with(without_workers()).await;
    let key = format!("import-{}", Uuid::new_v4());
    let send = |body: &'static str| {
        TestApp::answer(
            app.client
                .post(format!("{}/v1/imports", app.base))
                .bearer_auth(&app.token)
                .header("content-type", "text/csv")
                .header("idempotency-key", &key)
                .body(body),
        )
    };
    let jobs = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM import_jobs")
            .fetch_one(&app.db)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    };

    let first = send(CSV).await;
    assert_eq!(first.status, StatusCode::ACCEPTED, "{first:?}");
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = send(CSV).await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{again:?}");
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body, "the first answer, as it was");
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(jobs().await, 1, "one job for both attempts");

    let other = send("kind,external_id,name\nbrand,B-OTHER,Other\n").await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY, "{other:?}");
    assert_eq!(other.header("content-type"), Some("application/problem+json"));
    assert_eq!(jobs().await, 1, "the other file queued nothing");
}
