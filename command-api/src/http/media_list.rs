//! An owner's media list: reorder (`PUT …/media/order`), change a medium's role and details
//! (`PATCH …/media/{medium_id}`) and detach (`DELETE …/media/{medium_id}`), for products and
//! families alike. Catalog work: admins only.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::media::{Audience, DetailsInput, DetailsPatch, MediaOwner, MediaRole, OwnerType};
use domain::DomainError;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{context, written, Answer, Written};
use crate::error::ApiError;
use crate::extract::{Admin, JsonBody, OptionalJsonBody, RequestIds};
use crate::media::body::MediaListBody;
use crate::media::manage::{self, Command};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(order_product))
        .routes(routes!(order_family))
        .routes(routes!(patch_product, detach_product))
        .routes(routes!(patch_family, detach_family))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct OrderBody {
    /// Every attached medium's id exactly once, in the new display order.
    #[schema(schema_with = domain::openapi::media::order)]
    order: Vec<Uuid>,
    expected_version: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PatchMediumBody {
    /// A new primary image demotes the current one to the gallery.
    role: Option<MediaRole>,
    /// `null` clears it; absent leaves it.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(schema_with = domain::openapi::media::optional_title)]
    title: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(schema_with = domain::openapi::media::optional_alt)]
    alt: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(schema_with = domain::openapi::media::optional_language)]
    language: Option<Option<String>>,
    audience: Option<Audience>,
    expected_version: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DetachBody {
    expected_version: Option<i64>,
}

fn owner(owner_type: OwnerType, id: Uuid) -> MediaOwner {
    MediaOwner { owner_type, id }
}

async fn run(
    state: &AppState,
    actor: &crate::extract::Actor,
    ids: RequestIds,
    owner: MediaOwner,
    expected: Option<i64>,
    command: Command,
) -> Result<Answer<Written<MediaListBody>>, ApiError> {
    let ctx = context(actor, ids);
    let (position, list) = manage::run(&state.catalog, &ctx, owner, expected, command).await?;
    Ok(written(StatusCode::OK, position, list))
}

/// The checked details of a patch (a cleared field stays `Some(None)`).
fn patch_of(body: PatchMediumBody) -> Result<DetailsPatch, ApiError> {
    let given = |f: &Option<Option<String>>| f.as_ref().and_then(|v| v.as_deref()).map(str::to_owned);
    let (title, alt, language) = (given(&body.title), given(&body.alt), given(&body.language));
    let checked = DetailsInput {
        title: title.as_deref(),
        alt: alt.as_deref(),
        language: language.as_deref(),
        audience: body.audience,
    }
    .parse()
    .map_err(|e: DomainError| ApiError::from(e))?;
    let keep = |f: Option<Option<String>>, value: Option<String>| f.map(|v| v.and(value));
    Ok(DetailsPatch {
        role: body.role,
        title: keep(body.title, checked.title),
        alt: keep(body.alt, checked.alt),
        language: keep(body.language, checked.language),
        audience: body.audience,
    })
}

async fn order(
    state: AppState,
    actor: crate::extract::Actor,
    ids: RequestIds,
    owner: MediaOwner,
    body: OrderBody,
) -> Result<Answer<Written<MediaListBody>>, ApiError> {
    run(&state, &actor, ids, owner, body.expected_version, Command::Reorder(body.order)).await
}

async fn patch(
    state: AppState,
    actor: crate::extract::Actor,
    ids: RequestIds,
    owner: MediaOwner,
    medium_id: Uuid,
    body: PatchMediumBody,
) -> Result<Answer<Written<MediaListBody>>, ApiError> {
    let expected = body.expected_version;
    let patch = patch_of(body)?;
    run(&state, &actor, ids, owner, expected, Command::Details(medium_id, patch)).await
}

/// Puts a product's media in a new order (every attached medium named once).
#[utoipa::path(put, path = "/v1/products/{id}/media/order", tag = "media", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The product")), request_body = OrderBody,
    responses((status = 200, description = "Reordered", body = Written<MediaListBody>),
              (status = 409, description = "The order is not of the current list (a medium missing, one not attached or detached), or a stale expected_version: reload and order again", body = service_http::openapi::Problem),
              (status = 422, description = "A medium named twice (`invalid_order`)", body = service_http::openapi::Problem)))]
async fn order_product(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(id): Path<Uuid>,
    JsonBody(body): JsonBody<OrderBody>,
) -> Result<Answer<Written<MediaListBody>>, ApiError> {
    order(state, actor, ids, owner(OwnerType::Product, id), body).await
}

/// Puts a family's media in a new order (every attached medium named once).
#[utoipa::path(put, path = "/v1/families/{id}/media/order", tag = "media", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The family")), request_body = OrderBody,
    responses((status = 200, description = "Reordered", body = Written<MediaListBody>),
              (status = 409, description = "The order is not of the current list (a medium missing, one not attached or detached), or a stale expected_version: reload and order again", body = service_http::openapi::Problem),
              (status = 422, description = "A medium named twice (`invalid_order`)", body = service_http::openapi::Problem)))]
async fn order_family(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(id): Path<Uuid>,
    JsonBody(body): JsonBody<OrderBody>,
) -> Result<Answer<Written<MediaListBody>>, ApiError> {
    order(state, actor, ids, owner(OwnerType::Family, id), body).await
}

/// Changes a product medium's role, title, alt text, language or audience.
#[utoipa::path(patch, path = "/v1/products/{id}/media/{medium_id}", tag = "media", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The product"), ("medium_id" = Uuid, Path, description = "The medium")),
    request_body = PatchMediumBody,
    responses((status = 200, description = "Changed (or already so)", body = Written<MediaListBody>),
              (status = 404, description = "No such medium", body = service_http::openapi::Problem),
              (status = 409, description = "The medium is detached, or a stale expected_version", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields (`role_mismatch`, …)", body = service_http::openapi::Problem)))]
async fn patch_product(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path((id, medium_id)): Path<(Uuid, Uuid)>,
    JsonBody(body): JsonBody<PatchMediumBody>,
) -> Result<Answer<Written<MediaListBody>>, ApiError> {
    patch(state, actor, ids, owner(OwnerType::Product, id), medium_id, body).await
}

/// Changes a family medium's role, title, alt text, language or audience.
#[utoipa::path(patch, path = "/v1/families/{id}/media/{medium_id}", tag = "media", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The family"), ("medium_id" = Uuid, Path, description = "The medium")),
    request_body = PatchMediumBody,
    responses((status = 200, description = "Changed (or already so)", body = Written<MediaListBody>),
              (status = 404, description = "No such medium", body = service_http::openapi::Problem),
              (status = 409, description = "The medium is detached, or a stale expected_version", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields (`role_mismatch`, …)", body = service_http::openapi::Problem)))]
async fn patch_family(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path((id, medium_id)): Path<(Uuid, Uuid)>,
    JsonBody(body): JsonBody<PatchMediumBody>,
) -> Result<Answer<Written<MediaListBody>>, ApiError> {
    patch(state, actor, ids, owner(OwnerType::Family, id), medium_id, body).await
}

/// Detaches a medium from a product (kept in its history; the object is deleted by the GC once
/// nothing references it). The body is optional.
#[utoipa::path(delete, path = "/v1/products/{id}/media/{medium_id}", tag = "media", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The product"), ("medium_id" = Uuid, Path, description = "The medium")),
    request_body(content = Option<DetachBody>, description = "Optional: `{\"expected_version\": N}`"),
    responses((status = 200, description = "Detached", body = Written<MediaListBody>),
              (status = 404, description = "No such medium", body = service_http::openapi::Problem),
              (status = 409, description = "Already detached, or a stale expected_version", body = service_http::openapi::Problem)))]
async fn detach_product(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path((id, medium_id)): Path<(Uuid, Uuid)>,
    OptionalJsonBody(body): OptionalJsonBody<DetachBody>,
) -> Result<Answer<Written<MediaListBody>>, ApiError> {
    let expected = body.and_then(|b| b.expected_version);
    run(&state, &actor, ids, owner(OwnerType::Product, id), expected, Command::Detach(medium_id)).await
}

/// Detaches a medium from a family. The body is optional.
#[utoipa::path(delete, path = "/v1/families/{id}/media/{medium_id}", tag = "media", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The family"), ("medium_id" = Uuid, Path, description = "The medium")),
    request_body(content = Option<DetachBody>, description = "Optional: `{\"expected_version\": N}`"),
    responses((status = 200, description = "Detached", body = Written<MediaListBody>),
              (status = 404, description = "No such medium", body = service_http::openapi::Problem),
              (status = 409, description = "Already detached, or a stale expected_version", body = service_http::openapi::Problem)))]
async fn detach_family(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path((id, medium_id)): Path<(Uuid, Uuid)>,
    OptionalJsonBody(body): OptionalJsonBody<DetachBody>,
) -> Result<Answer<Written<MediaListBody>>, ApiError> {
    let expected = body.and_then(|b| b.expected_version);
    run(&state, &actor, ids, owner(OwnerType::Family, id), expected, Command::Detach(medium_id)).await
}
