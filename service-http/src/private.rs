//! `Cache-Control: no-store` on the answers no cache may keep — those that carry tokens, users,
//! carts, orders, stock or a caller's prices — problems included, so that nothing answered to one
//! caller lingers in a browser's or a proxy's cache for the next. An answer that already says how
//! it may be cached keeps what it says.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// Which answers of a service are private.
#[derive(Clone, Copy, Debug)]
pub enum Private {
    /// Every answer (the command API: every route is a login, a token or a command).
    All,
    /// Answers to requests that carry credentials (`Authorization`: priced products and
    /// searches), and every answer under these path prefixes (their 401s and 403s too). Public
    /// answers stay cacheable.
    Credentialed { paths: &'static [&'static str] },
}

impl Private {
    /// Whether the answer to `request` is private.
    pub fn covers(self, request: &Request) -> bool {
        match self {
            Private::All => true,
            Private::Credentialed { paths } => {
                let path = request.uri().path();
                request.headers().contains_key(header::AUTHORIZATION)
                    || paths.iter().any(|prefix| {
                        path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
                    })
            }
        }
    }
}

/// Middleware (`from_fn_with_state(private, no_store)`): marks private answers `no-store`.
pub async fn no_store(State(private): State<Private>, request: Request, next: Next) -> Response {
    let covered = private.covers(&request);
    let mut response = next.run(request).await;
    if covered && !response.headers().contains_key(header::CACHE_CONTROL) {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn request(path: &str, token: bool) -> Request {
        let mut builder = Request::builder().uri(path);
        if token {
            builder = builder.header(header::AUTHORIZATION, "Bearer x");
        }
        builder.body(Body::empty()).unwrap_or_default()
    }

    #[test]
    fn credentials_or_a_private_path_make_an_answer_private_and_nothing_else_does() {
        let query = Private::Credentialed { paths: &["/v1/cart", "/v1/orders"] };
        assert!(query.covers(&request("/v1/cart", false)));
        assert!(query.covers(&request("/v1/orders/123?x=1", false)));
        assert!(query.covers(&request("/v1/search?q=m12", true)));
        assert!(!query.covers(&request("/v1/search?q=m12", false)));
        assert!(!query.covers(&request("/v1/cartography", false)), "prefixes end at a segment");
        assert!(Private::All.covers(&request("/v1/health", false)));
    }
}
