//! What every handler shares.

use crate::identity::Identity;
use crate::service::Catalog;

#[derive(Clone)]
pub struct AppState {
    pub catalog: Catalog,
    pub identity: Identity,
    /// FERRULE_SHOW_AVAILABILITY.
    pub show_availability: bool,
    /// Wakes an import worker when a job is submitted.
    pub imports: std::sync::Arc<tokio::sync::Notify>,
}

impl service_http::caller::Verifier for AppState {
    fn keyring(&self) -> &auth_tokens::Keyring {
        &self.identity.keyring
    }
}
