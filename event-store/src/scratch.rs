//! Fresh, migrated databases for tests and benchmarks: each is cloned from a template database
//! that is migrated once per set of migrations, so creating one takes milliseconds.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};
use uuid::Uuid;

use sqlx::migrate::Migrator;

use crate::MIGRATOR;

/// The template's name changes whenever the migrations do.
fn template_name(migrator: &Migrator, kind: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for migration in migrator.iter() {
        for byte in migration.checksum.iter().chain(migration.description.as_bytes()) {
            hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("ferrule_tmpl_{kind}_{:012x}", hash & 0xffff_ffff_ffff)
}

/// Creates `<prefix>_<random>` as a migrated write database and returns options to connect to
/// it. `admin_url` points at any database of the server (e.g. `postgres`) as a role that may
/// create databases.
pub async fn fresh_database(admin_url: &str, prefix: &str) -> Result<PgConnectOptions, sqlx::Error> {
    fresh_database_from(admin_url, prefix, &MIGRATOR, "write").await
}

/// As `fresh_database`, with other migrations (`kind` names them in the template's name).
pub async fn fresh_database_from(
    admin_url: &str,
    prefix: &str,
    migrator: &Migrator,
    kind: &str,
) -> Result<PgConnectOptions, sqlx::Error> {
    let admin = PgConnectOptions::from_str(admin_url)?.log_statements(tracing::log::LevelFilter::Trace);
    let mut conn = PgConnection::connect_with(&admin).await?;
    let template = template_name(migrator, kind);
    // One process migrates the template; the others wait on the lock and then find it there.
    sqlx::query("SELECT pg_advisory_lock(hashtext('ferrule-scratch-template'))").execute(&mut conn).await?;
    let result = ensure_template(&mut conn, &admin, &template, migrator).await;
    sqlx::query("SELECT pg_advisory_unlock(hashtext('ferrule-scratch-template'))").execute(&mut conn).await?;
    result?;
    let name = format!("{prefix}_{}", &Uuid::new_v4().simple().to_string()[..12]);
    sqlx::query(&format!(r#"CREATE DATABASE "{name}" TEMPLATE "{template}""#)).execute(&mut conn).await?;
    conn.close().await?;
    Ok(admin.database(&name))
}

async fn ensure_template(
    conn: &mut PgConnection,
    admin: &PgConnectOptions,
    template: &str,
    migrator: &Migrator,
) -> Result<(), sqlx::Error> {
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(template)
        .fetch_one(&mut *conn)
        .await?;
    if exists {
        return Ok(());
    }
    let building = format!("{template}_building");
    sqlx::query(&format!(r#"DROP DATABASE IF EXISTS "{building}" WITH (FORCE)"#)).execute(&mut *conn).await?;
    sqlx::query(&format!(r#"CREATE DATABASE "{building}""#)).execute(&mut *conn).await?;
    let mut target = PgConnection::connect_with(&admin.clone().database(&building)).await?;
    migrator.run(&mut target).await.map_err(|e| sqlx::Error::Migrate(Box::new(e)))?;
    target.close().await?;
    sqlx::query(&format!(r#"ALTER DATABASE "{building}" RENAME TO "{template}""#)).execute(&mut *conn).await?;
    Ok(())
}

/// Drops a database made by `fresh_database`, closing whatever is still connected to it.
pub async fn drop_database(admin_url: &str, name: &str) -> Result<(), sqlx::Error> {
    let mut conn = PgConnection::connect(admin_url).await?;
    sqlx::query(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#)).execute(&mut conn).await?;
    conn.close().await
}
