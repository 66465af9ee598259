//! Upload sessions: `POST /v1/media/uploads` checks what the client means to upload and answers a
//! presigned PUT into quarantine; the row it inserts carries everything the completion needs.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::media::{self, Audience, DetailsInput, MediaOwner, MediaRole, MediaType, OwnerType};
use domain::{Aggregate, DomainError, FieldError};
use media_store::MediaStore;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::ApiError;
use crate::service::Catalog;

/// What a client means to upload.
pub struct NewUpload<'a> {
    pub owner: MediaOwner,
    pub role: MediaRole,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub size: u64,
    pub title: Option<&'a str>,
    pub alt: Option<&'a str>,
    pub language: Option<&'a str>,
    pub audience: Option<Audience>,
    pub replaces: Option<Uuid>,
}

/// A presigned upload as answered.
pub struct Created {
    pub id: Uuid,
    pub put: media_store::PresignedPut,
    pub max_size: u64,
}

/// An upload's row, as the completion and `GET /v1/media/uploads/{id}` read it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UploadRow {
    pub id: Uuid,
    pub created_by: Uuid,
    pub owner_type: String,
    pub owner_id: Uuid,
    pub replaces: Option<Uuid>,
    pub medium_id: Uuid,
    pub role: String,
    pub filename: String,
    pub details: serde_json::Value,
    pub content_type: String,
    pub declared_size: i64,
    pub quarantine_key: String,
    pub state: String,
    pub lease_until: Option<DateTime<Utc>>,
    pub result_status: Option<i16>,
    pub result: Option<serde_json::Value>,
    pub position: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl UploadRow {
    pub fn owner(&self) -> MediaOwner {
        let owner_type = if self.owner_type == "family" { OwnerType::Family } else { OwnerType::Product };
        MediaOwner { owner_type, id: self.owner_id }
    }

    pub fn media_type(&self) -> Result<MediaType, ApiError> {
        MediaType::parse("content_type", &self.content_type).map_err(|e| ApiError::Internal(anyhow::anyhow!("{e:?}")))
    }

    pub fn role(&self) -> Result<MediaRole, ApiError> {
        serde_json::from_value(serde_json::Value::String(self.role.clone())).map_err(|e| ApiError::Internal(e.into()))
    }

    pub fn details(&self) -> Result<media::Details, ApiError> {
        serde_json::from_value(self.details.clone()).map_err(|e| ApiError::Internal(e.into()))
    }
}

/// The owner must exist, and a product must not be retired (a family has no retirement).
pub async fn check_owner(catalog: &Catalog, owner: MediaOwner) -> Result<(), ApiError> {
    match owner.owner_type {
        OwnerType::Product => match catalog.product(owner.id).await?.map(|h| h.state) {
            Some(Aggregate::Product(p)) if p.retired => Err(ApiError::Conflict {
                detail: format!("product {} is retired: media cannot be attached to it", owner.id),
                errors: vec![FieldError::new("owner", "owner_retired", "the product is retired")],
            }),
            Some(Aggregate::Product(_)) => Ok(()),
            _ => Err(DomainError::not_found("product", owner.id).into()),
        },
        OwnerType::Family => match catalog.heads(&[owner.id]).await?.remove(&owner.id).map(|h| h.state) {
            Some(Aggregate::Family(_)) => Ok(()),
            _ => Err(DomainError::not_found("family", owner.id).into()),
        },
    }
}

/// Checks the declared upload, records it, and presigns its PUT. Nothing is signed for a file
/// that could never be accepted (wrong role, too large).
pub async fn create(
    catalog: &Catalog,
    store: &MediaStore,
    expiry: Duration,
    actor: Uuid,
    new: NewUpload<'_>,
) -> Result<Created, ApiError> {
    let mut errors = Vec::new();
    let media_type = MediaType::parse("content_type", new.content_type).map_err(|e| errors.push(e)).ok();
    let filename = media::parse_filename("filename", new.filename).map_err(|e| errors.push(e)).ok();
    let details =
        match (DetailsInput { title: new.title, alt: new.alt, language: new.language, audience: new.audience }).parse()
        {
            Ok(details) => Some(details),
            Err(DomainError::Invalid(more)) => {
                errors.extend(more);
                None
            }
            Err(other) => return Err(other.into()),
        };
    if let Some(t) = media_type {
        if !new.role.accepts(t.kind()) {
            errors.push(FieldError::new(
                "role",
                "role_mismatch",
                format!("a {} medium cannot be {}", new.role.as_str(), t.mime()),
            ));
        }
        if new.size == 0 {
            errors.push(FieldError::new("size", "empty", "the file is empty"));
        } else if new.size > t.max_size() {
            errors.push(FieldError::new(
                "size",
                "too_large",
                format!("{} bytes is more than the {} bytes a {} may have", new.size, t.max_size(), t.mime()),
            ));
        }
    }
    let (Some(media_type), Some(filename), Some(details), true) = (media_type, filename, details, errors.is_empty())
    else {
        return Err(ApiError::Invalid(errors));
    };
    check_owner(catalog, new.owner).await?;
    if let Some(medium_id) = new.replaces {
        let heads = catalog.heads(&[media::media_id(new.owner)]).await?;
        let list = heads.into_values().find_map(|h| match h.state {
            Aggregate::Media(list) => Some(list),
            _ => None,
        });
        let medium = media::attached(list.as_ref(), medium_id)?;
        if !medium.role.accepts(media_type.kind()) {
            return Err(ApiError::Invalid(vec![FieldError::new(
                "content_type",
                "role_mismatch",
                format!("medium {medium_id} is a {} and cannot become {}", medium.role.as_str(), media_type.mime()),
            )]));
        }
    }
    let id = Uuid::now_v7();
    let key = MediaStore::quarantine_key(id);
    let put = store.presign_put(&key, media_type.mime(), new.size, expiry).await?;
    let owner_type = match new.owner.owner_type {
        OwnerType::Product => "product",
        OwnerType::Family => "family",
    };
    sqlx::query(
        "INSERT INTO media_uploads (id, created_by, owner_type, owner_id, replaces, medium_id, role, filename, details, \
         content_type, declared_size, quarantine_key, expires_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)",
    )
    .bind(id)
    .bind(actor)
    .bind(owner_type)
    .bind(new.owner.id)
    .bind(new.replaces)
    .bind(new.replaces.unwrap_or_else(Uuid::now_v7))
    .bind(new.role.as_str())
    .bind(&filename)
    .bind(serde_json::to_value(&details).map_err(|e| ApiError::Internal(e.into()))?)
    .bind(media_type.mime())
    .bind(i64::try_from(new.size).map_err(|e| ApiError::Internal(e.into()))?)
    .bind(&key)
    .bind(put.expires_at)
    .execute(catalog.store().pool())
    .await?;
    Ok(Created { id, put, max_size: media_type.max_size() })
}

/// An upload of `actor`'s (another user's is as unknown: 404).
pub async fn find(pool: &PgPool, id: Uuid, actor: Uuid) -> Result<UploadRow, ApiError> {
    sqlx::query_as::<_, UploadRow>("SELECT * FROM media_uploads WHERE id = $1 AND created_by = $2")
        .bind(id)
        .bind(actor)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("upload {id} does not exist")))
}

/// A refusal as stored with the upload, so that a second completion answers it again.
#[derive(Serialize, Deserialize)]
pub struct StoredRefusal {
    pub status: u16,
    pub detail: String,
    pub errors: Vec<StoredFieldError>,
}

#[derive(Serialize, Deserialize)]
pub struct StoredFieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl StoredRefusal {
    pub fn of(error: &ApiError) -> Option<StoredRefusal> {
        let (status, detail, errors) = match error {
            ApiError::Invalid(errors) => (422, String::new(), errors.clone()),
            ApiError::Conflict { detail, errors } => (409, detail.clone(), errors.clone()),
            ApiError::NotFound(detail) => (404, detail.clone(), Vec::new()),
            _ => return None,
        };
        let errors =
            errors.into_iter().map(|e| StoredFieldError { field: e.field, code: e.code, message: e.message }).collect();
        Some(StoredRefusal { status, detail, errors })
    }

    pub fn error(self) -> ApiError {
        let errors: Vec<FieldError> =
            self.errors.into_iter().map(|e| FieldError::new(e.field, e.code, e.message)).collect();
        match self.status {
            409 => ApiError::Conflict { detail: self.detail, errors },
            404 => ApiError::NotFound(self.detail),
            _ => ApiError::Invalid(errors),
        }
    }
}
