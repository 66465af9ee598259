//! The audit signing key: a dedicated Ed25519 key that signs what the audit trail hands out (the
//! chain's checkpoints and the manifests of exports), so that anyone holding its public half can
//! check that a checkpoint or an export came from this installation unaltered. It is never a
//! token key: rotating or leaking one says nothing of the other.
//!
//! A key is named by its id, the first 16 hex digits of the SHA-256 of its 32-byte public key;
//! every signature travels with that id, so a verifier picks the right public key after a
//! rotation.

use std::fmt;
use std::path::PathBuf;

use base64::Engine as _;
use ring::signature::{Ed25519KeyPair, KeyPair as _, UnparsedPublicKey, ED25519};

use crate::keyring::pem;

/// Where the command API and `ferrule audit` find the audit signing key.
#[derive(Clone, Default, clap::Args)]
pub struct AuditKeyConfig {
    /// The Ed25519 private key (PKCS#8 PEM, `openssl genpkey -algorithm ed25519`) that signs
    /// chain checkpoints and export manifests. Without it (and without
    /// FERRULE_AUDIT_SIGNING_KEY_FILE) nothing is signed and exports carry no signature.
    #[arg(long, env = "FERRULE_AUDIT_SIGNING_KEY", hide_env_values = true)]
    pub audit_signing_key: Option<String>,

    /// A file holding that key, for platforms that mount secrets as files.
    #[arg(long, env = "FERRULE_AUDIT_SIGNING_KEY_FILE", conflicts_with = "audit_signing_key")]
    pub audit_signing_key_file: Option<PathBuf>,
}

impl fmt::Debug for AuditKeyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditKeyConfig")
            .field("audit_signing_key", &self.audit_signing_key.as_ref().map(|_| "[redacted]"))
            .field("audit_signing_key_file", &self.audit_signing_key_file)
            .finish()
    }
}

impl AuditKeyConfig {
    /// The configured signer, if a key is configured.
    pub fn signer(&self) -> Result<Option<AuditSigner>, AuditKeyError> {
        let text = match (&self.audit_signing_key, &self.audit_signing_key_file) {
            (Some(text), _) => text.clone(),
            (None, Some(path)) => std::fs::read_to_string(path)
                .map_err(|e| AuditKeyError::Read { path: path.display().to_string(), reason: e.to_string() })?,
            (None, None) => return Ok(None),
        };
        AuditSigner::from_pem(&text).map(Some)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuditKeyError {
    #[error("cannot read the audit signing key from {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("the audit signing key is not an Ed25519 private key (PKCS#8 PEM): {0}; make one with `openssl genpkey -algorithm ed25519`")]
    BadKey(String),
    #[error("cannot generate an audit signing key")]
    Generate,
}

/// A signature with the id of the key that made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditSignature {
    /// [`key_id`] of the signing key's public half.
    pub key_id: String,
    /// The 64-byte Ed25519 signature.
    pub signature: Vec<u8>,
}

impl AuditSignature {
    /// The signature in standard base64, as exports and the API carry it.
    pub fn base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.signature)
    }
}

/// The audit signing key.
pub struct AuditSigner {
    pair: Ed25519KeyPair,
    key_id: String,
}

impl fmt::Debug for AuditSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditSigner").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

impl AuditSigner {
    /// A signer from a PKCS#8 PEM text.
    pub fn from_pem(text: &str) -> Result<Self, AuditKeyError> {
        let (label, der) = pem("audit", text).map_err(|e| AuditKeyError::BadKey(e.to_string()))?;
        if label != "PRIVATE KEY" {
            return Err(AuditKeyError::BadKey(format!("a PEM {label:?} where a \"PRIVATE KEY\" is needed")));
        }
        Self::from_pkcs8(&der)
    }

    /// A signer from PKCS#8 DER.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, AuditKeyError> {
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(|e| AuditKeyError::BadKey(e.to_string()))?;
        let key_id = key_id(pair.public_key().as_ref());
        Ok(AuditSigner { pair, key_id })
    }

    /// A new random key (tests, `deploy/local/up`); returns the signer and its PKCS#8 PEM text.
    pub fn generate() -> Result<(Self, String), AuditKeyError> {
        let der =
            Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).map_err(|_| AuditKeyError::Generate)?;
        let body = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        let mut text = String::from("-----BEGIN PRIVATE KEY-----\n");
        for line in body.as_bytes().chunks(64) {
            text.push_str(&String::from_utf8_lossy(line));
            text.push('\n');
        }
        text.push_str("-----END PRIVATE KEY-----\n");
        Ok((Self::from_pkcs8(der.as_ref())?, text))
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The 32-byte public key.
    pub fn public_key(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    /// The public key in standard base64, as the API and exports name it.
    pub fn public_key_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.public_key())
    }

    pub fn sign(&self, message: &[u8]) -> AuditSignature {
        AuditSignature { key_id: self.key_id.clone(), signature: self.pair.sign(message).as_ref().to_vec() }
    }
}

/// The id of an Ed25519 public key: the first 16 hex digits of its SHA-256.
pub fn key_id(public_key: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, public_key);
    digest.as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// A 32-byte Ed25519 public key given as a PEM `PUBLIC KEY` (SPKI, as `openssl pkey -pubout`
/// writes it) or as the standard base64 of its 32 bytes (as the API and exports name it).
pub fn parse_public_key(text: &str) -> Option<Vec<u8>> {
    const SPKI_PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
    let body: String = text.lines().filter(|line| !line.starts_with("-----")).map(str::trim).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(body.trim()).ok()?;
    match der.len() {
        32 => Some(der),
        44 if der[..12] == SPKI_PREFIX => Some(der[12..].to_vec()),
        _ => None,
    }
}

/// Whether `signature` is a valid signature of `message` by the 32-byte `public_key`.
pub fn verify(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    UnparsedPublicKey::new(&ED25519, public_key).verify(message, signature).is_ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_signature_verifies_with_its_public_key_and_fails_for_another_message() {
        let (signer, _) = AuditSigner::generate().unwrap();
        let signature = signer.sign(b"chain head 42");
        assert_eq!(signature.key_id, signer.key_id());
        assert_eq!(signature.signature.len(), 64);
        assert!(verify(signer.public_key(), b"chain head 42", &signature.signature));
        assert!(!verify(signer.public_key(), b"chain head 43", &signature.signature));
    }

    #[test]
    fn a_generated_pem_reads_back_as_the_same_key() {
        let (signer, pem) = AuditSigner::generate().unwrap();
        let again = AuditSigner::from_pem(&pem).unwrap();
        assert_eq!(again.key_id(), signer.key_id());
        assert_eq!(again.public_key(), signer.public_key());
        assert_eq!(signer.key_id().len(), 16);
    }

    #[test]
    fn a_public_key_or_garbage_is_refused_with_what_to_do() {
        let spki = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";
        let error = AuditSigner::from_pem(spki).unwrap_err().to_string();
        assert!(error.contains("PRIVATE KEY") && error.contains("openssl genpkey"), "{error}");
        assert!(AuditSigner::from_pem("not a key").is_err());
    }

    #[test]
    fn the_debug_form_never_shows_the_key() {
        let (_, pem) = AuditSigner::generate().unwrap();
        let config = AuditKeyConfig { audit_signing_key: Some(pem.clone()), audit_signing_key_file: None };
        assert!(!format!("{config:?}").contains(pem.lines().nth(1).unwrap()));
        assert!(config.signer().unwrap().is_some());
        assert!(AuditKeyConfig::default().signer().unwrap().is_none());
    }
}
