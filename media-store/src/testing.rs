//! Stores for tests (this crate's and other crates'): the test S3 server of `deploy/local/test`,
//! bucket `ferrule-test`, and a key prefix of the test's own (`t/<uuid>/`), so tests run in
//! parallel without seeing each other's objects.

use uuid::Uuid;

use crate::{MediaStore, S3Config};

/// The bucket every test shares (each under its own key prefix).
pub const TEST_BUCKET: &str = "ferrule-test";

/// The test S3 server: FERRULE_TEST_S3_URL, else the local s3s-fs.
pub fn test_s3_url() -> String {
    std::env::var("FERRULE_TEST_S3_URL").unwrap_or_else(|_| "http://127.0.0.1:8014".to_owned())
}

/// The configuration of a fresh test store (its own key prefix), for tests that change a knob.
pub fn test_config() -> S3Config {
    S3Config::local(&test_s3_url(), TEST_BUCKET, &format!("t/{}/", Uuid::new_v4()))
}

/// A store with a key prefix of its own; sends nothing (the bucket may not exist yet: see
/// `test_store_ready`).
pub fn test_store() -> MediaStore {
    MediaStore::new(&test_config())
}

/// A store with a key prefix of its own, its bucket made if missing.
pub async fn test_store_ready() -> MediaStore {
    let store = test_store();
    if let Err(err) = store.ensure_bucket().await {
        panic!("the test S3 server at {} is not usable (deploy/local/test starts it): {err}", test_s3_url());
    }
    store
}
