//! Helpers for tests/tests/openapi.rs: the routes an axum router serves, read from the router
//! itself, and the operations an OpenAPI document lists.

use std::collections::BTreeSet;

use regex::Regex;
use serde_json::Value;

/// A route: upper-case method and path (`{id}` in either spelling, as axum and OpenAPI agree).
pub type Route = (String, String);

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Every (method, path) `router` serves. axum exposes its routes only through `Debug` (the path
/// of each route id, and each method router's endpoints), so that is what is read; a route that is
/// not a method router (a nested service) is listed with method `ANY`, which no document has.
/// Panics when nothing can be read, so a change of axum's format fails loudly rather than
/// comparing empty sets.
pub fn served<S>(router: &axum::Router<S>) -> BTreeSet<Route> {
    let text = format!("{router:?}");
    // The fallback router comes after the routed paths; only the latter are routes.
    let routed = text.split("fallback_router:").next().unwrap_or_default();
    let (endpoints, paths) = routed.split_once("node: Node").unwrap_or_else(|| panic!("no routes in {text}"));
    let path_of = Regex::new(r#"RouteId\((\d+)\): "([^"]*)""#).unwrap_or_else(|e| panic!("{e}"));
    let endpoint = Regex::new(r"RouteId\((\d+)\): (MethodRouter\(MethodRouter \{(.*?)fallback:|Route)")
        .unwrap_or_else(|e| panic!("{e}"));
    let method = Regex::new(r"(\w+): (\w+)").unwrap_or_else(|e| panic!("{e}"));
    let mut routes = BTreeSet::new();
    for found in endpoint.captures_iter(endpoints) {
        let id = &found[1];
        let path = path_of
            .captures_iter(paths)
            .find(|p| &p[1] == id)
            .map(|p| p[2].to_owned())
            .unwrap_or_else(|| panic!("route id {id} has no path in {text}"));
        match found.get(3) {
            None => {
                routes.insert(("ANY".to_owned(), path));
            }
            Some(fields) => {
                for m in method.captures_iter(fields.as_str()) {
                    // HEAD is served by GET's handler unless routed on its own.
                    if &m[2] != "None" && METHODS.contains(&&m[1]) {
                        routes.insert((m[1].to_uppercase(), path.clone()));
                    }
                }
            }
        }
    }
    assert!(!routes.is_empty(), "no routes read from the router: has axum's Debug format changed? {text}");
    routes
}

/// Every (method, path) the document lists.
pub fn documented(doc: &Value) -> BTreeSet<Route> {
    let paths = doc["paths"].as_object().unwrap_or_else(|| panic!("no paths in the document"));
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS.iter().filter(|m| item.get(**m).is_some()).map(|m| (m.to_uppercase(), path.clone()))
        })
        .collect()
}

/// Every `$ref` in `value` that does not resolve to a node of `doc`.
pub fn dangling_refs(doc: &Value, value: &Value) -> Vec<String> {
    match value {
        Value::Object(map) => {
            let mut found = Vec::new();
            if let Some(Value::String(reference)) = map.get("$ref") {
                let target = reference.strip_prefix('#').and_then(|pointer| doc.pointer(pointer));
                if target.is_none() {
                    found.push(reference.clone());
                }
            }
            found.extend(map.values().flat_map(|v| dangling_refs(doc, v)));
            found
        }
        Value::Array(items) => items.iter().flat_map(|v| dangling_refs(doc, v)).collect(),
        _ => Vec::new(),
    }
}
