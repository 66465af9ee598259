#![allow(clippy::unwrap_used)]

use base64::Engine as _;

use super::*;

const NOW: i64 = 1_900_000_000;

fn ring(kid: &str) -> Keyring {
    let mut ring = Keyring::new("ferrule", "ferrule-api", 900, 86_400);
    ring.add_generated(kid).unwrap();
    ring.activate(None).unwrap();
    ring
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[test]
fn an_issued_pair_verifies_each_as_its_own_type_and_never_as_the_other() {
    let ring = ring("k1");
    let company = Some(Uuid::from_u128(9));
    let issued = ring.issue(now(), Uuid::from_u128(1), "buyer", company, Uuid::from_u128(2)).unwrap();
    let access = ring.verify(&issued.access_token, TokenType::Access).unwrap();
    assert_eq!((access.sub, access.role.as_str(), access.company), (Uuid::from_u128(1), "buyer", company));
    assert_eq!(ring.verify(&issued.refresh_token, TokenType::Refresh).unwrap().fam, Uuid::from_u128(2));
    assert!(matches!(ring.verify(&issued.access_token, TokenType::Refresh), Err(TokenError::WrongType { .. })));
    assert!(matches!(ring.verify(&issued.refresh_token, TokenType::Access), Err(TokenError::WrongType { .. })));
    assert_ne!(issued.access.jti, issued.refresh.jti);
}

#[test]
fn a_token_of_another_key_with_the_same_kid_is_refused() {
    let issued = ring("k1").issue(now(), Uuid::nil(), "admin", None, Uuid::nil()).unwrap();
    assert!(matches!(ring("k1").verify(&issued.access_token, TokenType::Access), Err(TokenError::Invalid(_))));
    assert!(matches!(ring("k2").verify(&issued.access_token, TokenType::Access), Err(TokenError::UnknownKey(_))));
}

#[test]
fn expired_wrong_audience_and_wrong_issuer_tokens_are_refused() {
    let ring = ring("k1");
    let mut claims = ring.issue(now(), Uuid::nil(), "admin", None, Uuid::nil()).unwrap().access;
    let expired = Claims { exp: now() - 60, iat: now() - 960, ..claims.clone() };
    assert!(ring.verify(&ring.sign(&expired).unwrap(), TokenType::Access).is_err());
    claims.aud = "someone-else".into();
    assert!(ring.verify(&ring.sign(&claims).unwrap(), TokenType::Access).is_err());
    claims.aud = "ferrule-api".into();
    claims.iss = "mallory".into();
    assert!(ring.verify(&ring.sign(&claims).unwrap(), TokenType::Access).is_err());
    claims.iss = "ferrule".into();
    assert!(ring.verify(&ring.sign(&claims).unwrap(), TokenType::Access).is_ok());
}

#[test]
fn an_unsigned_alg_none_token_is_refused() {
    let ring = ring("k1");
    let claims = ring.issue(NOW, Uuid::nil(), "admin", None, Uuid::nil()).unwrap().access;
    let b64 = |v: serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let header = b64(serde_json::json!({"alg": "none", "typ": "JWT", "kid": "k1"}));
    let token = format!("{header}.{}.", b64(serde_json::to_value(&claims).unwrap()));
    assert!(matches!(ring.verify(&token, TokenType::Access), Err(TokenError::Malformed(_))));
}

#[test]
fn rotation_keeps_tokens_of_the_old_key_valid_while_new_ones_use_the_new_key() {
    let mut ring = ring("2024-01");
    let old = ring.issue(now(), Uuid::nil(), "ops", None, Uuid::nil()).unwrap();
    ring.add_generated("2024-02").unwrap();
    assert!(ring.activate(None).is_err(), "two private keys and no kid named");
    ring.activate(Some("2024-02")).unwrap();
    let new = ring.issue(now(), Uuid::nil(), "ops", None, Uuid::nil()).unwrap();
    assert_eq!(jsonwebtoken::decode_header(&new.access_token).unwrap().kid.as_deref(), Some("2024-02"));
    assert!(ring.verify(&old.access_token, TokenType::Access).is_ok());
    assert!(ring.verify(&new.access_token, TokenType::Access).is_ok());
}

#[test]
fn keys_load_from_pem_and_bad_kids_are_refused() {
    let der = Keyring::new("i", "a", 1, 1).add_generated("x").unwrap();
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n");
    let mut ring = Keyring::new("i", "a", 60, 60);
    ring.add_pem("main", &pem).unwrap();
    ring.activate(None).unwrap();
    assert_eq!(ring.active_kid(), Some("main"));
    assert!(matches!(ring.add_pem("../etc", &pem), Err(KeyringError::BadKid(_))));
    assert!(ring.add_pem("junk", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----").is_err());
}

#[test]
fn a_verify_only_keyring_checks_tokens_and_signs_none() {
    let ring = ring("k1");
    let issued = ring.issue(now(), Uuid::from_u128(1), "ops", None, Uuid::from_u128(2)).unwrap();
    let checker = ring.clone().verify_only();
    assert_eq!(checker.verify(&issued.access_token, TokenType::Access).unwrap().role, "ops");
    assert!(matches!(checker.sign(&issued.access), Err(TokenError::Signing(_))));
    assert!(!checker.is_empty());
    assert!(crate::KeyConfig::defaults().verifying_keyring().unwrap().is_empty());
}

#[test]
fn a_verifier_given_only_the_public_half_checks_the_signers_tokens() {
    use ring::signature::KeyPair as _;
    let mut signer = Keyring::new("ferrule", "ferrule-api", 60, 60);
    let pkcs8 = signer.add_generated("main").unwrap();
    signer.activate(None).unwrap();
    let public =
        ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8).unwrap().public_key().as_ref().to_vec();
    // SubjectPublicKeyInfo of an Ed25519 key: the algorithm's fixed prefix, then the 32 bytes.
    let spki = [&[0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00][..], &public].concat();
    let body = base64::engine::general_purpose::STANDARD.encode(spki);
    let config = crate::KeyConfig {
        jwt_public_key: Some(format!("-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n")),
        ..crate::KeyConfig::defaults()
    };
    assert!(!config.holds_private_key_text());
    let verifier = config.verifying_keyring().unwrap();
    let issued = signer.issue(now(), Uuid::from_u128(7), "buyer", Some(Uuid::from_u128(8)), Uuid::nil()).unwrap();
    assert_eq!(verifier.verify(&issued.access_token, TokenType::Access).unwrap().sub, Uuid::from_u128(7));
    assert!(matches!(verifier.sign(&issued.access), Err(TokenError::Signing(_))));
    let private = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64::engine::general_purpose::STANDARD.encode(&pkcs8)
    );
    let leaky = crate::KeyConfig { jwt_signing_key: Some(private), ..crate::KeyConfig::defaults() };
    assert!(leaky.holds_private_key_text());
}
