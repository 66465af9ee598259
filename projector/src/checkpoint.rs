//! Moving the checkpoint of the read model on the transaction's search path.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// Records that everything up to `position` is applied (in the caller's transaction).
pub async fn advance(
    conn: &mut PgConnection,
    position: i64,
    event_at: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE checkpoint SET position = $1, event_at = coalesce($2, event_at), updated_at = now()")
        .bind(position)
        .bind(event_at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Tells query APIs waiting for a position (X-Min-Position) that it may have come; delivered when
/// the transaction commits.
pub async fn notify(conn: &mut PgConnection, position: i64) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(read_store::CHECKPOINT_CHANNEL)
        .bind(position.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}
