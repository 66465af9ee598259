//! The bucket client against the real S3 server (s3s-fs from deploy/local): presigned uploads are
//! bound to their content type, length and expiry; reads, copies, deletes and listings do what
//! the upload verification, the variant worker and the orphan GC rely on. Each test has its own
//! key prefix.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use media_store::testing::{test_config, test_store_ready};
use media_store::{MediaStore, PutOptions, StoreError, IMMUTABLE};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use uuid::Uuid;

fn jpeg_options() -> PutOptions {
    PutOptions { content_type: "image/jpeg".to_owned(), public: true, attachment_name: None }
}

/// PUTs `body` to a presigned URL with the given headers (as a browser would).
async fn upload(url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> StatusCode {
    let mut request = reqwest::Client::new().put(url).body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("the S3 server answers").status()
}

/// The signed headers of a presigned PUT, except the length, which reqwest sets from the body.
fn signed_headers(put: &media_store::PresignedPut) -> Vec<(&str, &str)> {
    put.headers.iter().filter(|(name, _)| *name != "content-length").map(|(n, v)| (n.as_str(), v.as_str())).collect()
}

#[tokio::test]
async fn a_presigned_put_is_accepted_with_exactly_the_returned_headers() {
    let store = test_store_ready().await;
    let body = media_store::demo::bearing_jpeg(64, 48, 1);
    let key = MediaStore::quarantine_key(Uuid::new_v4());
    let put = store.presign_put(&key, "image/jpeg", body.len() as u64, Duration::from_secs(900)).await.unwrap();

    assert_eq!(put.method, "PUT");
    assert_eq!(put.headers.get("content-type").map(String::as_str), Some("image/jpeg"));
    assert_eq!(put.headers.get("content-length"), Some(&body.len().to_string()));
    assert!(put.url.contains("X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost"), "{}", put.url);
    let in_15_minutes = chrono::Utc::now() + chrono::Duration::seconds(900);
    assert!((put.expires_at - in_15_minutes).num_seconds().abs() <= 5);

    assert_eq!(upload(&put.url, &signed_headers(&put), body.clone()).await, StatusCode::OK);
    let head = store.head(&key).await.unwrap().expect("the object was stored");
    assert_eq!(head.size, body.len() as u64);
    assert_eq!(head.content_type.as_deref(), Some("image/jpeg"));
}

#[tokio::test]
async fn urls_are_presigned_for_the_host_browsers_use_when_it_differs() {
    let mut config = test_config();
    // The same server under another name, as a container name versus the host's port would be.
    config.presign_endpoint = Some(config.endpoint.replace("127.0.0.1", "localhost"));
    let store = MediaStore::new(&config);
    store.ensure_bucket().await.unwrap();
    let key = MediaStore::quarantine_key(Uuid::new_v4());
    let body = b"%PDF-1.7 via another host".to_vec();
    let put = store.presign_put(&key, "application/pdf", body.len() as u64, Duration::from_secs(60)).await.unwrap();
    assert!(put.url.starts_with("http://localhost:"), "{}", put.url);
    assert_eq!(upload(&put.url, &signed_headers(&put), body.clone()).await, StatusCode::OK);
    assert_eq!(store.read_all(&key, 1024).await.unwrap(), body);
}

#[tokio::test]
async fn a_presigned_put_is_refused_with_another_content_type_or_length() {
    let store = test_store_ready().await;
    let body = b"%PDF-1.4 a datasheet".to_vec();
    let key = MediaStore::quarantine_key(Uuid::new_v4());
    let put = store.presign_put(&key, "application/pdf", body.len() as u64, Duration::from_secs(900)).await.unwrap();

    let as_png = [("content-type", "image/png")];
    assert_eq!(upload(&put.url, &as_png, body.clone()).await, StatusCode::FORBIDDEN);
    let mut longer = body.clone();
    longer.extend_from_slice(b" and more");
    assert_eq!(upload(&put.url, &signed_headers(&put), longer).await, StatusCode::FORBIDDEN);
    assert_eq!(store.head(&key).await.unwrap(), None, "nothing was stored");
}

#[tokio::test]
async fn a_presigned_put_is_refused_once_it_has_expired() {
    let store = test_store_ready().await;
    let body = b"%PDF-1.4 late".to_vec();
    let key = MediaStore::quarantine_key(Uuid::new_v4());
    let put = store.presign_put(&key, "application/pdf", body.len() as u64, Duration::from_secs(1)).await.unwrap();

    // Wait for the instant the URL says it expires (plus the signature's one-second resolution).
    let until = put.expires_at + chrono::Duration::seconds(1);
    while chrono::Utc::now() < until {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(upload(&put.url, &signed_headers(&put), body).await, StatusCode::FORBIDDEN);
    assert_eq!(store.head(&key).await.unwrap(), None);
}

#[tokio::test]
async fn reads_answer_the_head_a_range_the_whole_object_and_its_sha256() {
    let store = test_store_ready().await;
    let body = media_store::demo::bearing_jpeg(320, 240, 9);
    store.put("media/photo.jpg", body.clone(), &jpeg_options()).await.unwrap();

    let head = store.head("media/photo.jpg").await.unwrap().unwrap();
    assert_eq!((head.size, head.content_type.as_deref()), (body.len() as u64, Some("image/jpeg")));
    assert_eq!(head.cache_control.as_deref(), Some(IMMUTABLE));
    assert_eq!(store.head("media/missing.jpg").await.unwrap(), None);

    assert_eq!(&store.read_range("media/photo.jpg", 0, 4096).await.unwrap()[..], &body[..4096]);
    assert_eq!(&store.read_range("media/photo.jpg", 10, 5).await.unwrap()[..], &body[10..15]);
    let tail = store.read_range("media/photo.jpg", body.len() as u64 - 3, 4096).await.unwrap();
    assert_eq!(&tail[..], &body[body.len() - 3..], "a range past the end is cut at the end");
    assert!(store.read_range("media/photo.jpg", body.len() as u64 + 10, 16).await.unwrap().is_empty());

    assert_eq!(store.read_all("media/photo.jpg", body.len() as u64).await.unwrap(), body);
    let refused = store.read_all("media/photo.jpg", 100).await.unwrap_err();
    assert!(matches!(refused, StoreError::TooLarge { max: 100 }), "{refused}");

    let expected: String = Sha256::digest(&body).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(store.sha256("media/photo.jpg").await.unwrap(), (expected, body.len() as u64));
}

#[tokio::test]
async fn a_copy_carries_fresh_headers_and_a_fresh_last_modified() {
    let store = test_store_ready().await;
    let quarantine = MediaStore::quarantine_key(Uuid::new_v4());
    let plain =
        PutOptions { content_type: "application/octet-stream".to_owned(), public: false, attachment_name: None };
    store.put(&quarantine, b"ISO-10303-21;\nHEADER;".to_vec(), &plain).await.unwrap();
    let before = store.head(&quarantine).await.unwrap().unwrap().last_modified.unwrap();

    // Last-Modified has a resolution of one second: wait until a copy must show a later one.
    while chrono::Utc::now().timestamp() <= before.timestamp() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let step = PutOptions {
        content_type: "model/step".to_owned(),
        public: true,
        attachment_name: Some("bearing 6204.step".to_owned()),
    };
    store.copy(&quarantine, "media/sha256/ab/cd/abcd.step", &step).await.unwrap();
    let copied = store.head("media/sha256/ab/cd/abcd.step").await.unwrap().unwrap();
    assert_eq!(copied.content_type.as_deref(), Some("model/step"));
    assert_eq!(copied.cache_control.as_deref(), Some(IMMUTABLE));
    assert!(copied.last_modified.unwrap() > before);

    // Copying an object onto itself (the GC's "still in use" refresh) also moves LastModified.
    let first = copied.last_modified.unwrap();
    while chrono::Utc::now().timestamp() <= first.timestamp() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    store.copy("media/sha256/ab/cd/abcd.step", "media/sha256/ab/cd/abcd.step", &step).await.unwrap();
    let refreshed = store.head("media/sha256/ab/cd/abcd.step").await.unwrap().unwrap();
    assert!(refreshed.last_modified.unwrap() > first);
    assert_eq!(refreshed.size, 21);
}

#[tokio::test]
async fn a_presigned_get_downloads_the_object_under_its_name() {
    let store = test_store_ready().await;
    let pdf = media_store::demo::datasheet_pdf("Certificate", &[]);
    let options = PutOptions { content_type: "application/pdf".to_owned(), public: false, attachment_name: None };
    store.put("media/cert.pdf", pdf.clone(), &options).await.unwrap();

    let url = store.presign_get("media/cert.pdf", Duration::from_secs(300), Some("3.1 certificate.pdf")).await.unwrap();
    let answer = reqwest::get(&url).await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let disposition = answer.headers().get("content-disposition").map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(disposition.as_deref(), Some("attachment; filename=\"3.1_certificate.pdf\""));
    assert_eq!(answer.bytes().await.unwrap(), pdf);

    // Without a public base URL (local development) public media get a working presigned GET.
    let fallback = store.public_or_presigned_url("media/cert.pdf").await.unwrap();
    assert!(fallback.contains("X-Amz-Expires=86400"), "{fallback}");
    assert_eq!(reqwest::get(&fallback).await.unwrap().status(), StatusCode::OK);
    assert_eq!(store.public_url("media/cert.pdf"), None);
}

#[tokio::test]
async fn a_delete_removes_the_object_and_succeeds_when_it_is_already_gone() {
    let store = test_store_ready().await;
    store.put("variants/v1/x/160.webp", vec![1, 2, 3], &jpeg_options()).await.unwrap();
    store.delete("variants/v1/x/160.webp").await.unwrap();
    assert_eq!(store.head("variants/v1/x/160.webp").await.unwrap(), None);
    store.delete("variants/v1/x/160.webp").await.unwrap();
}

#[tokio::test]
async fn a_listing_walks_every_page_and_answers_logical_keys() {
    let store = test_store_ready().await.with_list_page_size(2);
    for i in 0..5 {
        store.put(&format!("media/sha256/{i}.jpg"), vec![i; 10 + usize::from(i)], &jpeg_options()).await.unwrap();
    }
    store.put("variants/v1/other.webp", vec![0], &jpeg_options()).await.unwrap();

    let mut listed = store.list("media/").await.unwrap();
    listed.sort_by(|a, b| a.key.cmp(&b.key));
    let keys: Vec<&str> = listed.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(
        keys,
        ["media/sha256/0.jpg", "media/sha256/1.jpg", "media/sha256/2.jpg", "media/sha256/3.jpg", "media/sha256/4.jpg"]
    );
    assert_eq!(listed[4].size, 14);
    assert!(listed.iter().all(|o| o.last_modified.is_some()));
    assert_eq!(store.list("variants/").await.unwrap().len(), 1);

    // Another test's prefix sees none of these.
    assert!(test_store_ready().await.list("media/").await.unwrap().is_empty());
}

#[tokio::test]
async fn ensuring_the_bucket_twice_is_harmless() {
    let store = test_store_ready().await;
    store.ensure_bucket().await.unwrap();
    store.check().await.unwrap();
    let mut config = test_config();
    config.bucket = format!("ferrule-test-{}", &Uuid::new_v4().simple().to_string()[..12]);
    let fresh = MediaStore::new(&config);
    assert!(!fresh.check().await.unwrap_err().is_unavailable(), "a missing bucket is our mistake, not an outage");
    fresh.ensure_bucket().await.unwrap();
    fresh.ensure_bucket().await.unwrap();
    fresh.put("media/a", vec![1], &jpeg_options()).await.unwrap();
    assert!(fresh.head("media/a").await.unwrap().is_some());
}

#[tokio::test]
async fn an_unreachable_s3_is_unavailable_rather_than_a_failure() {
    let mut config = test_config();
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    config.endpoint = "http://127.0.0.1:9".to_owned();
    let store = MediaStore::new(&config);
    assert!(store.check().await.unwrap_err().is_unavailable());
    let err = store.head("media/a").await.unwrap_err();
    assert!(err.is_unavailable(), "{err}");
    assert!(store.put("media/a", vec![1], &jpeg_options()).await.unwrap_err().is_unavailable());
    // Presigning sends nothing, so it works even then.
    assert!(store.presign_get("media/a", Duration::from_secs(60), None).await.is_ok());
}
