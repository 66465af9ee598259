//! What every handler shares.

use std::sync::Arc;

use crate::service::Catalog;

#[derive(Clone)]
pub struct AppState {
    pub catalog: Catalog,
    pub admin_token: Arc<str>,
    pub admin_actor: String,
}
