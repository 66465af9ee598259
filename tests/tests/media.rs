//! Media on the write side against the real test S3 server (each test under a key prefix of its
//! own): presigned uploads and their completion, refusals, the media list commands, the variant
//! worker, the upload sweeper and the orphan GC.

use std::time::{Duration, Instant};

use command_api::config::{Config, MediaConfig};
use command_api::media::{gc, sweep};
use domain::media::{media_id, MediaOwner, OwnerType};
use event_store::EventFilter;
use integration_tests::{hex_bolts, test_config, Answer, TestApp};
use media_store::{demo, MediaStore, S3Config};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

struct Media {
    app: TestApp,
    store: MediaStore,
    product: Uuid,
}

impl Media {
    async fn spawn() -> Media {
        Self::spawn_on(media_store::testing::test_config()).await
    }

    async fn spawn_on(s3: S3Config) -> Media {
        let store = MediaStore::new(&s3);
        let app = TestApp::spawn_with(Config { media: MediaConfig::local(s3), ..test_config() }).await;
        let schema = hex_bolts(&app).await;
        let product = app
            .post(
                "/v1/products",
                json!({"family_id": schema.family, "name": "Hex bolt M8x40",
                       "specs": {"thread_size": "M8", "length": 40, "material": "A2"}}),
            )
            .await;
        assert_eq!(product.status, StatusCode::CREATED, "{product:?}");
        Media { store, product: product.id(), app }
    }

    fn owner(&self) -> MediaOwner {
        MediaOwner { owner_type: OwnerType::Product, id: self.product }
    }

    async fn start(&self, role: &str, content_type: &str, size: usize) -> Answer {
        self.app
            .post(
                "/v1/media/uploads",
                json!({"owner": {"type": "product", "id": self.product}, "role": role,
                       "filename": "file.bin", "content_type": content_type, "size": size}),
            )
            .await
    }

    /// Starts, PUTs `bytes` with exactly the returned headers, and completes.
    async fn upload(&self, role: &str, content_type: &str, bytes: &[u8]) -> (Uuid, Answer) {
        let started = self.start(role, content_type, bytes.len()).await;
        assert_eq!(started.status, StatusCode::CREATED, "{started:?}");
        assert_eq!(put(&started, bytes.to_vec()).await, StatusCode::OK);
        let id = started.id();
        (id, self.complete(id).await)
    }

    async fn complete(&self, id: Uuid) -> Answer {
        self.app.post(&format!("/v1/media/uploads/{id}/complete"), json!({})).await
    }

    async fn exists(&self, key: &str) -> bool {
        self.store.head(key).await.unwrap_or_else(|e| panic!("{e}")).is_some()
    }

    async fn media_events(&self) -> Vec<event_store::StoredEvent> {
        self.app.stream_events(media_id(self.owner())).await
    }
}

/// The presigned PUT as a browser would send it: exactly the signed headers.
async fn put(started: &Answer, bytes: Vec<u8>) -> StatusCode {
    let client = reqwest::Client::new();
    let mut request = client.put(started.body["url"].as_str().unwrap_or_default());
    for (name, value) in started.body["headers"].as_object().into_iter().flatten() {
        request = request.header(name, value.as_str().unwrap_or_default());
    }
    // A body that disagrees with the signed length may make the server hang up or wait: bounded.
    match request.body(bytes).timeout(Duration::from_secs(10)).send().await {
        Ok(response) => response.status(),
        Err(_) => StatusCode::BAD_REQUEST,
    }
}

fn code(answer: &Answer) -> String {
    answer.body["errors"][0]["code"].as_str().unwrap_or_default().to_owned()
}

fn key(answer: &Answer) -> String {
    answer.body["key"].as_str().unwrap_or_default().to_owned()
}

/// Waits until `check` holds, or fails after `within`.
async fn eventually<F: std::future::Future<Output = bool>>(within: Duration, mut check: impl FnMut() -> F) {
    let deadline = Instant::now() + within;
    while !check().await {
        assert!(Instant::now() < deadline, "the condition did not hold within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn given_a_product_when_an_image_is_uploaded_and_completed_then_it_is_attached_by_its_actor_and_gets_variants() {
    let media = Media::spawn().await;
    let (_, done) = media.upload("primary", "image/jpeg", &demo::bearing_jpeg(800, 600, 7)).await;
    assert_eq!(done.status, StatusCode::CREATED, "{done:?}");
    assert_eq!(done.body["kind"], "image");
    assert_eq!(done.body["width"], 800);
    assert_eq!(done.body["content_type"], "image/jpeg");
    assert!(key(&done).starts_with("media/sha256/"), "{done:?}");
    assert!(media.exists(&key(&done)).await);
    let attached = media.media_events().await;
    assert!(attached.iter().any(|e| e.event_type == "MediumAttached" && e.actor_id == media.app.admin_id.to_string()));

    eventually(Duration::from_secs(60), || async {
        media.media_events().await.iter().any(|e| e.event_type == "MediumVariantsRecorded")
    })
    .await;
    let recorded = media.media_events().await.into_iter().find(|e| e.event_type == "MediumVariantsRecorded");
    let variants = recorded.map(|e| e.payload["variants"].clone()).unwrap_or_default();
    let variants = variants.as_array().cloned().unwrap_or_default();
    assert!(!variants.is_empty());
    for variant in variants {
        let key = variant["key"].as_str().unwrap_or_default();
        let head = media.store.head(key).await.unwrap_or_else(|e| panic!("{e}"));
        let expected = if variant["format"] == "webp" { "image/webp" } else { "image/jpeg" };
        assert_eq!(head.and_then(|h| h.content_type).as_deref(), Some(expected), "{key}");
    }
}

#[tokio::test]
async fn given_a_datasheet_when_completed_twice_then_both_answers_are_the_same_and_one_event_is_written() {
    let media = Media::spawn().await;
    let pdf = demo::datasheet_pdf("M8 hex bolt", &["DIN 933".to_owned()]);
    let (id, first) = media.upload("datasheet", "application/pdf", &pdf).await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    assert_eq!(first.body["kind"], "document");
    assert_eq!(first.body["size"], pdf.len());
    assert_eq!(first.body["sha256"].as_str().map(str::len), Some(64));
    let again = media.complete(id).await;
    assert_eq!((again.status, &again.body), (first.status, &first.body));
    let attached = media.media_events().await.iter().filter(|e| e.event_type == "MediumAttached").count();
    assert_eq!(attached, 1);
    assert!(!media.exists(&MediaStore::quarantine_key(id)).await, "the quarantine object is deleted");
}

#[tokio::test]
async fn given_the_same_file_twice_when_one_medium_is_detached_and_the_gc_runs_then_the_shared_object_stays() {
    let media = Media::spawn().await;
    let pdf = demo::datasheet_pdf("Same", &[]);
    let (_, a) = media.upload("datasheet", "application/pdf", &pdf).await;
    let (_, b) = media.upload("certificate", "application/pdf", &pdf).await;
    assert_eq!((a.status, b.status), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(key(&a), key(&b), "stored once, under one key");
    let listed = media.store.list("media/").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(listed.len(), 1);
    let detached = media.app.delete(&format!("/v1/products/{}/media/{}", media.product, a.id())).await;
    assert_eq!(detached.status, StatusCode::OK, "{detached:?}");
    let report = gc::gc_pass(&media.app.db, &media.store, Duration::ZERO).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(report.deleted.is_empty(), "{report:?}");
    assert!(media.exists(&key(&a)).await);
}

#[tokio::test]
async fn given_a_png_declared_as_a_pdf_when_completed_then_it_is_refused_as_content_mismatch_and_deleted() {
    let media = Media::spawn().await;
    let (id, refused) = media.upload("datasheet", "application/pdf", &demo::drawing_png(300, 200)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{refused:?}");
    assert_eq!(code(&refused), "content_mismatch");
    let message = refused.body["errors"][0]["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.contains("application/pdf") && message.contains("image/png"), "{message}");
    assert!(!media.exists(&MediaStore::quarantine_key(id)).await);
    assert_eq!(media.complete(id).await.body, refused.body, "the refusal is answered again");
    assert!(media.media_events().await.is_empty());
}

#[tokio::test]
async fn given_an_oversize_declaration_when_an_upload_is_started_then_it_is_refused_before_signing() {
    let media = Media::spawn().await;
    let started = media.start("gallery", "image/jpeg", 21 * 1024 * 1024).await;
    assert_eq!(started.status, StatusCode::UNPROCESSABLE_ENTITY, "{started:?}");
    assert_eq!(code(&started), "too_large");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM media_uploads")
        .fetch_one(&media.app.db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(count, 0);
}

#[tokio::test]
async fn given_a_body_longer_than_declared_when_put_then_no_byte_beyond_the_declaration_is_attached() {
    let media = Media::spawn().await;
    let pdf = demo::datasheet_pdf("Length", &[]);
    let started = media.start("datasheet", "application/pdf", pdf.len()).await;
    assert_eq!(started.status, StatusCode::CREATED, "{started:?}");
    let mut longer = pdf.clone();
    longer.extend_from_slice(b"\n%% trailing bytes");
    // S3 refuses a body longer than the signed length, or (s3s-fs, with the signed
    // Content-Length) reads only the declared bytes: either way no byte beyond the declaration
    // is ever attached.
    let stored = put(&started, longer).await.is_success();
    let completed = media.complete(started.id()).await;
    if stored {
        assert_eq!((completed.status, &completed.body["size"]), (StatusCode::CREATED, &json!(pdf.len())));
    } else {
        assert_eq!((completed.status, code(&completed)), (StatusCode::UNPROCESSABLE_ENTITY, "not_uploaded".into()));
    }
}

#[tokio::test]
async fn given_a_decompression_bomb_or_a_truncated_jpeg_when_completed_then_each_is_refused() {
    let media = Media::spawn().await;
    let (_, bomb) = media.upload("gallery", "image/png", &demo::bomb_png()).await;
    assert_eq!(bomb.status, StatusCode::UNPROCESSABLE_ENTITY, "{bomb:?}");
    assert_eq!(code(&bomb), "image_too_large");
    let jpeg = demo::bearing_jpeg(400, 300, 1);
    let (_, truncated) = media.upload("gallery", "image/jpeg", &jpeg[..jpeg.len() / 2]).await;
    assert_eq!(truncated.status, StatusCode::UNPROCESSABLE_ENTITY, "{truncated:?}");
    assert!(media.media_events().await.is_empty());
}

#[tokio::test]
async fn given_another_admins_upload_when_completed_then_it_is_not_found() {
    let media = Media::spawn().await;
    let started = media.start("datasheet", "application/pdf", 100).await;
    let email = format!("{}@ferrule.test", Uuid::new_v4().simple());
    let password = "a long passphrase 1";
    let user = media.app.post("/v1/users", json!({"email": email, "password": password, "role": "admin"})).await;
    assert_eq!(user.status, StatusCode::CREATED, "{user:?}");
    let login = media.app.login(&email, password).await;
    let token = login.body["access_token"].as_str().unwrap_or_default().to_owned();
    let path = format!("/v1/media/uploads/{}/complete", started.id());
    let other = media.app.send(reqwest::Method::POST, &path, Some(json!({})), Some(&token)).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "{other:?}");
}

#[tokio::test]
async fn given_a_detached_medium_when_the_list_is_reordered_with_it_then_it_is_a_conflict() {
    let media = Media::spawn().await;
    let (_, a) = media.upload("datasheet", "application/pdf", &demo::datasheet_pdf("A", &[])).await;
    let (_, b) = media.upload("drawing", "application/pdf", &demo::datasheet_pdf("B", &[])).await;
    let path = format!("/v1/products/{}/media", media.product);
    let reordered = media.app.put(&format!("{path}/order"), json!({"order": [b.id(), a.id()]})).await;
    assert_eq!(reordered.status, StatusCode::OK, "{reordered:?}");
    assert_eq!(reordered.body["media"][0]["id"], json!(b.id()));
    let partial = media.app.put(&format!("{path}/order"), json!({"order": [a.id()]})).await;
    assert_eq!(partial.status, StatusCode::CONFLICT, "an order of another list than the current one: {partial:?}");
    let twice = media.app.put(&format!("{path}/order"), json!({"order": [a.id(), a.id(), b.id()]})).await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY, "{twice:?}");
    assert_eq!(twice.body["errors"][0]["code"], "invalid_order");
    let patched = media.app.patch(&format!("{path}/{}", a.id()), json!({"title": "Datasheet (EN)"})).await;
    assert_eq!(patched.status, StatusCode::OK, "{patched:?}");
    assert_eq!(media.app.delete(&format!("{path}/{}", a.id())).await.status, StatusCode::OK);
    let stale = media.app.put(&format!("{path}/order"), json!({"order": [a.id(), b.id()]})).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{stale:?}");
}

#[tokio::test]
async fn given_an_unreachable_bucket_when_an_upload_is_completed_then_it_is_503_and_nothing_is_written() {
    let mut s3 = media_store::testing::test_config();
    s3.endpoint = "http://127.0.0.1:1".to_owned();
    let mut config = MediaConfig::local(s3.clone());
    config.create_bucket = false;
    let store = MediaStore::new(&s3);
    let app = TestApp::spawn_with(Config { media: config, ..test_config() }).await;
    let family = hex_bolts(&app).await.family;
    let started = app
        .post(
            "/v1/media/uploads",
            json!({"owner": {"type": "family", "id": family}, "role": "datasheet",
                   "filename": "pliers.pdf", "content_type": "application/pdf", "size": 10}),
        )
        .await;
    assert_eq!(started.status, StatusCode::CREATED, "presigning sends nothing: {started:?}");
    let before = app.count_events(EventFilter::default()).await;
    let completed = app.post(&format!("/v1/media/uploads/{}/complete", started.id()), json!({})).await;
    assert_eq!(completed.status, StatusCode::SERVICE_UNAVAILABLE, "{completed:?}");
    assert!(completed.headers.contains_key("retry-after"));
    assert_eq!(app.count_events(EventFilter::default()).await, before);
    let state: String = sqlx::query_scalar("SELECT state FROM media_uploads WHERE id = $1")
        .bind(started.id())
        .fetch_one(&app.db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(state, "pending");
    drop(store);
}

#[tokio::test]
async fn given_an_upload_never_completed_when_it_expires_then_the_sweeper_deletes_its_object() {
    let media = Media::spawn().await;
    let pdf = demo::datasheet_pdf("Late", &[]);
    let started = media.start("datasheet", "application/pdf", pdf.len()).await;
    assert_eq!(put(&started, pdf).await, StatusCode::OK);
    let id = started.id();
    sqlx::query("UPDATE media_uploads SET expires_at = now() - interval '1 hour' WHERE id = $1")
        .bind(id)
        .execute(&media.app.db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let swept = sweep::sweep_pass(&media.app.db, &media.store, Duration::ZERO).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(swept, vec![id]);
    assert!(!media.exists(&MediaStore::quarantine_key(id)).await);
    let late = media.complete(id).await;
    assert_eq!((late.status, code(&late)), (StatusCode::UNPROCESSABLE_ENTITY, "upload_expired".to_owned()));
}

#[tokio::test]
async fn given_a_detached_medium_when_the_gc_runs_then_its_object_goes_only_after_the_grace_period() {
    let media = Media::spawn().await;
    let (_, done) = media.upload("datasheet", "application/pdf", &demo::datasheet_pdf("Gone", &[])).await;
    let detached = media.app.delete(&format!("/v1/products/{}/media/{}", media.product, done.id())).await;
    assert_eq!(detached.status, StatusCode::OK, "{detached:?}");
    let hour = Duration::from_secs(3600);
    let early = gc::gc_pass(&media.app.db, &media.store, hour).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((early.unreferenced, early.deleted.len()), (1, 0), "{early:?}");
    assert!(media.exists(&key(&done)).await);
    let late = gc::gc_pass(&media.app.db, &media.store, Duration::ZERO).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(late.deleted, vec![key(&done)]);
    assert!(!media.exists(&key(&done)).await);
}

#[tokio::test]
async fn given_a_key_attached_again_within_the_grace_period_when_the_gc_runs_then_it_survives() {
    let media = Media::spawn().await;
    let pdf = demo::datasheet_pdf("Back", &[]);
    let (_, first) = media.upload("datasheet", "application/pdf", &pdf).await;
    media.app.delete(&format!("/v1/products/{}/media/{}", media.product, first.id())).await;
    let seen =
        gc::gc_pass(&media.app.db, &media.store, Duration::from_secs(3600)).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(seen.unreferenced, 1);
    let (_, again) = media.upload("datasheet", "application/pdf", &pdf).await;
    assert_eq!((again.status, key(&again)), (StatusCode::CREATED, key(&first)));
    let report = gc::gc_pass(&media.app.db, &media.store, Duration::ZERO).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(report.deleted.is_empty(), "{report:?}");
    assert!(media.exists(&key(&first)).await);
}

#[tokio::test]
async fn given_a_retired_product_when_the_gc_runs_then_its_media_are_never_deleted() {
    let media = Media::spawn().await;
    let (_, done) = media.upload("datasheet", "application/pdf", &demo::datasheet_pdf("Kept", &[])).await;
    let retired = media.app.post(&format!("/v1/products/{}/retire", media.product), Value::Null).await;
    assert_eq!(retired.status, StatusCode::OK, "{retired:?}");
    let report = gc::gc_pass(&media.app.db, &media.store, Duration::ZERO).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(report.deleted.is_empty(), "{report:?}");
    assert!(media.exists(&key(&done)).await);
    let refused = media.start("datasheet", "application/pdf", 10).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "a retired product takes no new media: {refused:?}");
}
