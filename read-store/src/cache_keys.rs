//! The Redis keys of the query API's response cache, in one place for both of its sides: the
//! query API stores responses and reads them back, the projector writes the "changed at" markers
//! that invalidate them.
//!
//! - `{prefix}:resp:{path-and-query}`: a response, stamped with the read-model position it was
//!   computed at (the position seen before its handler ran: a lower bound of what it read).
//! - `{prefix}:changed:product:{id}`: the position of the last batch that changed that product.
//! - `{prefix}:changed:products`: the position of the last batch that changed any product (search
//!   and listings depend on every product).
//! - `{prefix}:changed:all`: the position of the last batch that changed anything else (categories,
//!   brands, families, synonyms: product bodies embed their names), of a rebuild's swap, and of an
//!   invalidation the projector could not deliver when it happened.
//!
//! A response is served only when its stamp is at or after every marker it depends on and after
//! the position the client asked for. Markers only move forward.

use std::time::Duration;

use uuid::Uuid;

/// The prefix when none is configured.
pub const DEFAULT_PREFIX: &str = "ferrule";

/// How long a stored response lives.
pub const RESPONSE_TTL: Duration = Duration::from_secs(300);

/// How long a product's marker lives: well beyond every response it can invalidate (stored at
/// most a request's duration after it was set, then living `RESPONSE_TTL`), so that its expiry
/// never revives one. The two global markers never expire.
pub const PRODUCT_MARKER_TTL: Duration = Duration::from_secs(3 * 300);

/// Key names under one prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheKeys {
    prefix: String,
}

impl CacheKeys {
    pub fn new(prefix: &str) -> Self {
        CacheKeys { prefix: prefix.to_owned() }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// A response to `GET {path_and_query}`.
    pub fn response(&self, path_and_query: &str) -> String {
        format!("{}:resp:{path_and_query}", self.prefix)
    }

    /// Moved by every change the finer markers do not cover, and by a rebuild.
    pub fn changed_all(&self) -> String {
        format!("{}:changed:all", self.prefix)
    }

    /// Moved by every change to any product.
    pub fn changed_products(&self) -> String {
        format!("{}:changed:products", self.prefix)
    }

    /// Moved by every change to product `id`.
    pub fn changed_product(&self, id: Uuid) -> String {
        format!("{}:changed:product:{}", self.prefix, id.as_hyphenated())
    }
}

impl Default for CacheKeys {
    fn default() -> Self {
        CacheKeys::new(DEFAULT_PREFIX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_named_under_the_prefix() {
        let keys = CacheKeys::new("t1");
        let id = Uuid::from_u128(0xA1);
        assert_eq!(keys.response("/v1/search?q=m12"), "t1:resp:/v1/search?q=m12");
        assert_eq!(keys.changed_all(), "t1:changed:all");
        assert_eq!(keys.changed_products(), "t1:changed:products");
        assert_eq!(keys.changed_product(id), "t1:changed:product:00000000-0000-0000-0000-0000000000a1");
        assert!(PRODUCT_MARKER_TTL > RESPONSE_TTL * 2);
    }
}
