//! The keys tokens are signed and verified with, by `kid`.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use uuid::Uuid;

use crate::{Claims, Issued, TokenError, TokenType};

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("key {kid}: {reason}")]
    BadKey { kid: String, reason: String },
    #[error("key id {0:?} may hold only letters, digits, '.', '_' and '-' (1 to 64 of them)")]
    BadKid(String),
    #[error("no signing key: {0}")]
    NoSigningKey(String),
}

/// Signing and verification keys by kid, the one active signing key, the issuer and audience
/// tokens carry, and their lifetimes.
#[derive(Clone)]
pub struct Keyring {
    private: HashMap<String, EncodingKey>,
    active: Option<String>,
    verifying: HashMap<String, DecodingKey>,
    issuer: String,
    audience: String,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut kids: Vec<&String> = self.verifying.keys().collect();
        kids.sort();
        f.debug_struct("Keyring")
            .field("active", &self.active)
            .field("verifying", &kids)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

fn check_kid(kid: &str) -> Result<(), KeyringError> {
    let fine = (1..=64).contains(&kid.len()) && kid.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if fine {
        Ok(())
    } else {
        Err(KeyringError::BadKid(kid.to_owned()))
    }
}

/// The label and DER body of a PEM text.
pub(crate) fn pem(kid: &str, text: &str) -> Result<(String, Vec<u8>), KeyringError> {
    let bad = |reason: &str| KeyringError::BadKey { kid: kid.to_owned(), reason: reason.to_owned() };
    let text = text.trim();
    let label = text
        .strip_prefix("-----BEGIN ")
        .and_then(|rest| rest.split_once("-----"))
        .map(|(label, _)| label.to_owned())
        .ok_or_else(|| bad("not a PEM text"))?;
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).map(str::trim).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(body).map_err(|_| bad("PEM body is not base64"))?;
    Ok((label, der))
}

impl Keyring {
    pub fn new(issuer: &str, audience: &str, access_ttl_secs: i64, refresh_ttl_secs: i64) -> Self {
        Keyring {
            private: HashMap::new(),
            active: None,
            verifying: HashMap::new(),
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            access_ttl_secs,
            refresh_ttl_secs,
        }
    }

    /// Adds an Ed25519 key from PEM: a private key (PKCS#8, as `openssl genpkey -algorithm
    /// ed25519` writes it) can sign and verify, a public key (SPKI) only verify.
    pub fn add_pem(&mut self, kid: &str, text: &str) -> Result<(), KeyringError> {
        check_kid(kid)?;
        let (label, der) = pem(kid, text)?;
        let bad = |reason: String| KeyringError::BadKey { kid: kid.to_owned(), reason };
        match label.as_str() {
            "PRIVATE KEY" => self.add_private_der(kid, &der),
            "PUBLIC KEY" => {
                let key = DecodingKey::from_ed_pem(text.as_bytes()).map_err(|e| bad(e.to_string()))?;
                self.verifying.insert(kid.to_owned(), key);
                Ok(())
            }
            other => Err(bad(format!("a PEM {other:?} is neither an Ed25519 private nor public key"))),
        }
    }

    /// Adds a private key given as PKCS#8 DER; its public half verifies.
    pub fn add_private_der(&mut self, kid: &str, pkcs8: &[u8]) -> Result<(), KeyringError> {
        check_kid(kid)?;
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
            .map_err(|e| KeyringError::BadKey { kid: kid.to_owned(), reason: format!("not an Ed25519 key: {e}") })?;
        self.verifying.insert(kid.to_owned(), DecodingKey::from_ed_der(pair.public_key().as_ref()));
        self.private.insert(kid.to_owned(), EncodingKey::from_ed_der(pkcs8));
        Ok(())
    }

    /// Adds a freshly generated key (tests, tools); returns its PKCS#8 DER.
    pub fn add_generated(&mut self, kid: &str) -> Result<Vec<u8>, KeyringError> {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
            .map_err(|_| KeyringError::BadKey { kid: kid.to_owned(), reason: "cannot generate a key".into() })?;
        self.add_private_der(kid, pkcs8.as_ref())?;
        Ok(pkcs8.as_ref().to_vec())
    }

    /// Adds every `<kid>.pem` of a directory (private keys sign and verify, public keys verify).
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), KeyringError> {
        let read = |path: &Path, e| KeyringError::Read { path: path.display().to_string(), source: e };
        let entries = std::fs::read_dir(dir).map_err(|e| read(dir, e))?;
        let mut paths: Vec<std::path::PathBuf> = Vec::new();
        for entry in entries {
            paths.push(entry.map_err(|e| read(dir, e))?.path());
        }
        paths.sort();
        for path in paths {
            let (Some(kid), Some("pem")) =
                (path.file_stem().and_then(|s| s.to_str()), path.extension().and_then(|s| s.to_str()))
            else {
                continue;
            };
            let text = std::fs::read_to_string(&path).map_err(|e| read(&path, e))?;
            self.add_pem(kid, &text)?;
        }
        Ok(())
    }

    /// Makes a private key the one new tokens are signed with; without a kid, the only private
    /// key held.
    pub fn activate(&mut self, kid: Option<&str>) -> Result<(), KeyringError> {
        let kid = match kid {
            Some(kid) if self.private.contains_key(kid) => kid.to_owned(),
            Some(kid) => return Err(KeyringError::NoSigningKey(format!("no private key has kid {kid:?}"))),
            None => {
                let mut kids: Vec<&String> = self.private.keys().collect();
                match kids.pop() {
                    Some(kid) if kids.is_empty() => kid.clone(),
                    Some(_) => {
                        return Err(KeyringError::NoSigningKey(
                            "several private keys are held: name the active one (FERRULE_JWT_ACTIVE_KID)".into(),
                        ))
                    }
                    None => return Err(KeyringError::NoSigningKey("no private key is held".into())),
                }
            }
        };
        self.active = Some(kid);
        Ok(())
    }

    /// The same keyring without its private keys: it verifies as before and signs nothing (for
    /// services that only check tokens).
    pub fn verify_only(mut self) -> Self {
        self.private.clear();
        self.active = None;
        self
    }

    /// Whether any key verifies.
    pub fn is_empty(&self) -> bool {
        self.verifying.is_empty()
    }

    pub fn active_kid(&self) -> Option<&str> {
        self.active.as_deref()
    }

    /// Signs a pair for a login or a refresh: an access token and a refresh token of family `fam`.
    pub fn issue(
        &self,
        now_secs: i64,
        sub: Uuid,
        role: &str,
        company: Option<Uuid>,
        fam: Uuid,
    ) -> Result<Issued, TokenError> {
        let claims = |typ, ttl| Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now_secs,
            exp: now_secs + ttl,
            sub,
            role: role.to_owned(),
            company,
            jti: Uuid::new_v4(),
            fam,
            typ,
        };
        let access = claims(TokenType::Access, self.access_ttl_secs);
        let refresh = claims(TokenType::Refresh, self.refresh_ttl_secs);
        Ok(Issued { access_token: self.sign(&access)?, refresh_token: self.sign(&refresh)?, access, refresh })
    }

    /// Signs any claims with the active key.
    pub fn sign(&self, claims: &Claims) -> Result<String, TokenError> {
        let (kid, key) = self
            .active
            .as_ref()
            .and_then(|kid| self.private.get(kid).map(|key| (kid, key)))
            .ok_or_else(|| TokenError::Signing("this keyring has no active signing key".into()))?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.clone());
        jsonwebtoken::encode(&header, claims, key).map_err(|e| TokenError::Signing(e.to_string()))
    }

    /// Verifies a token of the given type: EdDSA only, a key this keyring holds, the signature,
    /// issuer, audience, expiry and type.
    pub fn verify(&self, token: &str, expected: TokenType) -> Result<Claims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| TokenError::Malformed(e.to_string()))?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::WrongAlgorithm);
        }
        let kid = header.kid.ok_or(TokenError::MissingKeyId)?;
        let key = self.verifying.get(&kid).ok_or(TokenError::UnknownKey(kid))?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        let claims = jsonwebtoken::decode::<Claims>(token, key, &validation)?.claims;
        if claims.typ != expected {
            return Err(TokenError::WrongType { expected, found: claims.typ });
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests;
