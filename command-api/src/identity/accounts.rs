//! Users and companies as the event store holds them: lookups, creating a user (the one path the
//! HTTP API, `ferrule admin create` and the first-start bootstrap share), and the first admin.

use chrono::Utc;
use domain::identity::company::Company;
use domain::identity::user::{self, User};
use domain::identity::{check_password, Email, Role};
use domain::{Aggregate, DomainError, FieldError, StreamType};
use event_store::{EventStore, Metadata};
use sqlx::PgPool;
use uuid::Uuid;

use super::Passwords;
use crate::error::ApiError;
use crate::service::{Catalog, CommandContext, Committed, Head};

/// The user a login names by `email` (its `email:` claim), if any: the address in its normalized
/// form, or — for users created before addresses were normalized — in the trimmed, lower-cased
/// form they were stored in (`Email::login_claims`). One query either way, so the lookup takes
/// no longer for one than for the other.
pub async fn user_by_login(pool: &PgPool, email: &str) -> Result<Option<(i64, User)>, ApiError> {
    let claims = Email::login_claims(email);
    if claims.is_empty() {
        return Ok(None);
    }
    let row = EventStore::head_by_claims(pool, &claims).await?;
    match row.map(|row| (row.version, serde_json::from_value::<Aggregate>(row.snapshot))) {
        Some((version, Ok(Aggregate::User(user)))) => Ok(Some((version, user))),
        Some((_, Err(e))) => Err(ApiError::Internal(e.into())),
        _ => Ok(None),
    }
}

/// A user's head by id, if the id names a user.
pub async fn user(pool: &PgPool, id: Uuid) -> Result<Option<User>, ApiError> {
    for row in EventStore::load_streams(pool, &[id]).await? {
        if let Aggregate::User(user) = Head::try_from(row)?.state {
            return Ok(Some(user));
        }
    }
    Ok(None)
}

/// Whether a user may still log in and refresh: not disabled, nor a buyer of a disabled company.
pub async fn may_act(pool: &PgPool, user: &User) -> Result<bool, ApiError> {
    if user.disabled {
        return Ok(false);
    }
    let Some(company_id) = user.company_id else { return Ok(true) };
    for row in EventStore::load_streams(pool, &[company_id]).await? {
        if let Aggregate::Company(company) = Head::try_from(row)?.state {
            return Ok(!company.disabled);
        }
    }
    Ok(false)
}

/// The user a stream head holds, or 404.
pub fn user_of(head: Option<&Head>, id: Uuid) -> Result<&User, ApiError> {
    match head.map(|h| &h.state) {
        Some(Aggregate::User(user)) => Ok(user),
        _ => Err(DomainError::not_found("user", id).into()),
    }
}

/// The company a stream head holds, or 404.
pub fn company_of(head: Option<&Head>, id: Uuid) -> Result<&Company, ApiError> {
    match head.map(|h| &h.state) {
        Some(Aggregate::Company(company)) => Ok(company),
        _ => Err(DomainError::not_found("company", id).into()),
    }
}

/// Creates a user: the email and password policy are checked (every failing field reported)
/// before the password is hashed; a buyer's company must exist and be active.
pub async fn create_user(
    passwords: &Passwords,
    catalog: &Catalog,
    ctx: &CommandContext,
    email: &str,
    password: String,
    role: Role,
    company_id: Option<Uuid>,
) -> Result<(Uuid, Committed), ApiError> {
    let errors: Vec<FieldError> = [Email::parse("email", email).err(), check_password("password", &password).err()]
        .into_iter()
        .flatten()
        .collect();
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let hash = passwords.hash(password).await?;
    let id = Uuid::now_v7();
    let ids: Vec<Uuid> = company_id.into_iter().collect();
    let committed = catalog
        .change_streams(ctx, &ids, |heads| {
            let company = match company_id {
                Some(company_id) => Some(company_of(heads.get(&company_id), company_id)?),
                None => None,
            };
            Ok(user::create(id, email, role, company, hash)?)
        })
        .await?;
    Ok((id, committed))
}

/// The metadata of events no user asked for (the first admin, the CLI).
pub fn system_context(actor: &str) -> CommandContext {
    CommandContext {
        metadata: Metadata {
            actor_id: format!("system:{actor}"),
            actor_role: "system".into(),
            request_id: String::new(),
            correlation_id: Uuid::new_v4(),
            causation_id: None,
        },
        now: Utc::now(),
        requires: Vec::new(),
        idempotency: None,
    }
}

/// Whether an active admin exists.
pub async fn admin_exists(pool: &PgPool) -> Result<bool, sqlx::Error> {
    EventStore::any_head(pool, StreamType::User.as_str(), &serde_json::json!({"role": "admin", "disabled": false}))
        .await
}

/// Creates the first admin when no active admin exists. Idempotent across restarts and replicas:
/// a replica that finds an admin does nothing, and of replicas racing to create the same email,
/// the event store's email claim lets one win and the others find the admin it made.
pub async fn bootstrap_admin(
    passwords: &Passwords,
    catalog: &Catalog,
    email: &str,
    password: String,
) -> Result<Option<Uuid>, ApiError> {
    if admin_exists(catalog.store().pool()).await? {
        return Ok(None);
    }
    let ctx = system_context("bootstrap");
    match create_user(passwords, catalog, &ctx, email, password, Role::Admin, None).await {
        Ok((id, _)) => Ok(Some(id)),
        Err(ApiError::Conflict { .. }) if admin_exists(catalog.store().pool()).await? => Ok(None),
        Err(e) => Err(e),
    }
}
