//! `ferrule admin create`: a user written straight into the write database through the command
//! API's own service code (the same checks, hashing and UserCreated event as `POST /v1/users`).

use std::str::FromStr;

use anyhow::Context;
use command_api::identity::accounts;
use command_api::service::Catalog;
use domain::identity::Role;
use event_store::{EventStore, GroupOptions};
use sqlx::postgres::PgConnectOptions;

use crate::cli::{AdminCommand, AdminCreateArgs};

pub async fn run(command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::Create(args) => create(args).await,
    }
}

async fn create(args: AdminCreateArgs) -> anyhow::Result<()> {
    let role = match Role::parse(&args.role) {
        Some(role) if role.is_staff() => role,
        _ => anyhow::bail!(
            "--role must be admin, ops or auditor; buyers are created under their company through the API"
        ),
    };
    let password = ferrule_seed::login::read_password(None)?;
    let options = PgConnectOptions::from_str(&args.database_url).context("--database-url is not a PostgreSQL URL")?;
    let store = EventStore::connect(options, 2).await.context("cannot connect to the write database")?;
    store.migrate().await.context("applying the write database migrations failed")?;
    let passwords = args.auth.passwords()?;
    let catalog = Catalog::new(store, GroupOptions { workers: 1, max_commands: 1 });
    let ctx = accounts::system_context("cli");
    let (id, committed) = accounts::create_user(&passwords, &catalog, &ctx, &args.email, password, role, None)
        .await
        .map_err(|e| anyhow::anyhow!("{}", describe(&e)))?;
    println!(
        "created {} {} (user {id}, position {})",
        role.as_str(),
        args.email.trim().to_lowercase(),
        committed.position
    );
    Ok(())
}

/// The refusal in words: the field errors of a 422, or the error itself.
fn describe(error: &command_api::error::ApiError) -> String {
    match error {
        command_api::error::ApiError::Invalid(errors) => {
            errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    }
}
