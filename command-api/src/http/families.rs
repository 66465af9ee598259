//! Product families and their own attribute definitions.

use std::collections::BTreeSet;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use domain::family::{self, CreateFamily, Family};
use domain::names::FamilyCode;
use domain::Aggregate;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{context, written};
use crate::error::ApiError;
use crate::extract::{Admin, JsonBody, RequestIds};
use crate::service::Head;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateFamilyBody {
    category_id: Uuid,
    brand_id: Option<Uuid>,
    name: String,
    /// The short code SKUs start with. When absent it is derived from the name ("DIN 933" →
    /// "DIN933"; a long name abbreviated: "Socket head cap screw DIN 912" → "SHCSDIN912") and,
    /// when another family holds that, suffixed ("SHCSS2", "DIN933B"). A given code that is taken is a 409.
    code: Option<String>,
}

/// Creates a product family in a leaf category.
#[utoipa::path(post, path = "/v1/families", tag = "families", security(("bearer" = [])), request_body = CreateFamilyBody,
    responses((status = 201, description = "Created", body = super::schemas::FamilyWritten),
              (status = 404, description = "The category or brand does not exist", body = service_http::openapi::Problem),
              (status = 409, description = "The family code is taken", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields (the category must be a leaf), each listed", body = service_http::openapi::Problem)))]
async fn create(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    JsonBody(body): JsonBody<CreateFamilyBody>,
) -> Result<Response, ApiError> {
    let id = Uuid::now_v7();
    let ctx = context(&actor, ids);
    let extra: Vec<Uuid> = body.brand_id.into_iter().collect();
    // A code derived from the name is the first of its candidates no family holds.
    let candidates = if body.code.is_none() { FamilyCode::candidates(&body.name) } else { Vec::new() };
    let claims: Vec<String> = candidates.iter().map(FamilyCode::claim).collect();
    let committed = state
        .catalog
        .change_structure_seeing(&ctx, &extra, &claims, |tree, heads, held| {
            let brand = body.brand_id.and_then(|b| match heads.get(&b).map(|h| &h.state) {
                Some(Aggregate::Brand(brand)) => Some(brand),
                _ => None,
            });
            let taken: BTreeSet<FamilyCode> = candidates.into_iter().filter(|c| held.contains(&c.claim())).collect();
            let command = CreateFamily {
                id,
                category_id: body.category_id,
                brand_id: body.brand_id,
                name: body.name,
                code: body.code,
            };
            Ok(family::create(tree, brand, &taken, command)?)
        })
        .await?;
    let family = family_of(committed.head(id), id)?;
    let body = json!({
        "id": id,
        "category_id": family.category_id,
        "brand_id": family.brand_id,
        "name": family.name,
        "code": family.code,
        "version": 1,
    });
    Ok(written(StatusCode::CREATED, committed.position, body))
}

fn family_of(head: Option<&Head>, id: Uuid) -> Result<&Family, ApiError> {
    match head.map(|h| &h.state) {
        Some(Aggregate::Family(family)) => Ok(family),
        _ => Err(ApiError::NotFound(format!("family {id} does not exist"))),
    }
}
