//! The command API's one error type, mapped once to application/problem+json.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::{DomainError, FieldError};
use event_store::AppendError;

/// Why a token that verifies is refused all the same (both services say it alike).
pub use service_http::caller::REVOKED;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("the request body is too large")]
    PayloadTooLarge,
    /// No valid access token, or refused credentials (401 with `WWW-Authenticate: Bearer`).
    #[error("{0}")]
    Unauthorized(String),
    /// Authenticated, but the role does not allow it (403).
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{detail}")]
    Conflict { detail: String, errors: Vec<FieldError> },
    #[error("the command has invalid fields")]
    Invalid(Vec<FieldError>),
    /// A service the command needs (the media bucket) is unreachable: nothing was written, and
    /// the client may retry (503 with `Retry-After`).
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn stale_version() -> Self {
        ApiError::Conflict {
            detail: "the resource was changed by someone else: reload it and try again".into(),
            errors: vec![FieldError::new(
                "expected_version",
                "stale_version",
                "expected_version is not the current version",
            )],
        }
    }

    /// The caller's access token claims rights the user no longer has: disabled, another role,
    /// or a buyer whose company was disabled since it was issued.
    pub fn revoked() -> Self {
        ApiError::Unauthorized(REVOKED.into())
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::MalformedJson(_) => (StatusCode::BAD_REQUEST, "malformed-json", "Malformed JSON"),
            ApiError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large", "Payload too large"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            ApiError::Conflict { .. } => (StatusCode::CONFLICT, "conflict", "Conflict"),
            ApiError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation", "Validation failed"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Service unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal server error"),
        }
    }
}

impl From<service_http::caller::Refusal> for ApiError {
    fn from(refusal: service_http::caller::Refusal) -> Self {
        match refusal {
            service_http::caller::Refusal::Unauthorized(detail) => ApiError::Unauthorized(detail),
            service_http::caller::Refusal::Forbidden(detail) => ApiError::Forbidden(detail),
            // The command API checks rights in the append, never against Redis.
            service_http::caller::Refusal::Unavailable(detail) => ApiError::Internal(anyhow::anyhow!(detail)),
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::Invalid(errors) => ApiError::Invalid(errors),
            DomainError::NotFound { entity, id, field: None } => {
                ApiError::NotFound(format!("{entity} {id} does not exist"))
            }
            DomainError::NotFound { entity, id, field: Some(field) } => {
                ApiError::NotFound(format!("{field} names {entity} {id}, which does not exist"))
            }
            DomainError::Conflict(detail) => ApiError::Conflict { detail, errors: Vec::new() },
            DomainError::Unchangeable { field, message } => ApiError::Conflict {
                detail: message.clone(),
                errors: vec![FieldError::new(field, "unchangeable", message)],
            },
        }
    }
}

impl From<AppendError> for ApiError {
    fn from(error: AppendError) -> Self {
        match error {
            AppendError::StaleVersion(_) => ApiError::stale_version(),
            AppendError::ClaimTaken(claim) => claim_conflict(&claim),
            AppendError::SchemaChanged => {
                ApiError::Internal(anyhow::anyhow!("the schema kept changing while the command was retried"))
            }
            // The only requirements commands make are the caller's rights (`identity::rights`).
            AppendError::Unmet(_) => ApiError::revoked(),
            AppendError::KeyUsed => crate::idempotency::in_use(),
            AppendError::Database(e) => ApiError::Internal(e.into()),
            AppendError::Refused { .. } | AppendError::Stopped => ApiError::Internal(error.into()),
        }
    }
}

impl From<media_store::StoreError> for ApiError {
    fn from(error: media_store::StoreError) -> Self {
        if error.is_unavailable() {
            tracing::warn!(%error, "the media store is unavailable");
            ApiError::Unavailable("the media store is unavailable: try again shortly".into())
        } else {
            ApiError::Internal(error.into())
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        ApiError::Internal(error.into())
    }
}

/// Says which unique value is taken, in words a catalog admin understands.
fn claim_conflict(claim: &str) -> ApiError {
    let (kind, value) = claim.split_once(':').unwrap_or(("", claim));
    let (field, message) = match kind {
        "sku" => ("sku", format!("SKU {value} is already used by another product")),
        "variant" => ("specs", "another product of this family has the same variant-defining values".to_owned()),
        "brand" => ("name", format!("a brand named {value:?} already exists")),
        "family-code" => ("code", format!("family code {value} is already used")),
        "email" => ("email", format!("a user with email {value} already exists")),
        "company" => ("name", format!("a company named {value:?} already exists")),
        // `external:<kind>:<id>` (`domain::names::ExternalId::claim`).
        "external" => {
            let (kind, id) = value.split_once(':').unwrap_or(("record", value));
            ("external_id", format!("external id {id:?} is already used by another {kind}"))
        }
        _ => ("", format!("{claim} is already taken")),
    };
    ApiError::Conflict { detail: message.clone(), errors: vec![FieldError::new(field, "duplicate", message)] }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, slug, title) = self.parts();
        let (detail, errors) = match &self {
            ApiError::Internal(error) => (service_http::internal_detail(error), Vec::new()),
            ApiError::Invalid(errors) => (format!("{} field(s) are invalid", errors.len()), errors.clone()),
            ApiError::Conflict { detail, errors } => (detail.clone(), errors.clone()),
            other => (other.to_string(), Vec::new()),
        };
        let mut response = service_http::problem(status, slug, title, &detail, &errors);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
