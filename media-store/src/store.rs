//! The bucket client: presigned uploads and downloads, the reads that verify an upload in place,
//! content-addressed copies, variant writes, deletes and listings. Every key given here is
//! logical (`media/…`, `quarantine/…`, `variants/…`); the configured key prefix is added here and
//! nowhere else.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration, MetadataDirective, ObjectCannedAcl};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::S3Config;
use crate::error::{status_of, StoreError};

/// How long the URL of a public medium stays valid when no public base URL is configured (local
/// development only: s3s-fs refuses anonymous reads). Far above the query cache's lifetime, so a
/// cached answer never carries an expired URL.
pub const DEV_PUBLIC_URL_TTL: Duration = Duration::from_secs(24 * 3600);

/// Objects are content-addressed, so whatever is stored under a key never changes.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A presigned upload: the client sends `method` to `url` with exactly these headers (they are
/// signed: a different content type or length is refused by S3 with 403).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresignedPut {
    pub method: String,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    pub expires_at: DateTime<Utc>,
}

/// What HeadObject tells about an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectHead {
    pub size: u64,
    pub content_type: Option<String>,
    pub last_modified: Option<DateTime<Utc>>,
    pub cache_control: Option<String>,
}

/// The headers an object is stored with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutOptions {
    pub content_type: String,
    /// Served to anyone: gets the `public-read` ACL when the store is configured to set it.
    pub public: bool,
    /// `Content-Disposition: attachment` with this file name, so that browsers download rather
    /// than render (STEP and DXF files).
    pub attachment_name: Option<String>,
}

/// One object of a listing; `key` is logical (without the key prefix).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedObject {
    pub key: String,
    pub size: u64,
    pub last_modified: Option<DateTime<Utc>>,
}

/// The media bucket. Cheap to clone: the clients are shared.
#[derive(Clone, Debug)]
pub struct MediaStore {
    inner: Arc<Inner>,
    list_page_size: i32,
}

#[derive(Debug)]
struct Inner {
    client: aws_sdk_s3::Client,
    /// Signs URLs for the host browsers use (the same client unless FERRULE_S3_PRESIGN_ENDPOINT).
    presigner: aws_sdk_s3::Client,
    bucket: String,
    key_prefix: String,
    public_base_url: Option<String>,
    public_acl: bool,
    region: String,
}

impl MediaStore {
    /// Builds the clients; sends nothing (presigning is local computation too).
    pub fn new(config: &S3Config) -> MediaStore {
        let client = s3_client(config, &config.endpoint);
        let presigner = match &config.presign_endpoint {
            Some(endpoint) if endpoint != &config.endpoint => s3_client(config, endpoint),
            _ => client.clone(),
        };
        MediaStore {
            inner: Arc::new(Inner {
                client,
                presigner,
                bucket: config.bucket.clone(),
                key_prefix: config.key_prefix.clone(),
                public_base_url: config.public_base_url.clone(),
                public_acl: config.public_acl,
                region: config.region.clone(),
            }),
            list_page_size: 1000,
        }
    }

    /// The same store listing this many keys per ListObjectsV2 page (1000 by default, S3's most),
    /// so that tests can cover pagination with a few keys.
    pub fn with_list_page_size(mut self, page_size: u16) -> MediaStore {
        self.list_page_size = i32::from(page_size.clamp(1, 1000));
        self
    }

    pub fn bucket(&self) -> &str {
        &self.inner.bucket
    }

    pub fn key_prefix(&self) -> &str {
        &self.inner.key_prefix
    }

    /// Where an upload waits until it is verified.
    pub fn quarantine_key(upload_id: Uuid) -> String {
        format!("quarantine/{upload_id}")
    }

    fn full(&self, key: &str) -> String {
        format!("{}{key}", self.inner.key_prefix)
    }

    /// Creates the bucket if it is missing (the local stack and tests; production buckets are
    /// made by hand). Safe to call concurrently.
    #[tracing::instrument(skip_all, fields(bucket = %self.inner.bucket))]
    pub async fn ensure_bucket(&self) -> Result<(), StoreError> {
        let s3 = &self.inner.client;
        match s3.head_bucket().bucket(&self.inner.bucket).send().await {
            Ok(_) => return Ok(()),
            Err(err) if status_of(&err) == Some(404) => {}
            Err(err) => return Err(err.into()),
        }
        let mut create = s3.create_bucket().bucket(&self.inner.bucket);
        if self.inner.region != "us-east-1" {
            let location = BucketLocationConstraint::from(self.inner.region.as_str());
            create = create.create_bucket_configuration(
                CreateBucketConfiguration::builder().location_constraint(location).build(),
            );
        }
        match create.send().await {
            Ok(_) => Ok(()),
            Err(err) if matches!(err.code(), Some("BucketAlreadyOwnedByYou" | "BucketAlreadyExists")) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    /// Whether the bucket answers (HeadBucket), for readiness checks: Unavailable when S3 cannot be
    /// reached, Failed when it refuses us (wrong keys, no such bucket).
    #[tracing::instrument(skip_all, fields(bucket = %self.inner.bucket))]
    pub async fn check(&self) -> Result<(), StoreError> {
        self.inner.client.head_bucket().bucket(&self.inner.bucket).send().await?;
        Ok(())
    }

    /// A PUT URL that signs the content type and length, so the client can upload exactly the
    /// declared object and nothing else.
    #[tracing::instrument(skip_all, fields(key))]
    pub async fn presign_put(
        &self,
        key: &str,
        media_type_mime: &str,
        length: u64,
        expires: Duration,
    ) -> Result<PresignedPut, StoreError> {
        let length = i64::try_from(length).map_err(|_| StoreError::Failed(format!("length {length} too large")))?;
        let request = self
            .inner
            .presigner
            .put_object()
            .bucket(&self.inner.bucket)
            .key(self.full(key))
            .content_type(media_type_mime)
            .content_length(length)
            .presigned(presigning(expires)?)
            .await?;
        let headers = request.headers().map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned())).collect();
        Ok(PresignedPut {
            method: request.method().to_owned(),
            url: request.uri().to_owned(),
            headers,
            expires_at: expires_at(expires),
        })
    }

    /// A GET URL valid for `expires`; with a download name, the answer carries
    /// `Content-Disposition: attachment` with it.
    #[tracing::instrument(skip_all, fields(key))]
    pub async fn presign_get(
        &self,
        key: &str,
        expires: Duration,
        download_name: Option<&str>,
    ) -> Result<String, StoreError> {
        let request = self
            .inner
            .presigner
            .get_object()
            .bucket(&self.inner.bucket)
            .key(self.full(key))
            .set_response_content_disposition(download_name.map(attachment))
            .presigned(presigning(expires)?)
            .await?;
        Ok(request.uri().to_owned())
    }

    /// The public (CDN) URL of an object when a public base URL is configured, else None.
    pub fn public_url(&self, key: &str) -> Option<String> {
        let base = self.inner.public_base_url.as_deref()?;
        let separator = if base.ends_with('/') { "" } else { "/" };
        Some(format!("{base}{separator}{}", self.full(key)))
    }

    /// The URL of a public medium: its public URL, or, when no public base URL is configured
    /// (local development, where s3s-fs refuses anonymous reads), a presigned GET valid 24 hours.
    /// The fallback is not deterministic, so only the public URL suits long-lived caches.
    pub async fn public_or_presigned_url(&self, key: &str) -> Result<String, StoreError> {
        match self.public_url(key) {
            Some(url) => Ok(url),
            None => self.presign_get(key, DEV_PUBLIC_URL_TTL, None).await,
        }
    }

    /// HeadObject; None when there is no such object.
    #[tracing::instrument(skip_all, fields(key))]
    pub async fn head(&self, key: &str) -> Result<Option<ObjectHead>, StoreError> {
        let answer = self.inner.client.head_object().bucket(&self.inner.bucket).key(self.full(key)).send().await;
        let head = match answer {
            Ok(head) => head,
            Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found()) || status_of(&err) == Some(404) => {
                return Ok(None)
            }
            Err(err) => return Err(err.into()),
        };
        Ok(Some(ObjectHead {
            size: head.content_length().map_or(0, |n| u64::try_from(n).unwrap_or(0)),
            content_type: head.content_type().map(str::to_owned),
            last_modified: head.last_modified().and_then(to_chrono),
            cache_control: head.cache_control().map(str::to_owned),
        }))
    }

    /// Up to `len` bytes from `start` (fewer at the end of the object; none past it).
    #[tracing::instrument(skip_all, fields(key, start, len))]
    pub async fn read_range(&self, key: &str, start: u64, len: u64) -> Result<Bytes, StoreError> {
        if len == 0 {
            return Ok(Bytes::new());
        }
        let range = format!("bytes={start}-{}", start.saturating_add(len - 1));
        let answer =
            self.inner.client.get_object().bucket(&self.inner.bucket).key(self.full(key)).range(range).send().await;
        match answer {
            Ok(object) => Ok(object.body.collect().await?.into_bytes()),
            // 416: the range starts at or past the end (an empty object has no bytes at all).
            Err(err) if status_of(&err) == Some(416) => Ok(Bytes::new()),
            Err(err) => Err(err.into()),
        }
    }

    /// The whole object, refused (`TooLarge`) when it is larger than `max` bytes: checked from
    /// its length before reading and again while reading.
    #[tracing::instrument(skip_all, fields(key, max))]
    pub async fn read_all(&self, key: &str, max: u64) -> Result<Bytes, StoreError> {
        let object = self.inner.client.get_object().bucket(&self.inner.bucket).key(self.full(key)).send().await?;
        let declared = object.content_length().map_or(0, |n| u64::try_from(n).unwrap_or(0));
        if declared > max {
            return Err(StoreError::TooLarge { max });
        }
        let mut body = object.body;
        let mut bytes = BytesMut::with_capacity(usize::try_from(declared).unwrap_or(0));
        while let Some(chunk) = body.try_next().await? {
            if (bytes.len() + chunk.len()) as u64 > max {
                return Err(StoreError::TooLarge { max });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes.freeze())
    }

    /// Lowercase hex SHA-256 and byte count of the whole object, streamed (documents of 100 MiB
    /// are never held in memory).
    #[tracing::instrument(skip_all, fields(key))]
    pub async fn sha256(&self, key: &str) -> Result<(String, u64), StoreError> {
        let object = self.inner.client.get_object().bucket(&self.inner.bucket).key(self.full(key)).send().await?;
        let mut body = object.body;
        let mut hasher = Sha256::new();
        let mut count = 0u64;
        while let Some(chunk) = body.try_next().await? {
            hasher.update(&chunk);
            count += chunk.len() as u64;
        }
        Ok((hex::encode(hasher.finalize()), count))
    }

    /// Server-side copy with fresh headers (content type, immutable caching, the public ACL when
    /// configured, attachment disposition when given). Also refreshes `LastModified`, even when
    /// `from == to` or the target exists: the orphan GC relies on it.
    #[tracing::instrument(skip_all, fields(from, to))]
    pub async fn copy(&self, from: &str, to: &str, put: &PutOptions) -> Result<(), StoreError> {
        // Keys are [a-z0-9/._-] (uuids, hex digests, fixed words), so the source needs no encoding.
        let source = format!("{}/{}", self.inner.bucket, self.full(from));
        self.inner
            .client
            .copy_object()
            .bucket(&self.inner.bucket)
            .key(self.full(to))
            .copy_source(source)
            .metadata_directive(MetadataDirective::Replace)
            .content_type(&put.content_type)
            .cache_control(IMMUTABLE)
            .set_acl(self.acl(put))
            .set_content_disposition(put.attachment_name.as_deref().map(attachment))
            .send()
            .await?;
        Ok(())
    }

    /// Stores `body` under `key` with the given headers and immutable caching.
    #[tracing::instrument(skip_all, fields(key, size = body.len()))]
    pub async fn put(&self, key: &str, body: Vec<u8>, put: &PutOptions) -> Result<(), StoreError> {
        let length = i64::try_from(body.len()).map_err(|_| StoreError::Failed("body too large".to_owned()))?;
        self.inner
            .client
            .put_object()
            .bucket(&self.inner.bucket)
            .key(self.full(key))
            .content_type(&put.content_type)
            .content_length(length)
            .cache_control(IMMUTABLE)
            .set_acl(self.acl(put))
            .set_content_disposition(put.attachment_name.as_deref().map(attachment))
            .body(ByteStream::from(body))
            .send()
            .await?;
        Ok(())
    }

    /// Deletes the object; Ok when it is already gone.
    #[tracing::instrument(skip_all, fields(key))]
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let answer = self.inner.client.delete_object().bucket(&self.inner.bucket).key(self.full(key)).send().await;
        match answer {
            Ok(_) => Ok(()),
            Err(err) if status_of(&err) == Some(404) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    /// Every object whose logical key starts with `prefix` (e.g. `media/`), keys without the key
    /// prefix, all pages.
    #[tracing::instrument(skip_all, fields(prefix))]
    pub async fn list(&self, prefix: &str) -> Result<Vec<ListedObject>, StoreError> {
        let mut pages = self
            .inner
            .client
            .list_objects_v2()
            .bucket(&self.inner.bucket)
            .prefix(self.full(prefix))
            .into_paginator()
            .page_size(self.list_page_size)
            .send();
        let mut listed = Vec::new();
        while let Some(page) = pages.next().await {
            for object in page?.contents() {
                let Some(key) = object.key().and_then(|k| k.strip_prefix(self.inner.key_prefix.as_str())) else {
                    continue;
                };
                listed.push(ListedObject {
                    key: key.to_owned(),
                    size: object.size().map_or(0, |n| u64::try_from(n).unwrap_or(0)),
                    last_modified: object.last_modified().and_then(to_chrono),
                });
            }
        }
        Ok(listed)
    }

    fn acl(&self, put: &PutOptions) -> Option<ObjectCannedAcl> {
        (put.public && self.inner.public_acl).then_some(ObjectCannedAcl::PublicRead)
    }
}

fn s3_client(config: &S3Config, endpoint: &str) -> aws_sdk_s3::Client {
    // One connector for both https (Spaces) and plain http (s3s-fs), on ring like the rest of the
    // workspace.
    let http = aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
    let credentials = Credentials::new(&config.access_key, config.secret_key.expose_secret(), None, None, "ferrule");
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(http)
        .endpoint_url(endpoint)
        .region(Region::new(config.region.clone()))
        .force_path_style(config.path_style)
        .credentials_provider(credentials)
        // The SDK otherwise adds CRC32 trailers and aws-chunked bodies to every PUT, which Spaces
        // has refused (awslabs/aws-sdk-rust#1240).
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(Duration::from_secs(30))
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(2))
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

fn presigning(expires: Duration) -> Result<PresigningConfig, StoreError> {
    PresigningConfig::expires_in(expires).map_err(|err| StoreError::Failed(err.to_string()))
}

fn expires_at(expires: Duration) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(expires).unwrap_or(chrono::Duration::zero())
}

/// `attachment; filename="…"` with the name reduced to characters that need no quoting or
/// encoding in any browser.
pub(crate) fn attachment(name: &str) -> String {
    let safe: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' }).collect();
    let safe = if safe.trim_matches('_').is_empty() { "download".to_owned() } else { safe };
    format!("attachment; filename=\"{safe}\"")
}

fn to_chrono(time: &aws_sdk_s3::primitives::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(time.secs(), time.subsec_nanos())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_download_name_becomes_a_safe_attachment_header() {
        assert_eq!(attachment("datasheet 6204.pdf"), "attachment; filename=\"datasheet_6204.pdf\"");
        assert_eq!(attachment("\"; evil=1"), "attachment; filename=\"___evil_1\"");
        assert_eq!(attachment("ü"), "attachment; filename=\"download\"");
    }

    #[test]
    fn public_urls_join_the_base_the_prefix_and_the_key() {
        let mut config = S3Config::local("http://127.0.0.1:1", "b", "t/x/");
        config.public_base_url = Some("https://cdn.example".to_owned());
        let store = MediaStore::new(&config);
        assert_eq!(store.public_url("media/a.jpg").as_deref(), Some("https://cdn.example/t/x/media/a.jpg"));
        config.public_base_url = None;
        assert_eq!(MediaStore::new(&config).public_url("media/a.jpg"), None);
    }
}
