//! Product families and their own attribute definitions.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use domain::family::{self, CreateFamily, Family};
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
    /// The short code SKUs start with; derived from the name when absent.
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
    let committed = state
        .catalog
        .change_structure(&ctx, &extra, |tree, heads| {
            let brand = body.brand_id.and_then(|b| match heads.get(&b).map(|h| &h.state) {
                Some(Aggregate::Brand(brand)) => Some(brand),
                _ => None,
            });
            let command = CreateFamily {
                id,
                category_id: body.category_id,
                brand_id: body.brand_id,
                name: body.name,
                code: body.code,
            };
            Ok(family::create(tree, brand, command)?)
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
