//! How far the readers of the global order got: the relay's recorded progress, and what a reader
//! at some position still has ahead of it.

use sqlx::PgExecutor;

use crate::EventStore;

/// What lies after a reader's position: the head, how many events (counted up to a million) and
/// how old the first of them is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backlog {
    /// The highest committed position; `None` while the store holds no event.
    pub write_head: Option<i64>,
    pub behind: i64,
    /// Seconds since the first event after the position was recorded (0 when there is none).
    pub lag_seconds: f64,
}

impl EventStore {
    /// The relay's recorded progress: the last position it published.
    pub async fn relay_position(executor: impl PgExecutor<'_>) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar!("SELECT position FROM relay_progress WHERE id = 1").fetch_one(executor).await
    }

    /// Records the relay's progress (on the connection holding the relay lock).
    pub async fn record_relay_position(executor: impl PgExecutor<'_>, position: i64) -> Result<(), sqlx::Error> {
        sqlx::query!("UPDATE relay_progress SET position = $1, updated_at = now() WHERE id = 1", position)
            .execute(executor)
            .await?;
        Ok(())
    }

    /// What a reader that has reached `position` still has to read.
    pub async fn backlog_after(executor: impl PgExecutor<'_>, position: i64) -> Result<Backlog, sqlx::Error> {
        let row = sqlx::query!(
            r#"SELECT (SELECT max(position) FROM events) AS write_head,
                      (SELECT count(*) FROM (SELECT 1 FROM events WHERE position > $1 LIMIT 1000000) AS unapplied)
                          AS "behind!",
                      coalesce((SELECT greatest(extract(epoch FROM now() - recorded_at), 0)::float8
                                  FROM events WHERE position > $1 ORDER BY position LIMIT 1), 0) AS "lag_seconds!""#,
            position
        )
        .fetch_one(executor)
        .await?;
        Ok(Backlog { write_head: row.write_head, behind: row.behind, lag_seconds: row.lag_seconds })
    }
}
