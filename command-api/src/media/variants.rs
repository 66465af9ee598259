//! The image variant worker (plan §5 "Variant worker"): claims a job, renders the variants of
//! the medium's current object, puts those the bucket lacks, and records them as an event with
//! their `media_objects` rows. Idempotent: a job whose medium was detached or replaced, or whose
//! variants are recorded, finishes as a no-op; a crash redoes only the uploads that are missing.

use std::sync::Arc;
use std::time::Duration;

use domain::media::{self, variant_key, Variant};
use event_store::Metadata;
use media_store::{variants, MediaStore, PutOptions};
use tokio::sync::{Notify, Semaphore};
use uuid::Uuid;

use super::{load_list, lock_key, reference};
use crate::error::ApiError;
use crate::service::{Catalog, CommandContext};

/// Attempts before a job is left failed (with its `last_error`); the medium then shows its
/// original only.
pub const MAX_ATTEMPTS: i32 = 5;
const LEASE_SECS: f64 = 120.0;

#[derive(sqlx::FromRow)]
struct Job {
    medium_id: Uuid,
    sha256: String,
    media_stream: Uuid,
    source_key: String,
    attempts: i32,
}

/// What one pass did.
#[derive(Debug, PartialEq, Eq)]
pub enum Pass {
    /// No job was due.
    Idle,
    /// A job was finished (recorded, or found to be a no-op).
    Done(Uuid),
    /// A job failed and will be retried later (or was given up on).
    Failed(Uuid),
}

/// Claims one due job and works it. `cpu` bounds the renders running at once, so that the
/// service's 2 cores keep serving requests.
pub async fn variants_pass(catalog: &Catalog, store: &MediaStore, cpu: &Semaphore) -> Result<Pass, ApiError> {
    let pool = catalog.store().pool();
    let claimed = sqlx::query_as::<_, Job>(
        "UPDATE media_variant_jobs j SET lease_until = now() + make_interval(secs => $1), attempts = j.attempts + 1 \
         FROM (SELECT medium_id, sha256 FROM media_variant_jobs \
               WHERE attempts < $2 AND not_before <= now() AND (lease_until IS NULL OR lease_until < now()) \
               ORDER BY not_before LIMIT 1 FOR UPDATE SKIP LOCKED) due \
         WHERE j.medium_id = due.medium_id AND j.sha256 = due.sha256 \
         RETURNING j.medium_id, j.sha256, j.media_stream, j.source_key, j.attempts",
    )
    .bind(LEASE_SECS)
    .bind(MAX_ATTEMPTS)
    .fetch_optional(pool)
    .await?;
    let Some(job) = claimed else { return Ok(Pass::Idle) };
    match work(catalog, store, cpu, &job).await {
        Ok(()) => {
            sqlx::query("DELETE FROM media_variant_jobs WHERE medium_id = $1 AND sha256 = $2")
                .bind(job.medium_id)
                .bind(&job.sha256)
                .execute(pool)
                .await?;
            Ok(Pass::Done(job.medium_id))
        }
        Err(error) => {
            tracing::warn!(medium = %job.medium_id, attempts = job.attempts, error = %error, "variant job failed");
            // Backoff 2^attempts seconds: S3 or the database back soon, or the job gives up.
            sqlx::query(
                "UPDATE media_variant_jobs SET lease_until = NULL, last_error = $3, \
                 not_before = now() + make_interval(secs => $4) WHERE medium_id = $1 AND sha256 = $2",
            )
            .bind(job.medium_id)
            .bind(&job.sha256)
            .bind(error.to_string())
            .bind(2f64.powi(job.attempts))
            .execute(pool)
            .await?;
            Ok(Pass::Failed(job.medium_id))
        }
    }
}

async fn work(catalog: &Catalog, store: &MediaStore, cpu: &Semaphore, job: &Job) -> Result<(), ApiError> {
    let heads = catalog.heads(&[job.media_stream]).await?;
    let Some(domain::Aggregate::Media(list)) = heads.get(&job.media_stream).map(|h| &h.state) else { return Ok(()) };
    let owner = list.owner;
    let Some(medium) = list.get(job.medium_id) else { return Ok(()) };
    if medium.object.sha256 != job.sha256 || medium.variant_spec.is_some_and(|s| s >= variants::SPEC) {
        return Ok(());
    }
    let media_type = medium.object.media_type;
    let source = store.read_all(&job.source_key, media_type.max_size()).await?;
    let rendered = {
        let _permit = cpu.acquire().await.map_err(|e| ApiError::Internal(e.into()))?;
        tokio::task::spawn_blocking(move || variants::render(&source, media_type))
            .await
            .map_err(|e| ApiError::Internal(e.into()))?
            .map_err(|r| ApiError::Internal(anyhow::anyhow!("the image cannot be rendered: {r}")))?
    };
    let mut made = Vec::with_capacity(rendered.len());
    for r in rendered {
        let key = variant_key(variants::SPEC, &job.sha256, r.width, r.format);
        let size = r.bytes.len() as u64;
        // Made before a crash: kept, not uploaded again.
        if store.head(&key).await?.is_none() {
            let put = PutOptions {
                content_type: r.format.mime().to_owned(),
                public: medium.details.audience == media::Audience::Public,
                attachment_name: None,
            };
            store.put(&key, r.bytes, &put).await?;
        }
        made.push(Variant { width: r.width, height: r.height, format: r.format, key, size });
    }
    let ctx = system_context();
    let mut tx = catalog.store().pool().begin().await?;
    let (heads, list) = load_list(&mut tx, owner).await?;
    let keys: Vec<String> = made.iter().map(|v| v.key.clone()).collect();
    let events = media::record_variants(list.as_ref(), job.medium_id, &job.sha256, variants::SPEC, made)?;
    if events.is_empty() {
        return Ok(());
    }
    for key in &keys {
        lock_key(&mut tx, key).await?;
    }
    catalog.append_in(&mut tx, &heads, events, &ctx).await??;
    reference(&mut tx, job.medium_id, &keys).await?;
    tx.commit().await?;
    Ok(())
}

/// The worker's own audit identity: the events it appends are the system's, not a user's.
fn system_context() -> CommandContext {
    let request_id = Uuid::now_v7();
    CommandContext {
        metadata: Metadata {
            actor_id: "system:media-variants".into(),
            actor_role: "system".into(),
            request_id: request_id.to_string(),
            correlation_id: request_id,
            causation_id: None,
        },
        now: chrono::Utc::now(),
        requires: Vec::new(),
        idempotency: None,
    }
}

/// A worker: passes until no job is due, then waits for a completion's wake-up (or a while,
/// for retries coming due).
pub async fn work_forever(catalog: Catalog, store: MediaStore, cpu: Arc<Semaphore>, wake: Arc<Notify>) {
    loop {
        match variants_pass(&catalog, &store, &cpu).await {
            Ok(Pass::Idle) => {
                let _ = tokio::time::timeout(Duration::from_secs(5), wake.notified()).await;
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "the variant worker cannot claim a job");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    }
}
