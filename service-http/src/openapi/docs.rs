//! `GET /openapi.json` and `GET /docs` (Scalar's API reference over the same document), both
//! documented like any route. The page embeds the document, so it needs no second request; its
//! script comes from the Scalar CDN, which its own Content-Security-Policy allows (API answers
//! keep `default-src 'none'`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Router};
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::conventions::{complete, About};
use crate::security::content_security_policy;

/// The docs page's policy: Scalar's script and fonts from their hosts, inline styles (Scalar
/// injects them), "try it" requests to this service only, never framed.
pub const DOCS_CSP: &str = "default-src 'none'; script-src https://cdn.jsdelivr.net; \
     style-src 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.scalar.com; \
     font-src https://cdn.jsdelivr.net https://fonts.scalar.com data:; img-src 'self' data: https:; \
     connect-src 'self'; worker-src blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Scalar's reference page; `{title}` and `{spec}` are filled in. The major version is pinned so
/// a new Scalar cannot break the page unseen.
const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
</head>
<body>
  <script id="api-reference" type="application/json">{spec}</script>
  <script src="https://cdn.jsdelivr.net/npm/@scalar/api-reference@1"></script>
</body>
</html>
"#;

/// The document and its page, rendered once at start.
struct Published {
    json: Bytes,
    html: String,
}

/// This document: every route this service serves, with its schemas and error answers.
#[utoipa::path(get, path = "/openapi.json", tag = "docs",
    responses((status = 200, description = "The OpenAPI 3 document", content_type = "application/json", body = Object)))]
async fn openapi_json(Extension(published): Extension<Arc<Published>>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], published.json.clone()).into_response()
}

/// The interactive API reference (Scalar) over this document.
#[utoipa::path(get, path = "/docs", tag = "docs",
    responses((status = 200, description = "An HTML page", content_type = "text/html", body = String)))]
async fn docs_page(Extension(published): Extension<Arc<Published>>) -> Html<String> {
    Html(published.html.clone())
}

/// The two documentation routes, the page with its own Content-Security-Policy.
pub fn docs_routes<S: Clone + Send + Sync + 'static>() -> OpenApiRouter<S> {
    let page = OpenApiRouter::new().routes(routes!(docs_page)).route_layer(content_security_policy(DOCS_CSP));
    OpenApiRouter::new().routes(routes!(openapi_json)).merge(page)
}

/// Splits `api` (which must not hold the documentation routes) into the router that serves it,
/// with `/openapi.json` and `/docs` added, and its completed document.
pub fn publish<S: Clone + Send + Sync + 'static>(
    api: OpenApiRouter<S>,
    about: &About,
) -> anyhow::Result<(Router<S>, OpenApi)> {
    let (router, mut doc) = api.merge(docs_routes()).split_for_parts();
    complete(&mut doc, about);
    let json = doc.to_json()?;
    // `<` escaped, so no text in the document can close the script element early.
    let embedded = json.replace('<', "\\u003c");
    let title = about.title.replace('<', "&lt;");
    let html = PAGE.replace("{title}", &title).replace("{spec}", &embedded);
    let published = Arc::new(Published { json: Bytes::from(json), html });
    Ok((router.layer(Extension(published)), doc))
}
