//! The limiter's arithmetic: GCRA (the generic cell rate algorithm), and the in-process limiter
//! that uses it when Redis cannot be asked.
//!
//! Why GCRA rather than a sliding window: one number per client (the "theoretical arrival time",
//! TAT) instead of a sorted set of timestamps or two counters, so memory and the Lua script's work
//! are O(1) whatever the limit; it spreads a client's quota evenly instead of resetting at window
//! edges (no double burst across a boundary); and the wait until the next allowed request — the
//! `Retry-After` — falls out exactly. A quota of L requests per window W lets a rested client make
//! L requests at once, then one every W/L.
//!
//! Times are microseconds. The Lua script in `store.rs` is the same function over Redis's clock.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// L requests per window W.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    pub limit: u32,
    /// W / L: how often a request is earned back.
    pub interval_us: u64,
}

impl Quota {
    pub fn new(limit: u32, window: Duration) -> Quota {
        let limit = limit.max(1);
        let window_us = u64::try_from(window.as_micros()).unwrap_or(u64::MAX);
        Quota { limit, interval_us: (window_us / u64::from(limit)).max(1) }
    }

    /// How far ahead of now the TAT may be for a request to pass: the burst beyond the first.
    pub fn tolerance_us(&self) -> u64 {
        self.interval_us.saturating_mul(u64::from(self.limit - 1))
    }
}

/// What the limiter decided about one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    /// Requests the client may still make at once.
    pub remaining: u32,
    /// When refused: how long until the next request may pass.
    pub retry_after_us: u64,
    /// How long until the client's quota is whole again.
    pub reset_us: u64,
}

/// One request at `now` for a client whose TAT is `tat` (none: never seen, or rested): the
/// decision and, when allowed, the TAT to store.
pub fn decide(quota: Quota, tat: Option<u64>, now: u64) -> (Decision, Option<u64>) {
    let ahead = tat.map_or(0, |tat| tat.saturating_sub(now));
    let tolerance = quota.tolerance_us();
    if ahead > tolerance {
        let decision = Decision {
            allowed: false,
            limit: quota.limit,
            remaining: 0,
            retry_after_us: ahead - tolerance,
            reset_us: ahead,
        };
        return (decision, None);
    }
    let remaining = u32::try_from((tolerance - ahead) / quota.interval_us).unwrap_or(u32::MAX);
    let reset_us = ahead.saturating_add(quota.interval_us);
    let decision = Decision { allowed: true, limit: quota.limit, remaining, retry_after_us: 0, reset_us };
    (decision, Some(now.saturating_add(reset_us)))
}

/// Seconds to tell a client (`Retry-After`, `RateLimit-Reset`): rounded up, so that a client that
/// waits that long is not refused again.
pub fn whole_seconds(us: u64) -> u64 {
    us.div_ceil(1_000_000)
}

/// GCRA over a map in this process: what one replica alone knows.
pub struct LocalLimiter {
    started: Instant,
    buckets: Mutex<Buckets>,
}

struct Buckets {
    tats: HashMap<String, u64>,
    /// The map is swept of rested clients when it grows to this size.
    sweep_at: usize,
}

const SWEEP_AT_LEAST: usize = 4096;

impl Default for LocalLimiter {
    fn default() -> Self {
        LocalLimiter {
            started: Instant::now(),
            buckets: Mutex::new(Buckets { tats: HashMap::new(), sweep_at: SWEEP_AT_LEAST }),
        }
    }
}

impl LocalLimiter {
    pub fn check(&self, key: &str, quota: Quota) -> Decision {
        let now = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let (decision, tat) = decide(quota, buckets.tats.get(key).copied(), now);
        if let Some(tat) = tat {
            buckets.tats.insert(key.to_owned(), tat);
            if buckets.tats.len() >= buckets.sweep_at {
                buckets.tats.retain(|_, tat| *tat > now);
                buckets.sweep_at = (buckets.tats.len() * 2).max(SWEEP_AT_LEAST);
            }
        }
        decision
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.buckets.lock().unwrap_or_else(PoisonError::into_inner).tats.len()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const SECOND: u64 = 1_000_000;

    /// Runs requests at `times` (sorted) through `decide`; which passed.
    fn run(quota: Quota, times: &[u64]) -> Vec<bool> {
        let mut tat = None;
        times
            .iter()
            .map(|now| {
                let (decision, next) = decide(quota, tat, *now);
                if next.is_some() {
                    tat = next;
                }
                decision.allowed
            })
            .collect()
    }

    #[test]
    fn a_rested_client_gets_exactly_the_limit_at_once_then_one_per_interval() {
        let quota = Quota::new(5, Duration::from_secs(10));
        assert_eq!(quota.interval_us, 2 * SECOND);
        let now = 1_000 * SECOND;
        assert_eq!(run(quota, &[now; 6]), [true, true, true, true, true, false]);
        let mut tat = None;
        for expected_remaining in (0..5).rev() {
            let (decision, next) = decide(quota, tat, now);
            assert_eq!(decision.remaining, expected_remaining);
            tat = next;
        }
        let (refused, _) = decide(quota, tat, now);
        assert_eq!(refused.retry_after_us, 2 * SECOND);
        assert_eq!(refused.reset_us, 10 * SECOND);
        let (later, _) = decide(quota, tat, now + 2 * SECOND);
        assert!(later.allowed, "one interval later one request is earned back");
    }

    #[test]
    fn retry_after_is_rounded_up_to_whole_seconds() {
        assert_eq!(whole_seconds(0), 0);
        assert_eq!(whole_seconds(1), 1);
        assert_eq!(whole_seconds(SECOND), 1);
        assert_eq!(whole_seconds(SECOND + 1), 2);
    }

    #[test]
    fn the_local_limiter_keeps_clients_apart_and_sweeps_rested_ones() {
        let limiter = LocalLimiter::default();
        let quota = Quota::new(2, Duration::from_secs(60));
        assert!(limiter.check("a", quota).allowed);
        assert!(limiter.check("a", quota).allowed);
        assert!(!limiter.check("a", quota).allowed);
        assert!(limiter.check("b", quota).allowed, "another client has its own bucket");
        let short = Quota { limit: 1, interval_us: 1 };
        for i in 0..SWEEP_AT_LEAST * 2 {
            limiter.check(&format!("rested{i}"), short);
        }
        assert!(limiter.len() < SWEEP_AT_LEAST * 2, "rested clients are swept: {}", limiter.len());
        assert!(!limiter.check("a", quota).allowed, "a busy client is not swept");
    }

    proptest! {
        /// However requests arrive, no span of W lets more than L + (span / interval) through, and
        /// in particular never more than L within one interval.
        #[test]
        fn no_window_lets_more_than_the_quota_through(
            limit in 1u32..20,
            window_secs in 1u64..120,
            gaps in proptest::collection::vec(0u64..3 * SECOND, 1..200),
        ) {
            let quota = Quota::new(limit, Duration::from_secs(window_secs));
            let times: Vec<u64> = gaps.iter().scan(SECOND, |t, gap| { *t += gap; Some(*t) }).collect();
            let allowed: Vec<u64> = times.iter().zip(run(quota, &times)).filter(|(_, a)| *a).map(|(t, _)| *t).collect();
            for (i, start) in allowed.iter().enumerate() {
                for (j, end) in allowed.iter().enumerate().skip(i) {
                    let passed = (j - i + 1) as u64;
                    let earned = (end - start) / quota.interval_us;
                    prop_assert!(passed <= u64::from(limit) + earned, "{passed} passed in {}us", end - start);
                }
            }
        }

        /// A refused client that waits exactly `retry_after` is let through.
        #[test]
        fn waiting_retry_after_is_enough(
            limit in 1u32..20,
            window_secs in 1u64..120,
            burst in 1usize..40,
        ) {
            let quota = Quota::new(limit, Duration::from_secs(window_secs));
            let now = 10 * SECOND;
            let mut tat = None;
            for _ in 0..burst {
                let (decision, next) = decide(quota, tat, now);
                if let Some(next) = next { tat = Some(next); }
                if !decision.allowed {
                    prop_assert!(decision.retry_after_us > 0);
                    prop_assert!(!decide(quota, tat, now + decision.retry_after_us - 1).0.allowed);
                    prop_assert!(decide(quota, tat, now + decision.retry_after_us).0.allowed);
                }
            }
        }
    }
}
