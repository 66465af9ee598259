//! Helpers for tests of the outer layers (tests/tests/hardening.rs, rate_limits.rs): services
//! with the layers' settings of a test's own.

use std::time::Duration;

use command_api::config::Config;
use service_http::{HttpConfig, Identity};
use uuid::Uuid;

use crate::{test_config, TestApp};

/// Rate limited on the Redis at `redis_url`, under a key prefix of the test's own: `general`
/// requests per minute, and `auth` login-class requests per minute.
pub fn rate_limited(redis_url: &str, general: u32, auth: u32) -> HttpConfig {
    let mut http = HttpConfig::default();
    http.rate_limit.rate_limit_redis_url = Some(redis_url.into());
    http.rate_limit.rate_limit_prefix = format!("ftrl{}", &Uuid::new_v4().simple().to_string()[..12]);
    http.rate_limit.rate_limit_requests = general;
    http.rate_limit.rate_limit_auth_requests = auth;
    http
}

/// A command API over a fresh database with the outer layers' settings `http`.
pub async fn command_api(http: HttpConfig) -> TestApp {
    TestApp::spawn_with(Config { http, ..test_config() }).await
}

/// `routes` inside the outer layers (`http`, `identity`), served on a spare port; its base URL.
pub async fn serve(routes: axum::Router, http: &HttpConfig, identity: Identity) -> String {
    let service = service_http::Service {
        config: http,
        timeout: Duration::from_secs(30),
        body_limit: 1024,
        uploads: &[],
        redis_url: None,
        identity,
        private: service_http::Private::Credentialed { paths: &[] },
    };
    let router = service_http::outer_layers(routes, service).unwrap_or_else(|e| panic!("{e}"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let server = axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>());
    tokio::spawn(async move { server.await });
    format!("http://{addr}")
}
