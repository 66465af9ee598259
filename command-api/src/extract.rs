//! Request extractors: JSON bodies that report every bad field, the authenticated actor, and the
//! request's ids for event metadata.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use domain::FieldError;
use serde::de::DeserializeOwned;
use serde_json::Value;
use service_http::RequestId;
use uuid::Uuid;

use crate::error::ApiError;

/// A JSON body. Syntax errors are 400; type errors, unknown and missing fields are 422 with every
/// offending field listed (each bad field is set aside and the body parsed again, so one bad field
/// does not hide the next).
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        parse_body(&body_bytes(request, state).await?).map(JsonBody)
    }
}

/// A JSON body that may be left out (empty, only whitespace, or `null`: `None`), for commands whose
/// body only carries options such as `expected_version`.
pub struct OptionalJsonBody<T>(pub Option<T>);

impl<S, T> FromRequest<S> for OptionalJsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(request, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) || bytes.trim_ascii() == b"null" {
            return Ok(OptionalJsonBody(None));
        }
        parse_body(&bytes).map(|body| OptionalJsonBody(Some(body)))
    }
}

/// A JSON body read now and parsed later, for a handler that must refuse an unauthorized caller
/// (403) before it tells anyone what is wrong with the body (422): `parse` is `JsonBody`'s parse.
pub struct DeferredJsonBody<T>(Bytes, std::marker::PhantomData<T>);

impl<T: DeserializeOwned> DeferredJsonBody<T> {
    pub fn parse(&self) -> Result<T, ApiError> {
        parse_body(&self.0)
    }
}

impl<S, T> FromRequest<S> for DeferredJsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(DeferredJsonBody(body_bytes(request, state).await?, std::marker::PhantomData))
    }
}

async fn body_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::MalformedJson(rejection.body_text())
        }
    })
}

fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut value: Value = serde_json::from_slice(bytes).map_err(|e| ApiError::MalformedJson(e.to_string()))?;
    whole_numbers_as_integers(&mut value);
    parse_reporting_all(value).map_err(ApiError::Invalid)
}

/// JSON (and so the documents' `integer`) does not tell `12` from `12.0`; serde's integers do.
/// Whole numbers sent with a fraction part become integers, so an integer field takes either.
fn whole_numbers_as_integers(value: &mut Value) {
    match value {
        Value::Number(number) => {
            if let Some(float) = number.as_f64().filter(|f| number.is_f64() && f.fract() == 0.0) {
                // 2^63 as f64 is out of range; every f64 below it in magnitude converts exactly.
                if float.abs() < 9_223_372_036_854_775_808.0 {
                    *number = serde_json::Number::from(float as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

pub fn parse_reporting_all<T: DeserializeOwned>(mut value: Value) -> Result<T, Vec<FieldError>> {
    let mut errors: Vec<FieldError> = Vec::new();
    for _ in 0..32 {
        let error = match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(parsed) if errors.is_empty() => return Ok(parsed),
            Ok(_) => return Err(errors),
            Err(error) => error,
        };
        let path: Vec<String> = error
            .path()
            .iter()
            .filter_map(|segment| match segment {
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                serde_path_to_error::Segment::Seq { index } => Some(index.to_string()),
                serde_path_to_error::Segment::Enum { .. } | serde_path_to_error::Segment::Unknown => None,
            })
            .collect();
        let message = error.inner().to_string();
        let (code, path) = classify(&message, path);
        let field = path.join(".");
        if errors.iter().any(|e| e.field == field) {
            return Err(errors);
        }
        errors.push(FieldError::new(field, code, friendly(&message)));
        if code == "missing_field" || !remove(&mut value, &path) {
            return Err(errors);
        }
    }
    Err(errors)
}

fn backticked(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(&message[start..end])
}

fn classify(message: &str, mut path: Vec<String>) -> (&'static str, Vec<String>) {
    if message.starts_with("unknown field") {
        if let Some(name) = backticked(message) {
            if path.last().map(String::as_str) != Some(name) {
                path.push(name.to_owned());
            }
        }
        ("unknown_field", path)
    } else if message.starts_with("missing field") {
        if let Some(name) = backticked(message) {
            path.push(name.to_owned());
        }
        ("missing_field", path)
    } else {
        ("invalid_type", path)
    }
}

/// serde's messages, without the line/column noise of a parsed Value.
fn friendly(message: &str) -> String {
    message.split(" at line ").next().unwrap_or(message).to_owned()
}

fn remove(value: &mut Value, path: &[String]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut current = value;
    for key in parents {
        current = match current {
            Value::Object(map) => match map.get_mut(key) {
                Some(next) => next,
                None => return false,
            },
            _ => return false,
        };
    }
    match current {
        Value::Object(map) => map.remove(last).is_some(),
        _ => false,
    }
}

/// Who is acting, and the role extractors of commands (see `service_http::caller`).
pub use service_http::caller::{Admin, Buyer, Caller as Actor, Staff};

/// A reader of the audit trail: an admin, ops or an auditor (buyers are refused with 403). The
/// auditor role may read every audit endpoint and nothing else; every command refuses it.
#[derive(Clone, Copy, Debug)]
pub struct AuditReader(pub Actor);

impl<S> FromRequestParts<S> for AuditReader
where
    S: service_http::caller::Verifier + Send + Sync,
{
    type Rejection = service_http::caller::Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = Actor::from_request_parts(parts, state).await?;
        if !caller.role.reads_audit() {
            let detail = "reading the audit trail needs the admin, ops or auditor role";
            return Err(service_http::caller::Refusal::Forbidden(detail.into()));
        }
        Ok(AuditReader(caller))
    }
}

/// The ids that tie an event to its request: the request id (checked by the request-id layer,
/// and again here, so that nothing unchecked is ever stored), a correlation id
/// (`X-Correlation-Id`, a UUID, else a new one) and an optional causation id (`X-Causation-Id`,
/// a UUID: the event or message that caused this command). Ids that are not UUIDs are dropped.
#[derive(Clone, Debug)]
pub struct RequestIds {
    pub request_id: RequestId,
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
    /// The request's `Idempotency-Key`, as `crate::idempotency::layer` found it new.
    pub idempotency: Option<std::sync::Arc<crate::idempotency::KeyUse>>,
}

impl<S: Send + Sync> FromRequestParts<S> for RequestIds {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let header_text = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let uuid_header = |name: &str| header_text(name).and_then(|v| Uuid::parse_str(v.trim()).ok());
        Ok(RequestIds {
            request_id: RequestId::of(&parts.headers),
            correlation_id: uuid_header("x-correlation-id").unwrap_or_else(Uuid::new_v4),
            causation_id: uuid_header("x-causation-id"),
            idempotency: parts.extensions.get::<std::sync::Arc<crate::idempotency::KeyUse>>().cloned(),
        })
    }
}
