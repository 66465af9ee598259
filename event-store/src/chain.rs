//! The hash chain over the global order (write migration 0014): each event's canonical bytes,
//! the chain's links, its head (which exports and `GET /v1/audit/chain/head` name) and its signed
//! checkpoints, so that a copy of the trail can be checked against it later.
//!
//! # The chain
//!
//! ```text
//! hash(0) = 32 zero bytes
//! hash(n) = SHA-256( hash(n-1) || canonical_bytes(event n) )     n = 1, 2, … in position order
//! ```
//!
//! # Canonical bytes of an event (layout version 1)
//!
//! All integers are big-endian two's complement. A *string* is its UTF-8 length as an unsigned
//! 32-bit integer followed by its UTF-8 bytes. A *uuid* is its 16 bytes in RFC 4122 order.
//!
//! | field            | encoding                                                          |
//! |------------------|-------------------------------------------------------------------|
//! | tag              | the string `ferrule.event.v1` (4-byte length 16, then 16 bytes)   |
//! | position         | i64                                                               |
//! | event_id         | uuid                                                              |
//! | stream_id        | uuid                                                              |
//! | stream_type      | string                                                            |
//! | version          | i64                                                               |
//! | event_type       | string                                                            |
//! | schema_version   | i16                                                               |
//! | payload          | string: the payload's canonical JSON (below)                      |
//! | actor_id         | string                                                            |
//! | actor_role       | string                                                            |
//! | request_id       | string                                                            |
//! | correlation_id   | uuid                                                              |
//! | causation_id     | one byte 0 when absent; one byte 1 then the uuid when present     |
//! | recorded_at      | i64: microseconds since 1970-01-01T00:00:00Z                      |
//!
//! # Canonical JSON
//!
//! The payload as PostgreSQL's JSONB returns it, written without any whitespace: object members
//! sorted by their keys' UTF-8 bytes; `null`, `true`, `false`; integers (those that fit 64 bits)
//! in plain decimal, other numbers as the shortest decimal that reads back as the same IEEE-754
//! double (`0.1`, `1.5e-7`, `1e21`); strings in double quotes, escaping `"` as `\"`, `\` as `\\`,
//! U+0008, U+0009, U+000A, U+000C, U+000D as `\b \t \n \f \r`, every other character below
//! U+0020 as `\u00XX` (lower-case hex), and nothing else (non-ASCII stays UTF-8).
//!
//! `canonical_bytes_match_the_documented_test_vector` below is a test vector: its event's 224
//! canonical bytes link from the genesis hash to
//! `ea6848faeeea3a9e9dd0015805f0edc6383acedd038fe99dcc5ab0c47d9a3c5a`.
//!
//! # Checkpoints
//!
//! A checkpoint names a chained position, its seq and hash, when it was signed and by which key.
//! The signature is Ed25519 over [`checkpoint_message`]: the UTF-8 text
//!
//! ```text
//! ferrule.chain.checkpoint.v1
//! position=<decimal>
//! seq=<decimal>
//! hash=<64 lower-case hex digits>
//! signed_at_us=<decimal microseconds since the Unix epoch>
//! key_id=<the key id>
//! ```
//!
//! each line ending with `\n`.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::PgExecutor;

use crate::{EventStore, StoredEvent};

/// The hash before the first event.
pub const GENESIS: [u8; 32] = [0; 32];

/// How far the chain reaches: the last chained position, its hash, and how many events the
/// chain covers up to it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChainHead {
    /// The global position of the last chained event.
    pub position: i64,
    /// The chain's SHA-256 at that position, as 64 lower-case hex digits.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9a-f]{64}$"))]
    pub hash: String,
    /// How many events the chain covers, up to and including that position.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub event_count: i64,
}

/// One chain row: a position, its 1-based seq and its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub position: i64,
    pub seq: i64,
    pub hash: [u8; 32],
}

/// A stored checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub position: i64,
    pub seq: i64,
    pub hash: [u8; 32],
    pub signed_at: DateTime<Utc>,
    pub key_id: Option<String>,
    pub signature: Option<Vec<u8>>,
}

/// The canonical bytes of an event (layout in the module documentation), appended to `out`.
pub fn canonical_bytes(event: &StoredEvent, out: &mut Vec<u8>) {
    string(out, "ferrule.event.v1");
    out.extend_from_slice(&event.position.to_be_bytes());
    out.extend_from_slice(event.event_id.as_bytes());
    out.extend_from_slice(event.stream_id.as_bytes());
    string(out, &event.stream_type);
    out.extend_from_slice(&event.version.to_be_bytes());
    string(out, &event.event_type);
    out.extend_from_slice(&event.schema_version.to_be_bytes());
    let length_at = out.len();
    out.extend_from_slice(&[0; 4]);
    canonical_json(&event.payload, out);
    let length = u32::try_from(out.len() - length_at - 4).unwrap_or(u32::MAX);
    out[length_at..length_at + 4].copy_from_slice(&length.to_be_bytes());
    string(out, &event.actor_id);
    string(out, &event.actor_role);
    string(out, &event.request_id);
    out.extend_from_slice(event.correlation_id.as_bytes());
    match event.causation_id {
        None => out.push(0),
        Some(id) => {
            out.push(1);
            out.extend_from_slice(id.as_bytes());
        }
    }
    out.extend_from_slice(&event.recorded_at.timestamp_micros().to_be_bytes());
}

fn string(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&u32::try_from(text.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(text.as_bytes());
}

/// The canonical JSON of a value (see the module documentation), appended to `out`.
pub fn canonical_json(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => out.extend_from_slice(number.to_string().as_bytes()),
        Value::String(text) => json_string(text, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical_json(item, out);
            }
            out.push(b']');
        }
        Value::Object(members) => {
            let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
            sorted.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (key, item)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                json_string(key, out);
                out.push(b':');
                canonical_json(item, out);
            }
            out.push(b'}');
        }
    }
}

fn json_string(text: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0a => b"\\n",
            0x0c => b"\\f",
            0x0d => b"\\r",
            0x00..=0x1f => &[],
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ]);
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// `SHA-256(previous || canonical)`.
pub fn link_hash(previous: &[u8; 32], canonical: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    hasher.update(canonical);
    hasher.finalize().into()
}

/// Chains `events` (in position order) after `previous` (`None`: from the start): the links to
/// record. `scratch` is reused between calls for the canonical bytes.
pub fn chain_events(previous: Option<&Link>, events: &[StoredEvent], scratch: &mut Vec<u8>) -> Vec<Link> {
    let (mut seq, mut hash) = previous.map_or((0, GENESIS), |link| (link.seq, link.hash));
    events
        .iter()
        .map(|event| {
            scratch.clear();
            canonical_bytes(event, scratch);
            hash = link_hash(&hash, scratch);
            seq += 1;
            Link { position: event.position, seq, hash }
        })
        .collect()
}

/// The text a checkpoint's signature covers (see the module documentation).
pub fn checkpoint_message(position: i64, seq: i64, hash: &[u8; 32], signed_at: DateTime<Utc>, key_id: &str) -> Vec<u8> {
    format!(
        "ferrule.chain.checkpoint.v1\nposition={position}\nseq={seq}\nhash={}\nsigned_at_us={}\nkey_id={key_id}\n",
        hex::encode(hash),
        signed_at.timestamp_micros()
    )
    .into_bytes()
}

/// A timestamp cut to the microseconds PostgreSQL keeps, so what is signed is what is stored.
pub fn to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

fn hash32(bytes: &[u8]) -> [u8; 32] {
    let mut hash = [0; 32];
    if bytes.len() == 32 {
        hash.copy_from_slice(bytes);
    }
    hash
}

impl EventStore {
    /// The chain's head; `None` while nothing is chained yet.
    pub async fn chain_head(executor: impl PgExecutor<'_>) -> Result<Option<ChainHead>, sqlx::Error> {
        Ok(Self::last_link(executor).await?.map(|link| ChainHead {
            position: link.position,
            hash: hex::encode(link.hash),
            event_count: link.seq,
        }))
    }

    /// The chain's last link; `None` while nothing is chained yet.
    pub async fn last_link(executor: impl PgExecutor<'_>) -> Result<Option<Link>, sqlx::Error> {
        let row = sqlx::query!("SELECT position, seq, hash FROM event_chain ORDER BY seq DESC LIMIT 1")
            .fetch_optional(executor)
            .await?;
        Ok(row.map(|row| Link { position: row.position, seq: row.seq, hash: hash32(&row.hash) }))
    }

    /// Records links (one statement).
    pub async fn insert_links(executor: impl PgExecutor<'_>, links: &[Link]) -> Result<(), sqlx::Error> {
        let positions: Vec<i64> = links.iter().map(|l| l.position).collect();
        let seqs: Vec<i64> = links.iter().map(|l| l.seq).collect();
        let hashes: Vec<Vec<u8>> = links.iter().map(|l| l.hash.to_vec()).collect();
        sqlx::query!(
            "INSERT INTO event_chain (position, seq, hash) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[])",
            &positions,
            &seqs,
            &hashes
        )
        .execute(executor)
        .await?;
        Ok(())
    }

    /// Records a checkpoint of `link`, signed when `signature` (key id, signature) is given.
    pub async fn insert_checkpoint(
        executor: impl PgExecutor<'_>,
        link: &Link,
        signed_at: DateTime<Utc>,
        signature: Option<(String, Vec<u8>)>,
    ) -> Result<(), sqlx::Error> {
        let (key_id, signature) = signature.unzip();
        sqlx::query!(
            "INSERT INTO chain_checkpoints (position, seq, hash, signed_at, key_id, signature) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            link.position,
            link.seq,
            &link.hash[..],
            signed_at,
            key_id,
            signature
        )
        .execute(executor)
        .await?;
        Ok(())
    }

    /// Up to `limit` checkpoints after `after_position`, in position order.
    pub async fn checkpoints(
        executor: impl PgExecutor<'_>,
        after_position: i64,
        limit: i64,
    ) -> Result<Vec<Checkpoint>, sqlx::Error> {
        let rows = sqlx::query!(
            "SELECT position, seq, hash, signed_at, key_id, signature FROM chain_checkpoints \
              WHERE position > $1 ORDER BY position LIMIT $2",
            after_position,
            limit
        )
        .fetch_all(executor)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| Checkpoint {
                position: row.position,
                seq: row.seq,
                hash: hash32(&row.hash),
                signed_at: row.signed_at,
                key_id: row.key_id,
                signature: row.signature,
            })
            .collect())
    }

    /// The latest checkpoint, signed or not.
    pub async fn latest_checkpoint(executor: impl PgExecutor<'_>) -> Result<Option<Checkpoint>, sqlx::Error> {
        let row = sqlx::query!(
            "SELECT position, seq, hash, signed_at, key_id, signature FROM chain_checkpoints \
              ORDER BY position DESC LIMIT 1"
        )
        .fetch_optional(executor)
        .await?;
        Ok(row.map(|row| Checkpoint {
            position: row.position,
            seq: row.seq,
            hash: hash32(&row.hash),
            signed_at: row.signed_at,
            key_id: row.key_id,
            signature: row.signature,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use uuid::Uuid;

    fn sample() -> StoredEvent {
        StoredEvent {
            position: 65536,
            event_id: Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
            stream_id: Uuid::from_u128(1),
            stream_type: "product".into(),
            version: 1,
            event_type: "ProductCreated".into(),
            schema_version: 1,
            payload: json!({"name": "Bolt \"M12\"", "b": [1, 2.5, null, true], "a": {"z": "\n", "y": "é"}}),
            actor_id: "admin".into(),
            actor_role: "admin".into(),
            request_id: "req-1".into(),
            correlation_id: Uuid::from_u128(2),
            causation_id: None,
            recorded_at: DateTime::from_timestamp_micros(1_767_225_600_000_001).unwrap_or_default(),
        }
    }

    #[test]
    fn canonical_json_sorts_keys_and_drops_whitespace() {
        let mut out = Vec::new();
        canonical_json(&sample().payload, &mut out);
        assert_eq!(
            String::from_utf8_lossy(&out),
            r#"{"a":{"y":"é","z":"\n"},"b":[1,2.5,null,true],"name":"Bolt \"M12\""}"#
        );
        let mut out = Vec::new();
        canonical_json(&json!("\u{1}\t/"), &mut out);
        assert_eq!(out, br#""\u0001\t/""#);
    }

    #[test]
    fn canonical_bytes_match_the_documented_test_vector() {
        let mut out = Vec::new();
        canonical_bytes(&sample(), &mut out);
        let payload = r#"{"a":{"y":"é","z":"\n"},"b":[1,2.5,null,true],"name":"Bolt \"M12\""}"#;
        let mut expected = Vec::new();
        expected.extend_from_slice(&[0, 0, 0, 16]);
        expected.extend_from_slice(b"ferrule.event.v1");
        expected.extend_from_slice(&[0, 0, 0, 0, 0, 1, 0, 0]);
        expected.extend_from_slice(&0x0123_4567_89ab_cdef_0123_4567_89ab_cdef_u128.to_be_bytes());
        expected.extend_from_slice(&1_u128.to_be_bytes());
        expected.extend_from_slice(&[0, 0, 0, 7]);
        expected.extend_from_slice(b"product");
        expected.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
        expected.extend_from_slice(&[0, 0, 0, 14]);
        expected.extend_from_slice(b"ProductCreated");
        expected.extend_from_slice(&[0, 1]);
        expected.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        expected.extend_from_slice(payload.as_bytes());
        expected.extend_from_slice(&[0, 0, 0, 5]);
        expected.extend_from_slice(b"admin");
        expected.extend_from_slice(&[0, 0, 0, 5]);
        expected.extend_from_slice(b"admin");
        expected.extend_from_slice(&[0, 0, 0, 5]);
        expected.extend_from_slice(b"req-1");
        expected.extend_from_slice(&2_u128.to_be_bytes());
        expected.push(0);
        expected.extend_from_slice(&1_767_225_600_000_001_i64.to_be_bytes());
        assert_eq!(out, expected);
        // The test vector's link from the genesis hash, for re-implementations (224 bytes;
        // computed independently from the layout above).
        assert_eq!(out.len(), 224);
        assert_eq!(
            hex::encode(link_hash(&GENESIS, &out)),
            "ea6848faeeea3a9e9dd0015805f0edc6383acedd038fe99dcc5ab0c47d9a3c5a"
        );
    }

    #[test]
    fn a_changed_payload_or_order_changes_the_chain() {
        let (a, mut b) = (sample(), sample());
        b.position = 131072;
        let mut scratch = Vec::new();
        let straight = chain_events(None, &[a.clone(), b.clone()], &mut scratch);
        let swapped = chain_events(None, &[b.clone(), a.clone()], &mut scratch);
        assert_ne!(straight[1].hash, swapped[1].hash);
        b.payload["name"] = json!("Bolt M10");
        let altered = chain_events(None, &[a, b], &mut scratch);
        assert_eq!(straight[0], altered[0]);
        assert_ne!(straight[1].hash, altered[1].hash);
        assert_eq!(altered[1].seq, 2);
    }
}
