//! A command API in this process over a scratch database, with an admin bootstrapped from a
//! one-off password and logged in: what the HTTP benchmarks send their commands to.

use std::time::Duration;

use anyhow::Context;
use command_api::config::Config;
use command_api::Application;
use event_store::EventStore;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

pub(super) const ADMIN_EMAIL: &str = "bench@ferrule.local";

pub(super) struct LocalApi {
    pub(super) base: String,
    pub(super) token: String,
    pub(super) password: String,
    stop: oneshot::Sender<()>,
    server: JoinHandle<std::io::Result<()>>,
}

impl LocalApi {
    /// Starts it on 127.0.0.1 (a random port) with `config`'s settings, and logs the admin in.
    pub(super) async fn start(store: EventStore, mut config: Config) -> anyhow::Result<Self> {
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
        let token = match ferrule_seed::login::access_token(&base, ADMIN_EMAIL, &password).await {
            Ok(token) => token,
            Err(error) => {
                let _ = stop.send(());
                return Err(error);
            }
        };
        Ok(LocalApi { base, token, password, stop, server })
    }

    pub(super) async fn stop(self) {
        let _ = self.stop.send(());
        if tokio::time::timeout(Duration::from_secs(10), self.server).await.is_err() {
            eprintln!("the command API did not stop within 10s");
        }
    }
}
