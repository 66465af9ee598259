//! What can go wrong talking to the bucket, sorted by what the APIs answer: S3 unreachable or
//! failing (503 with Retry-After, the client may retry) or our own mistake (500).

use aws_sdk_s3::error::{DisplayErrorContext, SdkError};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The request did not reach S3, timed out, or S3 answered 5xx.
    #[error("the media store is unavailable: {0}")]
    Unavailable(String),
    /// `read_all` of an object larger than the caller accepts.
    #[error("the object is larger than {max} bytes")]
    TooLarge { max: u64 },
    /// Anything else: S3 refused what we asked (a 4xx that is our bug), or a presign failed.
    #[error("the media store failed: {0}")]
    Failed(String),
}

impl StoreError {
    /// Whether the caller should answer 503 and let the client retry.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

/// The status S3 answered, if it answered at all.
pub(crate) fn status_of<E, R>(err: &SdkError<E, R>) -> Option<u16>
where
    R: HasStatus,
{
    err.raw_response().map(HasStatus::status_u16)
}

/// The raw responses of the SDK, which carry a status.
pub(crate) trait HasStatus {
    fn status_u16(&self) -> u16;
}

impl HasStatus for aws_sdk_s3::config::http::HttpResponse {
    fn status_u16(&self) -> u16 {
        self.status().as_u16()
    }
}

impl<E, R> From<SdkError<E, R>> for StoreError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug + HasStatus,
{
    fn from(err: SdkError<E, R>) -> StoreError {
        let unavailable = matches!(err, SdkError::DispatchFailure(_) | SdkError::TimeoutError(_))
            || status_of(&err).is_some_and(|s| s >= 500);
        let text = DisplayErrorContext(&err).to_string();
        if unavailable {
            StoreError::Unavailable(text)
        } else {
            StoreError::Failed(text)
        }
    }
}

impl From<aws_sdk_s3::primitives::ByteStreamError> for StoreError {
    /// A body that broke off while being read: the connection, so S3 is treated as unavailable.
    fn from(err: aws_sdk_s3::primitives::ByteStreamError) -> StoreError {
        StoreError::Unavailable(DisplayErrorContext(&err).to_string())
    }
}
