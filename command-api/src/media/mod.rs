//! Product media on the write side (issue 16, docs/design/media-plan.md §5): presigned uploads
//! and their completion, the media commands, the variant workers, the upload sweeper and the
//! orphan GC. The bucket has no transactions, so every event is appended only after its object is
//! verified in place, together with the `media_objects` rows that say which keys it references.

pub mod body;
pub mod complete;
pub mod gc;
pub mod manage;
pub mod sweep;
pub mod uploads;
pub mod variants;

use std::collections::HashMap;

use domain::media::{media_id, MediaList, MediaOwner};
use domain::Aggregate;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::ApiError;
use crate::service::{Catalog, Head};

/// Serialises the writes of one owner's media list (uploads completing, commands, the variant
/// worker) within their transactions, so that each decides on the list as the last one left it
/// instead of failing on a stale version.
async fn lock_list(conn: &mut PgConnection, list_id: Uuid) -> Result<(), ApiError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("media-list:{list_id}"))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Taken by completions and the worker around writing a key and recording that a medium
/// references it, and tried by the GC before it deletes the key: the GC never deletes a key a
/// completion is copying again (the same bytes uploaded twice).
async fn lock_key(conn: &mut PgConnection, key: &str) -> Result<(), ApiError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))").bind(key).execute(&mut *conn).await?;
    Ok(())
}

/// The owner's media list inside a locked transaction: its head (for the append) and its state.
async fn load_list(
    conn: &mut PgConnection,
    owner: MediaOwner,
) -> Result<(HashMap<Uuid, Head>, Option<MediaList>), ApiError> {
    let list_id = media_id(owner);
    lock_list(conn, list_id).await?;
    let heads = Catalog::heads_in(conn, &[list_id]).await?;
    let list = match heads.get(&list_id).map(|h| &h.state) {
        Some(Aggregate::Media(list)) => Some(list.clone()),
        _ => None,
    };
    Ok((heads, list))
}

/// The keys a medium's rows name: its object and its variants.
fn keys_of(medium: &domain::media::Medium) -> Vec<String> {
    std::iter::once(medium.object.key.clone()).chain(medium.variants.iter().map(|v| v.key.clone())).collect()
}

/// Records that `medium_id` references `keys` (and that none of them is an orphan any more).
async fn reference(conn: &mut PgConnection, medium_id: Uuid, keys: &[String]) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO media_objects (key, medium_id) SELECT k, $2 FROM unnest($1::text[]) AS k ON CONFLICT DO NOTHING",
    )
    .bind(keys)
    .bind(medium_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM media_gc_candidates WHERE key = ANY($1)").bind(keys).execute(&mut *conn).await?;
    Ok(())
}

/// Forgets that `medium_id` references `keys`; other media sharing a key keep their rows.
async fn unreference(conn: &mut PgConnection, medium_id: Uuid, keys: &[String]) -> Result<(), ApiError> {
    sqlx::query("DELETE FROM media_objects WHERE medium_id = $1 AND key = ANY($2)")
        .bind(medium_id)
        .bind(keys)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
