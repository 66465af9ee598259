//! Revoked access, shared by every replica of both services through Redis: which outstanding
//! access tokens no longer hold because their user was disabled, their role changed, or their
//! company was disabled after they were issued.
//!
//! An access token is honoured only while the rights it claims are the user's current rights.
//! Each change of rights leaves one entry, kept until every token issued before it has expired
//! (the access token lifetime plus the verifier's leeway after the change was recorded):
//! - `{prefix}:user:{id}:disabled` — the user is disabled (there is no way back);
//! - `{prefix}:user:{id}:role` — `{version}:{role}`, the role as of that version of the user's
//!   stream (a later version always wins, so writers may race and replay);
//! - `{prefix}:company:{id}:disabled` — the company is disabled: its buyers' tokens stop.
//!
//! The command API writes an entry right after the change commits, and the projector writes it
//! again as it projects the change's event, so that a crash between the commit and the first
//! write cannot lose it. The query API reads them for every request with a token (one MGET). The
//! command API needs no lookup of its own: every command requires the caller's current rights
//! inside its append (`migrations/write/0010_append_requirements.sql`).
//!
//! Redis configured but not answering: tokens cannot be checked, and requests that need one are
//! refused with 503 rather than honoured blindly. No Redis configured: no entry exists, and a
//! revoked token keeps working on the query API until it expires (a warning at start says so).

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::identity::Role;
use redis::aio::ConnectionManager;
use uuid::Uuid;

use crate::breaker::Breaker;
use crate::caller::{Caller, Refusal};
use crate::redis_link;

/// The key prefix when none is configured (`FERRULE_REVOCATION_PREFIX`).
pub const DEFAULT_PREFIX: &str = "ferrule:revoked";
/// Added to the access token lifetime: the verifier accepts tokens this long past `exp`.
pub const LEEWAY: Duration = Duration::from_secs(5 + 55);
/// Longest a request waits for Redis's answer.
const TIMEOUT: Duration = Duration::from_millis(300);
/// How long requests leave Redis alone after it failed to answer.
const PAUSE: Duration = Duration::from_secs(1);

/// Sets KEYS[1] to `ARGV[1]:ARGV[2]` expiring at ARGV[3] (ms since the epoch), unless it holds
/// that version or a later one already.
const NEWER_ROLE: &str = r"
local current = redis.call('GET', KEYS[1])
if current then
  local version = tonumber(string.match(current, '^(%d+):'))
  if version and version >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[2])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return 1
";

/// A change of rights, as an entry records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    UserDisabled {
        user: Uuid,
    },
    /// The user's role as of `version` of its stream.
    RoleChanged {
        user: Uuid,
        version: i64,
        role: Role,
    },
    CompanyDisabled {
        company: Uuid,
    },
}

impl Change {
    /// The change of rights an event of a user's or company's stream (at `version`) makes, if any.
    pub fn of(stream_id: Uuid, version: i64, event: &domain::Event) -> Option<Change> {
        match event {
            domain::Event::UserDisabled {} => Some(Change::UserDisabled { user: stream_id }),
            domain::Event::UserRoleChanged { role } => {
                Some(Change::RoleChanged { user: stream_id, version, role: role.to })
            }
            domain::Event::CompanyDisabled {} => Some(Change::CompanyDisabled { company: stream_id }),
            _ => None,
        }
    }
}

/// The revocation entries; cheap to clone.
#[derive(Clone)]
pub struct Revocations {
    redis: Option<Link>,
}

#[derive(Clone)]
struct Link {
    connection: ConnectionManager,
    prefix: String,
    breaker: std::sync::Arc<Breaker>,
}

impl Revocations {
    /// No Redis: nothing is recorded and every token that verifies is honoured.
    pub fn off() -> Self {
        Revocations { redis: None }
    }

    /// Entries under `prefix` in the Redis at `url`, connected to in the background.
    pub fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let connection = redis_link::connect_lazy(url, TIMEOUT)
            .map_err(|e| anyhow::anyhow!("FERRULE_REDIS_URL is not a valid Redis URL: {e}"))?;
        let link = Link { connection, prefix: prefix.to_owned(), breaker: std::sync::Arc::new(Breaker::new(PAUSE)) };
        Ok(Revocations { redis: Some(link) })
    }

    pub fn is_on(&self) -> bool {
        self.redis.is_some()
    }

    /// Records `change`, made at `at`, for as long as tokens issued before it may live
    /// (`access_ttl`). A change older than that is no longer needed and is not written.
    pub async fn record(&self, change: Change, at: DateTime<Utc>, access_ttl: Duration) -> redis::RedisResult<()> {
        let Some(link) = &self.redis else { return Ok(()) };
        let lifetime = chrono::TimeDelta::from_std(access_ttl + LEEWAY).unwrap_or(chrono::TimeDelta::MAX);
        let until = at + lifetime;
        if until <= Utc::now() {
            return Ok(());
        }
        let until_ms = until.timestamp_millis();
        let mut connection = link.connection.clone();
        match change {
            Change::UserDisabled { user } => {
                let key = link.user_disabled(user);
                redis::pipe().set(&key, 1).pexpire_at(&key, until_ms).query_async(&mut connection).await
            }
            Change::CompanyDisabled { company } => {
                let key = link.company_disabled(company);
                redis::pipe().set(&key, 1).pexpire_at(&key, until_ms).query_async(&mut connection).await
            }
            Change::RoleChanged { user, version, role } => redis::Script::new(NEWER_ROLE)
                .key(link.user_role(user))
                .arg(version)
                .arg(role.as_str())
                .arg(until_ms)
                .invoke_async::<i64>(&mut connection)
                .await
                .map(drop),
        }
    }

    /// Refuses a caller whose token claims rights the user no longer has (401), or whose rights
    /// cannot be checked because Redis does not answer (503).
    pub async fn check(&self, caller: &Caller) -> Result<(), Refusal> {
        let Some(link) = &self.redis else { return Ok(()) };
        if !link.breaker.allow() {
            return Err(unavailable());
        }
        let mut keys = vec![link.user_disabled(caller.user_id), link.user_role(caller.user_id)];
        keys.extend(caller.company.map(|company| link.company_disabled(company)));
        let mut connection = link.connection.clone();
        let found = tokio::time::timeout(
            TIMEOUT,
            redis::cmd("MGET").arg(&keys).query_async::<Vec<Option<String>>>(&mut connection),
        )
        .await;
        let values = match found {
            Ok(Ok(values)) => {
                let _ = link.breaker.close();
                values
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, "cannot read the revocation entries");
                let _ = link.breaker.trip();
                return Err(unavailable());
            }
            Err(_) => {
                tracing::warn!("Redis did not answer for the revocation entries in time");
                let _ = link.breaker.trip();
                return Err(unavailable());
            }
        };
        let disabled = values.first().is_some_and(Option::is_some);
        let company_disabled = values.get(2).is_some_and(Option::is_some);
        let role_now = values.get(1).and_then(|v| v.as_deref()).and_then(|v| v.split_once(':')).map(|(_, role)| role);
        if disabled || company_disabled || role_now.is_some_and(|role| role != caller.role.as_str()) {
            tracing::info!(user = %caller.user_id, "access token refused: revoked");
            return Err(Refusal::Unauthorized(crate::caller::REVOKED.into()));
        }
        Ok(())
    }
}

impl Link {
    fn user_disabled(&self, user: Uuid) -> String {
        format!("{}:user:{user}:disabled", self.prefix)
    }

    fn user_role(&self, user: Uuid) -> String {
        format!("{}:user:{user}:role", self.prefix)
    }

    fn company_disabled(&self, company: Uuid) -> String {
        format!("{}:company:{company}:disabled", self.prefix)
    }
}

fn unavailable() -> Refusal {
    Refusal::Unavailable("access tokens cannot be checked right now; try again in a moment".into())
}
