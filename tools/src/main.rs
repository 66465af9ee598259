//! `ferrule`: Ferrule's command-line tool — demo data, generated catalogs and benchmarks.

mod admin;
mod api;
mod audit;
mod bench;
mod cli;
mod demo;
mod media;
mod transfer;

use clap::Parser;

use cli::{Cli, Command, MediaCommand};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let result = match Cli::parse().command {
        Command::DemoData(args) => demo::run(args).await,
        Command::Admin(command) => admin::run(command).await,
        Command::Seed(args) => match args.target().await {
            Ok(target) => ferrule_seed::run(target).await,
            Err(error) => Err(error),
        },
        Command::Bench(command) => bench::run(command).await,
        Command::Audit(command) => audit::run(command).await,
        Command::Export(args) => transfer::export(args).await,
        Command::Media(MediaCommand::Upload(args)) => media::run(args).await,
        Command::Import(args) => match transfer::import(args).await {
            // Refused rows are reported in the summary and the errors file: exit 2 so scripts tell.
            Ok(transfer::Ended::WithRefusals) => std::process::exit(2),
            Ok(transfer::Ended::Clean) => Ok(()),
            Err(error) => Err(error),
        },
    };
    if let Err(error) = result {
        eprintln!("error: {error}");
        for cause in error.chain().skip(1) {
            eprintln!("  caused by: {cause}");
        }
        std::process::exit(1);
    }
}
