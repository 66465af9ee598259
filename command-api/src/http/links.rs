//! OpenAPI links from the answer that creates a record to the operations on it, so that clients
//! (and schemathesis' stateful phase) can follow a create to the reads and writes of the record.

use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::{HttpMethod, OpenApi, RefOr};

/// Links every `201` answer of `POST {collection}` (its body has the record's `id`) to the
/// operations under `{collection}/{id}`, the created id as their `{id}`.
pub fn add(doc: &mut OpenApi) {
    let targets: Vec<(String, String)> = service_http::openapi::operations_mut(doc)
        .map(|(path, method, _)| (path.to_owned(), service_http::openapi::operation_id(&method, path)))
        .collect();
    for (path, method, operation) in service_http::openapi::operations_mut(doc) {
        if method != HttpMethod::Post || path.contains('{') {
            continue;
        }
        let under = format!("{path}/{{id}}");
        let linked: Vec<&(String, String)> =
            targets.iter().filter(|(target, _)| target == &under || target.starts_with(&format!("{under}/"))).collect();
        link_created(operation, &linked);
    }
}

fn link_created(operation: &mut Operation, targets: &[&(String, String)]) {
    let Some(RefOr::T(created)) = operation.responses.responses.get_mut("201") else { return };
    for (_, operation_id) in targets {
        // utoipa 5.5 serializes `Link::operation_id` as `operation_id`, which no reader knows:
        // the field goes in under its OpenAPI name instead.
        let mut named = Extensions::default();
        named.insert("operationId".to_owned(), operation_id.as_str().into());
        let link = LinkBuilder::new()
            .parameter("id", "$response.body#/id")
            .description("The record this answer created")
            .extensions(Some(named))
            .build();
        created.links.insert(operation_id.clone(), RefOr::T(link));
    }
}
