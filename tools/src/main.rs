//! `ferrule`: Ferrule's command-line tool — demo data and benchmarks.

mod bench;
mod demo;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "ferrule", version, about = "Ferrule's command-line tool: demo data and benchmarks.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load a small industrial demo catalog (fasteners, bearings, motors) through the command API.
    DemoData(demo::Args),
    /// Benchmarks, printed as ratios against a baseline measured in the same run.
    #[command(subcommand)]
    Bench(bench::Bench),
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::DemoData(args) => demo::run(args).await,
        Command::Bench(bench) => bench::run(bench).await,
    };
    if let Err(error) = result {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}
