//! Where both services find the token keys, and the issuer and audience they agree on: the
//! command API signs with the active private key and verifies with all; the query API reads the
//! same variables and keeps only the public halves, to verify.

use std::fmt;
use std::path::PathBuf;

use crate::{Keyring, KeyringError};

#[derive(Clone, clap::Args)]
pub struct KeyConfig {
    /// Directory of Ed25519 keys as `<kid>.pem`: private keys (PKCS#8) sign and verify, public keys
    /// verify only (a rotated-out key, kept until its last token expires). The query API uses
    /// each key's public half. Make one with `openssl genpkey -algorithm ed25519 -out keys/$(date +%Y-%m).pem`.
    #[arg(long, env = "FERRULE_JWT_KEYS_DIR")]
    pub jwt_keys_dir: Option<PathBuf>,

    /// An Ed25519 private key as PEM text, for platforms that pass secrets as variables (the query
    /// API may be given its public half); its kid is FERRULE_JWT_ACTIVE_KID (default `main`). Used
    /// with or without FERRULE_JWT_KEYS_DIR.
    #[arg(long, env = "FERRULE_JWT_SIGNING_KEY", hide_env_values = true)]
    pub jwt_signing_key: Option<String>,

    /// An Ed25519 public key as PEM text (`openssl pkey -in jwt.pem -pubout`): what a service that
    /// only verifies (the query API) should be given instead of the private key; its kid is
    /// FERRULE_JWT_ACTIVE_KID (default `main`).
    #[arg(long, env = "FERRULE_JWT_PUBLIC_KEY")]
    pub jwt_public_key: Option<String>,

    /// The kid of the private key new tokens are signed with (needed when several are held), and
    /// of the key given in FERRULE_JWT_SIGNING_KEY.
    #[arg(long, env = "FERRULE_JWT_ACTIVE_KID")]
    pub jwt_active_kid: Option<String>,

    /// `iss` of the tokens issued and required of the tokens presented.
    #[arg(long, env = "FERRULE_JWT_ISSUER", default_value = "ferrule")]
    pub jwt_issuer: String,

    /// `aud` of the tokens issued and required of the tokens presented.
    #[arg(long, env = "FERRULE_JWT_AUDIENCE", default_value = "ferrule-api")]
    pub jwt_audience: String,
}

impl fmt::Debug for KeyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyConfig")
            .field("jwt_keys_dir", &self.jwt_keys_dir)
            .field("jwt_signing_key", &self.jwt_signing_key.as_ref().map(|_| "[redacted]"))
            .field("jwt_public_key", &self.jwt_public_key.is_some())
            .field("jwt_active_kid", &self.jwt_active_kid)
            .field("jwt_issuer", &self.jwt_issuer)
            .field("jwt_audience", &self.jwt_audience)
            .finish()
    }
}

impl Default for KeyConfig {
    fn default() -> Self {
        KeyConfig::defaults()
    }
}

impl KeyConfig {
    /// No keys, the default issuer and audience (tests and tools fill in what they need).
    pub fn defaults() -> Self {
        KeyConfig {
            jwt_keys_dir: None,
            jwt_signing_key: None,
            jwt_public_key: None,
            jwt_active_kid: None,
            jwt_issuer: "ferrule".into(),
            jwt_audience: "ferrule-api".into(),
        }
    }

    /// An empty keyring of this issuer and audience, issuing tokens with these lifetimes.
    pub fn empty_keyring(&self, access_ttl_secs: i64, refresh_ttl_secs: i64) -> Keyring {
        Keyring::new(&self.jwt_issuer, &self.jwt_audience, access_ttl_secs, refresh_ttl_secs)
    }

    /// Adds every configured key to `keyring`: the directory's, then the one given as text.
    pub fn add_keys(&self, keyring: &mut Keyring) -> Result<(), KeyringError> {
        if let Some(dir) = &self.jwt_keys_dir {
            keyring.add_dir(dir)?;
        }
        let kid = self.jwt_active_kid.as_deref().unwrap_or("main");
        if let Some(pem) = &self.jwt_signing_key {
            keyring.add_pem(kid, pem)?;
        }
        if let Some(pem) = &self.jwt_public_key {
            keyring.add_pem(kid, pem)?;
        }
        Ok(())
    }

    /// Whether a private key reached this configuration as text (FERRULE_JWT_SIGNING_KEY): a
    /// service that only verifies should hold the public half (FERRULE_JWT_PUBLIC_KEY) instead,
    /// so that a leak of its environment cannot mint tokens.
    pub fn holds_private_key_text(&self) -> bool {
        self.jwt_signing_key.as_deref().is_some_and(|pem| pem.contains("PRIVATE KEY"))
    }

    /// A keyring that verifies with every configured key and can sign nothing. With no key
    /// configured it is empty, and every token is refused.
    pub fn verifying_keyring(&self) -> Result<Keyring, KeyringError> {
        let mut keyring = self.empty_keyring(0, 0);
        self.add_keys(&mut keyring)?;
        Ok(keyring.verify_only())
    }
}
