//! The query API's one error type, mapped once to application/problem+json.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A malformed part of the request (a path id, a header): 400, naming it.
    #[error("{}", .0.message)]
    BadRequest(FieldError),
    /// Parameters that are well-formed but mean nothing here (an unknown filter, an empty
    /// range): 422, listing every one.
    #[error("{}", invalid_detail(.0))]
    Invalid(Vec<FieldError>),
    /// A well-formed parameter naming what is not there (an unknown category, a page beyond the
    /// results served): 404, naming it.
    #[error("{}", .0.message)]
    Unknown(FieldError),
    /// No access token, or one that is invalid, expired or of the wrong type.
    #[error("{0}")]
    Unauthorized(String),
    /// A valid token whose role may not see this.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// `X-Min-Position` beyond the event store's head: no command has answered with it, so waiting
    /// cannot help. 409: it conflicts with the store's state now, and is served once a command
    /// reaches it.
    #[error("X-Min-Position {wanted} is beyond the event store's head, position {head}: send the position a command answered with")]
    BeyondHead { head: i64, wanted: i64 },
    /// The read model did not reach the position the client asked for in time.
    #[error("the read model has reached position {reached}, not {wanted}, within the wait; retry the request shortly")]
    NotYet { reached: i64, wanted: i64 },
    /// A token that cannot be checked against the revocations now (Redis does not answer).
    #[error("{0}")]
    Unchecked(String),
    /// The read model's position is unknown (its watcher stopped).
    #[error("the read model's position is not available; retry the request shortly")]
    Unavailable,
    /// The media bucket cannot be reached to sign a URL (presigning itself sends nothing, but
    /// its credentials may need refreshing).
    #[error("{0}")]
    MediaUnavailable(String),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl From<service_http::caller::Refusal> for ApiError {
    fn from(refusal: service_http::caller::Refusal) -> Self {
        match refusal {
            service_http::caller::Refusal::Unauthorized(detail) => ApiError::Unauthorized(detail),
            service_http::caller::Refusal::Forbidden(detail) => ApiError::Forbidden(detail),
            service_http::caller::Refusal::Unavailable(detail) => ApiError::Unchecked(detail),
        }
    }
}

impl ApiError {
    pub fn bad_request(field: &str, code: &str, message: impl Into<String>) -> Self {
        ApiError::BadRequest(FieldError::new(field, code, message))
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad-request", "Bad request"),
            ApiError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation", "Validation failed"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            ApiError::NotFound(_) | ApiError::Unknown(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            ApiError::BeyondHead { .. } => (StatusCode::CONFLICT, "position-beyond-head", "Position not written"),
            ApiError::NotYet { .. } => (StatusCode::GATEWAY_TIMEOUT, "position-not-reached", "Position not reached"),
            ApiError::Unavailable | ApiError::Unchecked(_) | ApiError::MediaUnavailable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Service unavailable")
            }
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal server error"),
        }
    }
}

fn invalid_detail(errors: &[FieldError]) -> String {
    match errors {
        [one] => one.message.clone(),
        _ => format!("{} parameters are invalid; see errors", errors.len()),
    }
}

impl From<media_store::StoreError> for ApiError {
    fn from(error: media_store::StoreError) -> Self {
        if error.is_unavailable() {
            ApiError::MediaUnavailable(error.to_string())
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, slug, title) = self.parts();
        let (detail, errors) = match &self {
            ApiError::Internal(error) => (service_http::internal_detail(error), Vec::new()),
            ApiError::BadRequest(error) | ApiError::Unknown(error) => (error.message.clone(), vec![error.clone()]),
            ApiError::Invalid(errors) => (self.to_string(), errors.clone()),
            ApiError::BeyondHead { .. } => {
                (self.to_string(), vec![FieldError::new("X-Min-Position", "beyond_write_head", self.to_string())])
            }
            other => (other.to_string(), Vec::new()),
        };
        let mut response = service_http::problem(status, slug, title, &detail, &errors);
        if matches!(
            self,
            ApiError::NotYet { .. } | ApiError::Unavailable | ApiError::Unchecked(_) | ApiError::MediaUnavailable(_)
        ) {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if matches!(self, ApiError::Unauthorized(_)) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
