use clap::Parser;
use projector::{prepare_read_database, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    telemetry::init(config.log_format);
    let _pool = prepare_read_database(&config.read_database_url).await?;
    tracing::info!("read database migrated; waiting for events (projection arrives with the pipeline)");
    tokio::signal::ctrl_c().await?;
    Ok(())
}
