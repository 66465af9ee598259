//! The upload sweeper: uploads never completed expire, and their quarantine objects are deleted.

use std::time::Duration;

use media_store::MediaStore;
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::ApiError;

/// Uploads swept in one pass at most.
const BATCH: i64 = 100;

/// Expires open uploads whose URL expired more than `slack` ago (a PUT in flight at the expiry
/// may still land for a moment), deleting their quarantine objects first. Answers the uploads it
/// expired; one whose object cannot be deleted now stays for the next pass.
pub async fn sweep_pass(pool: &PgPool, store: &MediaStore, slack: Duration) -> Result<Vec<Uuid>, ApiError> {
    let due: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT id, quarantine_key FROM media_uploads WHERE state IN ('pending', 'verifying') \
         AND expires_at < now() - make_interval(secs => $1) \
         AND (state = 'pending' OR lease_until < now()) ORDER BY expires_at LIMIT $2",
    )
    .bind(slack.as_secs_f64())
    .bind(BATCH)
    .fetch_all(pool)
    .await?;
    let mut expired = Vec::with_capacity(due.len());
    for (id, key) in due {
        if let Err(error) = store.delete(&key).await {
            tracing::warn!(%error, %id, "an expired upload's object cannot be deleted now");
            continue;
        }
        let done = sqlx::query(
            "UPDATE media_uploads SET state = 'expired', lease_until = NULL WHERE id = $1 \
             AND state IN ('pending', 'verifying')",
        )
        .bind(id)
        .execute(pool)
        .await?;
        if done.rows_affected() == 1 {
            expired.push(id);
        }
    }
    Ok(expired)
}

/// Sweeps every minute, for ever.
pub async fn sweep_forever(pool: PgPool, store: MediaStore) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    loop {
        every.tick().await;
        if let Err(error) = sweep_pass(&pool, &store, Duration::from_secs(300)).await {
            tracing::warn!(%error, "the upload sweep failed");
        }
    }
}
