//! Brands: create, or upsert by external id.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::Aggregate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{context, external_id_of, upserted, written, Answer, UpsertWritten, Written};
use crate::error::ApiError;
use crate::extract::{Admin, JsonBody, RequestIds};
use crate::service::Committed;
use crate::state::AppState;
use crate::upsert::BrandFields;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create)).routes(routes!(upsert))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateBrand {
    #[schema(schema_with = domain::openapi::names::max_200)]
    name: String,
    /// The source system's id: 1 to 128 characters, no control characters, stored trimmed; unique
    /// among brands.
    #[schema(schema_with = domain::openapi::names::optional_external_id)]
    external_id: Option<String>,
}

impl CreateBrand {
    fn fields(&self) -> BrandFields {
        BrandFields { name: self.name.clone() }
    }
}

/// A brand as a command left it.
#[derive(Serialize, ToSchema)]
pub struct BrandRecord {
    id: Uuid,
    name: String,
    /// The source system's id, when the record has one.
    external_id: Option<String>,
    #[schema(minimum = 1)]
    version: i64,
}

fn brand_body(committed: &Committed, id: Uuid) -> Result<BrandRecord, ApiError> {
    match committed.head(id) {
        Some(head) => match &head.state {
            Aggregate::Brand(b) => Ok(BrandRecord {
                id: b.id,
                name: b.name.clone(),
                external_id: b.external_id.as_ref().map(|e| e.as_str().to_owned()),
                version: head.version,
            }),
            _ => Err(ApiError::NotFound(format!("brand {id} does not exist"))),
        },
        None => Err(ApiError::NotFound(format!("brand {id} does not exist"))),
    }
}

/// Creates a brand.
#[utoipa::path(post, path = "/v1/brands", tag = "brands", security(("bearer" = [])), request_body = CreateBrand,
    responses((status = 201, description = "Created", body = Written<BrandRecord>),
              (status = 409, description = "A brand with that name or external id exists", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields, each listed", body = service_http::openapi::Problem)))]
async fn create(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    JsonBody(body): JsonBody<CreateBrand>,
) -> Result<Answer<Written<BrandRecord>>, ApiError> {
    let id = Uuid::now_v7();
    let ctx = context(&actor, ids);
    let committed = state.catalog.create_brand(&ctx, id, &body.fields(), body.external_id.as_deref()).await?;
    Ok(written(StatusCode::CREATED, committed.position, brand_body(&committed, id)?))
}

/// Creates or renames the brand the source system knows by `external_id` (the create body, its
/// `external_id` left out or the same). When it already has that name, nothing is appended and
/// `outcome` says `unchanged`.
#[utoipa::path(put, path = "/v1/brands/by-external-id/{external_id}", tag = "brands", security(("bearer" = [])),
    params(("external_id" = String, Path, min_length = 1, max_length = 128,
            description = "The source system's id, percent-encoded")),
    request_body = CreateBrand,
    responses((status = 201, description = "Created (`outcome`: `created`)", body = UpsertWritten<BrandRecord>,
                headers(("Location" = String, description = "The new brand"))),
              (status = 200, description = "Renamed, or already so (`outcome`: `updated` or `unchanged`)", body = UpsertWritten<BrandRecord>),
              (status = 409, description = "Another brand has that name", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields, each listed (`invalid_external_id`, `external_id_too_long`, `external_id_mismatch`, …)", body = service_http::openapi::Problem)))]
async fn upsert(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(external_id): Path<String>,
    JsonBody(body): JsonBody<CreateBrand>,
) -> Result<Answer<UpsertWritten<BrandRecord>>, ApiError> {
    let external_id = external_id_of(&external_id, body.external_id.as_deref())?;
    let ctx = context(&actor, ids);
    let done = state.catalog.upsert_brand(&ctx, &external_id, &body.fields()).await?;
    Ok(upserted(&done, "/v1/brands", brand_body(&done.committed, done.id)?))
}
