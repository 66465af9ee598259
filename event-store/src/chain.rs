//! The hash chain over the global order (write migration 0014): its head, which exports and
//! `GET /v1/audit/chain/head` name, so that a copy of the trail can be checked against it later.

use sqlx::PgExecutor;

use crate::EventStore;

/// How far the chain reaches: the last chained position, its hash, and how many events the
/// chain covers up to it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChainHead {
    /// The global position of the last chained event.
    pub position: i64,
    /// The chain's SHA-256 at that position, as 64 lower-case hex digits.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9a-f]{64}$"))]
    pub hash: String,
    /// How many events the chain covers, up to and including that position.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub event_count: i64,
}

impl EventStore {
    /// The chain's head; `None` while nothing is chained yet.
    pub async fn chain_head(executor: impl PgExecutor<'_>) -> Result<Option<ChainHead>, sqlx::Error> {
        let row = sqlx::query!("SELECT position, seq, hash FROM event_chain ORDER BY seq DESC LIMIT 1")
            .fetch_optional(executor)
            .await?;
        Ok(row.map(|row| ChainHead { position: row.position, hash: hex::encode(&row.hash), event_count: row.seq }))
    }
}
