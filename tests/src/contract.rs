//! Every answer a test receives is checked against the service's own OpenAPI document: its status
//! is documented for the route, and its JSON body validates against the documented schema. So the
//! whole suite is also a test that each handler's real body and its schema agree; a mismatch
//! panics in the test that met it, naming the route, the status and what does not fit.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use reqwest::header::{HeaderMap, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value};

/// The documents of the services met so far, by base URL (fetched once per service).
static DOCUMENTS: LazyLock<Mutex<HashMap<String, Arc<Document>>>> = LazyLock::new(Default::default);

/// A service's document and its routes as matchers.
struct Document {
    doc: Value,
    routes: Vec<(Vec<Segment>, String)>,
}

enum Segment {
    Literal(String),
    Parameter,
}

/// Checks one answer of the service at `base` to `method url` (panics on a mismatch). Answers
/// to paths the document does not list (a test probing an unknown route) are not checked.
pub async fn check(
    base: &str,
    method: &Method,
    url: &reqwest::Url,
    status: StatusCode,
    headers: &HeaderMap,
    text: &str,
) {
    if url.path() == "/openapi.json" {
        return;
    }
    let document = document(base).await;
    let Some(template) = document.route(url.path()) else { return };
    let name = method.as_str().to_lowercase();
    let Some(operation) = document.doc["paths"][template].get(&name) else { return };
    let responses = &operation["responses"];
    let answer = responses
        .get(status.as_str())
        .or_else(|| responses.get("default"))
        .unwrap_or_else(|| panic!("{method} {template} answered {status}, which its document does not list: {text}"));
    let answer = resolve(&document.doc, answer);
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim();
    if !(media == "application/json" || media.ends_with("+json")) || text.is_empty() {
        return;
    }
    let Some(content) = answer["content"].as_object() else {
        panic!("{method} {template} {status} answered {media}, but its document lists no body: {text}")
    };
    let Some(schema) = content.get(media).map(|c| &c["schema"]) else {
        panic!("{method} {template} {status} answered {media}; the document lists {:?}", content.keys())
    };
    let body: Value = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("{method} {template} {status} answered {media} that is not JSON ({e}): {text}"));
    let validator = validator(&document.doc, schema)
        .unwrap_or_else(|e| panic!("{method} {template} {status}: the documented schema does not compile: {e}"));
    let problems: Vec<String> =
        validator.iter_errors(&body).map(|e| format!("at {}: {e}", e.instance_path())).take(10).collect();
    assert!(
        problems.is_empty(),
        "{method} {template} {status}: the body does not match its documented schema:\n  {}\nbody: {body}",
        problems.join("\n  ")
    );
}

/// Which of the two services a test started at a base URL.
#[derive(Clone, Copy, Debug)]
pub enum Service {
    Command,
    Query,
}

/// The documents the services build from their routers (what `/openapi.json` serves, as
/// tests/tests/openapi.rs checks), made once per test binary.
static COMMAND: LazyLock<Arc<Document>> = LazyLock::new(|| {
    let (_, doc) = command_api::http::api().unwrap_or_else(|e| panic!("the command API's document: {e}"));
    Arc::new(Document::new(serde_json::to_value(doc).unwrap_or_default()))
});
static QUERY: LazyLock<Arc<Document>> = LazyLock::new(|| {
    let (_, doc) = query_api::http::api(|routes| routes).unwrap_or_else(|e| panic!("the query API's document: {e}"));
    Arc::new(Document::new(serde_json::to_value(doc).unwrap_or_default()))
});

/// Records that the service at `base` is `service`, so its answers are checked against its
/// document without asking it (a request for `/openapi.json` would count against the rate
/// limits a test measures).
pub fn serves(base: &str, service: Service) {
    let document = match service {
        Service::Command => COMMAND.clone(),
        Service::Query => QUERY.clone(),
    };
    DOCUMENTS.lock().unwrap_or_else(|e| e.into_inner()).insert(base.to_owned(), document);
}

/// The document of the service at `base`: the one `serves` recorded, else fetched the first
/// time it is asked for.
async fn document(base: &str) -> Arc<Document> {
    if let Some(found) = DOCUMENTS.lock().unwrap_or_else(|e| e.into_inner()).get(base) {
        return found.clone();
    }
    let url = format!("{base}/openapi.json");
    let doc: Value = reqwest::get(&url)
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: not JSON: {e}"));
    let document = Arc::new(Document::new(doc));
    DOCUMENTS.lock().unwrap_or_else(|e| e.into_inner()).insert(base.to_owned(), document.clone());
    document
}

fn segments(template: &str) -> Vec<Segment> {
    template
        .trim_start_matches('/')
        .split('/')
        .map(|s| if s.starts_with('{') { Segment::Parameter } else { Segment::Literal(s.to_owned()) })
        .collect()
}

impl Document {
    fn new(doc: Value) -> Document {
        let routes = doc["paths"]
            .as_object()
            .map(|paths| paths.keys().map(|path| (segments(path), path.clone())).collect())
            .unwrap_or_default();
        Document { doc, routes }
    }

    /// The documented path template `path` is an instance of; literal segments win over
    /// parameters (`/v1/products/by-sku` before `/v1/products/{id}`).
    fn route(&self, path: &str) -> Option<&str> {
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        self.routes
            .iter()
            .filter(|(template, _)| {
                template.len() == parts.len()
                    && template.iter().zip(&parts).all(|(segment, part)| match segment {
                        Segment::Literal(literal) => literal == part,
                        Segment::Parameter => !part.is_empty(),
                    })
            })
            .max_by_key(|(template, _)| template.iter().filter(|s| matches!(s, Segment::Literal(_))).count())
            .map(|(_, path)| path.as_str())
    }
}

/// `value` with a top-level `$ref` (to `#/components/...`) followed.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => doc.pointer(pointer).unwrap_or(value),
        None => value,
    }
}

/// A validator for `schema`, whose `$ref`s point into the document's components: the schema is
/// validated as the root of a document that also carries those components.
fn validator(doc: &Value, schema: &Value) -> Result<jsonschema::Validator, String> {
    let mut root = match schema {
        Value::Object(map) => map.clone(),
        Value::Bool(true) => Map::new(),
        other => return Err(format!("not a schema: {other}")),
    };
    root.insert("components".to_owned(), doc["components"].clone());
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&Value::Object(root))
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn document(paths: &[&str]) -> Document {
        Document { doc: Value::Null, routes: paths.iter().map(|p| (segments(p), (*p).to_owned())).collect() }
    }

    #[test]
    fn a_literal_segment_wins_over_a_parameter() {
        let doc = document(&["/v1/products/{id}", "/v1/products/by-sku", "/v1/products/{id}/retire"]);
        assert_eq!(doc.route("/v1/products/by-sku"), Some("/v1/products/by-sku"));
        assert_eq!(doc.route("/v1/products/0190"), Some("/v1/products/{id}"));
        assert_eq!(doc.route("/v1/products/0190/retire"), Some("/v1/products/{id}/retire"));
        assert_eq!(doc.route("/v1/nowhere"), None);
    }

    #[test]
    fn a_body_is_checked_against_a_referenced_component() {
        let doc = json!({"components": {"schemas": {"Brand": {
            "type": "object", "required": ["id", "name"],
            "properties": {"id": {"type": "string", "format": "uuid"}, "name": {"type": "string"}}}}}});
        let validator =
            validator(&doc, &json!({"$ref": "#/components/schemas/Brand"})).unwrap_or_else(|e| panic!("{e}"));
        assert!(validator.is_valid(&json!({"id": "0190a3c4-0000-7000-8000-000000000000", "name": "Acme"})));
        assert!(!validator.is_valid(&json!({"id": "not a uuid", "name": "Acme"})));
        assert!(!validator.is_valid(&json!({"name": "Acme"})));
    }
}
