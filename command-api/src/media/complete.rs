//! `POST /v1/media/uploads/{id}/complete`: verify the uploaded object in place, store it
//! content-addressed, and only then append the event (plan §5 "Upload sessions"). Its answer is
//! stored with the upload, so completing twice answers the same.

use domain::media::{self, content_key, MediaType, NewMedium, StoredObject};
use domain::FieldError;
use media_store::{sniff, verify, MediaStore, PutOptions, StoreError};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::body::MediumBody;
use super::uploads::{StoredRefusal, UploadRow};
use super::{keys_of, load_list, lock_key, reference, unreference};
use crate::error::ApiError;
use crate::service::{Catalog, CommandContext};

/// How long a completion holds its upload (a crashed one is taken over after it).
const LEASE_SECS: i64 = 120;
/// Bytes read for the content sniff.
const SNIFF_BYTES: u64 = 4096;

/// What a completion answers: a medium written at `position`, or a stored refusal.
pub enum Completed {
    Written { position: i64, body: serde_json::Value },
    Refused(ApiError),
}

/// Completes `actor`'s upload `id`; `wake` is told when a variant job was queued.
pub async fn complete(
    catalog: &Catalog,
    store: &MediaStore,
    ctx: &CommandContext,
    actor: Uuid,
    id: Uuid,
) -> Result<Completed, ApiError> {
    let pool = catalog.store().pool();
    let leased = sqlx::query_as::<_, UploadRow>(
        "UPDATE media_uploads SET state = 'verifying', lease_until = now() + make_interval(secs => $3) \
         WHERE id = $1 AND created_by = $2 AND expires_at > now() \
           AND (state = 'pending' OR (state = 'verifying' AND lease_until < now())) RETURNING *",
    )
    .bind(id)
    .bind(actor)
    .bind(LEASE_SECS as f64)
    .fetch_optional(pool)
    .await?;
    let Some(upload) = leased else { return answered(&super::uploads::find(pool, id, actor).await?) };
    match verify_and_store(catalog, store, ctx, &upload).await {
        Ok(written) => Ok(written),
        Err(Step::NotUploaded) => {
            release(catalog, id).await?;
            Err(ApiError::Invalid(vec![FieldError::new(
                "upload",
                "not_uploaded",
                "no object was uploaded for this upload yet: PUT the file to its URL first",
            )]))
        }
        Err(Step::Refused(error)) => {
            // Best effort: the sweeper removes what is left if the bucket is down just now.
            if let Err(e) = store.delete(&upload.quarantine_key).await {
                tracing::warn!(error = %e, key = upload.quarantine_key, "a refused upload's object stays for now");
            }
            let stored = StoredRefusal::of(&error).ok_or_else(|| ApiError::Internal(anyhow::anyhow!("{error}")))?;
            sqlx::query(
                "UPDATE media_uploads SET state = 'refused', lease_until = NULL, result_status = $2, result = $3 \
                 WHERE id = $1",
            )
            .bind(id)
            .bind(stored.status as i16)
            .bind(serde_json::to_value(&stored).map_err(|e| ApiError::Internal(e.into()))?)
            .execute(pool)
            .await?;
            Ok(Completed::Refused(error))
        }
        Err(Step::Failed(error)) => {
            release(catalog, id).await?;
            Err(error)
        }
    }
}

/// The stored answer of an upload that cannot be leased now.
fn answered(upload: &UploadRow) -> Result<Completed, ApiError> {
    match (upload.state.as_str(), &upload.result) {
        ("completed", Some(body)) => {
            Ok(Completed::Written { position: upload.position.unwrap_or(0), body: body.clone() })
        }
        ("refused", Some(stored)) => {
            let stored: StoredRefusal =
                serde_json::from_value(stored.clone()).map_err(|e| ApiError::Internal(e.into()))?;
            Ok(Completed::Refused(stored.error()))
        }
        ("verifying", _) if upload.expires_at > chrono::Utc::now() => Err(ApiError::Conflict {
            detail: "this upload is being completed by another request: retry shortly".into(),
            errors: vec![FieldError::new("upload", "complete_in_progress", "the upload is being completed")],
        }),
        _ => Err(ApiError::Invalid(vec![FieldError::new(
            "upload",
            "upload_expired",
            "the upload expired before it was completed: start a new one",
        )])),
    }
}

/// Back to pending: nothing was written, and the client may complete again.
async fn release(catalog: &Catalog, id: Uuid) -> Result<(), ApiError> {
    sqlx::query("UPDATE media_uploads SET state = 'pending', lease_until = NULL WHERE id = $1 AND state = 'verifying'")
        .bind(id)
        .execute(catalog.store().pool())
        .await?;
    Ok(())
}

enum Step {
    /// No object at the quarantine key: the client has not uploaded (yet).
    NotUploaded,
    /// The upload is refused for good (stored and answered again).
    Refused(ApiError),
    /// Nothing decided (S3 unavailable, a database error): the upload stays pending.
    Failed(ApiError),
}

impl From<StoreError> for Step {
    fn from(error: StoreError) -> Self {
        Step::Failed(error.into())
    }
}

impl From<ApiError> for Step {
    fn from(error: ApiError) -> Self {
        Step::Failed(error)
    }
}

impl From<sqlx::Error> for Step {
    fn from(error: sqlx::Error) -> Self {
        Step::Failed(error.into())
    }
}

fn refused(field: &str, code: &str, message: String) -> Step {
    Step::Refused(ApiError::Invalid(vec![FieldError::new(field, code, message)]))
}

/// The checks of the object in quarantine; its canonical stored form when they pass.
async fn verify(store: &MediaStore, upload: &UploadRow) -> Result<StoredObject, Step> {
    let declared = upload.media_type()?;
    let key = &upload.quarantine_key;
    let head = store.head(key).await?.ok_or(Step::NotUploaded)?;
    let expected = u64::try_from(upload.declared_size).unwrap_or_default();
    if head.size != expected {
        return Err(refused(
            "size",
            "size_mismatch",
            format!("{} bytes were declared but {} uploaded", expected, head.size),
        ));
    }
    let first = store.read_range(key, 0, SNIFF_BYTES.min(head.size)).await?;
    let found = sniff::sniff(&first);
    if found != Some(declared) {
        let found_text = found.map_or("a type that is not accepted", MediaType::mime);
        return Err(Step::Refused(ApiError::Invalid(vec![FieldError::new(
            "content_type",
            "content_mismatch",
            format!("declared {} but the file is {found_text}", declared.mime()),
        )])));
    }
    let (sha256, size, width, height) = if declared.kind() == media::MediaKind::Image {
        let bytes = store.read_all(key, declared.max_size()).await?;
        let checked = bytes.clone();
        let dims = tokio::task::spawn_blocking(move || verify::verify_image(&checked, declared))
            .await
            .map_err(|e| Step::Failed(ApiError::Internal(e.into())))?;
        let (w, h) = dims.map_err(|r| refused("file", r.code(), r.to_string()))?;
        (format!("{:x}", Sha256::digest(&bytes)), bytes.len() as u64, Some(w), Some(h))
    } else {
        let (sha, size) = store.sha256(key).await?;
        (sha, size, None, None)
    };
    if size != expected {
        // Replaced between HEAD and GET: refuse rather than record what we did not check.
        return Err(refused("size", "size_mismatch", format!("{expected} bytes were declared but {size} read")));
    }
    Ok(StoredObject { key: content_key(&sha256, declared), sha256, size, media_type: declared, width, height })
}

/// Verifies, copies to the content key and appends, all under the list's and the key's locks.
async fn verify_and_store(
    catalog: &Catalog,
    store: &MediaStore,
    ctx: &CommandContext,
    upload: &UploadRow,
) -> Result<Completed, Step> {
    let object = verify(store, upload).await?;
    let owner = upload.owner();
    // Retired since the upload began: refused like any other decision against the owner.
    super::uploads::check_owner(catalog, owner).await.map_err(refusal_or_failure)?;
    let role = upload.role()?;
    let details = upload.details()?;
    let media_type = object.media_type;
    let mut tx = catalog.store().pool().begin().await?;
    let (heads, list) = load_list(&mut tx, owner).await?;
    let events = match upload.replaces {
        Some(medium_id) => media::replace(list.as_ref(), medium_id, object.clone(), upload.filename.clone(), upload.id),
        None => media::attach(
            list.as_ref(),
            owner,
            NewMedium {
                medium_id: upload.medium_id,
                upload_id: upload.id,
                role,
                object: object.clone(),
                filename: upload.filename.clone(),
                details,
            },
        ),
    }
    .map_err(|e| refusal_or_failure(e.into()))?;
    lock_key(&mut tx, &object.key).await?;
    // Always copied, even when the key exists (the same file again): it refreshes the object's
    // LastModified, which the GC's grace period counts from.
    let put = PutOptions {
        content_type: media_type.mime().to_owned(),
        public: details_public(upload),
        attachment_name: media_type.download_only().then(|| upload.filename.clone()),
    };
    store.copy(&upload.quarantine_key, &object.key, &put).await?;
    let committed = catalog.append_in(&mut tx, &heads, events, ctx).await?.map_err(|e| refusal_or_failure(e.into()))?;
    let list_id = media::media_id(owner);
    let medium = match committed.head(list_id).map(|h| &h.state) {
        Some(domain::Aggregate::Media(list)) => MediumBody::in_list(list, upload.medium_id),
        _ => None,
    }
    .ok_or_else(|| {
        Step::Failed(ApiError::Internal(anyhow::anyhow!("the medium is not in its list after the append")))
    })?;
    if let Some(previous) = upload.replaces.and_then(|id| list.as_ref().and_then(|l| l.get(id))) {
        unreference(&mut tx, previous.id, &keys_of(previous)).await?;
        sqlx::query("DELETE FROM media_variant_jobs WHERE medium_id = $1").bind(previous.id).execute(&mut *tx).await?;
    }
    reference(&mut tx, upload.medium_id, std::slice::from_ref(&object.key)).await?;
    if media_type.kind() == media::MediaKind::Image {
        sqlx::query(
            "INSERT INTO media_variant_jobs (medium_id, sha256, media_stream, source_key, spec) VALUES ($1,$2,$3,$4,$5) \
             ON CONFLICT DO NOTHING",
        )
        .bind(upload.medium_id)
        .bind(&object.sha256)
        .bind(list_id)
        .bind(&object.key)
        .bind(media_store::variants::SPEC as i16)
        .execute(&mut *tx)
        .await?;
    }
    let body = serde_json::to_value(crate::http::Written { record: medium, position: committed.position })
        .map_err(|e| Step::Failed(ApiError::Internal(e.into())))?;
    sqlx::query(
        "UPDATE media_uploads SET state = 'completed', lease_until = NULL, result_status = 201, result = $2, \
         position = $3 WHERE id = $1",
    )
    .bind(upload.id)
    .bind(&body)
    .bind(committed.position)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if let Err(e) = store.delete(&upload.quarantine_key).await {
        tracing::warn!(error = %e, key = upload.quarantine_key, "a completed upload's quarantine object stays for now");
    }
    Ok(Completed::Written { position: committed.position, body })
}

fn details_public(upload: &UploadRow) -> bool {
    upload.details().map(|d| d.audience == media::Audience::Public).unwrap_or(false)
}

/// A client-side refusal (404, 409, 422) is final for the upload; anything else leaves it pending.
fn refusal_or_failure(error: ApiError) -> Step {
    match error {
        ApiError::Invalid(_) | ApiError::Conflict { .. } | ApiError::NotFound(_) => Step::Refused(error),
        other => Step::Failed(other),
    }
}
