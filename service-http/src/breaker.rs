//! A circuit breaker for a dependency that must never slow requests down (Redis, for the query
//! cache and the rate limiter): after a failure the dependency is left alone for a pause; then one
//! request (the one that claims the probe) tries it again while the others still keep off.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub struct Breaker {
    started: Instant,
    pause_ms: u64,
    /// Milliseconds since `started` until which the dependency is left alone; 0: closed.
    open_until: AtomicU64,
}

impl Breaker {
    pub fn new(pause: Duration) -> Self {
        Breaker {
            started: Instant::now(),
            pause_ms: u64::try_from(pause.as_millis()).unwrap_or(u64::MAX),
            open_until: AtomicU64::new(0),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX).max(1)
    }

    /// Whether this request may use the dependency.
    pub fn allow(&self) -> bool {
        let until = self.open_until.load(Ordering::Acquire);
        if until == 0 {
            return true;
        }
        let now = self.now();
        // Past the pause: this request is the probe if it is first to push the pause on.
        now >= until
            && self
                .open_until
                .compare_exchange(until, now.saturating_add(self.pause_ms), Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
    }

    /// Opens the breaker; true when it was closed (so the caller says so, once).
    pub fn trip(&self) -> bool {
        let until = self.now().saturating_add(self.pause_ms);
        self.open_until.swap(until, Ordering::AcqRel) == 0
    }

    /// Closes the breaker; true when it was open (so the caller says the dependency is back).
    pub fn close(&self) -> bool {
        self.open_until.swap(0, Ordering::AcqRel) != 0
    }

    pub fn is_open(&self) -> bool {
        self.open_until.load(Ordering::Acquire) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_lets_one_probe_through_after_the_pause() {
        let breaker = Breaker::new(Duration::from_secs(5));
        assert!(breaker.allow());
        assert!(breaker.trip());
        assert!(!breaker.trip(), "tripping an open breaker is not news");
        assert!(!breaker.allow());
        // As if the pause were over.
        breaker.open_until.store(1, Ordering::Release);
        assert!(breaker.allow(), "the first request after the pause probes");
        assert!(!breaker.allow(), "the others keep off while it does");
        assert!(breaker.close());
        assert!(!breaker.close(), "closing a closed breaker is not news");
        assert!(breaker.allow());
    }
}
