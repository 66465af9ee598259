//! Brands.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use domain::{brand, Aggregate};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{context, written};
use crate::error::ApiError;
use crate::extract::{Admin, JsonBody, RequestIds};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateBrand {
    name: String,
}

/// Creates a brand.
#[utoipa::path(post, path = "/v1/brands", tag = "brands", security(("bearer" = [])), request_body = CreateBrand,
    responses((status = 201, description = "Created", body = super::schemas::BrandWritten),
              (status = 409, description = "A brand with that name exists", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields, each listed", body = service_http::openapi::Problem)))]
async fn create(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    JsonBody(body): JsonBody<CreateBrand>,
) -> Result<Response, ApiError> {
    let id = Uuid::now_v7();
    let ctx = context(&actor, ids);
    let committed = state.catalog.change_streams(&ctx, &[], |_| Ok(brand::create(id, &body.name)?)).await?;
    let name = match committed.head(id).map(|h| &h.state) {
        Some(Aggregate::Brand(b)) => b.name.clone(),
        _ => body.name,
    };
    Ok(written(StatusCode::CREATED, committed.position, json!({ "id": id, "name": name, "version": 1 })))
}
