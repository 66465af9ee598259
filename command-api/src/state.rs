//! What every handler shares.

use crate::identity::Identity;
use crate::service::Catalog;

#[derive(Clone)]
pub struct AppState {
    pub catalog: Catalog,
    pub identity: Identity,
    /// FERRULE_SHOW_AVAILABILITY.
    pub show_availability: bool,
}

impl service_http::caller::Verifier for AppState {
    fn keyring(&self) -> &auth_tokens::Keyring {
        &self.identity.keyring
    }
}
