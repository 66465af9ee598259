//! Users: staff (admin, ops) and buyers of one company, each with an email unique across users
//! and an argon2id password hash (see the module above for why the hash is in the events).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::company::Company;
use super::{Email, PasswordHash, Role};
use crate::error::{DomainError, FieldError};
use crate::events::{not_applicable, Change, Event, EvolveError, NewEvent, StreamType};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: Uuid,
    pub email: Email,
    pub role: Role,
    /// A buyer's company; staff have none.
    pub company_id: Option<Uuid>,
    pub password_hash: PasswordHash,
    pub disabled: bool,
}

fn event(id: Uuid, event: Event) -> Vec<NewEvent> {
    vec![NewEvent { stream_id: id, stream_type: StreamType::User, event }]
}

/// A staff user (no company) or a buyer (of an active company). The email's uniqueness is the
/// event store's claim on `email:<address>`.
pub fn create(
    id: Uuid,
    email: &str,
    role: Role,
    company: Option<&Company>,
    password_hash: PasswordHash,
) -> Result<Vec<NewEvent>, DomainError> {
    let email = Email::parse("email", email).map_err(|e| DomainError::Invalid(vec![e]))?;
    let company_id = match (role, company) {
        (Role::Buyer, Some(company)) if company.disabled => {
            return Err(DomainError::Conflict(format!("company {} is disabled", company.id)))
        }
        (Role::Buyer, Some(company)) => Some(company.id),
        (Role::Buyer, None) => {
            return Err(DomainError::invalid("company_id", "missing_company", "a buyer belongs to a company"))
        }
        (_, Some(_)) => {
            return Err(DomainError::invalid("role", "staff_in_company", "staff users belong to no company"))
        }
        (_, None) => None,
    };
    Ok(event(id, Event::UserCreated { email, role, company_id, password_hash }))
}

/// The user can no longer log in or refresh. Disabling again is no change.
pub fn disable(user: &User) -> Result<Vec<NewEvent>, DomainError> {
    if user.disabled {
        return Ok(Vec::new());
    }
    Ok(event(user.id, Event::UserDisabled {}))
}

/// A new password, chosen by the user or set by an admin (the caller checked the policy and who
/// may do it, and hashed it).
pub fn change_password(user: &User, password_hash: PasswordHash) -> Result<Vec<NewEvent>, DomainError> {
    if user.disabled {
        return Err(DomainError::Conflict(format!("user {} is disabled", user.id)));
    }
    Ok(event(user.id, Event::UserPasswordChanged { password_hash }))
}

/// The same password hashed again with the parameters now configured (on login).
pub fn rehash(user: &User, password_hash: PasswordHash) -> Result<Vec<NewEvent>, DomainError> {
    Ok(event(user.id, Event::UserPasswordRehashed { password_hash }))
}

/// Staff move between admin, ops and auditor; a buyer stays a buyer and staff never become buyers (a buyer
/// belongs to a company). The role held is no change.
pub fn change_role(user: &User, role: Role) -> Result<Vec<NewEvent>, DomainError> {
    if user.role == role {
        return Ok(Vec::new());
    }
    if !user.role.is_staff() || !role.is_staff() {
        return Err(DomainError::Invalid(vec![FieldError::new(
            "role",
            "role_change_not_allowed",
            "staff roles are admin, ops and auditor; a buyer's role does not change",
        )]));
    }
    Ok(event(user.id, Event::UserRoleChanged { role: Change { from: user.role, to: role } }))
}

/// A user's own events, folded.
impl User {
    pub(crate) fn created(
        id: Uuid,
        email: &Email,
        role: Role,
        company_id: Option<Uuid>,
        password_hash: &PasswordHash,
    ) -> User {
        User { id, email: email.clone(), role, company_id, password_hash: password_hash.clone(), disabled: false }
    }

    pub(crate) fn apply(mut self, event: &Event) -> Result<User, EvolveError> {
        match event {
            Event::UserDisabled {} => self.disabled = true,
            Event::UserPasswordChanged { password_hash } | Event::UserPasswordRehashed { password_hash } => {
                self.password_hash = password_hash.clone()
            }
            Event::UserRoleChanged { role } => self.role = role.to,
            other => return Err(not_applicable(other, StreamType::User.as_str())),
        }
        Ok(self)
    }
}
