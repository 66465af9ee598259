//! Media uploads: `POST /v1/media/uploads` (a presigned PUT into quarantine), `POST
//! /v1/media/uploads/{id}/complete` (verify in place, then the event) and `GET
//! /v1/media/uploads/{id}` (where an upload stands). Catalog work: admins only.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use domain::media::{Audience, MediaOwner, MediaRole};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::AllOfBuilder;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{context, Written};
use crate::error::ApiError;
use crate::extract::{Admin, JsonBody, RequestIds};
use crate::media::body::MediumBody;
use crate::media::complete::{self, Completed};
use crate::media::uploads::{self, NewUpload};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create)).routes(routes!(complete)).routes(routes!(show))
}

/// `POST /v1/media/uploads`: the fields, and what the content type decides about the role and the
/// size (each kind of medium has its roles and its limit), so the document refuses what the server
/// refuses.
#[derive(Deserialize)]
#[serde(transparent)]
struct CreateUploadBody(UploadFields);

impl PartialSchema for CreateUploadBody {
    fn schema() -> RefOr<Schema> {
        AllOfBuilder::new().item(UploadFields::schema()).item(domain::openapi::media::upload_by_kind()).into()
    }
}

impl ToSchema for CreateUploadBody {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        UploadFields::schemas(schemas);
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UploadFields {
    owner: MediaOwner,
    role: MediaRole,
    /// The file's name, without a folder (1 to 255 characters).
    #[schema(schema_with = domain::openapi::media::filename)]
    filename: String,
    /// image/jpeg, image/png, image/webp, application/pdf, model/step or image/vnd.dxf (the
    /// bytes must agree).
    #[schema(schema_with = domain::openapi::media::content_type)]
    content_type: String,
    /// The exact size in bytes (signed into the URL): at most 20 MiB for images, 100 MiB for
    /// documents.
    #[schema(minimum = 1)]
    size: u64,
    #[schema(schema_with = domain::openapi::media::optional_title)]
    title: Option<String>,
    #[schema(schema_with = domain::openapi::media::optional_alt)]
    alt: Option<String>,
    /// A BCP 47 language tag (`de`, `en-GB`).
    #[schema(schema_with = domain::openapi::media::optional_language)]
    language: Option<String>,
    /// `buyers`: served to signed-in buyers only (certificates). Default `public`.
    audience: Option<Audience>,
    /// An attached medium of the owner whose object this upload replaces (same id, role and
    /// position).
    replaces: Option<Uuid>,
}

/// A presigned upload: send `method` to `url` with exactly `headers`, then complete it.
#[derive(Serialize, ToSchema)]
struct UploadBody {
    id: Uuid,
    method: String,
    url: String,
    /// Signed headers (content type and length): S3 refuses a PUT without exactly these.
    headers: BTreeMap<String, String>,
    expires_at: DateTime<Utc>,
    /// The most bytes a file of the declared type may have.
    max_size: u64,
}

/// Starts an upload: checks the owner, role, type and size, and answers a presigned PUT into
/// quarantine (valid at most 15 minutes). Nothing is written to the catalog until completed.
#[utoipa::path(post, path = "/v1/media/uploads", tag = "media", security(("bearer" = [])), request_body = CreateUploadBody,
    responses((status = 201, description = "Presigned", body = UploadBody),
              (status = 404, description = "The owner does not exist, or `replaces` names no medium of it", body = service_http::openapi::Problem),
              (status = 409, description = "The product is retired, or `replaces` names a detached medium", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields (`unsupported_type`, `role_mismatch`, `too_large`, …)", body = service_http::openapi::Problem),
              (status = 503, description = "The media bucket is unreachable: retry", body = service_http::openapi::Problem)))]
async fn create(
    State(state): State<AppState>,
    Admin(actor): Admin,
    JsonBody(CreateUploadBody(body)): JsonBody<CreateUploadBody>,
) -> Result<(StatusCode, Json<UploadBody>), ApiError> {
    let new = NewUpload {
        owner: body.owner,
        role: body.role,
        filename: &body.filename,
        content_type: &body.content_type,
        size: body.size,
        title: body.title.as_deref(),
        alt: body.alt.as_deref(),
        language: body.language.as_deref(),
        audience: body.audience,
        replaces: body.replaces,
    };
    let media = &state.media;
    let created = uploads::create(&state.catalog, &media.store, media.upload_expiry, actor.user_id, new).await?;
    Ok((
        StatusCode::CREATED,
        Json(UploadBody {
            id: created.id,
            method: created.put.method,
            url: created.put.url,
            headers: created.put.headers,
            expires_at: created.put.expires_at,
            max_size: created.max_size,
        }),
    ))
}

/// A completion's answer as stored: the body is replayed verbatim by a second completion.
struct CompletedAnswer {
    position: i64,
    body: serde_json::Value,
}

impl IntoResponse for CompletedAnswer {
    fn into_response(self) -> Response {
        let mut response = (StatusCode::CREATED, Json(self.body)).into_response();
        if let Ok(value) = HeaderValue::from_str(&self.position.to_string()) {
            response.headers_mut().insert("x-position", value);
        }
        response
    }
}

/// Completes an upload: verifies the object in place (size, magic bytes against the declared
/// type, image decoding within limits), stores it content-addressed and appends the medium's
/// event. A refusal deletes the uploaded object; completing again answers the same. The body,
/// if any, is ignored.
#[utoipa::path(post, path = "/v1/media/uploads/{id}/complete", tag = "media", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The upload")),
    responses((status = 201, description = "Attached (or replaced)", body = Written<MediumBody>),
              (status = 404, description = "No such upload of the caller's, or the owner or replaced medium is gone", body = service_http::openapi::Problem),
              (status = 409, description = "Being completed by another request, the owner is retired, or the replaced medium was detached", body = service_http::openapi::Problem),
              (status = 422, description = "Refused: `not_uploaded`, `upload_expired`, `size_mismatch`, `content_mismatch`, `image_too_large`, `truncated_or_corrupt`, …", body = service_http::openapi::Problem),
              (status = 503, description = "The media bucket is unreachable: nothing was written, retry", body = service_http::openapi::Problem)))]
async fn complete(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(id): Path<Uuid>,
) -> Result<CompletedAnswer, ApiError> {
    let ctx = context(&actor, ids);
    match complete::complete(&state.catalog, &state.media.store, &ctx, actor.user_id, id).await? {
        Completed::Written { position, body } => {
            state.media.variants.notify_one();
            Ok(CompletedAnswer { position, body })
        }
        Completed::Refused(error) => Err(error),
    }
}

/// Where an upload stands.
#[derive(Serialize, ToSchema)]
struct UploadState {
    id: Uuid,
    owner: MediaOwner,
    /// `pending`, `verifying`, `completed`, `refused` or `expired`.
    state: String,
    filename: String,
    content_type: String,
    size: u64,
    expires_at: DateTime<Utc>,
    /// The medium it attaches (or replaces).
    medium_id: Uuid,
    /// The position of its event, once completed.
    position: Option<i64>,
}

/// An upload of the caller's.
#[utoipa::path(get, path = "/v1/media/uploads/{id}", tag = "media", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The upload")),
    responses((status = 200, description = "The upload", body = UploadState),
              (status = 404, description = "No such upload of the caller's", body = service_http::openapi::Problem)))]
async fn show(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(id): Path<Uuid>,
) -> Result<Json<UploadState>, ApiError> {
    let row = uploads::find(state.catalog.store().pool(), id, actor.user_id).await?;
    Ok(Json(UploadState {
        id: row.id,
        owner: row.owner(),
        state: row.state.clone(),
        filename: row.filename.clone(),
        content_type: row.content_type.clone(),
        size: u64::try_from(row.declared_size).unwrap_or_default(),
        expires_at: row.expires_at,
        medium_id: row.medium_id,
        position: row.position,
    }))
}
