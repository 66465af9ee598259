//! The read database, shared by the projector (its only writer) and the query API: migrations,
//! the name of the live read-model schema, and the projector's checkpoint.
//!
//! The read model lives in the schema `catalog` (see `migrations/read/0001_read_model.sql`);
//! `projector rebuild` builds a copy beside it and swaps it in. Readers name tables with the
//! schema (`catalog.products`), so that after a swap every new statement reads the new copy.

pub mod cache_keys;

use std::str::FromStr;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgExecutor, PgPool};

/// The read database's migrations (`migrations/read`), apart from the write side's.
pub static READ_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/read");

/// The schema the query API reads.
pub const LIVE_SCHEMA: &str = "catalog";

/// The channel the projector notifies, with the new checkpoint position as payload, when a
/// batch commits (and a rebuild when it swaps).
pub const CHECKPOINT_CHANNEL: &str = "ferrule_checkpoint";

/// How far the read model has got.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Checkpoint {
    /// The global position of the last event applied (0: none yet).
    pub position: i64,
    /// When that event was recorded in the write database.
    pub event_at: Option<DateTime<Utc>>,
    /// When the projector last committed.
    pub updated_at: DateTime<Utc>,
}

/// The live read model's checkpoint.
pub async fn checkpoint(executor: impl PgExecutor<'_>) -> Result<Checkpoint, sqlx::Error> {
    sqlx::query_as("SELECT position, event_at, updated_at FROM catalog.checkpoint").fetch_one(executor).await
}

/// Connects to the read database and applies its migrations.
pub async fn prepare_read_database(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    let options = PgConnectOptions::from_str(url).context("FERRULE_READ_DATABASE_URL is not a valid PostgreSQL URL")?;
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect_with(options)
        .await
        .context("cannot connect to the read database: is PostgreSQL running and FERRULE_READ_DATABASE_URL right?")?;
    READ_MIGRATOR.run(&pool).await.context("applying the read database migrations failed")?;
    Ok(pool)
}

/// A search term as a PostgreSQL lexeme literal, for `tsvector` and `tsquery` input: quoted, so
/// that the text parser never splits it ("6.35mm", "3/8" stay whole).
pub fn lexeme(term: &str) -> String {
    let mut quoted = String::with_capacity(term.len() + 2);
    quoted.push('\'');
    for c in term.chars() {
        if matches!(c, '\'' | '\\') {
            quoted.push(c);
        }
        quoted.push(c);
    }
    quoted.push('\'');
    quoted
}

/// The text of a `tsvector` holding the terms at positions 1, 2, …, for a `::tsvector` cast:
/// positions carry the weight `setweight` gives them (a lexeme without one has none), and the cast
/// takes them as they are, with no parser or dictionary in between.
pub fn tsvector_text<S: AsRef<str>>(terms: impl IntoIterator<Item = S>) -> String {
    let mut text = String::new();
    // PostgreSQL keeps positions up to 16383; later terms share the last.
    for (i, term) in terms.into_iter().enumerate() {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&lexeme(term.as_ref()));
        text.push(':');
        text.push_str(&(i + 1).min(16_383).to_string());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexemes_are_quoted_with_quotes_and_backslashes_doubled() {
        assert_eq!(lexeme("6.35mm"), "'6.35mm'");
        assert_eq!(lexeme("o'clock\\"), "'o''clock\\\\'");
        assert_eq!(tsvector_text(["hex", "m12"]), "'hex':1 'm12':2");
        assert_eq!(tsvector_text(Vec::<String>::new()), "");
    }
}
