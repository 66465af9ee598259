//! The OpenAPI documents of both services, against the real services: `/openapi.json` is an
//! OpenAPI 3 document whose every operation has answers and every `$ref` resolves, it lists
//! exactly the routes the router serves (read from the router itself), every documented route is
//! answered by its handler, and `/docs` is an HTML page with a policy that lets it run.

use std::collections::BTreeSet;

use integration_tests::openapi::{dangling_refs, documented, served, Route};
use integration_tests::pipeline::Pipeline;
use integration_tests::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::Value;

async fn fetch(client: &reqwest::Client, url: &str) -> reqwest::Response {
    client.get(url).send().await.unwrap_or_else(|e| panic!("GET {url} failed: {e}"))
}

/// The document at `base`, checked for shape: OpenAPI 3, each operation with answers (its errors
/// as problem+json), no dangling `$ref`.
async fn document(base: &str) -> Value {
    let response = fetch(&reqwest::Client::new(), &format!("{base}/openapi.json")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap_or("").starts_with("application/json"));
    let csp = response.headers()["content-security-policy"].to_str().unwrap_or("").to_owned();
    assert!(csp.starts_with("default-src 'none'"), "the document is an API answer: {csp}");
    let doc: Value = response.json().await.unwrap_or_else(|e| panic!("not JSON: {e}"));
    let version = doc["openapi"].as_str().unwrap_or("");
    assert!(version.starts_with("3."), "openapi is {version:?}");
    assert!(!doc["info"]["title"].as_str().unwrap_or("").is_empty(), "no title");
    let mut operation_ids = BTreeSet::new();
    for (method, path) in documented(&doc) {
        let operation = &doc["paths"][&path][method.to_lowercase()];
        let responses = operation["responses"].as_object().unwrap_or_else(|| panic!("{method} {path}: no responses"));
        assert!(!responses.is_empty(), "{method} {path} documents no answer");
        // A download's success is its redirect to the object.
        assert!(responses.keys().any(|status| status.starts_with(['2', '3'])), "{method} {path}: no success");
        for (status, answer) in responses.iter().filter(|(status, _)| status.starts_with(['4', '5'])) {
            if path != "/v1/health" {
                assert!(
                    answer["content"]["application/problem+json"]["schema"]["$ref"] == "#/components/schemas/Problem",
                    "{method} {path} {status} is not a problem: {answer}"
                );
            }
        }
        assert!(responses.contains_key("429"), "{method} {path}: rate limits not documented");
        let id = operation["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path}: no operationId"));
        assert!(operation_ids.insert(id.to_owned()), "operationId {id} twice");
    }
    let dangling = dangling_refs(&doc, &doc);
    assert!(dangling.is_empty(), "$refs that resolve to nothing: {dangling:?}");
    for name in ["Problem", "ProblemField"] {
        assert!(doc["components"]["schemas"][name].is_object(), "no {name} schema");
    }
    doc
}

/// The routes served and documented are the same, and each documented route is answered by a
/// handler of its own (not the router's "no such endpoint" or 405).
async fn assert_served_as_documented(base: &str, router_routes: BTreeSet<Route>, doc: &Value) {
    let documented = documented(doc);
    let undocumented: Vec<_> = router_routes.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&router_routes).collect();
    assert!(
        undocumented.is_empty() && unserved.is_empty(),
        "served, not documented: {undocumented:?}; documented, not served: {unserved:?}"
    );
    let client = reqwest::Client::new();
    for (method, path) in &documented {
        let concrete = path.replace("{id}", "0190b9d4-6d2c-7d2e-8c4f-2a1b3c4d5e6f").replace("{key}", "voltage");
        let method = Method::from_bytes(method.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let answer = TestApp::answer(client.request(method.clone(), format!("{base}{concrete}"))).await;
        assert_ne!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}: {answer:?}");
        assert_ne!(answer.body["detail"], "no such endpoint", "{method} {path} is not routed: {answer:?}");
    }
}

async fn assert_docs_page(base: &str) {
    let page = fetch(&reqwest::Client::new(), &format!("{base}/docs")).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers()["content-type"].to_str().unwrap_or("").starts_with("text/html"));
    let csp = page.headers()["content-security-policy"].to_str().unwrap_or("").to_owned();
    assert!(csp.contains("script-src https://cdn.jsdelivr.net"), "the page's script is not allowed: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!page.headers()["x-request-id"].is_empty());
    let html = page.text().await.unwrap_or_default();
    assert!(html.contains(r#"<script id="api-reference" type="application/json">{"openapi":"3."#), "{html}");
}

#[tokio::test]
async fn the_command_api_documents_every_route_it_serves() {
    let app = TestApp::spawn().await;
    let doc = document(&app.base).await;
    let (router, built) = command_api::http::api().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(serde_json::to_value(&built).unwrap_or_default(), doc, "the served document is the router's");
    assert_served_as_documented(&app.base, served(&router), &doc).await;
    // Admin routes name the bearer scheme (and its 401/403); login and health need no token.
    let create = &doc["paths"]["/v1/products"]["post"];
    assert_eq!(create["security"][0]["bearer"], Value::Array(vec![]), "{create}");
    assert!(create["responses"]["401"].is_object() && create["responses"]["403"].is_object());
    assert!(create["responses"]["201"]["headers"]["X-Position"].is_object(), "{create}");
    assert!(doc["paths"]["/v1/auth/login"]["post"]["security"].is_null());
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert_docs_page(&app.base).await;
}

#[tokio::test]
async fn the_query_api_documents_every_route_it_serves() {
    let pipeline = Pipeline::start("openapi").await;
    let base = pipeline.query_api().await;
    let doc = document(&base).await;
    let (router, built) = query_api::http::api(|routes| routes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(serde_json::to_value(&built).unwrap_or_default(), doc, "the served document is the router's");
    assert_served_as_documented(&base, served(&router), &doc).await;
    let search = &doc["paths"]["/v1/search"]["get"];
    let names: Vec<&str> =
        search["parameters"].as_array().into_iter().flatten().filter_map(|p| p["name"].as_str()).collect();
    for name in ["q", "category_id", "page", "per_page", "X-Min-Position"] {
        assert!(names.contains(&name), "search does not document {name}: {names:?}");
    }
    // Filters are named after attribute keys, so the operation describes them (a parameter's
    // name is fixed: one named `filter.{KEY}` would be sent as such by generated clients).
    let described = search["description"].as_str().unwrap_or_default();
    for syntax in ["filter.KEY=VALUE", "range.KEY=MIN..MAX"] {
        assert!(described.contains(syntax), "search does not describe {syntax}: {described}");
    }
    assert!(search["responses"]["504"].is_object(), "{search}");
    assert_docs_page(&base).await;
    pipeline.finish().await;
}

#[test]
fn a_route_added_without_documentation_is_seen() {
    let (router, doc) = command_api::http::api().unwrap_or_else(|e| panic!("{e}"));
    let router = router.route("/v1/undocumented", axum::routing::post(|| async {}));
    let doc = serde_json::to_value(&doc).unwrap_or_default();
    let extra: Vec<Route> = served(&router).difference(&documented(&doc)).cloned().collect();
    assert_eq!(extra, vec![("POST".to_owned(), "/v1/undocumented".to_owned())]);
}

/// The TypeScript client's documents (clients/typescript/openapi) are the ones the services
/// serve (each served document is its router's: the tests above). With FERRULE_UPDATE_CLIENT=1
/// (clients/typescript/generate) it writes them instead.
#[test]
fn the_typescript_client_is_generated_from_the_served_documents() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../clients/typescript/openapi");
    let (_, command) = command_api::http::api().unwrap_or_else(|e| panic!("{e}"));
    let (_, query) = query_api::http::api(|routes| routes).unwrap_or_else(|e| panic!("{e}"));
    let update = std::env::var_os("FERRULE_UPDATE_CLIENT").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for (name, doc) in [("command-api", command), ("query-api", query)] {
        let path = dir.join(format!("{name}.json"));
        let served = doc.to_pretty_json().unwrap_or_else(|e| panic!("{e}")) + "\n";
        if update {
            std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot make {}: {e}", dir.display()));
            std::fs::write(&path, &served).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(served.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "the TypeScript client is out of date with the served documents ({stale:?}): \
         run clients/typescript/generate and commit the result"
    );
}
