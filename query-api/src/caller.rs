//! Who is asking: the user an access token names, verified with the command API's public keys
//! (`auth_tokens::VerifyConfig`), never a parameter. Browsing and search need no token; a token
//! adds the caller's prices (`crate::prices`). Carts are a buyer's, stock and price lists are
//! staff's (ops and admin), orders are either's (a buyer sees its company's only).

use auth_tokens::{Keyring, TokenType};
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use domain::identity::Role;
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    pub user_id: Uuid,
    pub role: Role,
    /// A buyer's company.
    pub company: Option<Uuid>,
}

impl Caller {
    /// The caller a request's bearer token names: none without a token, 401 for a token that is
    /// invalid, expired, not an access token or of no known role.
    pub fn of(keyring: &Keyring, headers: &HeaderMap) -> Result<Option<Caller>, ApiError> {
        let Some(token) = service_http::bearer(headers) else { return Ok(None) };
        let claims = keyring.verify(token, TokenType::Access).map_err(|e| {
            tracing::info!(error = %e, "access token refused");
            ApiError::Unauthorized("the access token is invalid or expired".into())
        })?;
        let role = Role::parse(&claims.role)
            .ok_or_else(|| ApiError::Unauthorized("the access token names no known role".into()))?;
        Ok(Some(Caller { user_id: claims.sub, role, company: claims.company }))
    }

    /// The company whose data a buyer may see; `None` for staff, who see every company's.
    pub fn company_scope(&self) -> Result<Option<Uuid>, ApiError> {
        match (self.role, self.company) {
            (Role::Buyer, Some(company)) => Ok(Some(company)),
            (Role::Buyer, None) => Err(ApiError::Forbidden("this buyer belongs to no company".into())),
            (Role::Admin | Role::Ops, _) => Ok(None),
        }
    }
}

fn required(caller: Option<Caller>) -> Result<Caller, ApiError> {
    caller.ok_or_else(|| ApiError::Unauthorized("an access token is required (Authorization: Bearer …)".into()))
}

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    /// Any signed-in user (401 without a valid token).
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        required(Caller::of(&AppState::from_ref(state).keyring, &parts.headers)?)
    }
}

/// A buyer of a company (403 for staff: they have no cart).
#[derive(Clone, Copy, Debug)]
pub struct Buyer {
    pub user_id: Uuid,
    pub company: Uuid,
}

impl<S> FromRequestParts<S> for Buyer
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        match (caller.role, caller.company) {
            (Role::Buyer, Some(company)) => Ok(Buyer { user_id: caller.user_id, company }),
            _ => Err(ApiError::Forbidden("this needs a company's buyer".into())),
        }
    }
}

/// Ops or admin (403 for buyers).
#[derive(Clone, Copy, Debug)]
pub struct Staff(pub Caller);

impl<S> FromRequestParts<S> for Staff
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if caller.role.is_staff() {
            Ok(Staff(caller))
        } else {
            Err(ApiError::Forbidden("this needs the ops role".into()))
        }
    }
}
