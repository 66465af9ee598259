//! Sessions: `POST /v1/auth/login`, `/v1/auth/refresh` and `/v1/auth/logout` (the latter two take
//! the refresh token in the body, so logout works after the access token has expired).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;

use super::context_of;
use crate::error::ApiError;
use crate::extract::{JsonBody, RequestIds};
use crate::identity::sessions::{self, Tokens};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/auth/login", post(login))
        .route("/v1/auth/refresh", post(refresh))
        .route("/v1/auth/logout", post(logout))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    email: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshToken {
    refresh_token: String,
}

#[tracing::instrument(skip_all)]
async fn login(
    State(state): State<AppState>,
    ids: RequestIds,
    JsonBody(body): JsonBody<Login>,
) -> Result<Json<Tokens>, ApiError> {
    let ctx = context_of("anonymous", "anonymous", ids);
    Ok(Json(sessions::login(&state, ctx, &body.email, body.password).await?))
}

#[tracing::instrument(skip_all)]
async fn refresh(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<RefreshToken>,
) -> Result<Json<Tokens>, ApiError> {
    Ok(Json(sessions::refresh(&state, &body.refresh_token).await?))
}

#[tracing::instrument(skip_all)]
async fn logout(State(state): State<AppState>, JsonBody(body): JsonBody<RefreshToken>) -> Result<StatusCode, ApiError> {
    sessions::logout(&state, &body.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}
