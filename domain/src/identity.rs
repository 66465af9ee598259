//! Who may act: staff users (admins and ops) and the companies whose users are buyers. Users and
//! companies are event-sourced streams like the catalog's; each change is an event with its actor.
//!
//! Where the password hash lives: in the events (`UserCreated`, `UserPasswordChanged`,
//! `UserPasswordRehashed`), as an argon2id PHC string. The events are the write side's only source
//! of truth, so the user streams — hash included — can be rebuilt from them like every other
//! stream, and a password change is audited like any change. A PHC hash is salted and slow to
//! attack, but it is still a secret: wherever events leave the write side (the audit endpoint, the
//! relay to JetStream) `redact` blanks it, and the read model never projects users.

pub mod company;
pub mod email;
pub mod user;

#[cfg(test)]
mod tests;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use email::{Email, EMAIL_MAX};

use crate::error::FieldError;

pub const PASSWORD_MIN: usize = 12;
pub const PASSWORD_MAX: usize = 128;

/// What a user may do (API.md): `admin` everything, `ops` orders, inventory and pricing, `buyer`
/// its own company's carts and orders, `auditor` read the audit trail and nothing else (it never
/// writes: every command refuses it, and of the query API's staff reads it is refused too).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Ops,
    Buyer,
    Auditor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Ops => "ops",
            Role::Buyer => "buyer",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "admin" => Some(Role::Admin),
            "ops" => Some(Role::Ops),
            "buyer" => Some(Role::Buyer),
            "auditor" => Some(Role::Auditor),
            _ => None,
        }
    }

    /// Whether this role may do what `required` may: an admin may do everything.
    pub fn permits(self, required: Role) -> bool {
        self == Role::Admin || self == required
    }

    /// Users of no company: admins, ops and auditors.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Admin | Role::Ops | Role::Auditor)
    }

    /// Whether this role may read the audit trail (`/v1/audit/*`, a stream's events).
    pub fn reads_audit(self) -> bool {
        matches!(self, Role::Admin | Role::Ops | Role::Auditor)
    }
}

/// The password policy: 12 to 128 characters, not all of them blank (spaces or invisible
/// characters); NIST SP 800-63B: length, no composition rules. Checked before hashing; the domain
/// never sees a password otherwise.
pub fn check_password(field: &str, password: &str) -> Result<(), FieldError> {
    let length = password.chars().count();
    if length < PASSWORD_MIN {
        return Err(FieldError::new(
            field,
            "password_too_short",
            format!("{field} must have at least {PASSWORD_MIN} characters; it has {length}"),
        ));
    }
    if length > PASSWORD_MAX {
        return Err(FieldError::new(
            field,
            "password_too_long",
            format!("{field} must have at most {PASSWORD_MAX} characters; it has {length}"),
        ));
    }
    if password.chars().all(|c| c.is_whitespace() || email::is_invisible(c)) {
        return Err(FieldError::new(field, "password_blank", format!("{field} must not be only spaces")));
    }
    Ok(())
}

/// A password hash as a PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`); never printed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PasswordHash(pub String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash([redacted])")
    }
}

/// The payload fields that hold secrets, blanked wherever events are shown or leave the write side.
pub const SECRET_FIELDS: &[&str] = &["password_hash"];

/// Blanks the secrets of an event payload in place.
pub fn redact(payload: &mut serde_json::Value) {
    if let serde_json::Value::Object(map) = payload {
        for field in SECRET_FIELDS {
            if let Some(value) = map.get_mut(*field) {
                *value = serde_json::Value::String("[redacted]".into());
            }
        }
    }
}
