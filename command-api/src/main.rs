use clap::Parser;
use command_api::{Application, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    telemetry::init(config.log_format);
    let app = Application::build(&config).await?;
    tracing::info!(addr = %app.local_addr()?, "command API listening");
    app.run().await?;
    Ok(())
}
