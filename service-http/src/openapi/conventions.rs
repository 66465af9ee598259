//! What every operation of both services shares (API.md "Conventions"), added to the document
//! once rather than repeated on each handler: the problem+json answers of the outer layers and
//! extractors, the request id, the rate-limit headers, and the bearer scheme with its 401/403.

use domain::FieldError;
use serde::Serialize;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, HttpMethod, OpenApi, Ref, RefOr, Required, Response};
use utoipa::{OpenApi as _, ToSchema};

use super::{method_name, operations_mut};
use crate::path_ids;
use crate::problem::PROBLEM_JSON;
use crate::request_id::REQUEST_ID_MAX;

/// The name of the bearer security scheme (`security(("bearer" = []))` on a handler).
pub const BEARER: &str = "bearer";

/// An application/problem+json body (RFC 9457 as API.md narrows it).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `https://ferrule.dev/problems/{slug}`: stable, for programs.
    #[serde(rename = "type")]
    #[schema(rename = "type", example = "https://ferrule.dev/problems/validation")]
    pub problem_type: String,
    #[schema(example = "Validation failed")]
    pub title: String,
    /// The HTTP status, repeated.
    #[schema(example = 422)]
    pub status: u16,
    /// What went wrong, for people. A 5xx never carries internal text.
    pub detail: String,
    /// Each failing field (422 lists every one; other problems may name one or none).
    #[schema(value_type = Vec<ProblemField>)]
    pub errors: Vec<FieldError>,
}

/// One failing field of a problem (`domain::FieldError` as it is serialized).
#[derive(ToSchema)]
#[allow(dead_code)] // A schema only: the body is `domain::FieldError`.
pub struct ProblemField {
    /// The field or parameter, dotted for nested ones (`specs.voltage`).
    #[schema(example = "specs.voltage")]
    field: String,
    /// A stable code for programs.
    #[schema(example = "out_of_range")]
    code: String,
    /// A message an admin could show a buyer.
    message: String,
}

#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(Problem, ProblemField)))]
struct Shared;

/// What a service says of itself at the top of its document.
pub struct About {
    pub title: &'static str,
    pub description: &'static str,
}

/// A problem+json answer of the document, described as `description`.
pub fn problem_response(description: &str) -> Response {
    let mut response = Response::new(description);
    response.content.insert(PROBLEM_JSON.to_owned(), Content::new(Some(Ref::from_schema_name("Problem"))));
    response
}

fn header(kind: Type, description: &str) -> Header {
    HeaderBuilder::new().schema(ObjectBuilder::new().schema_type(kind)).description(Some(description)).build()
}

/// Adds what every route shares to `doc` (see the module doc) and names every operation
/// `{method}_{path}` (unique, stable).
pub fn complete(doc: &mut OpenApi, about: &About) {
    doc.info.title = about.title.to_owned();
    doc.info.description = Some(about.description.to_owned());
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.merge(Shared::openapi());
    let components = doc.components.get_or_insert_with(Default::default);
    components.security_schemes.insert(
        BEARER.to_owned(),
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some("An EdDSA access token from POST /v1/auth/login or /v1/auth/refresh"))
                .build(),
        ),
    );
    for (path, method, operation) in operations_mut(doc) {
        operation.operation_id = Some(operation_id(&method, path));
        problems_as_problem_json(operation);
        shared_answers(operation);
        request_id(operation);
    }
}

/// A handler's `body = Problem` answer is application/problem+json, as the plumbing sends it.
fn problems_as_problem_json(operation: &mut Operation) {
    for response in operation.responses.responses.values_mut() {
        let RefOr::T(response) = response else { continue };
        let is_problem = |content: &Content| matches!(&content.schema, Some(RefOr::Ref(reference)) if reference.ref_location.ends_with("/Problem"));
        if response.content.get("application/json").is_some_and(is_problem) {
            if let Some(content) = response.content.shift_remove("application/json") {
                response.content.insert(PROBLEM_JSON.to_owned(), content);
            }
        }
    }
}

/// The id `complete` gives the operation `method path`.
pub fn operation_id(method: &HttpMethod, path: &str) -> String {
    let words: Vec<&str> =
        path.split(|c: char| !c.is_ascii_alphanumeric() && c != '_').filter(|w| !w.is_empty()).collect();
    format!("{}_{}", method_name(method), words.join("_"))
}

fn secured(operation: &Operation) -> bool {
    operation.security.as_ref().is_some_and(|requirements| !requirements.is_empty())
}

/// The answers the plumbing gives on any route: a handler's own description of a status wins.
fn shared_answers(operation: &mut Operation) {
    let (has_body, secured) = (operation.request_body.is_some(), secured(operation));
    let path_ids = operation
        .parameters
        .iter()
        .flatten()
        .any(|parameter| parameter.parameter_in == ParameterIn::Path && path_ids::is_id(&parameter.name));
    let mut add = |status: &str, response: Response| {
        operation.responses.responses.entry(status.to_owned()).or_insert(RefOr::T(response));
    };
    let mut rate_limited = problem_response("Rate limited (problem type `…/rate-limited`): retry after `Retry-After`");
    rate_limited.headers.insert("Retry-After".into(), header(Type::Integer, "Seconds until a request is allowed"));
    add("429", rate_limited);
    add("500", problem_response("An internal error (logged; the body carries no internal text)"));
    add("503", problem_response("The request took longer than the service's timeout"));
    match (has_body, path_ids) {
        (true, true) => add("400", problem_response("The body is not JSON, or a path id is not a UUID")),
        (true, false) => add("400", problem_response("The body is not JSON")),
        (false, true) => add("400", problem_response("A path id is not a UUID (the parameter is named)")),
        (false, false) => {}
    }
    if has_body {
        add("413", problem_response("The body is larger than the service accepts"));
    }
    if secured {
        let mut unauthorized = problem_response("No access token, or an invalid, expired or wrong-type one");
        unauthorized.headers.insert("WWW-Authenticate".into(), header(Type::String, "`Bearer`"));
        add("401", unauthorized);
        add("403", problem_response("The token's role does not allow this"));
    }
}

/// `X-Request-Id` in (optional) and out (always), and the rate-limit headers of answers that
/// passed the limiter.
fn request_id(operation: &mut Operation) {
    let id = || {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(REQUEST_ID_MAX))
            .pattern(Some("^[!-~]+$"))
    };
    let parameter = ParameterBuilder::new()
        .name("X-Request-Id")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "1 to 128 visible ASCII characters (0x21–0x7E): echoed on the answer and kept in the metadata of the \
             events the request writes. When absent or anything else (empty, longer, spaces, control or non-ASCII \
             characters) it is replaced by a generated UUID, and the given one is neither echoed nor stored.",
        ))
        // Any value is taken (one that is not an id is replaced, never refused): the parameter is
        // any string; the answer's header is always an id within the bounds.
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build();
    operation.parameters.get_or_insert_with(Vec::new).push(parameter);
    for (status, response) in &mut operation.responses.responses {
        let RefOr::T(response) = response else { continue };
        let echoed =
            HeaderBuilder::new().schema(id()).description(Some("The request's id: the client's, or generated"));
        response.headers.insert("X-Request-Id".into(), echoed.build());
        if status.starts_with('2') {
            for (name, description) in [
                ("RateLimit-Limit", "Requests allowed per window"),
                ("RateLimit-Remaining", "Requests left in the window"),
                ("RateLimit-Reset", "Seconds until the window is full again"),
            ] {
                response.headers.insert(name.into(), header(Type::Integer, description));
            }
        }
    }
}

/// Adds `name` (an integer header, `description`) to the 2xx answers of `operation`.
pub fn success_header(operation: &mut Operation, name: &str, description: &str) {
    for (status, response) in &mut operation.responses.responses {
        if let (true, RefOr::T(response)) = (status.starts_with('2'), response) {
            response.headers.insert(name.to_owned(), header(Type::Integer, description));
        }
    }
}

/// Adds an optional string request header `name` (1 to `max_length` visible ASCII characters)
/// to `operation`, unless the operation documents it already.
pub fn request_header(operation: &mut Operation, name: &str, max_length: usize, description: &str) {
    let parameters = operation.parameters.get_or_insert_with(Vec::new);
    if parameters.iter().any(|p| p.name.eq_ignore_ascii_case(name)) {
        return;
    }
    let schema = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max_length))
        .pattern(Some("^[!-~]+$"));
    let parameter = ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
        .build();
    parameters.push(parameter);
}
