//! Test harness: a real command API on a random port over its own freshly cloned write database,
//! and the whole event pipeline behind it (`pipeline`).

pub mod commerce;
pub mod contract;
pub mod openapi;
pub mod outer;
pub mod pipeline;
pub mod probe;

use std::str::FromStr;

use auth_tokens::Keyring;
use command_api::config::{AuthConfig, Config};
use command_api::Application;
use event_store::{EventFilter, EventStore, StoredEvent};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

/// The admin every test database starts with (created by the first-start bootstrap).
pub const ADMIN_EMAIL: &str = "admin@ferrule.test";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";
/// The kid of the test keyring's signing key.
pub const KID: &str = "test-1";

pub fn admin_url() -> String {
    std::env::var("FERRULE_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A running command API and a pool on its database, for looking behind the API.
#[derive(Clone)]
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: PgPool,
    pub store: EventStore,
    /// The bootstrapped admin's access token, sent by `post`, `put`, `patch`, `delete` and `get`.
    pub token: String,
    pub admin_id: Uuid,
    /// The keys the API signs and verifies with (tests forge tokens with them).
    pub keyring: Keyring,
}

/// A response: status, headers and the JSON body (Null when there is none).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn id(&self) -> Uuid {
        self.body["id"].as_str().and_then(|s| Uuid::from_str(s).ok()).unwrap_or_else(|| panic!("no id in {self:?}"))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The error codes by field, from a problem+json body.
    pub fn field_errors(&self) -> Vec<(String, String)> {
        let mut found: Vec<(String, String)> = self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        (e["field"].as_str().unwrap_or("").to_owned(), e["code"].as_str().unwrap_or("").to_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();
        found.sort();
        found
    }
}

/// A file holding `ADMIN_PASSWORD`, for the bootstrap configuration (written once, atomically).
fn admin_password_file() -> std::path::PathBuf {
    let path = std::env::temp_dir().join("ferrule-test-admin-password");
    if std::fs::read_to_string(&path).ok().as_deref() != Some(ADMIN_PASSWORD) {
        let scratch = std::env::temp_dir().join(format!("ferrule-test-admin-password.{}", Uuid::new_v4()));
        std::fs::write(&scratch, ADMIN_PASSWORD).unwrap_or_else(|e| panic!("{e}"));
        std::fs::rename(&scratch, &path).unwrap_or_else(|e| panic!("{e}"));
    }
    path
}

/// The identity configuration of test APIs: OWASP's argon2 parameters, and the test admin.
pub fn auth_config() -> AuthConfig {
    AuthConfig {
        bootstrap_admin_email: Some(ADMIN_EMAIL.into()),
        bootstrap_admin_password_file: Some(admin_password_file()),
        ..AuthConfig::defaults()
    }
}

/// A keyring with one fresh signing key, `KID`.
pub fn test_keyring() -> Keyring {
    auth_config().generated_keyring(KID).unwrap_or_else(|e| panic!("{e}"))
}

pub fn test_config() -> Config {
    Config {
        database_url: String::new().into(),
        addr: "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
        auth: auth_config(),
        body_limit_bytes: 64 * 1024,
        db_pool_size: 8,
        append_workers: 4,
        append_batch_max: 32,
        request_timeout_secs: 30,
        nats_url: None,
        redis_url: None,
        revocation_prefix: service_http::revocations::DEFAULT_PREFIX.into(),
        show_availability: false,
        idempotency_retention_hours: 24,
        import_workers: 1,
        import_max_bytes: 16 * 1024 * 1024,
        // The test S3 server under a key prefix of this config's own; no background GC (tests run
        // passes themselves).
        media: command_api::config::MediaConfig::local(media_store::testing::test_config()),
        // Rate limits are tested on their own (tests/tests/hardening.rs), with their own settings.
        http: service_http::HttpConfig::unlimited(),
        audit: auth_tokens::AuditKeyConfig::default(),
        chain: command_api::chainer::ChainConfig::default(),
        log_format: Default::default(),
    }
}

impl TestApp {
    /// A fresh database and a command API over it.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(test_config()).await
    }

    /// As `spawn`, with `config` (its database and address are ignored).
    pub async fn spawn_with(config: Config) -> TestApp {
        let options = event_store::scratch::fresh_database(&admin_url(), "ft_write")
            .await
            .unwrap_or_else(|e| panic!("cannot create a test database (is PostgreSQL running?): {e}"));
        let store = EventStore::connect(options, 8).await.unwrap_or_else(|e| panic!("{e}"));
        Self::over(store, Config { addr: test_config().addr, ..config }, test_keyring()).await
    }

    /// A fresh database and a command API over it that signs with `keyring`.
    pub async fn spawn_with_keyring(keyring: Keyring) -> TestApp {
        let options = event_store::scratch::fresh_database(&admin_url(), "ft_write")
            .await
            .unwrap_or_else(|e| panic!("cannot create a test database (is PostgreSQL running?): {e}"));
        let store = EventStore::connect(options, 8).await.unwrap_or_else(|e| panic!("{e}"));
        Self::over(store, test_config(), keyring).await
    }

    /// Another command API over the same database, as a second replica would be.
    pub async fn replica(&self) -> TestApp {
        Self::over(self.store.clone(), test_config(), self.keyring.clone()).await
    }

    /// A command API over the same database with another configuration (same keys).
    pub async fn replica_with(&self, config: Config) -> TestApp {
        Self::over(self.store.clone(), config, self.keyring.clone()).await
    }

    async fn over(store: EventStore, config: Config, keyring: Keyring) -> TestApp {
        let app = Application::with_keyring(&config, store.clone(), keyring.clone())
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        let addr = app.local_addr().unwrap_or_else(|e| panic!("{e}"));
        tokio::spawn(app.run_until(std::future::pending()));
        contract::serves(&format!("http://{addr}"), contract::Service::Command);
        let mut app = TestApp {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            db: store.pool().clone(),
            store,
            token: String::new(),
            admin_id: Uuid::nil(),
            keyring,
        };
        let login = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(login.status, StatusCode::OK, "the bootstrapped admin cannot log in: {login:?}");
        app.token = login.body["access_token"].as_str().unwrap_or_default().to_owned();
        app.admin_id = app.token_claims(&app.token).sub;
        app
    }

    /// `POST /v1/auth/login`.
    pub async fn login(&self, email: &str, password: &str) -> Answer {
        self.send(Method::POST, "/v1/auth/login", Some(serde_json::json!({"email": email, "password": password})), None)
            .await
    }

    /// The claims of a token this API issued.
    pub fn token_claims(&self, token: &str) -> auth_tokens::Claims {
        let typ = if self.keyring.verify(token, auth_tokens::TokenType::Access).is_ok() {
            auth_tokens::TokenType::Access
        } else {
            auth_tokens::TokenType::Refresh
        };
        self.keyring.verify(token, typ).unwrap_or_else(|e| panic!("{e}"))
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<Value>, token: Option<&str>) -> Answer {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        Self::answer(request).await
    }

    /// Sends `request`; the answer is checked against the service's document (`contract`).
    pub async fn answer(request: reqwest::RequestBuilder) -> Answer {
        let (client, request) = request.build_split();
        let request = request.unwrap_or_else(|e| panic!("cannot build the request: {e}"));
        let (method, url) = (request.method().clone(), request.url().clone());
        let response = client.execute(request).await.unwrap_or_else(|e| panic!("request failed: {e}"));
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let base = url.origin().ascii_serialization();
        contract::check(&base, &method, &url, status, &headers, &text).await;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer { status, headers, body }
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(body), Some(&self.token)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.send(Method::PUT, path, Some(body), Some(&self.token)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.send(Method::PATCH, path, Some(body), Some(&self.token)).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(Method::DELETE, path, None, Some(&self.token)).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None, Some(&self.token)).await
    }

    /// How many events the store holds.
    pub async fn event_count(&self) -> i64 {
        self.count_events(EventFilter::all()).await
    }

    /// How many events `filter` selects.
    pub async fn count_events(&self, filter: EventFilter<'_>) -> i64 {
        EventStore::count_events(&self.db, &filter).await.unwrap_or_else(|e| panic!("{e}"))
    }

    /// The events `filter` selects, in global order.
    pub async fn events(&self, filter: EventFilter<'_>) -> Vec<StoredEvent> {
        EventStore::events(&self.db, &filter).await.unwrap_or_else(|e| panic!("{e}"))
    }

    /// One stream's events in version order.
    pub async fn stream_events(&self, stream_id: Uuid) -> Vec<StoredEvent> {
        EventStore::read_stream(&self.db, stream_id).await.unwrap_or_else(|e| panic!("{e}"))
    }

    /// A stream's head snapshot, if the stream has a head.
    pub async fn snapshot(&self, stream_id: Uuid) -> Option<Value> {
        let head = EventStore::stream_head(&self.db, stream_id).await.unwrap_or_else(|e| panic!("{e}"));
        head.map(|head| head.snapshot)
    }

    /// Creates a category and returns its id, asserting 201.
    pub async fn category(&self, name: &str, parent: Option<Uuid>) -> Uuid {
        let answer = self.post("/v1/categories", serde_json::json!({ "name": name, "parent_id": parent })).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        answer.id()
    }

    /// Defines an attribute on a category, asserting success.
    pub async fn attribute(&self, category: Uuid, key: &str, definition: Value) {
        let answer = self.put(&format!("/v1/categories/{category}/attributes/{key}"), definition).await;
        assert!(answer.status.is_success(), "{answer:?}");
    }
}

/// The walk-through's catalog: Fasteners > Bolts > Hex bolts with thread_size, length and
/// material, and family DIN 933 (code HB933) overriding material's options and making it
/// variant-defining.
pub struct HexBolts {
    pub fasteners: Uuid,
    pub bolts: Uuid,
    pub hex_bolts: Uuid,
    pub family: Uuid,
}

pub async fn hex_bolts(app: &TestApp) -> HexBolts {
    use serde_json::json;
    let fasteners = app.category("Fasteners", None).await;
    let bolts = app.category("Bolts", Some(fasteners)).await;
    let hex_bolts = app.category("Hex bolts", Some(bolts)).await;
    app.attribute(
        hex_bolts,
        "thread_size",
        json!({"label": "Thread size", "type": "select", "options": ["M6", "M8", "M10", "M12", "M16"],
               "required": true, "variant_defining": true, "filterable": true, "searchable": true}),
    )
    .await;
    app.attribute(
        hex_bolts,
        "length",
        json!({"label": "Length", "type": "number", "unit": "mm", "min": 1, "max": 1000,
               "variant_defining": true, "filterable": true}),
    )
    .await;
    app.attribute(
        hex_bolts,
        "material",
        json!({"label": "Material", "type": "select", "options": ["steel 8.8", "steel 10.9", "A2", "A4"], "filterable": true}),
    )
    .await;
    let family = app.post("/v1/families", json!({"category_id": hex_bolts, "name": "DIN 933", "code": "HB933"})).await;
    assert_eq!(family.status, StatusCode::CREATED, "{family:?}");
    let family = family.id();
    let override_answer = app
        .put(
            &format!("/v1/families/{family}/attributes/material"),
            json!({"label": "Material", "type": "select", "options": ["A2", "A4"], "variant_defining": true, "filterable": true}),
        )
        .await;
    assert_eq!(override_answer.status, StatusCode::CREATED, "{override_answer:?}");
    HexBolts { fasteners, bolts, hex_bolts, family }
}
