//! Verifying the hash chain: walks the events and the chain side by side in position order
//! (batched, keyset-paged), recomputes every link from the genesis hash, checks every checkpoint
//! against the chain and its signature, and names the first broken link.

use std::collections::{HashMap, VecDeque};

use serde::Serialize;
use sqlx::PgPool;

use crate::chain::{canonical_bytes, checkpoint_message, link_hash, Checkpoint, Link, GENESIS};
use crate::{EventStore, StoredEvent};

/// What is wrong at the first broken link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Break {
    /// The event at this position is not what was chained: its payload or metadata changed.
    PayloadAltered,
    /// The chain covers a position that no event holds any more.
    EventMissing,
    /// The event chained at this position now stands at another one (rows were reordered).
    OrderChanged,
    /// A chain row is missing (the seqs jump), or the chain's positions go backwards.
    ChainRowMissing,
    /// An event below the chain head was never chained (inserted behind the chainer's back).
    EventNotChained,
    /// A checkpoint names a position, seq or hash the chain does not have there.
    CheckpointMismatch,
    /// A checkpoint's signature does not verify with the public key given.
    CheckpointSignatureInvalid,
}

impl Break {
    pub fn describe(self) -> &'static str {
        match self {
            Break::PayloadAltered => "payload altered: the event differs from what was chained",
            Break::EventMissing => "event missing: the chain covers a position no event holds",
            Break::OrderChanged => "order changed: the event chained here now stands at another position",
            Break::ChainRowMissing => "chain row missing: the chain's seqs jump or its positions go backwards",
            Break::EventNotChained => "event not chained: an event below the chain head is not in the chain",
            Break::CheckpointMismatch => "checkpoint mismatch: a checkpoint disagrees with the chain",
            Break::CheckpointSignatureInvalid => "checkpoint signature invalid",
        }
    }
}

/// The first broken link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    pub position: i64,
    /// The chain seq expected there.
    pub seq: i64,
    pub what: Break,
    pub detail: String,
}

/// What a verification found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Verification {
    /// Events whose link was recomputed and matched.
    pub events: u64,
    /// Checkpoints checked against the chain (and signatures, when a key was given).
    pub checkpoints: u64,
    /// Checkpoint signatures checked.
    pub signatures: u64,
    /// The chain head verified up to (position, seq).
    pub head: Option<(i64, i64)>,
    /// Bytes hashed (canonical bytes), for throughput figures.
    pub bytes: u64,
    pub broken: Option<BrokenLink>,
}

#[derive(Clone, Copy, Debug)]
pub struct VerifyOptions<'a> {
    /// Events and chain rows read per page.
    pub batch: i64,
    /// The audit key's 32-byte Ed25519 public key: checkpoint signatures are checked with it.
    pub public_key: Option<&'a [u8]>,
}

impl Default for VerifyOptions<'_> {
    fn default() -> Self {
        VerifyOptions { batch: 5_000, public_key: None }
    }
}

impl EventStore {
    /// Up to `limit` events after `after` and at or below `until`, in position order (no horizon:
    /// for reading what is already chained).
    pub async fn read_range(
        pool: &PgPool,
        after: i64,
        until: i64,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, sqlx::Error> {
        sqlx::query_as!(
            StoredEvent,
            "SELECT position, event_id, stream_id, stream_type, version, event_type, schema_version, payload, \
                    actor_id, actor_role, request_id, correlation_id, causation_id, recorded_at \
               FROM events WHERE position > $1 AND position <= $2 ORDER BY position LIMIT $3",
            after,
            until,
            limit
        )
        .fetch_all(pool)
        .await
    }

    /// Up to `limit` chain links after seq `after_seq`, in seq order.
    pub async fn links_after(pool: &PgPool, after_seq: i64, limit: i64) -> Result<Vec<Link>, sqlx::Error> {
        let rows = sqlx::query!(
            "SELECT position, seq, hash FROM event_chain WHERE seq > $1 ORDER BY seq LIMIT $2",
            after_seq,
            limit
        )
        .fetch_all(pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let mut hash = [0; 32];
                if row.hash.len() == 32 {
                    hash.copy_from_slice(&row.hash);
                }
                Link { position: row.position, seq: row.seq, hash }
            })
            .collect())
    }

    /// Walks the chain up to its head as it stands now; `progress(events, position)` after each
    /// page. Stops at the first broken link.
    #[tracing::instrument(skip_all)]
    pub async fn verify_chain(
        pool: &PgPool,
        options: VerifyOptions<'_>,
        progress: impl Fn(u64, i64),
    ) -> Result<Verification, sqlx::Error> {
        let mut done = Verification::default();
        let Some(head) = Self::last_link(pool).await? else {
            return Ok(done);
        };
        done.head = Some((head.position, head.seq));
        let mut checkpoints: HashMap<i64, Checkpoint> = HashMap::new();
        let mut after = 0;
        loop {
            let page = Self::checkpoints(pool, after, 10_000).await?;
            let Some(last) = page.last() else { break };
            after = last.position;
            checkpoints.extend(page.into_iter().map(|c| (c.position, c)));
        }
        // Checkpoints first: a forged or mismatched one is named even when the walk is long.
        if let Some(broken) = check_signatures(&checkpoints, options.public_key, &mut done) {
            done.broken = Some(broken);
            return Ok(done);
        }

        let batch = options.batch.max(1);
        let (mut events, mut links) = (VecDeque::new(), VecDeque::new());
        let (mut event_after, mut seq_after) = (0_i64, 0_i64);
        let (mut previous, mut expected_seq, mut last_position) = (GENESIS, 1_i64, 0_i64);
        let mut scratch = Vec::with_capacity(1024);
        let first = loop {
            if events.len() < batch as usize / 2 && event_after < head.position {
                let page = Self::read_range(pool, event_after, head.position, batch).await?;
                event_after = page.last().map_or(head.position, |e| e.position);
                events.extend(page);
            }
            if links.is_empty() && seq_after < head.seq {
                let page = Self::links_after(pool, seq_after, batch).await?;
                seq_after = page.last().map_or(head.seq, |l| l.seq);
                links.extend(page);
                progress(done.events, last_position);
            }
            let Some(link) = links.pop_front() else {
                if let Some(event) = events.front() {
                    break Some(broken(event.position, expected_seq, Break::EventNotChained, "after the last link"));
                }
                break None;
            };
            if link.seq != expected_seq || link.position <= last_position {
                let detail = format!(
                    "expected seq {expected_seq} after position {last_position}, found seq {} at position {}",
                    link.seq, link.position
                );
                break Some(broken(link.position, expected_seq, Break::ChainRowMissing, &detail));
            }
            let Some(event) = events.front() else {
                break Some(broken(link.position, link.seq, Break::EventMissing, "no event at or after this position"));
            };
            if event.position < link.position {
                let detail = format!("event {} ({} v{})", event.event_id, event.stream_type, event.version);
                break Some(broken(event.position, link.seq, Break::EventNotChained, &detail));
            }
            if event.position > link.position {
                if let Some(moved) = moved_here(pool, head.position, &previous, &link).await? {
                    break Some(broken(link.position, link.seq, Break::OrderChanged, &moved));
                }
                break Some(broken(link.position, link.seq, Break::EventMissing, "no event holds this position"));
            }
            scratch.clear();
            canonical_bytes(event, &mut scratch);
            let hash = link_hash(&previous, &scratch);
            if hash != link.hash {
                let what = match moved_here(pool, head.position, &previous, &link).await? {
                    Some(moved) => (Break::OrderChanged, moved),
                    None => (
                        Break::PayloadAltered,
                        format!("event {} ({} v{})", event.event_id, event.stream_type, event.version),
                    ),
                };
                break Some(broken(link.position, link.seq, what.0, &what.1));
            }
            if let Some(checkpoint) = checkpoints.remove(&link.position) {
                if checkpoint.seq != link.seq || checkpoint.hash != link.hash {
                    break Some(broken(
                        link.position,
                        link.seq,
                        Break::CheckpointMismatch,
                        "its seq or hash differs from the chain's",
                    ));
                }
                done.checkpoints += 1;
            }
            done.bytes += scratch.len() as u64;
            done.events += 1;
            previous = hash;
            expected_seq += 1;
            last_position = link.position;
            events.pop_front();
        };
        done.broken = first.or_else(|| {
            checkpoints.values().min_by_key(|c| c.position).map(|c| {
                broken(
                    c.position,
                    c.seq,
                    Break::CheckpointMismatch,
                    "the checkpoint names a position the chain does not hold",
                )
            })
        });
        progress(done.events, last_position);
        Ok(done)
    }
}

fn broken(position: i64, seq: i64, what: Break, detail: &str) -> BrokenLink {
    BrokenLink { position, seq, what, detail: detail.to_owned() }
}

/// How far after a broken link `verify_chain` looks for the event chained there, moved.
const MOVED_LOOKAHEAD: i64 = 100_000;

/// Whether an event after `link` is the one chained there, moved: its canonical bytes with
/// `link`'s position hash to `link`'s hash.
async fn moved_here(
    pool: &PgPool,
    until: i64,
    previous: &[u8; 32],
    link: &Link,
) -> Result<Option<String>, sqlx::Error> {
    let mut scratch = Vec::new();
    let mut after = link.position;
    let mut looked = 0;
    while looked < MOVED_LOOKAHEAD {
        let page = EventStore::read_range(pool, after, until, 5_000).await?;
        let Some(last) = page.last() else { break };
        after = last.position;
        looked += page.len() as i64;
        for mut event in page {
            let now_at = event.position;
            event.position = link.position;
            scratch.clear();
            canonical_bytes(&event, &mut scratch);
            if link_hash(previous, &scratch) == link.hash {
                return Ok(Some(format!(
                    "event {} was chained at {} and now stands at {now_at}",
                    event.event_id, link.position
                )));
            }
        }
    }
    Ok(None)
}

/// Checks every checkpoint's signature (when a public key is given): the first invalid one.
fn check_signatures(
    checkpoints: &HashMap<i64, Checkpoint>,
    public_key: Option<&[u8]>,
    done: &mut Verification,
) -> Option<BrokenLink> {
    let public_key = public_key?;
    let key_id = auth_tokens::audit_signer::key_id(public_key);
    let mut ordered: Vec<&Checkpoint> = checkpoints.values().collect();
    ordered.sort_by_key(|c| c.position);
    for checkpoint in ordered {
        let (Some(id), Some(signature)) = (&checkpoint.key_id, &checkpoint.signature) else { continue };
        let detail = if *id != key_id {
            format!("signed by key {id}, the public key given is {key_id}")
        } else {
            let message =
                checkpoint_message(checkpoint.position, checkpoint.seq, &checkpoint.hash, checkpoint.signed_at, id);
            if auth_tokens::audit_signer::verify(public_key, &message, signature) {
                done.signatures += 1;
                continue;
            }
            format!("the signature by key {id} does not verify")
        };
        return Some(broken(checkpoint.position, checkpoint.seq, Break::CheckpointSignatureInvalid, &detail));
    }
    None
}
