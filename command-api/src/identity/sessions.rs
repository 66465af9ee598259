//! Login, refresh and logout.
//!
//! Every refusal is the same 401 to the client (no telling an unknown email from a wrong password
//! or a disabled user); the log says which it was.
//!
//! Access tokens are not checked against the user's current state: a disabled user's last access
//! token works until it expires (FERRULE_ACCESS_TOKEN_TTL_SECS, 15 minutes by default). That is
//! the accepted window — it keeps commands free of an extra lookup, and the query API verifying
//! the same tokens free of the write database. Refresh, which is checked, fails at once.

use auth_tokens::{Claims, Issued, TokenType};
use chrono::{DateTime, Utc};
use domain::identity::user::{self, User};
use serde::Serialize;
use uuid::Uuid;

use super::accounts::{self, user_of};
use super::families::{self, Rotation};
use crate::error::ApiError;
use crate::service::CommandContext;
use crate::state::AppState;

const BAD_CREDENTIALS: &str = "the email or password is wrong";

/// The answer to a login or refresh: an access and refresh token pair.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    #[schema(value_type = String, example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds the access token is valid.
    #[schema(minimum = 1)]
    pub expires_in: i64,
    /// Seconds the refresh token is valid.
    #[schema(minimum = 1)]
    pub refresh_expires_in: i64,
}

fn expiry(claims: &Claims) -> Result<DateTime<Utc>, ApiError> {
    DateTime::from_timestamp(claims.exp, 0)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("token expiry out of range")))
}

fn issue(state: &AppState, user: &User, family: Uuid) -> Result<Issued, ApiError> {
    let keyring = &state.identity.keyring;
    keyring
        .issue(Utc::now().timestamp(), user.id, user.role.as_str(), user.company_id, family)
        .map_err(|e| ApiError::Internal(e.into()))
}

fn tokens(state: &AppState, issued: Issued) -> Tokens {
    Tokens {
        access_token: issued.access_token,
        refresh_token: issued.refresh_token,
        token_type: "Bearer",
        expires_in: state.identity.keyring.access_ttl_secs,
        refresh_expires_in: state.identity.keyring.refresh_ttl_secs,
    }
}

/// Checks the password (the same work when the email names nobody), rehashes it when the
/// configured parameters changed, and starts a refresh family.
pub async fn login(state: &AppState, ctx: CommandContext, email: &str, password: String) -> Result<Tokens, ApiError> {
    let pool = state.catalog.store().pool();
    let found = accounts::user_by_login(pool, email).await?;
    let verdict =
        state.identity.passwords.verify(found.as_ref().map(|(_, u)| &u.password_hash), password.clone()).await?;
    let user = match found {
        Some((_, user)) if verdict.matches => user,
        _ => {
            tracing::info!("login refused: unknown email or wrong password");
            return Err(ApiError::Unauthorized(BAD_CREDENTIALS.into()));
        }
    };
    if !accounts::may_act(pool, &user).await? {
        tracing::info!(user = %user.id, "login refused: the user or their company is disabled");
        return Err(ApiError::Unauthorized(BAD_CREDENTIALS.into()));
    }
    if verdict.outdated {
        rehash(state, ctx, &user, password).await;
    }
    let family = Uuid::now_v7();
    let issued = issue(state, &user, family)?;
    families::start(pool, family, user.id, issued.refresh.jti, expiry(&issued.refresh)?).await?;
    Ok(tokens(state, issued))
}

/// Stores the password hashed with the parameters configured now. A failure (say, a concurrent
/// change of the user) is logged and the login goes on: the next login tries again.
async fn rehash(state: &AppState, mut ctx: CommandContext, user: &User, password: String) {
    ctx.metadata.actor_id = user.id.to_string();
    ctx.metadata.actor_role = user.role.as_str().to_owned();
    let hash = match state.identity.passwords.hash(password).await {
        Ok(hash) => hash,
        Err(error) => return tracing::warn!(user = %user.id, error = %error, "rehash failed"),
    };
    let id = user.id;
    let done =
        state.catalog.change_streams(&ctx, &[id], |heads| Ok(user::rehash(user_of(heads.get(&id), id)?, hash)?)).await;
    match done {
        Ok(_) => tracing::info!(user = %id, "password rehashed with the configured parameters"),
        Err(error) => tracing::warn!(user = %id, error = %error, "rehash failed"),
    }
}

fn refresh_claims(state: &AppState, token: &str) -> Result<Claims, ApiError> {
    state.identity.keyring.verify(token, TokenType::Refresh).map_err(|e| {
        tracing::info!(error = %e, "refresh token refused");
        ApiError::Unauthorized("the refresh token is invalid or expired".into())
    })
}

/// Rotates the pair: the presented refresh token is spent, and presenting it again revokes the
/// family. The new pair carries the user's current role.
pub async fn refresh(state: &AppState, token: &str) -> Result<Tokens, ApiError> {
    let claims = refresh_claims(state, token)?;
    let pool = state.catalog.store().pool();
    let user = match accounts::user(pool, claims.sub).await? {
        Some(user) if accounts::may_act(pool, &user).await? => user,
        _ => {
            families::revoke(pool, claims.fam, "user disabled").await?;
            return Err(ApiError::Unauthorized("the user may no longer log in".into()));
        }
    };
    let issued = issue(state, &user, claims.fam)?;
    match families::rotate(pool, claims.fam, user.id, claims.jti, issued.refresh.jti, expiry(&issued.refresh)?).await? {
        Rotation::Rotated => Ok(tokens(state, issued)),
        Rotation::Reused => {
            tracing::warn!(user = %user.id, family = %claims.fam, "a spent refresh token was presented: family revoked");
            Err(ApiError::Unauthorized("the refresh token was already used: log in again".into()))
        }
        Rotation::Refused => Err(ApiError::Unauthorized("the session has ended: log in again".into())),
    }
}

/// Revokes the family of the presented refresh token (spent or current).
pub async fn logout(state: &AppState, token: &str) -> Result<(), ApiError> {
    let claims = refresh_claims(state, token)?;
    families::revoke(state.catalog.store().pool(), claims.fam, "logout").await?;
    Ok(())
}
