//! Fresh, migrated databases for tests and benchmarks: each is cloned from a template database
//! that is migrated once per set of migrations, so creating one takes milliseconds. Also the
//! writes that go around `append_events` (fixtures that make a store look as an older version
//! left it, and the benchmarks' raw baselines): never for a store in use.

use std::str::FromStr;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool};
use sqlx::{ConnectOptions, Connection, PgExecutor};
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
    sqlx::query!("SELECT pg_advisory_lock(hashtext('ferrule-scratch-template'))").execute(&mut conn).await?;
    let result = ensure_template(&mut conn, &admin, &template, migrator).await;
    sqlx::query_scalar!("SELECT pg_advisory_unlock(hashtext('ferrule-scratch-template'))").fetch_one(&mut conn).await?;
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
    let exists =
        sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS "exists!""#, template)
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

/// An event row written straight into `events`: no stream head, claim or check, and a position
/// of the caller's choosing (`None`: as `append_events` computes it for the first event of a
/// transaction, its id × 65536 + 1).
#[derive(Clone, Debug)]
pub struct RawEvent {
    pub position: Option<i64>,
    pub event_id: Uuid,
    pub stream_id: Uuid,
    pub stream_type: String,
    pub version: i64,
    pub event_type: String,
    pub schema_version: i16,
    pub payload: Value,
    pub actor_id: String,
    pub actor_role: String,
    pub request_id: String,
    pub correlation_id: Uuid,
    pub recorded_at: DateTime<Utc>,
}

/// Inserts one event row, in its own transaction on a pool (the raw baseline of `bench write`,
/// events at chosen positions and ages for tests).
pub async fn insert_raw_event(executor: impl PgExecutor<'_>, event: &RawEvent) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO events (position, event_id, stream_id, stream_type, version, event_type, schema_version, \
                             payload, actor_id, actor_role, request_id, correlation_id, causation_id, recorded_at) \
         VALUES (coalesce($1, pg_current_xact_id()::text::bigint * 65536 + 1), $2, $3, $4, $5, $6, $7, $8, $9, $10, \
                 $11, $12, NULL, $13)",
        event.position,
        event.event_id,
        event.stream_id,
        event.stream_type,
        event.version,
        event.event_type,
        event.schema_version,
        event.payload,
        event.actor_id,
        event.actor_role,
        event.request_id,
        event.correlation_id,
        event.recorded_at,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Moves a claim to another value and sets one top-level field of its stream's head snapshot to
/// a string, as a store written by an earlier version (e.g. addresses normalized otherwise) holds
/// them. `false`: no stream held the claim.
pub async fn rewrite_claim(
    conn: &mut PgConnection,
    claim: &str,
    new_claim: &str,
    field: &str,
    value: &str,
) -> Result<bool, sqlx::Error> {
    let mut tx = conn.begin().await?;
    let stream =
        sqlx::query_scalar!("UPDATE claims SET claim = $1 WHERE claim = $2 RETURNING stream_id", new_claim, claim)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(stream) = stream else { return Ok(false) };
    sqlx::query!(
        "UPDATE streams SET snapshot = jsonb_set(snapshot, ARRAY[$1::text], to_jsonb($2::text)) WHERE stream_id = $3",
        field,
        value,
        stream
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Writes the event rows of one correlation (an import job's) in COPY's text format to `path`;
/// answers how many there are.
pub async fn dump_events_of(pool: &PgPool, correlation_id: Uuid, path: &std::path::Path) -> Result<u64, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    // COPY takes no parameters; a uuid's text is safe to inline.
    let statement =
        format!("COPY (SELECT * FROM events WHERE correlation_id = '{correlation_id}' ORDER BY position) TO STDOUT");
    let mut out = tokio::io::BufWriter::new(tokio::fs::File::create(path).await?);
    let mut stream = conn.copy_out_raw(&statement).await?;
    let mut lines = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        tokio::io::AsyncWriteExt::write_all(&mut out, &chunk).await?;
    }
    tokio::io::AsyncWriteExt::flush(&mut out).await?;
    Ok(lines)
}

/// COPYs rows dumped by `dump_events_of` into a fresh table shaped like `events` (with its
/// indexes and constraints) in one transaction, then drops it; the time the COPY took.
pub async fn copy_events_into_a_copy(pool: &PgPool, path: &std::path::Path, n: u32) -> Result<Duration, sqlx::Error> {
    let table = format!("bench_copy_{n}");
    let mut conn = pool.acquire().await?;
    sqlx::query(&format!("CREATE TABLE {table} (LIKE events INCLUDING ALL)")).execute(&mut *conn).await?;
    let bytes = tokio::fs::read(path).await?;
    let started = Instant::now();
    let mut copy = conn.copy_in_raw(&format!("COPY {table} FROM STDIN")).await?;
    for chunk in bytes.chunks(1 << 20) {
        copy.send(chunk).await?;
    }
    copy.finish().await?;
    let took = started.elapsed();
    sqlx::query(&format!("DROP TABLE {table}")).execute(&mut *conn).await?;
    Ok(took)
}

/// Forgets the answers recorded for the idempotency key `key` (every caller's), keeping the keys:
/// as if the process had stopped between its command's commit and recording the answer.
pub async fn forget_answers(executor: impl PgExecutor<'_>, key: &str) -> Result<u64, sqlx::Error> {
    let done =
        sqlx::query!("UPDATE idempotency_keys SET status = NULL, headers = NULL, body = NULL WHERE key = $1", key)
            .execute(executor)
            .await?;
    Ok(done.rows_affected())
}

/// Creates `table` shaped like `events`, with its indexes and constraints (an empty copy that the
/// benchmarks write into to learn what PostgreSQL takes when nothing is decided).
pub async fn create_events_copy(executor: impl PgExecutor<'_>, table: &str) -> Result<(), sqlx::Error> {
    sqlx::query(&format!("CREATE TABLE {table} (LIKE events INCLUDING ALL)")).execute(executor).await?;
    Ok(())
}

/// Inserts `events` into a table made by `create_events_copy`, in one statement.
pub async fn insert_into_events_copy(
    executor: impl PgExecutor<'_>,
    table: &str,
    events: &[crate::StoredEvent],
) -> Result<(), sqlx::Error> {
    let column = |f: fn(&crate::StoredEvent) -> String| events.iter().map(f).collect::<Vec<String>>();
    sqlx::query(&format!(
        "INSERT INTO {table} (position, event_id, stream_id, stream_type, version, event_type, schema_version, \
                              payload, actor_id, actor_role, request_id, correlation_id, causation_id, \
                              recorded_at, transaction_id) \
         SELECT x.position, x.event_id, x.stream_id, x.stream_type, x.version, x.event_type, x.schema_version, \
                x.payload, x.actor_id, x.actor_role, x.request_id, x.correlation_id, NULL, x.recorded_at, \
                pg_current_xact_id() \
           FROM unnest($1::int8[], $2::uuid[], $3::uuid[], $4::text[], $5::int8[], $6::text[], $7::int2[], \
                       $8::jsonb[], $9::text[], $10::text[], $11::text[], $12::uuid[], $13::timestamptz[]) \
             AS x(position, event_id, stream_id, stream_type, version, event_type, schema_version, payload, \
                  actor_id, actor_role, request_id, correlation_id, recorded_at)"
    ))
    .bind(events.iter().map(|e| e.position).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.event_id).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.stream_id).collect::<Vec<_>>())
    .bind(column(|e| e.stream_type.clone()))
    .bind(events.iter().map(|e| e.version).collect::<Vec<_>>())
    .bind(column(|e| e.event_type.clone()))
    .bind(events.iter().map(|e| e.schema_version).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.payload.clone()).collect::<Vec<_>>())
    .bind(column(|e| e.actor_id.clone()))
    .bind(column(|e| e.actor_role.clone()))
    .bind(column(|e| e.request_id.clone()))
    .bind(events.iter().map(|e| e.correlation_id).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.recorded_at).collect::<Vec<_>>())
    .execute(executor)
    .await?;
    Ok(())
}

/// Renames the claims table away, so that whatever reads or takes a claim (a login, a create)
/// fails inside the store: how tests make a service meet a broken database.
pub async fn break_claims(executor: impl PgExecutor<'_>) -> Result<(), sqlx::Error> {
    sqlx::query("ALTER TABLE claims RENAME TO claims_probe").execute(executor).await?;
    Ok(())
}
