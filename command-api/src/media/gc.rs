//! The orphan GC (plan §5 "Orphan GC"): objects under `media/` and `variants/` that no medium
//! references are deleted once they have been unreferenced, and unwritten, for the grace period.
//! It decides on the write database (`media_objects`), never on the lagging read model, and
//! re-checks under the key's advisory lock in the transaction that deletes.

use std::collections::HashSet;
use std::time::Duration;

use media_store::MediaStore;
use sqlx::PgPool;

use crate::error::ApiError;

/// What one pass saw and did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Objects listed.
    pub listed: usize,
    /// Unreferenced objects (candidates, old or new).
    pub unreferenced: usize,
    /// Keys deleted.
    pub deleted: Vec<String>,
}

/// One pass with this grace period.
pub async fn gc_pass(pool: &PgPool, store: &MediaStore, grace: Duration) -> Result<GcReport, ApiError> {
    let mut listed = store.list("media/").await?;
    listed.extend(store.list("variants/").await?);
    let keys: Vec<String> = listed.iter().map(|o| o.key.clone()).collect();
    let referenced: HashSet<String> =
        sqlx::query_scalar::<_, String>("SELECT DISTINCT key FROM media_objects WHERE key = ANY($1)")
            .bind(&keys)
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect();
    let orphans: Vec<String> = keys.iter().filter(|k| !referenced.contains(*k)).cloned().collect();
    sqlx::query("INSERT INTO media_gc_candidates (key) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING")
        .bind(&orphans)
        .execute(pool)
        .await?;
    let again: Vec<String> = referenced.iter().cloned().collect();
    sqlx::query("DELETE FROM media_gc_candidates WHERE key = ANY($1)").bind(&again).execute(pool).await?;
    let grace_secs = grace.as_secs_f64();
    let written_before = chrono::Utc::now() - chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::MAX);
    let mut report = GcReport { listed: listed.len(), unreferenced: orphans.len(), deleted: Vec::new() };
    for object in listed.iter().filter(|o| !referenced.contains(&o.key)) {
        // A key written within the grace period may be a completion copying it again.
        if object.last_modified.is_none_or(|at| at > written_before) {
            continue;
        }
        let mut tx = pool.begin().await?;
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(&object.key)
            .fetch_one(&mut *tx)
            .await?;
        if !locked {
            continue;
        }
        let gone = sqlx::query(
            "DELETE FROM media_gc_candidates c WHERE c.key = $1 \
             AND c.unreferenced_since <= now() - make_interval(secs => $2) \
             AND NOT EXISTS (SELECT 1 FROM media_objects o WHERE o.key = c.key)",
        )
        .bind(&object.key)
        .bind(grace_secs)
        .execute(&mut *tx)
        .await?;
        if gone.rows_affected() == 0 {
            continue;
        }
        // Deleted before the commit: if the delete fails, the candidate row stays for next time.
        store.delete(&object.key).await?;
        tx.commit().await?;
        report.deleted.push(object.key.clone());
    }
    Ok(report)
}

/// Runs a pass every `every`, for ever.
pub async fn gc_forever(pool: PgPool, store: MediaStore, grace: Duration, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        match gc_pass(&pool, &store, grace).await {
            Ok(report) if !report.deleted.is_empty() => {
                tracing::info!(deleted = report.deleted.len(), "orphan media deleted")
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "the orphan GC pass failed"),
        }
    }
}
