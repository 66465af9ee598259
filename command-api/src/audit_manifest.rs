//! The manifest of an audit export (`GET /v1/audit/export`) and how to check one: the export is
//! NDJSON, one event per line, then one line `{"manifest": {...}}` holding the SHA-256 of every
//! byte before that line and an Ed25519 signature over the manifest's canonical bytes.
//!
//! Canonical bytes: the manifest object without its `signature` field, as JSON with the keys of
//! every object sorted and no whitespace. The server signs them and `check` (used by
//! `ferrule audit export --check`) recomputes them from the parsed line.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use event_store::ChainHead;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// The last line of an export, under the key `manifest`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Manifest {
    /// The filter the export was taken with (the query's parameters).
    #[schema(value_type = Object)]
    pub filter: Value,
    pub event_count: i64,
    pub first_position: Option<i64>,
    pub last_position: Option<i64>,
    /// The export covers positions below this one: every transaction below it had ended.
    pub horizon: i64,
    /// SHA-256 (64 lower-case hex digits) of every byte of the export before the manifest line.
    pub sha256: String,
    /// The hash chain's head when the export was taken (`null` while nothing is chained).
    pub chain_head: Option<ChainHeadRef>,
    pub generated_at: DateTime<Utc>,
    /// The signing key's id (`null`: the installation has no audit key, nothing is signed).
    pub key_id: Option<String>,
    /// The signing key's 32-byte Ed25519 public key, base64.
    pub public_key: Option<String>,
    /// The Ed25519 signature (base64) of the manifest's canonical bytes (see the module doc).
    pub signature: Option<String>,
}

/// The chain head as a manifest carries it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ChainHeadRef {
    pub position: i64,
    pub hash: String,
    pub event_count: i64,
}

impl From<ChainHead> for ChainHeadRef {
    fn from(head: ChainHead) -> Self {
        ChainHeadRef { position: head.position, hash: head.hash, event_count: head.event_count }
    }
}

/// `value` as canonical JSON: object keys sorted, no whitespace — the encoding the hash chain
/// uses for payloads (`event_store::chain::canonical_json`).
pub fn canonical(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    event_store::chain::canonical_json(value, &mut out);
    out
}

/// The bytes a manifest's signature covers.
pub fn signed_bytes(manifest: &Manifest) -> Result<Vec<u8>, serde_json::Error> {
    let mut value = serde_json::to_value(manifest)?;
    if let Value::Object(map) = &mut value {
        map.remove("signature");
    }
    Ok(canonical(&value))
}

/// Fills in the key id, public key and signature (nothing without a signer).
pub fn sign(manifest: &mut Manifest, signer: Option<&auth_tokens::AuditSigner>) -> Result<(), serde_json::Error> {
    let Some(signer) = signer else { return Ok(()) };
    manifest.key_id = Some(signer.key_id().to_owned());
    manifest.public_key = Some(signer.public_key_base64());
    manifest.signature = None;
    let signature = signer.sign(&signed_bytes(manifest)?);
    manifest.signature = Some(signature.base64());
    Ok(())
}

/// What checking an export found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub event_count: i64,
    pub key_id: String,
    pub sha256: String,
}

/// Why an export does not check.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    #[error("the file has no manifest line at its end")]
    NoManifest,
    #[error("the manifest line is not a manifest: {0}")]
    BadManifest(String),
    #[error("the events hash to {actual}, the manifest says {expected}: the file was altered")]
    HashMismatch { expected: String, actual: String },
    #[error("the manifest counts {expected} events, the file has {actual} lines before it")]
    CountMismatch { expected: i64, actual: i64 },
    #[error("the export is not signed (the installation had no audit key)")]
    Unsigned,
    #[error("the manifest is signed by another key ({0}) than the one given")]
    OtherKey(String),
    #[error("the signature does not verify: the manifest was altered or signed by another key")]
    BadSignature,
}

/// Checks a whole saved export against `public_key` (32 bytes): the hash of the events, their
/// count, and the manifest's signature.
pub fn check(export: &[u8], public_key: &[u8]) -> Result<Checked, CheckError> {
    let body = export.strip_suffix(b"\n").unwrap_or(export);
    let start = body.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let (events, line) = export.split_at(start);
    #[derive(Deserialize)]
    struct Line {
        manifest: Manifest,
    }
    let manifest = serde_json::from_slice::<Line>(line).map_err(|e| match start {
        0 if line.is_empty() => CheckError::NoManifest,
        _ => CheckError::BadManifest(e.to_string()),
    })?;
    let manifest = manifest.manifest;
    let actual = hex::encode(Sha256::digest(events));
    if actual != manifest.sha256 {
        return Err(CheckError::HashMismatch { expected: manifest.sha256, actual });
    }
    let lines = events.iter().filter(|b| **b == b'\n').count() as i64;
    if lines != manifest.event_count {
        return Err(CheckError::CountMismatch { expected: manifest.event_count, actual: lines });
    }
    let (Some(key_id), Some(signature)) = (manifest.key_id.clone(), manifest.signature.clone()) else {
        return Err(CheckError::Unsigned);
    };
    if key_id != auth_tokens::audit_signer::key_id(public_key) {
        return Err(CheckError::OtherKey(key_id));
    }
    let signature =
        base64::engine::general_purpose::STANDARD.decode(signature).map_err(|_| CheckError::BadSignature)?;
    let bytes = signed_bytes(&manifest).map_err(|e| CheckError::BadManifest(e.to_string()))?;
    if !auth_tokens::audit_signer::verify(public_key, &bytes, &signature) {
        return Err(CheckError::BadSignature);
    }
    Ok(Checked { event_count: manifest.event_count, key_id, sha256: actual })
}

/// A public key given as base64 of its 32 bytes, or as a PEM `PUBLIC KEY` (SPKI).
pub use auth_tokens::audit_signer::parse_public_key;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn canonical_bytes_sort_keys_at_every_depth() {
        let value = serde_json::json!({"b": 1, "a": {"d": [true, null], "c": "x"}});
        assert_eq!(canonical(&value), br#"{"a":{"c":"x","d":[true,null]},"b":1}"#);
    }

    fn export(signer: &auth_tokens::AuditSigner) -> Vec<u8> {
        let events = b"{\"position\":1}\n{\"position\":2}\n".to_vec();
        let mut manifest = Manifest {
            filter: serde_json::json!({"actor": "a"}),
            event_count: 2,
            first_position: Some(1),
            last_position: Some(2),
            horizon: 3,
            sha256: hex::encode(Sha256::digest(&events)),
            chain_head: None,
            generated_at: Utc::now(),
            key_id: None,
            public_key: None,
            signature: None,
        };
        sign(&mut manifest, Some(signer)).unwrap();
        let mut out = events;
        out.extend(serde_json::to_vec(&serde_json::json!({ "manifest": manifest })).unwrap());
        out.push(b'\n');
        out
    }

    #[test]
    fn an_export_checks_and_one_altered_byte_breaks_it() {
        let (signer, _) = auth_tokens::AuditSigner::generate().unwrap();
        let good = export(&signer);
        assert_eq!(check(&good, signer.public_key()).unwrap().event_count, 2);
        let mut altered = good.clone();
        altered[13] = b'3';
        assert!(matches!(check(&altered, signer.public_key()), Err(CheckError::HashMismatch { .. })));
        let text = String::from_utf8(good).unwrap().replace("\"event_count\":2", "\"event_count\":3");
        assert!(check(text.as_bytes(), signer.public_key()).is_err());
        let (other, _) = auth_tokens::AuditSigner::generate().unwrap();
        assert!(matches!(check(&export(&signer), other.public_key()), Err(CheckError::OtherKey(_))));
    }
}
