//! Rights take effect at once. An access token says who its user was when it was issued; a user
//! disabled or demoted since, or a buyer whose company was disabled since, must not act with it.
//!
//! - Commands: every command requires the caller's user stream to still hold the role (and
//!   company) the token claims and not be disabled, and a buyer's company to be active. The event
//!   store checks it inside the command's append (`Append::requires`), so it costs no round trip
//!   and cannot be separated from the write; a command that appends nothing checks it too.
//! - Reads the command API serves (audit) check it with one lookup (`check`).
//! - The query API checks Redis revocation entries, which `record` writes here right after the
//!   change commits and the projector writes again when it projects it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use event_store::EventStore;
use serde::Serialize;
use serde_json::Value;
use service_http::caller::Caller;
use service_http::revocations::Change;
use uuid::Uuid;

use super::Identity;
use crate::error::ApiError;

/// What a command by `caller` requires of the streams when it commits: `(stream, the object its
/// snapshot must contain)`. The objects are the domain's snapshots of a user and a company (the
/// `Aggregate` enum, tagged by `kind`).
pub fn required(caller: &Caller) -> Vec<(Uuid, Value)> {
    let user = Required::User { role: caller.role.as_str(), disabled: false, company_id: caller.company };
    let mut requires = vec![(caller.user_id, user.snapshot())];
    if let Some(company) = caller.company {
        requires.push((company, Required::Company { disabled: false }.snapshot()));
    }
    requires
}

/// The part of a user's or company's snapshot a command requires, as the `Aggregate` enum
/// serializes it.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Required {
    User {
        role: &'static str,
        disabled: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        company_id: Option<Uuid>,
    },
    Company {
        disabled: bool,
    },
}

impl Required {
    fn snapshot(&self) -> Value {
        // Serializing these fields cannot fail; `Null` would require nothing of the wrong kind.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// Refuses (401) a caller whose token claims rights the user no longer has, for requests that
/// append nothing.
pub async fn check(store: &EventStore, caller: &Caller) -> Result<(), ApiError> {
    match EventStore::unmet(store.pool(), &required(caller)).await? {
        Some(_) => Err(ApiError::revoked()),
        None => Ok(()),
    }
}

/// Records a change of rights made at `at` for the query API (see the module doc). A failure is
/// logged, not returned: the change has committed, and the projector records it again.
pub async fn record(identity: &Identity, change: Change, at: DateTime<Utc>) {
    let access_ttl = Duration::from_secs(identity.keyring.access_ttl_secs.max(0).unsigned_abs());
    if let Err(error) = identity.revocations.record(change, at, access_ttl).await {
        tracing::warn!(%error, ?change, "cannot record the revocation in Redis now; the projector records it when it projects the change");
    }
}
