//! Product media as the catalog serves them: the bodies product detail carries (own media first,
//! then the family's, `inherited`), with URLs built at response time from the stored keys, and
//! `GET /v1/media/{id}/download`, the signed-in way to a buyers-only document.
//!
//! URLs: public media get the public or CDN base URL (`FERRULE_MEDIA_PUBLIC_BASE_URL`), which is
//! deterministic and so safe in the response cache; without one (local development, where
//! s3s-fs refuses anonymous reads) a presigned GET valid 24 hours, far beyond the cache's
//! `RESPONSE_TTL`, so no cached body outlives its URLs. Buyers-only media carry no object URL at
//! all, only `download`.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::media::{Audience, MediaKind, MediaRole, Variant, VariantFormat};
use media_store::MediaStore;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::caller::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// How long a download link lives: long enough to follow the redirect, short enough that a
/// shared link soon stops working.
const DOWNLOAD_TTL: Duration = Duration::from_secs(5 * 60);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(download))
}

/// One resized rendition of an image.
#[derive(Serialize, ToSchema)]
pub struct VariantBody {
    width: u32,
    height: u32,
    format: VariantFormat,
    url: String,
}

/// An image or document of a product or of its family, in display order.
#[derive(Serialize, ToSchema)]
pub struct MediumBody {
    id: Uuid,
    kind: MediaKind,
    role: MediaRole,
    /// The type found in the file's bytes (`image/jpeg`, `application/pdf`, …).
    content_type: String,
    /// The file name it was uploaded with.
    filename: String,
    title: Option<String>,
    /// The alternative text of an image.
    alt: Option<String>,
    /// A BCP 47 language tag, for a document in one language.
    language: Option<String>,
    audience: Audience,
    /// Bytes of the original.
    size: i64,
    /// Pixels of the original image (null for documents).
    width: Option<i32>,
    height: Option<i32>,
    /// The original; null for buyers-only media (use `download`).
    url: Option<String>,
    /// Resized renditions (empty until they are made, and for documents and buyers-only media).
    variants: Vec<VariantBody>,
    /// True for the family's media shown on its product.
    inherited: bool,
    /// For buyers-only media: the path a signed-in buyer or staff member downloads it from.
    #[serde(skip_serializing_if = "Option::is_none")]
    download: Option<String>,
}

#[derive(sqlx::FromRow)]
struct MediumRow {
    id: Uuid,
    owner_id: Uuid,
    kind: String,
    role: String,
    audience: String,
    content_type: String,
    key: String,
    filename: String,
    title: Option<String>,
    alt: Option<String>,
    language: Option<String>,
    size: i64,
    width: Option<i32>,
    height: Option<i32>,
    variants: serde_json::Value,
}

/// The media of each product named (product id → family id): its own, then its family's.
pub async fn of_products(
    state: &AppState,
    products: &[(Uuid, Uuid)],
) -> Result<HashMap<Uuid, Vec<MediumBody>>, ApiError> {
    let mut owners: Vec<Uuid> = products.iter().flat_map(|(p, f)| [*p, *f]).collect();
    owners.sort_unstable();
    owners.dedup();
    let rows: Vec<MediumRow> = sqlx::query_as(
        "SELECT id, owner_id, kind, role, audience, content_type, key, filename, title, alt, language, size, \
                width, height, variants \
           FROM catalog.media WHERE owner_id = ANY($1) ORDER BY owner_id, ordinal",
    )
    .bind(&owners)
    .fetch_all(&state.read)
    .await?;
    let mut by_owner: HashMap<Uuid, Vec<MediumRow>> = HashMap::new();
    for row in rows {
        by_owner.entry(row.owner_id).or_default().push(row);
    }
    let mut out = HashMap::new();
    for (product, family) in products {
        let mut media = Vec::new();
        for (owner, inherited) in [(product, false), (family, true)] {
            for row in by_owner.get(owner).map(Vec::as_slice).unwrap_or_default() {
                media.push(body(&state.media, row, inherited).await?);
            }
        }
        out.insert(*product, media);
    }
    Ok(out)
}

async fn body(store: &MediaStore, row: &MediumRow, inherited: bool) -> Result<MediumBody, ApiError> {
    let unreadable =
        |field: &str, e: serde_json::Error| ApiError::Internal(anyhow::anyhow!("media row {}: {field}: {e}", row.id));
    let word = |text: &str| serde_json::Value::String(text.to_owned());
    let kind: MediaKind = serde_json::from_value(word(&row.kind)).map_err(|e| unreadable("kind", e))?;
    let role: MediaRole = serde_json::from_value(word(&row.role)).map_err(|e| unreadable("role", e))?;
    let audience: Audience = serde_json::from_value(word(&row.audience)).map_err(|e| unreadable("audience", e))?;
    let public = audience == Audience::Public;
    let (url, variants, download) = if public {
        let stored: Vec<Variant> =
            serde_json::from_value(row.variants.clone()).map_err(|e| unreadable("variants", e))?;
        let mut variants = Vec::with_capacity(stored.len());
        for v in stored {
            let url = store.public_or_presigned_url(&v.key).await?;
            variants.push(VariantBody { width: v.width, height: v.height, format: v.format, url });
        }
        (Some(store.public_or_presigned_url(&row.key).await?), variants, None)
    } else {
        (None, Vec::new(), Some(format!("/v1/media/{}/download", row.id)))
    };
    Ok(MediumBody {
        id: row.id,
        kind,
        role,
        content_type: row.content_type.clone(),
        filename: row.filename.clone(),
        title: row.title.clone(),
        alt: row.alt.clone(),
        language: row.language.clone(),
        audience,
        size: row.size,
        width: row.width,
        height: row.height,
        url,
        variants,
        inherited,
        download,
    })
}

/// The URL of a thumbnail key (search hits), as public media get theirs.
pub async fn thumbnail_url(store: &MediaStore, key: Option<&str>) -> Result<Option<String>, ApiError> {
    match key {
        Some(key) => Ok(Some(store.public_or_presigned_url(key).await?)),
        None => Ok(None),
    }
}

/// Downloads a medium: a redirect to a presigned GET valid 5 minutes that answers it as an
/// attachment under its file name. For signed-in buyers (of a company) and staff; buyers-only
/// documents such as certificates are served only this way, public media may be too. Never
/// cached.
#[utoipa::path(get, path = "/v1/media/{id}/download", tag = "media", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The medium")),
    responses((status = 302, description = "To a presigned GET of the object (5 minutes), in `Location`"),
              (status = 400, description = "The id is not a UUID", body = service_http::openapi::Problem),
              (status = 401, description = "No or an invalid access token", body = service_http::openapi::Problem),
              (status = 403, description = "A buyer of no company", body = service_http::openapi::Problem),
              (status = 404, description = "No such medium (or it was detached)", body = service_http::openapi::Problem),
              (status = 503, description = "The media store cannot sign now", body = service_http::openapi::Problem)))]
#[tracing::instrument(skip_all, fields(medium_id = %id))]
async fn download(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> Result<Response, ApiError> {
    // Staff see every medium; a buyer must belong to a company (the buyers the audience means).
    caller.company_scope()?;
    let found: Option<(String, String)> = sqlx::query_as("SELECT key, filename FROM catalog.media WHERE id = $1")
        .bind(id)
        .fetch_optional(&state.read)
        .await?;
    let (key, filename) = found.ok_or_else(|| ApiError::NotFound(format!("medium {id} does not exist")))?;
    let url = state.media.presign_get(&key, DOWNLOAD_TTL, Some(&filename)).await?;
    let location = HeaderValue::from_str(&url).map_err(|e| anyhow::anyhow!("a presigned URL is no header: {e}"))?;
    let mut response = StatusCode::FOUND.into_response();
    response.headers_mut().insert(header::LOCATION, location);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}
