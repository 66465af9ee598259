use std::str::FromStr;

use anyhow::Context;
use clap::Parser;
use command_api::{Application, Config};
use relay::{Relay, RelayConfig};
use secrecy::ExposeSecret;
use sqlx::postgres::PgConnectOptions;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    telemetry::init(config.log_format);
    let app = Application::build(&config).await?;
    if let Some(url) = &config.nats_url {
        // NATS may be down at start: the client keeps trying, and commands never wait for it.
        let client = async_nats::ConnectOptions::new()
            .retry_on_initial_connect()
            .connect(url.expose_secret())
            .await
            .with_context(|| format!("FERRULE_NATS_URL {url:?} is not a usable NATS address"))?;
        let options = PgConnectOptions::from_str(config.database_url.expose_secret())?;
        let relay = Relay::new(options, async_nats::jetstream::new(client), RelayConfig::default());
        tokio::spawn(relay.run(std::future::pending()));
        tracing::info!("relay started (active while this replica holds the relay lock)");
    } else {
        tracing::warn!("FERRULE_NATS_URL is not set: this replica relays no events");
    }
    tracing::info!(addr = %app.local_addr()?, "command API listening");
    app.run().await?;
    Ok(())
}
