//! Helpers for tests/tests/security.rs, an attacker's probes: a command API whose signing key the
//! test knows (to forge tokens with its public half), JWTs put together by hand with any header,
//! and requests written on the socket, past what an HTTP client would let through.

use std::time::Duration;

use base64::Engine as _;
use reqwest::StatusCode;
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{admin_url, auth_config, TestApp, KID};

/// A command API as `TestApp::spawn` makes one, and the PKCS#8 DER of its signing key `KID`.
pub async fn with_known_key() -> (TestApp, Vec<u8>) {
    let auth = auth_config();
    let mut keyring = auth.keys.empty_keyring(auth.access_ttl_secs.into(), auth.refresh_ttl_secs.into());
    let pkcs8 = keyring.add_generated(KID).unwrap_or_else(|e| panic!("{e}"));
    keyring.activate(Some(KID)).unwrap_or_else(|e| panic!("{e}"));
    let app = TestApp::spawn_with_keyring(keyring).await;
    (app, pkcs8)
}

/// A query API over a fresh, empty read model that verifies tokens with `keyring` (as the
/// command API's public keys); its base URL.
pub async fn query_api_with_keys(keyring: auth_tokens::Keyring) -> String {
    let options =
        event_store::scratch::fresh_database_from(&admin_url(), "ft_read", &read_store::READ_MIGRATOR, "read")
            .await
            .unwrap_or_else(|e| panic!("cannot create a read database: {e}"));
    let read = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let config = query_api::config::Config {
        read_database_url: String::new().into(),
        write_database_url: None,
        addr: "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
        read_pool_size: 4,
        min_position_wait_ms: 10_000,
        request_timeout_secs: 30,
        redis_url: None,
        cache_prefix: "ferrule".into(),
        revocation_prefix: service_http::revocations::DEFAULT_PREFIX.into(),
        body_limit_bytes: 16 * 1024,
        http: service_http::HttpConfig::unlimited(),
        log_format: Default::default(),
        auth: auth_tokens::KeyConfig::defaults(),
        s3: media_store::testing::test_config(),
    };
    let app =
        query_api::Application::with_keyring(&config, read, None, keyring).await.unwrap_or_else(|e| panic!("{e}"));
    let addr = app.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(app.run_until(std::future::pending()));
    let base = format!("http://{addr}");
    crate::contract::serves(&base, crate::contract::Service::Query);
    base
}

/// The raw 32-byte Ed25519 public key of a PKCS#8 private key.
pub fn public_key(pkcs8: &[u8]) -> Vec<u8> {
    Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8).unwrap_or_else(|e| panic!("{e}")).public_key().as_ref().to_vec()
}

/// The public key as SubjectPublicKeyInfo DER, and as the PEM text a server would publish.
pub fn public_key_forms(pkcs8: &[u8]) -> (Vec<u8>, String) {
    let spki =
        [&[0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00][..], &public_key(pkcs8)].concat();
    let body = base64::engine::general_purpose::STANDARD.encode(&spki);
    (spki, format!("-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n"))
}

pub fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// `header.claims.signature`, the signature made by `sign` over `header.claims`.
pub fn jwt(header: &Value, claims: &Value, sign: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    let input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()));
    let signature = sign(input.as_bytes());
    format!("{input}.{}", b64url(&signature))
}

/// An HMAC-SHA256 signer keyed with `key`.
pub fn hs256(key: &[u8]) -> impl FnOnce(&[u8]) -> Vec<u8> + '_ {
    move |input| ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key), input).as_ref().to_vec()
}

/// An Ed25519 signer with the PKCS#8 key `pkcs8`.
pub fn ed25519(pkcs8: &[u8]) -> impl FnOnce(&[u8]) -> Vec<u8> + '_ {
    move |input| {
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8).unwrap_or_else(|e| panic!("{e}"));
        pair.sign(input).as_ref().to_vec()
    }
}

/// A fresh Ed25519 key of the attacker's own (PKCS#8 DER).
pub fn attackers_key() -> Vec<u8> {
    Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap_or_else(|e| panic!("{e}")).as_ref().to_vec()
}

/// An answer read off the socket: the status and the body as text (`None`: the server closed the
/// connection without an answer).
#[derive(Debug)]
pub struct Wire {
    pub status: StatusCode,
    pub head: String,
    pub body: String,
}

/// Writes `request` (a whole HTTP/1.1 request, `Connection: close`) to the server at `base` and
/// reads what comes back until the server closes; the server may answer before it has read
/// everything, so a failed write is not an error.
pub async fn on_the_wire(base: &str, request: &[u8]) -> Option<Wire> {
    let addr = base.strip_prefix("http://").unwrap_or(base);
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap_or_else(|e| panic!("{e}"));
    let (mut reader, mut writer) = stream.split();
    let write = async {
        let _ = writer.write_all(request).await;
    };
    let mut answer = Vec::new();
    let read = async {
        // A reset after the answer was sent still leaves the answer read so far.
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match reader.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&chunk[..n]),
            }
        }
    };
    let finished = tokio::time::timeout(Duration::from_secs(20), async { tokio::join!(write, read) }).await;
    assert!(finished.is_ok(), "no answer within 20 s");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1).and_then(|code| code.parse::<u16>().ok())?;
    Some(Wire { status: StatusCode::from_u16(status).ok()?, head: head.to_owned(), body: body.to_owned() })
}
