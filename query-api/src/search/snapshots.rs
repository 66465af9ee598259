//! Small things derived from the read model that most requests need and that change rarely (a
//! scope's filterable attributes, the synonyms, the lexicon): kept in memory per key, with the
//! read-model position they were loaded at, and loaded again when a request needs a later one.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a snapshot serves requests that ask for no particular position.
const FRESH_FOR: Duration = Duration::from_secs(2);
const KEYS_KEPT: usize = 1_000;

struct Loaded<V> {
    position: i64,
    at: Instant,
    value: Arc<V>,
}

pub struct Snapshots<K, V>(Arc<Mutex<HashMap<K, Loaded<V>>>>);

impl<K, V> Clone for Snapshots<K, V> {
    fn clone(&self) -> Self {
        Snapshots(self.0.clone())
    }
}

impl<K, V> Default for Snapshots<K, V> {
    fn default() -> Self {
        Snapshots(Arc::default())
    }
}

impl<K: Eq + Hash + Clone, V> Snapshots<K, V> {
    /// The value for `key` as of at least position `wanted` (the client's `X-Min-Position`; with
    /// none, loaded no longer than a moment ago), loading it with `load` when the one kept is
    /// older; `position` is where the read model is now, the stamp a new load gets.
    pub async fn get<F, Fut, E>(&self, key: K, wanted: i64, position: i64, load: F) -> Result<Arc<V>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        {
            let kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(loaded) = kept.get(&key) {
                let fresh = if wanted > 0 { loaded.position >= wanted } else { loaded.at.elapsed() < FRESH_FOR };
                if fresh || loaded.position >= position {
                    return Ok(loaded.value.clone());
                }
            }
        }
        let value = Arc::new(load().await?);
        let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() >= KEYS_KEPT {
            kept.clear();
        }
        kept.insert(key, Loaded { position, at: Instant::now(), value: value.clone() });
        Ok(value)
    }
}
