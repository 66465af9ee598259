//! What every handler shares.

use std::sync::Arc;

use auth_tokens::Keyring;
use axum::extract::FromRef;
use media_store::MediaStore;
use service_http::revocations::Revocations;
use sqlx::PgPool;

use crate::freshness::Freshness;
use crate::search::Caches;

#[derive(Clone)]
pub struct AppState {
    /// The read database: every answer comes from here.
    pub read: PgPool,
    /// The write database, when configured: only the health check reads it, to report lag.
    pub write: Option<PgPool>,
    pub freshness: Freshness,
    /// What searches keep in memory: filterable attributes per scope, synonyms, lexicon.
    pub search: Caches,
    /// Verifies access tokens (the command API's public keys); signs nothing.
    pub keyring: Arc<Keyring>,
    /// Tokens whose rights were revoked since they were issued (`service_http::revocations`).
    pub revocations: Revocations,
    /// The media bucket: URLs of media and presigned downloads (it only signs; no request is
    /// sent to S3 to answer).
    pub media: MediaStore,
}

impl service_http::caller::Verifier for AppState {
    fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    fn revocations(&self) -> Option<&Revocations> {
        Some(&self.revocations)
    }
}

impl FromRef<AppState> for Freshness {
    fn from_ref(state: &AppState) -> Self {
        state.freshness.clone()
    }
}
