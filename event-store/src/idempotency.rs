//! What the command API keeps of an `Idempotency-Key`: the key is recorded with its command's
//! events (`Append::idempotency`), the answer right after it was given; a retry reads both back.

use serde_json::Value;
use sqlx::types::Json;

use crate::{AppendError, EventStore, IdempotencyKey};

/// A key as recorded: the request it came with and, once given, the answer.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RecordedKey {
    pub request_hash: Vec<u8>,
    /// The position of the command's last event, when it appended any.
    pub position: Option<i64>,
    pub status: Option<i16>,
    pub headers: Option<Json<Value>>,
    pub body: Option<Vec<u8>>,
}

impl EventStore {
    /// The key of `scope` as recorded, if it is.
    pub async fn recorded_key(&self, scope: uuid::Uuid, key: &str) -> Result<Option<RecordedKey>, AppendError> {
        Ok(sqlx::query_as!(
            RecordedKey,
            r#"SELECT request_hash, position, status, headers AS "headers: Json<Value>", body
                 FROM idempotency_keys WHERE scope = $1 AND key = $2"#,
            scope,
            key,
        )
        .fetch_optional(self.pool())
        .await?)
    }

    /// Adds the answer to a key its command recorded with its events (`appended`), or records key
    /// and answer together for a command that appended nothing. A key another request recorded
    /// meanwhile, or one answered already, is left as it is.
    pub async fn record_answer(
        &self,
        key: &IdempotencyKey,
        appended: bool,
        status: u16,
        headers: &Value,
        body: &[u8],
    ) -> Result<(), AppendError> {
        if appended {
            sqlx::query!(
                "UPDATE idempotency_keys SET status = $4, headers = $5, body = $6 \
                  WHERE scope = $1 AND key = $2 AND request_hash = $3 AND status IS NULL",
                key.scope,
                key.key,
                key.request_hash,
                i16::try_from(status).unwrap_or(i16::MAX),
                headers,
                body,
            )
            .execute(self.pool())
            .await?;
        } else {
            Self::record_key_answered(self.pool(), key, status, headers, body).await?;
        }
        Ok(())
    }

    /// Records a key with its answer inside the caller's transaction, for a request that appends
    /// no events but writes rows of its own there (an import job's): both commit or neither.
    /// `false`: another request recorded the key first (the caller rolls back and replays).
    pub async fn record_key_answered(
        executor: impl sqlx::PgExecutor<'_>,
        key: &IdempotencyKey,
        status: u16,
        headers: &Value,
        body: &[u8],
    ) -> Result<bool, AppendError> {
        let done = sqlx::query!(
            "INSERT INTO idempotency_keys (scope, key, request_hash, status, headers, body) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (scope, key) DO NOTHING",
            key.scope,
            key.key,
            key.request_hash,
            i16::try_from(status).unwrap_or(i16::MAX),
            headers,
            body,
        )
        .execute(executor)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Forgets keys recorded longer ago than `retention`, a bounded number per call (oldest
    /// first); returns how many.
    pub async fn sweep_keys(&self, retention: std::time::Duration, limit: i64) -> Result<u64, AppendError> {
        let seconds = retention.as_secs_f64();
        let done = sqlx::query!(
            "DELETE FROM idempotency_keys WHERE (scope, key) IN ( \
               SELECT scope, key FROM idempotency_keys \
                WHERE created_at < now() - make_interval(secs => $1) ORDER BY created_at LIMIT $2)",
            seconds,
            limit,
        )
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }
}
