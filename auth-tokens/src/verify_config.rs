//! Where a service that only checks tokens (the query API) finds the keys: the same variables the
//! command API signs with, so that both read one key directory (or one key variable) and agree on
//! issuer and audience.

use std::fmt;
use std::path::PathBuf;

use crate::{Keyring, KeyringError};

#[derive(Clone, clap::Args)]
pub struct VerifyConfig {
    /// Directory of Ed25519 keys as `<kid>.pem` (the command API's): every key in it verifies;
    /// private keys are used for their public half only.
    #[arg(long, env = "FERRULE_JWT_KEYS_DIR")]
    pub jwt_keys_dir: Option<PathBuf>,

    /// An Ed25519 key as PEM text (the command API's signing key, or its public half); its kid is
    /// FERRULE_JWT_ACTIVE_KID (default `main`).
    #[arg(long, env = "FERRULE_JWT_SIGNING_KEY", hide_env_values = true)]
    pub jwt_signing_key: Option<String>,

    /// The kid of the key given in FERRULE_JWT_SIGNING_KEY.
    #[arg(long, env = "FERRULE_JWT_ACTIVE_KID")]
    pub jwt_active_kid: Option<String>,

    /// `iss` required of the tokens presented.
    #[arg(long, env = "FERRULE_JWT_ISSUER", default_value = "ferrule")]
    pub jwt_issuer: String,

    /// `aud` required of the tokens presented.
    #[arg(long, env = "FERRULE_JWT_AUDIENCE", default_value = "ferrule-api")]
    pub jwt_audience: String,
}

impl fmt::Debug for VerifyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyConfig")
            .field("jwt_keys_dir", &self.jwt_keys_dir)
            .field("jwt_signing_key", &self.jwt_signing_key.as_ref().map(|_| "[redacted]"))
            .field("jwt_active_kid", &self.jwt_active_kid)
            .field("jwt_issuer", &self.jwt_issuer)
            .field("jwt_audience", &self.jwt_audience)
            .finish()
    }
}

impl Default for VerifyConfig {
    fn default() -> Self {
        VerifyConfig::defaults()
    }
}

impl VerifyConfig {
    /// No keys, the default issuer and audience (tests and tools fill in what they need).
    pub fn defaults() -> Self {
        VerifyConfig {
            jwt_keys_dir: None,
            jwt_signing_key: None,
            jwt_active_kid: None,
            jwt_issuer: "ferrule".into(),
            jwt_audience: "ferrule-api".into(),
        }
    }

    /// A keyring that verifies with every configured key and can sign nothing. With no key
    /// configured it is empty, and every token is refused.
    pub fn verifying_keyring(&self) -> Result<Keyring, KeyringError> {
        let mut keyring = Keyring::new(&self.jwt_issuer, &self.jwt_audience, 0, 0);
        if let Some(dir) = &self.jwt_keys_dir {
            keyring.add_dir(dir)?;
        }
        if let Some(pem) = &self.jwt_signing_key {
            keyring.add_pem(self.jwt_active_kid.as_deref().unwrap_or("main"), pem)?;
        }
        Ok(keyring.verify_only())
    }
}
