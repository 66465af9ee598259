//! A command API in this process over a scratch database, with an admin bootstrapped from a
//! one-off password and logged in: what the HTTP benchmarks send their commands to, and what the
//! CLI's tests point `ferrule import` at.

use std::time::Duration;

use anyhow::Context;
use command_api::config::Config;
use command_api::Application;
use event_store::EventStore;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

pub const ADMIN_EMAIL: &str = "bench@ferrule.local";

pub struct LocalApi {
    pub base: String,
    pub token: String,
    pub password: String,
    stop: oneshot::Sender<()>,
    server: JoinHandle<std::io::Result<()>>,
}

/// A command API's settings for running in this process: no NATS or Redis, no rate limits
/// (benchmarks measure the API, not the limiter), no import workers; the caller sets what differs.
pub fn config(db_pool_size: u32) -> Config {
    Config {
        database_url: String::new().into(),
        addr: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        auth: command_api::config::AuthConfig::defaults(),
        body_limit_bytes: 256 * 1024,
        db_pool_size,
        append_workers: 2,
        append_batch_max: 32,
        request_timeout_secs: 30,
        nats_url: None,
        redis_url: None,
        revocation_prefix: service_http::revocations::DEFAULT_PREFIX.into(),
        show_availability: false,
        idempotency_retention_hours: 24,
        import_workers: 0,
        import_max_bytes: 0,
        media: command_api::config::MediaConfig::local(media_store::S3Config::local(
            "http://127.0.0.1:8014",
            "ferrule-media",
            "",
        )),
        http: service_http::HttpConfig::unlimited(),
        audit: command_api::config::AuditKeyConfig::default(),
        chain: command_api::chainer::ChainConfig::default(),
        log_format: Default::default(),
    }
}

impl LocalApi {
    /// Starts it on 127.0.0.1 (a random port) with `config`'s settings, and logs the admin in.
    pub async fn start(store: EventStore, mut config: Config) -> anyhow::Result<Self> {
        let password = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
        let file = std::env::temp_dir().join(format!("ferrule-bench-admin-{}", Uuid::new_v4()));
        std::fs::write(&file, &password).with_context(|| format!("cannot write {}", file.display()))?;
        config.addr = "127.0.0.1:0".parse()?;
        config.auth.bootstrap_admin_email = Some(ADMIN_EMAIL.into());
        config.auth.bootstrap_admin_password_file = Some(file.clone());
        let keyring = config.auth.generated_keyring("bench")?;
        let app = Application::with_keyring(&config, store, keyring).await;
        let _ = std::fs::remove_file(&file);
        let app = app?;
        let base = format!("http://{}", app.local_addr()?);
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        let token = match crate::login::access_token(&base, ADMIN_EMAIL, &password).await {
            Ok(token) => token,
            Err(error) => {
                let _ = stop.send(());
                return Err(error);
            }
        };
        Ok(LocalApi { base, token, password, stop, server })
    }

    pub async fn stop(self) {
        let _ = self.stop.send(());
        if tokio::time::timeout(Duration::from_secs(10), self.server).await.is_err() {
            eprintln!("the command API did not stop within 10s");
        }
    }
}
