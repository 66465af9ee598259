//! Request ids: what ties a request to its log lines, its answer and the events it wrote.
//!
//! A client may choose the id (`X-Request-Id`) so that its logs and ours meet. It is taken when
//! it is 1 to 128 visible ASCII characters (0x21–0x7E) — a UUID, a ULID or a trace id fits with
//! room to spare — and otherwise replaced by a new UUID: an id that is empty, too long, or holds
//! spaces, control or non-ASCII characters is never echoed, logged or stored.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use uuid::Uuid;

pub const REQUEST_ID: &str = "x-request-id";
/// The longest request id a client may choose, in characters (bytes: they are ASCII).
pub const REQUEST_ID_MAX: usize = 128;

/// A checked request id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    /// The id `bytes` spell, if they are one: 1 to `REQUEST_ID_MAX` bytes of 0x21–0x7E.
    pub fn parse(bytes: &[u8]) -> Option<RequestId> {
        let valid = (1..=REQUEST_ID_MAX).contains(&bytes.len()) && bytes.iter().all(u8::is_ascii_graphic);
        // Visible ASCII is UTF-8.
        valid.then(|| RequestId(String::from_utf8_lossy(bytes).into_owned()))
    }

    /// A new id: a random UUID.
    pub fn generate() -> RequestId {
        RequestId(Uuid::new_v4().to_string())
    }

    /// The request's id: its (first) `X-Request-Id` when that is one, else a new one.
    pub fn of(headers: &HeaderMap) -> RequestId {
        headers.get(REQUEST_ID).and_then(|value| RequestId::parse(value.as_bytes())).unwrap_or_else(RequestId::generate)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn header_value(&self) -> HeaderValue {
        // Visible ASCII is always a header value; the fallback is never used.
        HeaderValue::from_str(&self.0).unwrap_or_else(|_| HeaderValue::from_static("invalid-request-id"))
    }
}

impl From<RequestId> for String {
    fn from(id: RequestId) -> String {
        id.0
    }
}

/// Middleware, outermost: the request carries exactly one checked `X-Request-Id` (the client's or
/// a new one) to the layers and handlers inside, and the answer carries the same one, whatever
/// answered it.
pub async fn checked(mut request: Request, next: Next) -> Response {
    let id = RequestId::of(request.headers()).header_value();
    request.headers_mut().insert(REQUEST_ID, id.clone());
    let mut response = next.run(request).await;
    response.headers_mut().insert(REQUEST_ID, id);
    response
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn ids_of_visible_ascii_up_to_128_are_taken_and_others_are_not() {
        for taken in ["a", "client-chosen-7", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "!~{}\"'<>"] {
            assert_eq!(RequestId::parse(taken.as_bytes()).map(String::from).as_deref(), Some(taken));
        }
        assert!(RequestId::parse("x".repeat(REQUEST_ID_MAX).as_bytes()).is_some());
        for refused in ["", " ", "two words", "tab\there", "nul\0", "del\x7f", "café", "id\n"] {
            assert_eq!(RequestId::parse(refused.as_bytes()), None, "{refused:?}");
        }
        assert_eq!(RequestId::parse("x".repeat(REQUEST_ID_MAX + 1).as_bytes()), None);
        assert_eq!(RequestId::parse(&[0xff, 0x41]), None);
    }

    #[test]
    fn a_missing_or_refused_header_gives_a_new_uuid() {
        let mut headers = HeaderMap::new();
        assert!(Uuid::parse_str(RequestId::of(&headers).as_str()).is_ok());
        headers.insert(REQUEST_ID, HeaderValue::from_static("has space"));
        assert!(Uuid::parse_str(RequestId::of(&headers).as_str()).is_ok());
        headers.insert(REQUEST_ID, HeaderValue::from_static("mine"));
        assert_eq!(RequestId::of(&headers).as_str(), "mine");
    }

    proptest! {
        /// Whatever the client sends, the id is a header value of visible ASCII within the limit.
        #[test]
        fn every_id_taken_or_generated_is_within_the_rule(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut headers = HeaderMap::new();
            if let Ok(value) = HeaderValue::from_bytes(&bytes) {
                headers.insert(REQUEST_ID, value);
            }
            let id = RequestId::of(&headers);
            prop_assert!(RequestId::parse(id.as_str().as_bytes()).is_some());
            prop_assert_eq!(id.as_str().as_bytes() == bytes.as_slice(), RequestId::parse(&bytes).is_some());
        }
    }
}
