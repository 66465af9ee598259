//! Ferrule's signed tokens (and, in [`AuditSigner`], the key that signs audit checkpoints and
//! exports): short-lived access tokens and long-lived refresh tokens, as JWTs signed
//! with EdDSA (Ed25519).
//!
//! The algorithm is pinned to EdDSA: a token naming any other algorithm (`none`, `HS256`, …) is
//! refused before its signature is looked at, and verifying needs only public keys, so the query
//! API can check access tokens without holding anything that could sign one. Every token names
//! its key in the header (`kid`); the keyring signs with one active key and verifies with any key
//! it holds, so a new key is rolled out verify-only first, then made active, and the old one kept
//! verify-only until the last token it signed has expired — nobody is logged out.

pub mod audit_signer;
mod claims;
mod key_config;
mod keyring;

pub use audit_signer::{AuditKeyConfig, AuditKeyError, AuditSignature, AuditSigner};
pub use claims::{Claims, Issued, TokenType};
pub use key_config::KeyConfig;
pub use keyring::{Keyring, KeyringError};

/// Why a token was refused. Callers answer every one of these the same way (401); the variant is
/// for logs and tests.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed: {0}")]
    Malformed(String),
    #[error("the token names key {0:?}, which this keyring does not hold")]
    UnknownKey(String),
    #[error("the token has no key id")]
    MissingKeyId,
    #[error("the token is not signed with EdDSA")]
    WrongAlgorithm,
    #[error("the token is a {found} token where a {expected} token is required")]
    WrongType { expected: TokenType, found: TokenType },
    #[error("the token was refused: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    #[error("the token could not be signed: {0}")]
    Signing(String),
}
