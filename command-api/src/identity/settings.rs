//! The identity configuration: token keys and lifetimes, password hashing, the first admin.

use std::path::PathBuf;

use anyhow::Context;
use auth_tokens::{KeyConfig, Keyring};

use super::passwords::{Passwords, OWASP_ITERATIONS, OWASP_MEMORY_KIB};

#[derive(Clone, Debug, clap::Args)]
pub struct AuthConfig {
    /// The token keys, issuer and audience (FERRULE_JWT_*), shared with the query API.
    #[command(flatten)]
    pub keys: KeyConfig,

    /// Lifetime of access tokens, in seconds. Also how long a disabled user's last access token
    /// keeps working.
    #[arg(long, env = "FERRULE_ACCESS_TOKEN_TTL_SECS", default_value_t = 15 * 60)]
    pub access_ttl_secs: u32,

    /// Lifetime of refresh tokens (and of a login without activity), in seconds.
    #[arg(long, env = "FERRULE_REFRESH_TOKEN_TTL_SECS", default_value_t = 30 * 24 * 3600)]
    pub refresh_ttl_secs: u32,

    /// argon2id memory in KiB (at least 19456, OWASP's minimum).
    #[arg(long, env = "FERRULE_ARGON2_MEMORY_KIB", default_value_t = OWASP_MEMORY_KIB)]
    pub argon2_memory_kib: u32,

    /// argon2id iterations (at least 2).
    #[arg(long, env = "FERRULE_ARGON2_ITERATIONS", default_value_t = OWASP_ITERATIONS)]
    pub argon2_iterations: u32,

    /// argon2id lanes.
    #[arg(long, env = "FERRULE_ARGON2_PARALLELISM", default_value_t = 1)]
    pub argon2_parallelism: u32,

    /// Password hashes computed at once at most (each takes the argon2 memory); 0 = one per CPU.
    #[arg(long, env = "FERRULE_HASH_CONCURRENCY", default_value_t = 0)]
    pub hash_concurrency: usize,

    /// Email of the first admin, created at start when no admin exists yet (with
    /// FERRULE_BOOTSTRAP_ADMIN_PASSWORD_FILE). Harmless on later starts and on every replica.
    #[arg(long, env = "FERRULE_BOOTSTRAP_ADMIN_EMAIL", requires = "bootstrap_admin_password_file")]
    pub bootstrap_admin_email: Option<String>,

    /// File holding the first admin's password (its first line). Never a default password.
    #[arg(long, env = "FERRULE_BOOTSTRAP_ADMIN_PASSWORD_FILE", requires = "bootstrap_admin_email")]
    pub bootstrap_admin_password_file: Option<PathBuf>,
}

impl AuthConfig {
    /// The defaults the flags have, with no keys and no first admin (for tools and tests that
    /// build a configuration in code).
    pub fn defaults() -> Self {
        AuthConfig {
            keys: KeyConfig::defaults(),
            access_ttl_secs: 15 * 60,
            refresh_ttl_secs: 30 * 24 * 3600,
            argon2_memory_kib: OWASP_MEMORY_KIB,
            argon2_iterations: OWASP_ITERATIONS,
            argon2_parallelism: 1,
            hash_concurrency: 0,
            bootstrap_admin_email: None,
            bootstrap_admin_password_file: None,
        }
    }

    /// A keyring of this issuer and audience with one freshly generated signing key (tests,
    /// benchmarks: tokens that need not outlive the process).
    pub fn generated_keyring(&self, kid: &str) -> anyhow::Result<Keyring> {
        let mut keyring = self.empty_keyring();
        keyring.add_generated(kid)?;
        keyring.activate(Some(kid))?;
        Ok(keyring)
    }

    fn empty_keyring(&self) -> Keyring {
        self.keys.empty_keyring(self.access_ttl_secs.into(), self.refresh_ttl_secs.into())
    }

    /// The keyring from the configured keys, with an active signing key.
    pub fn keyring(&self) -> anyhow::Result<Keyring> {
        let mut keyring = self.empty_keyring();
        self.keys.add_keys(&mut keyring).context("FERRULE_JWT_KEYS_DIR or FERRULE_JWT_SIGNING_KEY")?;
        keyring.activate(self.keys.jwt_active_kid.as_deref()).context(
            "no token signing key: set FERRULE_JWT_KEYS_DIR to a directory of Ed25519 PEM keys, or \
             FERRULE_JWT_SIGNING_KEY (deploy/local/up makes one)",
        )?;
        Ok(keyring)
    }

    pub fn passwords(&self) -> anyhow::Result<Passwords> {
        Passwords::new(self.argon2_memory_kib, self.argon2_iterations, self.argon2_parallelism, self.hash_concurrency)
    }

    /// The first admin's email and password, when configured.
    pub fn bootstrap_admin(&self) -> anyhow::Result<Option<(String, String)>> {
        let (Some(email), Some(file)) = (&self.bootstrap_admin_email, &self.bootstrap_admin_password_file) else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("FERRULE_BOOTSTRAP_ADMIN_PASSWORD_FILE {}", file.display()))?;
        let password = text.lines().next().unwrap_or_default().to_owned();
        Ok(Some((email.clone(), password)))
    }
}
