//! The query parameters of the history queries and the export, read from the raw query (ids and
//! types repeat), every bad one reported with its name.

use chrono::{DateTime, Utc};
use domain::FieldError;
use event_store::AuditFilter;
use uuid::Uuid;

use crate::error::ApiError;

/// The most events one page answers.
pub const LIMIT_CAP: i64 = 500;
/// A page's size when `limit` is not given.
pub const DEFAULT_LIMIT: i64 = 100;

/// What a non-blank value matches (some character that is not a space of either Rust's or
/// ECMAScript's kind), for the OpenAPI documents; `blank` is its negation.
pub const NOT_BLANK: &str = "[^\\s\\u0085]";

/// Whether a value is blank: spaces only, of Rust's kind or ECMAScript's (U+FEFF).
fn blank(value: &str) -> bool {
    value.chars().all(|c| c.is_whitespace() || c == '\u{feff}')
}

/// The parameters of a query: the filter, the page size, and what was wrong with them.
pub struct Query {
    pub filter: AuditFilter,
    pub limit: i64,
    /// Every bad parameter, each named.
    pub errors: Vec<FieldError>,
}

/// What a query accepts besides the filter.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `/v1/audit/events`, `/v1/audit/export`: every filter, paged (export: unpaged).
    Events { paged: bool },
    /// One entity's history: versions and positions, paged.
    Entity,
}

fn invalid(errors: &mut Vec<FieldError>, name: &str, code: &str, message: String) {
    errors.push(FieldError::new(name, code, message));
}

fn time(errors: &mut Vec<FieldError>, name: &str, value: &str) -> Option<DateTime<Utc>> {
    match DateTime::parse_from_rfc3339(value) {
        Ok(at) => Some(at.with_timezone(&Utc)),
        Err(_) => {
            let message = format!("{name} is an RFC 3339 time such as 2026-03-01T00:00:00Z; {value:?} is not");
            invalid(errors, name, "invalid_time", message);
            None
        }
    }
}

fn number(errors: &mut Vec<FieldError>, name: &str, value: &str, min: i64) -> Option<i64> {
    match value.parse::<i64>() {
        Ok(n) if n >= min => Some(n),
        _ => {
            invalid(
                errors,
                name,
                "invalid_number",
                format!("{name} is a whole number of at least {min}; {value:?} is not"),
            );
            None
        }
    }
}

fn uuid(errors: &mut Vec<FieldError>, name: &str, value: &str) -> Option<Uuid> {
    let parsed = Uuid::parse_str(value.trim()).ok();
    if parsed.is_none() {
        invalid(errors, name, "invalid_uuid", format!("{name} is a UUID; {value:?} is not"));
    }
    parsed
}

/// Reads the query string `raw` for `shape`; all problems are collected (see `finish`).
pub fn read(raw: Option<&str>, shape: Shape) -> Query {
    let mut filter = AuditFilter::default();
    let (mut errors, mut limit) = (Vec::new(), DEFAULT_LIMIT);
    let events = matches!(shape, Shape::Events { .. });
    let paged = !matches!(shape, Shape::Events { paged: false });
    for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let (name, value) = (name.as_ref(), value.as_ref());
        let e = &mut errors;
        match name {
            "stream_id" if events => filter.stream_ids.extend(uuid(e, name, value)),
            "stream_type" if events => match domain::audit::stream_type(value) {
                Some(_) => filter.stream_type = Some(value.to_owned()),
                None => {
                    let known = domain::audit::stream_type_names().join(", ");
                    invalid(e, name, "unknown_stream_type", format!("{value:?} is not a stream type ({known})"));
                }
            },
            "event_type" if events => {
                if domain::audit::is_event_type(value) {
                    filter.event_types.push(value.to_owned());
                } else {
                    invalid(e, name, "unknown_event_type", format!("{value:?} is not an event type"));
                }
            }
            "actor" if events && blank(value) => {
                invalid(e, name, "blank", "actor is a user id (or a system actor's name)".into())
            }
            "actor" if events => filter.actor = Some(value.trim().to_owned()),
            "correlation_id" if events => filter.correlation_id = uuid(e, name, value),
            "request_id" if events && blank(value) => invalid(e, name, "blank", "request_id must not be blank".into()),
            "request_id" if events => filter.request_id = Some(value.trim().to_owned()),
            "from" if events => filter.from = time(e, name, value),
            "to" if events => filter.to = time(e, name, value),
            "after_position" => filter.after_position = number(e, name, value, 0),
            "before_position" => filter.before_position = number(e, name, value, 1),
            "from_version" if !events => filter.from_version = number(e, name, value, 1),
            "to_version" if !events => filter.to_version = number(e, name, value, 1),
            "limit" if paged => match number(e, name, value, 1) {
                Some(n) if n > LIMIT_CAP => {
                    invalid(e, name, "limit_too_large", format!("limit is at most {LIMIT_CAP}; {n} is more"))
                }
                Some(n) => limit = n,
                None => {}
            },
            other => {
                invalid(e, other, "unknown_parameter", format!("{other:?} is not a parameter here"));
            }
        }
    }
    check_ranges(&filter, &mut errors);
    if events && errors.is_empty() && !filter.is_bounded() {
        let message = "the query is unbounded: give a stream_id, an actor, a correlation_id or request_id, \
                       a time range (from and to) or a position range (after_position and before_position)";
        invalid(&mut errors, "from", "unbounded", message.into());
    }
    Query { filter, limit, errors }
}

fn check_ranges(filter: &AuditFilter, errors: &mut Vec<FieldError>) {
    if let (Some(from), Some(to)) = (filter.from, filter.to) {
        if from >= to {
            invalid(errors, "to", "inverted_range", format!("to ({to}) must be after from ({from})"));
        }
    }
    if let (Some(after), Some(before)) = (filter.after_position, filter.before_position) {
        if after >= before {
            let message = format!("before_position ({before}) must be above after_position ({after})");
            invalid(errors, "before_position", "inverted_range", message);
        }
    }
    if let (Some(from), Some(to)) = (filter.from_version, filter.to_version) {
        if from > to {
            let message = format!("to_version ({to}) must not be below from_version ({from})");
            invalid(errors, "to_version", "inverted_range", message);
        }
    }
}

impl Query {
    /// The query, or a 422 listing every bad parameter.
    pub fn finish(self) -> Result<(AuditFilter, i64), ApiError> {
        if self.errors.is_empty() {
            Ok((self.filter, self.limit))
        } else {
            Err(ApiError::Invalid(self.errors))
        }
    }
}

/// A stream type from a path, or a 422 naming `stream_type`.
pub fn path_stream_type(name: &str) -> Result<domain::StreamType, ApiError> {
    domain::audit::stream_type(name).ok_or_else(|| {
        let known = domain::audit::stream_type_names().join(", ");
        ApiError::Invalid(vec![FieldError::new(
            "stream_type",
            "unknown_stream_type",
            format!("{name:?} is not a stream type ({known})"),
        )])
    })
}
