//! Identity on the write side: accounts (users and companies, as event streams), password
//! hashing, and sessions (login, refresh token families, logout).

pub mod accounts;
pub mod families;
pub mod passwords;
pub mod rights;
pub mod sessions;
pub mod settings;

use std::sync::Arc;

use auth_tokens::Keyring;
use service_http::revocations::Revocations;

pub use passwords::Passwords;
pub use settings::AuthConfig;

/// What identity needs beside the event store: the token keys, the password hasher, and the
/// revocation entries it records for the query API.
#[derive(Clone)]
pub struct Identity {
    pub keyring: Arc<Keyring>,
    pub passwords: Passwords,
    pub revocations: Revocations,
}

impl Identity {
    pub fn new(keyring: Keyring, passwords: Passwords, revocations: Revocations) -> Self {
        Identity { keyring: Arc::new(keyring), passwords, revocations }
    }
}
