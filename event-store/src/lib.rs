//! Ferrule's event store in the write database: atomic appends with audit metadata, stream heads
//! with snapshots, uniqueness claims, and a gap-safe reader of the global order.
//!
//! The store knows nothing of the catalog: events are typed names with JSON payloads.

mod append;
pub mod audit;
pub mod chain;
mod checkout;
mod group;
mod idempotency;
mod inspect;
mod progress;
mod read;
pub mod scratch;
pub mod verify;

pub use append::{Append, AppendError, EventToAppend, IdempotencyKey, Metadata, StreamWrite};
pub use audit::AuditFilter;
pub use chain::{ChainHead, Checkpoint, Link};
pub use group::{GroupAppender, GroupOptions};
pub use idempotency::RecordedKey;
pub use inspect::EventFilter;
pub use progress::Backlog;
pub use read::{StoredEvent, StreamEvent, StreamRow};
pub use verify::{Break, BrokenLink, Verification, VerifyOptions};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};

/// The write database's migrations (`migrations/write`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/write");

/// The key of the catalog's schema lock. Product writes hold it shared (inside `append_events`);
/// anything that changes categories, families or attribute definitions holds it exclusively
/// from before it reads until it commits.
pub const SCHEMA_LOCK: i64 = 7_308_604_897_068_083_200;

/// A handle on the event store.
#[derive(Clone, Debug)]
pub struct EventStore {
    pool: PgPool,
}

impl EventStore {
    pub fn new(pool: PgPool) -> Self {
        EventStore { pool }
    }

    pub async fn connect(options: PgConnectOptions, max_connections: u32) -> Result<Self, sqlx::Error> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(std::time::Duration::from_secs(5))
            // A broken connection fails its query and is replaced; pinging every connection
            // before each use would cost every command a round trip.
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        Ok(EventStore { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    #[tracing::instrument(skip_all)]
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        MIGRATOR.run(&self.pool).await
    }

    /// Starts a transaction holding the schema lock exclusively: structure commands (categories,
    /// families, attribute definitions) read and decide inside it, then append and commit.
    #[tracing::instrument(skip_all)]
    pub async fn begin_schema_change(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query!("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK).execute(&mut *tx).await?;
        Ok(tx)
    }
}
