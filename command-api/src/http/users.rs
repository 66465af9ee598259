//! Users: `POST /v1/users` creates a staff user (admin or ops), `POST /v1/users/{id}/disable`,
//! `PUT /v1/users/{id}/password` (the user, with the current password, or an admin) and
//! `PUT /v1/users/{id}/role`. Buyers are created under their company (`companies.rs`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{post, put};
use axum::Router;
use domain::identity::user::{self, User};
use domain::identity::{check_password, Role};
use domain::FieldError;
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{context, current, parse_id, written};
use crate::error::ApiError;
use crate::extract::{Actor, Admin, JsonBody, RequestIds};
use crate::identity::accounts::{self, user_of};
use crate::identity::families;
use crate::service::Committed;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/users", post(create))
        .route("/v1/users/{id}/disable", post(disable))
        .route("/v1/users/{id}/password", put(password))
        .route("/v1/users/{id}/role", put(role))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateStaff {
    email: String,
    password: String,
    role: Role,
}

async fn create(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    JsonBody(body): JsonBody<CreateStaff>,
) -> Result<Response, ApiError> {
    if !body.role.is_staff() {
        let message = "staff users are admin or ops; buyers are created under their company";
        return Err(ApiError::Invalid(vec![FieldError::new("role", "not_staff", message)]));
    }
    let ctx = context(&actor, ids);
    let (id, committed) = accounts::create_user(
        &state.identity.passwords,
        &state.catalog,
        &ctx,
        &body.email,
        body.password,
        body.role,
        None,
    )
    .await?;
    Ok(written(StatusCode::CREATED, committed.position, user_body(&committed, id)?))
}

/// Disables the user and revokes their refresh families (their access tokens run out on their own).
async fn disable(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "user")?;
    let ctx = context(&actor, ids);
    let committed =
        state.catalog.change_streams(&ctx, &[id], |heads| Ok(user::disable(user_of(heads.get(&id), id)?)?)).await?;
    families::revoke_user(state.catalog.store().pool(), id, "user disabled").await?;
    Ok(written(StatusCode::OK, committed.position, user_body(&committed, id)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPassword {
    password: String,
    /// Required when users change their own password.
    #[serde(default)]
    current_password: Option<String>,
}

/// A user changes their own password (proving the current one), or an admin sets anyone's. Every
/// refresh family of the user is revoked: other sessions must log in with the new password.
async fn password(
    State(state): State<AppState>,
    actor: Actor,
    ids: RequestIds,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<NewPassword>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "user")?;
    let pool = state.catalog.store().pool();
    if actor.user_id != id {
        actor.require(Role::Admin)?;
    } else if actor.role != Role::Admin || body.current_password.is_some() {
        let current = body.current_password.clone().ok_or_else(|| {
            ApiError::Invalid(vec![FieldError::new(
                "current_password",
                "missing_field",
                "changing your own password needs the current one",
            )])
        })?;
        let stored = accounts::user(pool, id).await?;
        let verdict = state.identity.passwords.verify(stored.as_ref().map(|u| &u.password_hash), current).await?;
        if !verdict.matches {
            let message = "the current password is wrong";
            return Err(ApiError::Invalid(vec![FieldError::new("current_password", "wrong_password", message)]));
        }
    }
    check_password("password", &body.password).map_err(|e| ApiError::Invalid(vec![e]))?;
    let hash = state.identity.passwords.hash(body.password).await?;
    let ctx = context(&actor, ids);
    let committed = state
        .catalog
        .change_streams(&ctx, &[id], |heads| Ok(user::change_password(user_of(heads.get(&id), id)?, hash)?))
        .await?;
    families::revoke_user(pool, id, "password changed").await?;
    Ok(written(StatusCode::OK, committed.position, user_body(&committed, id)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewRole {
    role: Role,
    #[serde(default)]
    expected_version: Option<i64>,
}

/// Takes effect at the user's next refresh or login.
async fn role(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<NewRole>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "user")?;
    let ctx = context(&actor, ids);
    let committed = state
        .catalog
        .change_streams(&ctx, &[id], |heads| {
            Ok(user::change_role(current(heads, id, body.expected_version, user_of)?, body.role)?)
        })
        .await?;
    Ok(written(StatusCode::OK, committed.position, user_body(&committed, id)?))
}

/// A user as the API shows one: never the password hash.
pub(super) fn user_body(committed: &Committed, id: Uuid) -> Result<Value, ApiError> {
    let head = committed.head(id);
    let User { email, role, company_id, disabled, .. } = user_of(head, id)?;
    let version = head.map_or(0, |h| h.version);
    Ok(
        json!({ "id": id, "email": email, "role": role, "company_id": company_id, "disabled": disabled, "version": version }),
    )
}
