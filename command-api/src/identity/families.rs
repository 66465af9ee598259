//! Refresh token families in the write database (see `migrations/write/0007_refresh_families.sql`).

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// What presenting a refresh token did to its family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rotation {
    /// It was the current token: the family now holds the next one.
    Rotated,
    /// It was spent already: the family is revoked.
    Reused,
    /// The family was revoked (or is unknown, or not the token's user's).
    Refused,
}

/// Starts a family at login with its first refresh token.
pub async fn start(
    pool: &PgPool,
    family: Uuid,
    user: Uuid,
    jti: Uuid,
    expires: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO refresh_families (family_id, user_id, current_jti, expires_at) VALUES ($1, $2, $3, $4)",
        family,
        user,
        jti,
        expires
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Moves the family from `presented` to `next` if `presented` is its current token; revokes it if
/// `presented` is a spent one. The row stays locked from the read to the commit, so of two
/// refreshes with one token the second sees the first's rotation, and counts as a reuse.
pub async fn rotate(
    pool: &PgPool,
    family: Uuid,
    user: Uuid,
    presented: Uuid,
    next: Uuid,
    expires: DateTime<Utc>,
) -> Result<Rotation, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let row = sqlx::query!(
        "SELECT user_id, current_jti, revoked_at FROM refresh_families WHERE family_id = $1 FOR UPDATE",
        family
    )
    .fetch_optional(&mut *tx)
    .await?
    .map(|row| (row.user_id, row.current_jti, row.revoked_at));
    let rotation = match row {
        Some((owner, current, None)) if owner == user && current == presented => {
            sqlx::query!(
                "UPDATE refresh_families SET current_jti = $2, rotations = rotations + 1, refreshed_at = now(), \
                        expires_at = $3 WHERE family_id = $1",
                family,
                next,
                expires
            )
            .execute(&mut *tx)
            .await?;
            Rotation::Rotated
        }
        Some((owner, _, None)) if owner == user => {
            revoke_in(&mut tx, family, "reuse").await?;
            Rotation::Reused
        }
        _ => Rotation::Refused,
    };
    tx.commit().await?;
    Ok(rotation)
}

async fn revoke_in(conn: &mut sqlx::PgConnection, family: Uuid, reason: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE refresh_families SET revoked_at = now(), revoked_reason = $2 WHERE family_id = $1 AND revoked_at IS NULL",
        family,
        reason
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Revokes one family (logout, or a refresh by a user who may no longer act).
pub async fn revoke(pool: &PgPool, family: Uuid, reason: &str) -> Result<(), sqlx::Error> {
    revoke_in(&mut *pool.acquire().await?, family, reason).await
}

/// Revokes every live family of a user (disabled, or a new password). Returns how many.
pub async fn revoke_user(pool: &PgPool, user: Uuid, reason: &str) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE refresh_families SET revoked_at = now(), revoked_reason = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        user,
        reason
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}
