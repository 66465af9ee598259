//! Sessions: `POST /v1/auth/login`, `/v1/auth/refresh` and `/v1/auth/logout` (the latter two take
//! the refresh token in the body, so logout works after the access token has expired).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::context_of;
use crate::error::ApiError;
use crate::extract::{JsonBody, RequestIds};
use crate::identity::sessions::{self, Tokens};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(refresh)).routes(routes!(logout))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Login {
    email: String,
    password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RefreshToken {
    refresh_token: String,
}

/// Logs in: a token pair. Rate limited per IP more tightly than other routes.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = Login,
    responses((status = 200, description = "Logged in", body = Tokens),
              (status = 401, description = "An unknown email, a wrong password or a disabled user alike", body = service_http::openapi::Problem),
              (status = 422, description = "Missing or mistyped fields", body = service_http::openapi::Problem)))]
#[tracing::instrument(skip_all)]
async fn login(
    State(state): State<AppState>,
    ids: RequestIds,
    JsonBody(body): JsonBody<Login>,
) -> Result<Json<Tokens>, ApiError> {
    let ctx = context_of("anonymous", "anonymous", ids);
    Ok(Json(sessions::login(&state, ctx, &body.email, body.password).await?))
}

/// A new token pair for a refresh token, which is spent: reusing it revokes its whole family.
#[utoipa::path(post, path = "/v1/auth/refresh", tag = "auth", request_body = RefreshToken,
    responses((status = 200, description = "A new pair", body = Tokens),
              (status = 401, description = "Not a valid refresh token, spent, revoked, or its user disabled", body = service_http::openapi::Problem),
              (status = 422, description = "Missing or mistyped fields", body = service_http::openapi::Problem)))]
#[tracing::instrument(skip_all)]
async fn refresh(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<RefreshToken>,
) -> Result<Json<Tokens>, ApiError> {
    Ok(Json(sessions::refresh(&state, &body.refresh_token).await?))
}

/// Revokes the refresh family of the token (no access token needed, so it works after that expired).
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", request_body = RefreshToken,
    responses((status = 204, description = "Logged out"),
              (status = 401, description = "Not a valid refresh token", body = service_http::openapi::Problem),
              (status = 422, description = "Missing or mistyped fields", body = service_http::openapi::Problem)))]
#[tracing::instrument(skip_all)]
async fn logout(State(state): State<AppState>, JsonBody(body): JsonBody<RefreshToken>) -> Result<StatusCode, ApiError> {
    sessions::logout(&state, &body.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}
