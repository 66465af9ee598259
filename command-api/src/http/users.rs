//! Users: `POST /v1/users` creates a staff user (admin or ops), `POST /v1/users/{id}/disable`,
//! `PUT /v1/users/{id}/password` (the user, with the current password, or an admin) and
//! `PUT /v1/users/{id}/role`. Buyers are created under their company (`companies.rs`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::identity::user::{self, User};
use domain::identity::{check_password, Role};
use domain::FieldError;
use serde::{Deserialize, Serialize};
use service_http::revocations::Change;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{context, current, written, Answer, Written};
use crate::error::ApiError;
use crate::extract::{Actor, Admin, DeferredJsonBody, JsonBody, RequestIds};
use crate::identity::accounts::{self, user_of};
use crate::identity::{families, rights};
use crate::service::Committed;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(disable))
        .routes(routes!(password))
        .routes(routes!(role))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateStaff {
    #[schema(schema_with = domain::openapi::email)]
    email: String,
    #[schema(schema_with = domain::openapi::password)]
    password: String,
    #[schema(schema_with = domain::openapi::staff_role)]
    role: Role,
}

/// Creates a staff user (admin, ops or the read-only auditor); buyers are created under their company.
#[utoipa::path(post, path = "/v1/users", tag = "users", security(("bearer" = [])), request_body = CreateStaff,
    responses((status = 201, description = "Created", body = Written<UserRecord>),
              (status = 409, description = "The email is taken", body = service_http::openapi::Problem),
              (status = 422, description = "A bad email, password (12–128 characters) or role, each listed", body = service_http::openapi::Problem)))]
async fn create(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    JsonBody(body): JsonBody<CreateStaff>,
) -> Result<Answer<Written<UserRecord>>, ApiError> {
    if !body.role.is_staff() {
        let message = "staff users are admin, ops or auditor; buyers are created under their company";
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

#[utoipa::path(post, path = "/v1/users/{id}/disable", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The user")),
    responses((status = 200, description = "Disabled", body = Written<UserRecord>),
              (status = 404, description = "No such user", body = service_http::openapi::Problem),
              (status = 409, description = "Already disabled", body = service_http::openapi::Problem)))]
/// Disables the user and revokes their refresh families and access tokens.
async fn disable(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(id): Path<Uuid>,
) -> Result<Answer<Written<UserRecord>>, ApiError> {
    let ctx = context(&actor, ids);
    let committed =
        state.catalog.change_streams(&ctx, &[id], |heads| Ok(user::disable(user_of(heads.get(&id), id)?)?)).await?;
    families::revoke_user(state.catalog.store().pool(), id, "user disabled").await?;
    rights::record(&state.identity, Change::UserDisabled { user: id }, ctx.now).await;
    Ok(written(StatusCode::OK, committed.position, user_body(&committed, id)?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewPassword {
    #[schema(schema_with = domain::openapi::password)]
    password: String,
    /// Required when users change their own password.
    #[serde(default)]
    current_password: Option<String>,
}

#[utoipa::path(put, path = "/v1/users/{id}/password", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The user")), request_body = NewPassword,
    responses((status = 200, description = "Changed", body = Written<UserRecord>),
              (status = 404, description = "No such user", body = service_http::openapi::Problem),
              (status = 409, description = "The user is disabled", body = service_http::openapi::Problem),
              (status = 422, description = "A bad new password, or a missing or wrong current one", body = service_http::openapi::Problem)))]
/// A user changes their own password (proving the current one), or an admin sets anyone's. Every
/// refresh family of the user is revoked: other sessions must log in with the new password.
async fn password(
    State(state): State<AppState>,
    actor: Actor,
    ids: RequestIds,
    Path(id): Path<Uuid>,
    body: DeferredJsonBody<NewPassword>,
) -> Result<Answer<Written<UserRecord>>, ApiError> {
    let pool = state.catalog.store().pool();
    let own = actor.user_id == id;
    if actor.role == Role::Auditor {
        return Err(ApiError::Forbidden("auditors are read-only: an admin sets an auditor's password".into()));
    }
    if !own {
        actor.require(Role::Admin)?;
    }
    let body = body.parse()?;
    if own && (actor.role != Role::Admin || body.current_password.is_some()) {
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewRole {
    #[schema(schema_with = domain::openapi::staff_role)]
    role: Role,
    #[serde(default)]
    expected_version: Option<i64>,
}

/// Changes a staff user's role. It takes effect at once: the user's access tokens issued before
/// are refused, and the next login or refresh carries the new role.
#[utoipa::path(put, path = "/v1/users/{id}/role", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The user")), request_body = NewRole,
    responses((status = 200, description = "Changed", body = Written<UserRecord>),
              (status = 404, description = "No such user", body = service_http::openapi::Problem),
              (status = 409, description = "Stale expected_version", body = service_http::openapi::Problem),
              (status = 422, description = "Not a staff role, or the user is a buyer", body = service_http::openapi::Problem)))]
async fn role(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(id): Path<Uuid>,
    JsonBody(body): JsonBody<NewRole>,
) -> Result<Answer<Written<UserRecord>>, ApiError> {
    let ctx = context(&actor, ids);
    let committed = state
        .catalog
        .change_streams(&ctx, &[id], |heads| {
            Ok(user::change_role(current(heads, id, body.expected_version, user_of)?, body.role)?)
        })
        .await?;
    if let Some(head) = committed.head(id) {
        let change = Change::RoleChanged { user: id, version: head.version, role: body.role };
        rights::record(&state.identity, change, ctx.now).await;
    }
    Ok(written(StatusCode::OK, committed.position, user_body(&committed, id)?))
}

/// A user as the API shows one: never the password hash.
#[derive(Serialize, ToSchema)]
pub struct UserRecord {
    id: Uuid,
    /// Normalized: NFKC, case-folded, trimmed.
    email: String,
    role: Role,
    /// The company of a buyer.
    company_id: Option<Uuid>,
    disabled: bool,
    #[schema(minimum = 1)]
    version: i64,
}

pub(super) fn user_body(committed: &Committed, id: Uuid) -> Result<UserRecord, ApiError> {
    let head = committed.head(id);
    let User { email, role, company_id, disabled, .. } = user_of(head, id)?;
    let version = head.map_or(0, |h| h.version);
    Ok(UserRecord {
        id,
        email: email.as_str().to_owned(),
        role: *role,
        company_id: *company_id,
        disabled: *disabled,
        version,
    })
}
