//! Who is calling, for both services: the user an access token names, never a field of the
//! request. The token is verified (EdDSA, a known kid, signature, iss, aud, exp, typ = access)
//! with the service's keyring — the command API's signing keys, or the query API's verify-only
//! copy of them — and the role is the one it carries, current as of its issue.
//!
//! The extractors: `Caller` (anyone signed in), `Admin`, `Staff` (ops or admin) and `Buyer` (a
//! company's buyer). Without a valid token they refuse with 401 (`WWW-Authenticate: Bearer`), with
//! the wrong role 403, both as application/problem+json.

use auth_tokens::{Keyring, TokenType};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::identity::Role;
use uuid::Uuid;

use crate::revocations::Revocations;
use crate::{bearer, problem};

/// Why a token that verifies is refused all the same (`revocations`).
pub const REVOKED: &str = "this access token no longer holds: the account was disabled or its role changed \
                           since it was issued; sign in again";

/// A service state that verifies access tokens.
pub trait Verifier {
    fn keyring(&self) -> &Keyring;

    /// The revocation entries every request with a token is checked against, where the service
    /// checks them per request (the query API). The command API checks the caller's current
    /// rights inside each command's append instead.
    fn revocations(&self) -> Option<&Revocations> {
        None
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    pub user_id: Uuid,
    pub role: Role,
    /// A buyer's company.
    pub company: Option<Uuid>,
}

/// Why a caller is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No valid access token (401).
    Unauthorized(String),
    /// Signed in, but the role does not allow it (403).
    Forbidden(String),
    /// The token cannot be checked against the revocations now (503).
    Unavailable(String),
}

impl Refusal {
    pub fn detail(&self) -> &str {
        match self {
            Refusal::Unauthorized(detail) | Refusal::Forbidden(detail) | Refusal::Unavailable(detail) => detail,
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match &self {
            Refusal::Unauthorized(detail) => {
                let mut response = problem(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized", detail, &[]);
                response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                response
            }
            Refusal::Forbidden(detail) => problem(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail, &[]),
            Refusal::Unavailable(detail) => {
                let mut response =
                    problem(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Service unavailable", detail, &[]);
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                response
            }
        }
    }
}

impl Caller {
    /// The caller a request's bearer token names: none without a token; refused (401) for a token
    /// that is invalid, expired, not an access token, or of no known role.
    pub fn of(keyring: &Keyring, headers: &HeaderMap) -> Result<Option<Caller>, Refusal> {
        let Some(token) = bearer(headers) else { return Ok(None) };
        let claims = keyring.verify(token, TokenType::Access).map_err(|e| {
            tracing::info!(error = %e, "access token refused");
            Refusal::Unauthorized("the access token is invalid or expired".into())
        })?;
        let role = Role::parse(&claims.role)
            .ok_or_else(|| Refusal::Unauthorized("the access token names no known role".into()))?;
        Ok(Some(Caller { user_id: claims.sub, role, company: claims.company }))
    }

    /// Refuses (403) a caller whose role does not permit `required`'s work (admins may do
    /// anything): the one-line guard `caller.require(Role::Ops)?`.
    pub fn require(&self, required: Role) -> Result<(), Refusal> {
        if self.role.permits(required) {
            Ok(())
        } else {
            Err(Refusal::Forbidden(format!("this needs the {} role", required.as_str())))
        }
    }

    /// The company whose data a buyer may see; `None` for staff, who see every company's.
    pub fn company_scope(&self) -> Result<Option<Uuid>, Refusal> {
        match (self.role, self.company) {
            (Role::Buyer, Some(company)) => Ok(Some(company)),
            (Role::Buyer, None) => Err(Refusal::Forbidden("this buyer belongs to no company".into())),
            (Role::Admin | Role::Ops, _) => Ok(None),
            (Role::Auditor, _) => Err(Refusal::Forbidden("auditors read the audit trail only (/v1/audit)".into())),
        }
    }
}

impl<S: Verifier + Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = Caller::of(state.keyring(), &parts.headers)?
            .ok_or_else(|| Refusal::Unauthorized("an access token is required (Authorization: Bearer …)".into()))?;
        if let Some(revocations) = state.revocations() {
            revocations.check(&caller).await?;
        }
        Ok(caller)
    }
}

/// An admin: catalog, synonym, audit and user commands.
#[derive(Clone, Copy, Debug)]
pub struct Admin(pub Caller);

impl<S: Verifier + Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require(Role::Admin)?;
        Ok(Admin(caller))
    }
}

/// Ops or an admin: pricing, stock and the order lifecycle.
#[derive(Clone, Copy, Debug)]
pub struct Staff(pub Caller);

impl<S: Verifier + Send + Sync> FromRequestParts<S> for Staff {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require(Role::Ops)?;
        Ok(Staff(caller))
    }
}

/// A company's buyer: the cart and checkout (staff have no cart).
#[derive(Clone, Copy, Debug)]
pub struct Buyer {
    pub caller: Caller,
    pub company: Uuid,
}

impl<S: Verifier + Send + Sync> FromRequestParts<S> for Buyer {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        match (caller.role, caller.company) {
            (Role::Buyer, Some(company)) => Ok(Buyer { caller, company }),
            _ => Err(Refusal::Forbidden("this needs a company's buyer: staff have no cart and place no orders".into())),
        }
    }
}
