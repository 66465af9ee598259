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
    pub media: MediaState,
    /// The audit signing key (FERRULE_AUDIT_SIGNING_KEY): signs export manifests and chain
    /// checkpoints; its public half is served with them.
    pub audit_signer: Option<std::sync::Arc<auth_tokens::AuditSigner>>,
}

/// The media bucket and what the upload handlers need of the media settings.
#[derive(Clone)]
pub struct MediaState {
    pub store: media_store::MediaStore,
    /// How long a presigned upload URL stays valid.
    pub upload_expiry: std::time::Duration,
    /// Wakes a variant worker when a completion queued a job.
    pub variants: std::sync::Arc<tokio::sync::Notify>,
}

impl service_http::caller::Verifier for AppState {
    fn keyring(&self) -> &auth_tokens::Keyring {
        &self.identity.keyring
    }
}
