//! Product families: create, or upsert by external id.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::family::Family;
use domain::Aggregate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{context, external_id_of, upserted, written, Answer, UpsertWritten, Written};
use crate::error::ApiError;
use crate::extract::{Admin, JsonBody, RequestIds};
use crate::service::{Committed, Head};
use crate::state::AppState;
use crate::upsert::FamilyFields;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create)).routes(routes!(upsert))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateFamilyBody {
    category_id: Uuid,
    brand_id: Option<Uuid>,
    #[schema(schema_with = domain::openapi::names::max_200)]
    name: String,
    /// The short code SKUs start with. When absent it is derived from the name ("DIN 933" →
    /// "DIN933"; a long name abbreviated: "Socket head cap screw DIN 912" → "SHCSDIN912") and,
    /// when another family holds that, suffixed ("SHCSS2", "DIN933B"). A given code that is taken is a 409.
    code: Option<String>,
    /// The source system's id: 1 to 128 characters, no control characters, stored trimmed; unique
    /// among families.
    #[schema(schema_with = domain::openapi::names::optional_external_id)]
    external_id: Option<String>,
}

impl CreateFamilyBody {
    fn fields(&self) -> FamilyFields {
        FamilyFields {
            category_id: self.category_id,
            brand_id: self.brand_id,
            name: self.name.clone(),
            code: self.code.clone(),
        }
    }
}

/// A product family as a command left it.
#[derive(Serialize, ToSchema)]
pub struct FamilyRecord {
    id: Uuid,
    category_id: Uuid,
    brand_id: Option<Uuid>,
    name: String,
    /// The short code SKUs start with.
    code: String,
    /// The source system's id, when the record has one.
    external_id: Option<String>,
    #[schema(minimum = 1)]
    version: i64,
}

fn family_body(committed: &Committed, id: Uuid) -> Result<FamilyRecord, ApiError> {
    let family = family_of(committed.head(id), id)?;
    Ok(FamilyRecord {
        id,
        category_id: family.category_id,
        brand_id: family.brand_id,
        name: family.name.clone(),
        code: family.code.as_str().to_owned(),
        external_id: family.external_id.as_ref().map(|e| e.as_str().to_owned()),
        version: committed.head(id).map_or(1, |h| h.version),
    })
}

/// Creates a product family in a leaf category.
#[utoipa::path(post, path = "/v1/families", tag = "families", security(("bearer" = [])), request_body = CreateFamilyBody,
    responses((status = 201, description = "Created", body = Written<FamilyRecord>),
              (status = 404, description = "The category or brand does not exist", body = service_http::openapi::Problem),
              (status = 409, description = "The family code or external id is taken", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields (the category must be a leaf), each listed", body = service_http::openapi::Problem)))]
async fn create(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    JsonBody(body): JsonBody<CreateFamilyBody>,
) -> Result<Answer<Written<FamilyRecord>>, ApiError> {
    let id = Uuid::now_v7();
    let ctx = context(&actor, ids);
    let committed = state.catalog.create_family(&ctx, id, &body.fields(), body.external_id.as_deref()).await?;
    Ok(written(StatusCode::CREATED, committed.position, family_body(&committed, id)?))
}

/// Creates or renames the family the source system knows by `external_id` (the create body, its
/// `external_id` left out or the same). An existing family keeps its category, brand and code:
/// a body naming others is refused (409, the field with code `unchangeable`); without a code it
/// keeps its own. When nothing differs, nothing is appended and `outcome` says `unchanged`.
#[utoipa::path(put, path = "/v1/families/by-external-id/{external_id}", tag = "families", security(("bearer" = [])),
    params(("external_id" = String, Path, min_length = 1, max_length = 128,
            description = "The source system's id, percent-encoded")),
    request_body = CreateFamilyBody,
    responses((status = 201, description = "Created (`outcome`: `created`)", body = UpsertWritten<FamilyRecord>,
                headers(("Location" = String, description = "The new family"))),
              (status = 200, description = "Renamed, or already so (`outcome`: `updated` or `unchanged`)", body = UpsertWritten<FamilyRecord>),
              (status = 404, description = "The category or brand does not exist", body = service_http::openapi::Problem),
              (status = 409, description = "The code is taken, or the body names another category, brand or code than the family's (`unchangeable`)", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields, each listed (`invalid_external_id`, `external_id_too_long`, `external_id_mismatch`, …)", body = service_http::openapi::Problem)))]
async fn upsert(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(external_id): Path<String>,
    JsonBody(body): JsonBody<CreateFamilyBody>,
) -> Result<Answer<UpsertWritten<FamilyRecord>>, ApiError> {
    let external_id = external_id_of(&external_id, body.external_id.as_deref())?;
    let ctx = context(&actor, ids);
    let done = state.catalog.upsert_family(&ctx, &external_id, &body.fields()).await?;
    Ok(upserted(&done, "/v1/families", family_body(&done.committed, done.id)?))
}

fn family_of(head: Option<&Head>, id: Uuid) -> Result<&Family, ApiError> {
    match head.map(|h| &h.state) {
        Some(Aggregate::Family(family)) => Ok(family),
        _ => Err(ApiError::NotFound(format!("family {id} does not exist"))),
    }
}
