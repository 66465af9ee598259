//! Identity on the write side: accounts (users and companies, as event streams), password
//! hashing, and sessions (login, refresh token families, logout).

pub mod accounts;
pub mod families;
pub mod passwords;
pub mod sessions;
pub mod settings;

use std::sync::Arc;

use auth_tokens::Keyring;

pub use passwords::Passwords;
pub use settings::AuthConfig;

/// What identity needs beside the event store: the token keys and the password hasher.
#[derive(Clone, Debug)]
pub struct Identity {
    pub keyring: Arc<Keyring>,
    pub passwords: Passwords,
}

impl Identity {
    pub fn new(keyring: Keyring, passwords: Passwords) -> Self {
        Identity { keyring: Arc::new(keyring), passwords }
    }
}
