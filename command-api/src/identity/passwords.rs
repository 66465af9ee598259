//! Password hashing: argon2id with configured parameters (at least OWASP's m=19 MiB, t=2, p=1), on
//! blocking threads, at most `concurrency` at a time so that a burst of logins queues instead of
//! taking `burst × m` of memory.
//!
//! Timing: a login for an unknown (or malformed) email verifies the password against a dummy hash
//! made at start with the current parameters, so it costs what a wrong password costs.

use std::sync::Arc;

use anyhow::Context;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use domain::identity::PasswordHash;
use ring::rand::SecureRandom;
use tokio::sync::Semaphore;

pub const OWASP_MEMORY_KIB: u32 = 19 * 1024;
pub const OWASP_ITERATIONS: u32 = 2;

/// What checking a password found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub matches: bool,
    /// The stored hash was made with other parameters (or another algorithm) than configured now.
    pub outdated: bool,
}

#[derive(Clone)]
pub struct Passwords {
    params: Params,
    permits: Arc<Semaphore>,
    dummy: Arc<str>,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords").field("params", &self.params).finish_non_exhaustive()
    }
}

fn hasher(params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_now(params: Params, password: &[u8]) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut salt).map_err(|_| anyhow::anyhow!("no randomness for a salt"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let hash = hasher(params).hash_password(password, &salt).map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
    Ok(hash.to_string())
}

impl Passwords {
    /// Refuses parameters below OWASP's minimum; `concurrency` 0 means one per CPU.
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32, concurrency: usize) -> anyhow::Result<Self> {
        anyhow::ensure!(
            memory_kib >= OWASP_MEMORY_KIB && iterations >= OWASP_ITERATIONS && parallelism >= 1,
            "argon2 parameters m={memory_kib} KiB, t={iterations}, p={parallelism} are below OWASP's minimum \
             (m={OWASP_MEMORY_KIB}, t={OWASP_ITERATIONS}, p=1)"
        );
        let params = Params::new(memory_kib, iterations, parallelism, None)
            .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
        let concurrency =
            if concurrency == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { concurrency };
        let dummy = hash_now(params.clone(), b"not anyone's password").context("making the dummy hash")?;
        Ok(Passwords { params, permits: Arc::new(Semaphore::new(concurrency)), dummy: Arc::from(dummy) })
    }

    /// Runs one hashing job on a blocking thread once a permit is free.
    async fn bounded<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let permit = self.permits.clone().acquire_owned().await.context("the hashing semaphore is closed")?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job()
        })
        .await
        .context("a hashing task failed")?
    }

    pub async fn hash(&self, password: String) -> anyhow::Result<PasswordHash> {
        let params = self.params.clone();
        self.bounded(move || hash_now(params, password.as_bytes())).await.map(PasswordHash)
    }

    /// Checks a password against a stored hash, or against the dummy hash when there is none.
    pub async fn verify(&self, stored: Option<&PasswordHash>, password: String) -> anyhow::Result<Verdict> {
        let known = stored.is_some();
        let phc: String = stored.map_or_else(|| self.dummy.to_string(), |h| h.0.clone());
        let params = self.params.clone();
        self.bounded(move || {
            let parsed =
                argon2::password_hash::PasswordHash::new(&phc).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
            // Verifies with the hash's own algorithm and parameters.
            let matches = hasher(params.clone()).verify_password(password.as_bytes(), &parsed).is_ok();
            let outdated = parsed.algorithm != Algorithm::Argon2id.ident()
                || parsed.version != Some(Version::V0x13.into())
                || Params::try_from(&parsed).map_or(true, |p| {
                    (p.m_cost(), p.t_cost(), p.p_cost()) != (params.m_cost(), params.t_cost(), params.p_cost())
                });
            Ok(Verdict { matches: known && matches, outdated })
        })
        .await
    }
}
