//! Brands.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use domain::{brand, Aggregate};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::{context, written};
use crate::error::ApiError;
use crate::extract::{Admin, JsonBody, RequestIds};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/brands", post(create))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBrand {
    name: String,
}

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
