//! The projector's side of the query API's response cache: the "changed at" markers in Redis (see
//! `read_store::cache_keys`) move before each batch commits, so that once the read model shows a
//! change, no cached answer older than it is served (the query API serves an answer only if its
//! stamp is at or after every marker it depends on).
//!
//! Redis never stops the projection: a marker Redis did not take is owed, the highest such
//! position is kept, and when Redis answers again `changed:all` goes there first (which turns
//! away every answer older than it). Meanwhile batches do not wait for Redis: after a failure
//! only the background task tries it, once a second.

use std::collections::HashSet;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use event_store::StoredEvent;
use read_store::cache_keys::{CacheKeys, PRODUCT_MARKER_TTL};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use service_http::revocations::Change;
use tokio::sync::Mutex;
use uuid::Uuid;

/// Longest a batch waits for Redis.
const TIMEOUT: Duration = Duration::from_millis(200);
/// How often an owed invalidation is tried again, and how long batches leave Redis alone after
/// a failure.
const RETRY_EVERY: Duration = Duration::from_secs(1);
/// A batch changing more products than this moves `changed:all` instead of one marker each.
const MAX_PRODUCT_MARKERS: usize = 1_000;

/// Moves each key of KEYS to ARGV[1] unless it is there or beyond already; the first ARGV[3]
/// keys expire after ARGV[2] seconds, the others never. (Positions compare as Lua numbers,
/// exact below 2^53; the value stored is the text given.)
const MOVE_FORWARD: &str = r"
local position = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local expiring = tonumber(ARGV[3])
for i, key in ipairs(KEYS) do
  local current = tonumber(redis.call('GET', key) or '')
  if current == nil or current < position then
    if i <= expiring then
      redis.call('SET', key, ARGV[1], 'EX', ttl)
    else
      redis.call('SET', key, ARGV[1])
    end
  end
end
return 0
";

/// What a batch changed, as the cache's markers see it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    products: HashSet<Uuid>,
    /// Anything but a product: categories, brands, families, synonyms, what comes later.
    structure: bool,
    /// Changes of users' rights, with when they were made (`service_http::revocations`).
    pub rights: Vec<(Change, DateTime<Utc>)>,
}

impl Changes {
    pub fn note(&mut self, stream_type: &str, stream_id: Uuid) {
        match stream_type {
            "product" => {
                self.products.insert(stream_id);
            }
            // No cached answer reads them: the query API adds a caller's prices to the shared
            // product answers after the cache (`query_api::prices`), and carts, orders, stock and
            // price lists are never cached. Marking them would turn the whole cache away at
            // every cart change.
            "product_terms" | "price_list" | "stock" | "cart" | "order" | "user" | "company" => {}
            // A media list (a product's or a family's, whose media show on every variant): its
            // stream id is not the product's, and a family's reaches many products, so it turns
            // away every cached answer, as other structure does. Media change seldom.
            _ => self.structure = true,
        }
    }

    pub fn note_all(&mut self, events: &[StoredEvent]) {
        for event in events {
            self.note(&event.stream_type, event.stream_id);
            if matches!(event.event_type.as_str(), "UserDisabled" | "UserRoleChanged" | "CompanyDisabled") {
                self.note_rights(event);
            }
        }
    }

    fn note_rights(&mut self, stored: &StoredEvent) {
        match domain::Event::from_stored(&stored.event_type, stored.schema_version, &stored.payload) {
            Ok(event) => {
                if let Some(change) = Change::of(stored.stream_id, stored.version, &event) {
                    self.rights.push((change, stored.recorded_at));
                }
            }
            Err(error) => tracing::error!(%error, position = stored.position, "an unreadable change of rights"),
        }
    }

    /// Whether no cache marker moves for it.
    pub fn is_empty(&self) -> bool {
        self.products.is_empty() && !self.structure
    }

    /// The markers to move: those that expire, then those that never do.
    fn markers(&self, keys: &CacheKeys) -> (Vec<String>, Vec<String>) {
        if self.structure || self.products.len() > MAX_PRODUCT_MARKERS {
            // Every answer depends on it.
            return (Vec::new(), vec![keys.changed_all()]);
        }
        if self.products.is_empty() {
            return (Vec::new(), Vec::new());
        }
        let products = self.products.iter().map(|id| keys.changed_product(*id)).collect();
        (products, vec![keys.changed_products()])
    }
}

/// Moves the markers, or does nothing when no Redis is configured. Cheap to clone.
#[derive(Clone, Default)]
pub struct Invalidator(Option<Arc<Redis>>);

struct Redis {
    connection: ConnectionManager,
    keys: CacheKeys,
    script: redis::Script,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The highest position whose markers Redis may lack.
    owed: Option<i64>,
    /// Batches leave Redis alone until then (the background task does not).
    quiet_until: Option<Instant>,
}

impl Invalidator {
    /// No cache to invalidate.
    pub fn off() -> Self {
        Invalidator(None)
    }

    /// Markers under `prefix` in the Redis at `url`, connected to lazily; starts the task that
    /// delivers what is owed. Errs only on a malformed URL.
    pub fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url).context("FERRULE_REDIS_URL is not a valid Redis URL")?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .context("cannot set up the Redis connection for cache invalidation")?;
        let redis = Arc::new(Redis {
            connection,
            keys: CacheKeys::new(prefix),
            script: redis::Script::new(MOVE_FORWARD),
            state: Mutex::default(),
        });
        tokio::spawn(deliver_owed(Arc::downgrade(&redis)));
        Ok(Invalidator(Some(redis)))
    }

    /// Moves the markers of what a batch ending at `position` changed. Never fails and never waits
    /// long: what Redis does not take is owed.
    pub async fn changed(&self, changes: &Changes, position: i64) {
        let Some(redis) = &self.0 else { return };
        if changes.is_empty() {
            return;
        }
        let mut state = redis.state.lock().await;
        if state.quiet_until.is_some_and(|until| Instant::now() < until) {
            state.owe(position);
            return;
        }
        match state.owed {
            // What is owed first: `changed:all` covers this batch too.
            Some(owed) => redis.settle(&mut state, owed.max(position)).await,
            None => {
                let (expiring, lasting) = changes.markers(&redis.keys);
                if let Err(error) = redis.write(&expiring, &lasting, position).await {
                    redis.failed(&mut state, position, &error);
                }
            }
        }
    }

    /// Turns away every cached answer stamped before `position`: at start (a batch may have
    /// committed while its markers were owed, and what was owed died with the process) and after
    /// a rebuild.
    pub async fn everything_before(&self, position: i64) {
        let Some(redis) = &self.0 else { return };
        let mut state = redis.state.lock().await;
        let position = state.owed.map_or(position, |owed| owed.max(position));
        redis.settle(&mut state, position).await;
    }

    /// The position `changed:all` still has to reach, if Redis lacks something.
    pub async fn owed(&self) -> Option<i64> {
        match &self.0 {
            Some(redis) => redis.state.lock().await.owed,
            None => None,
        }
    }

    /// Tries to deliver what is owed until nothing is or `within` has passed (before the process
    /// ends); true when nothing is owed.
    pub async fn flush(&self, within: Duration) -> bool {
        let Some(redis) = &self.0 else { return true };
        let deadline = Instant::now() + within;
        loop {
            {
                let mut state = redis.state.lock().await;
                let Some(owed) = state.owed else { return true };
                redis.settle(&mut state, owed).await;
                if state.owed.is_none() {
                    return true;
                }
            }
            if Instant::now() + RETRY_EVERY > deadline {
                return false;
            }
            tokio::time::sleep(RETRY_EVERY).await;
        }
    }
}

impl State {
    fn owe(&mut self, position: i64) {
        self.owed = Some(self.owed.map_or(position, |owed| owed.max(position)));
    }
}

impl Redis {
    /// Moves `changed:all` to `position`; on success nothing below it is owed any more.
    async fn settle(&self, state: &mut State, position: i64) {
        match self.write(&[], &[self.keys.changed_all()], position).await {
            Ok(()) => {
                if let Some(owed) = state.owed.take() {
                    tracing::info!(position, owed, "Redis answers again: delivered the cache invalidation it missed");
                }
                state.quiet_until = None;
            }
            Err(error) => self.failed(state, position, &error),
        }
    }

    fn failed(&self, state: &mut State, position: i64, error: &str) {
        if state.owed.is_none() {
            tracing::warn!(
                error,
                position,
                "cannot move the cache's markers in Redis; the projection goes on, and the invalidation is \
                 delivered when Redis answers again"
            );
        }
        state.owe(position);
        state.quiet_until = Some(Instant::now() + RETRY_EVERY);
    }

    async fn write(&self, expiring: &[String], lasting: &[String], position: i64) -> Result<(), String> {
        if expiring.is_empty() && lasting.is_empty() {
            return Ok(());
        }
        let mut invocation = self.script.prepare_invoke();
        invocation.key(expiring).key(lasting).arg(position).arg(PRODUCT_MARKER_TTL.as_secs()).arg(expiring.len());
        let mut connection = self.connection.clone();
        match tokio::time::timeout(TIMEOUT, invocation.invoke_async::<i64>(&mut connection)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(format!("no answer within {TIMEOUT:?}")),
        }
    }
}

/// Once a second, while the invalidator lives: delivers what is owed.
async fn deliver_owed(redis: Weak<Redis>) {
    let mut every = tokio::time::interval(RETRY_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let Some(redis) = redis.upgrade() else { return };
        let mut state = redis.state.lock().await;
        if let Some(owed) = state.owed {
            redis.settle(&mut state, owed).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_move_their_own_markers_and_anything_else_moves_all() {
        let keys = CacheKeys::new("t");
        let mut changes = Changes::default();
        assert!(changes.is_empty());
        assert_eq!(changes.markers(&keys), (vec![], vec![]));
        for commerce in ["product_terms", "price_list", "stock", "cart", "order"] {
            changes.note(commerce, Uuid::from_u128(3));
        }
        assert!(changes.is_empty(), "no cached answer depends on commerce streams");
        changes.note("product", Uuid::from_u128(1));
        changes.note("product", Uuid::from_u128(1));
        assert_eq!(
            changes.markers(&keys),
            (vec![keys.changed_product(Uuid::from_u128(1))], vec![keys.changed_products()])
        );
        changes.note("synonyms", Uuid::from_u128(2));
        assert_eq!(changes.markers(&keys), (vec![], vec![keys.changed_all()]));
    }
}
