//! `ferrule audit`: the audit trail's tooling — verifying the hash chain, and replaying the read
//! model as it was at a moment.

pub mod replay;
pub mod verify;

use clap::Subcommand;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain over the events and name the first broken link.
    #[command(long_about = verify::ABOUT)]
    Verify(verify::VerifyArgs),

    /// Build the read model as it was at a moment (or a position) into a separate database.
    #[command(long_about = replay::ABOUT)]
    Replay(replay::ReplayArgs),
}

pub async fn run(command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Verify(args) => verify::run(args).await,
        AuditCommand::Replay(args) => replay::run(args).await,
    }
}
