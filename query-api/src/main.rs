use clap::Parser;
use query_api::{Application, Config};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    telemetry::init(config.log_format);
    if config.write_database_url.is_none() {
        tracing::info!("FERRULE_WRITE_DATABASE_URL is not set: /v1/health reports no lag");
    }
    let app = Application::build(&config).await?;
    tracing::info!(addr = %app.local_addr()?, "query API listening");
    app.run().await?;
    Ok(())
}
