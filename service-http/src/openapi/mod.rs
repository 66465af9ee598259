//! The OpenAPI 3 document of a service, built by utoipa-axum from the router that serves it (so
//! a route cannot be served undocumented unless it bypasses `OpenApiRouter::routes`), completed
//! here with the conventions every route shares (API.md): problem+json errors, `X-Request-Id`,
//! rate limits, the bearer scheme and what a token adds. `docs` serves it with its docs page.

mod conventions;
mod docs;

use utoipa::openapi::path::Operation;
use utoipa::openapi::{HttpMethod, OpenApi, PathItem};

pub use conventions::{
    complete, operation_id, problem_response, request_header, success_header, About, Problem, ProblemField, BEARER,
};
pub use docs::{docs_routes, publish, DOCS_CSP};

/// Every operation of `doc` with its path and method, in path order.
pub fn operations_mut(doc: &mut OpenApi) -> impl Iterator<Item = (&str, HttpMethod, &mut Operation)> {
    doc.paths.paths.iter_mut().flat_map(|(path, item)| {
        item_operations(item).into_iter().map(move |(method, operation)| (path.as_str(), method, operation))
    })
}

fn item_operations(item: &mut PathItem) -> Vec<(HttpMethod, &mut Operation)> {
    let PathItem { get, put, post, delete, options, head, patch, trace, .. } = item;
    [
        (HttpMethod::Get, get),
        (HttpMethod::Put, put),
        (HttpMethod::Post, post),
        (HttpMethod::Delete, delete),
        (HttpMethod::Options, options),
        (HttpMethod::Head, head),
        (HttpMethod::Patch, patch),
        (HttpMethod::Trace, trace),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_mut().map(|operation| (method, operation)))
    .collect()
}

/// The lower-case name of `method`, as OpenAPI spells its path item fields.
pub fn method_name(method: &HttpMethod) -> &'static str {
    match method {
        HttpMethod::Get => "get",
        HttpMethod::Put => "put",
        HttpMethod::Post => "post",
        HttpMethod::Delete => "delete",
        HttpMethod::Options => "options",
        HttpMethod::Head => "head",
        HttpMethod::Patch => "patch",
        HttpMethod::Trace => "trace",
    }
}
