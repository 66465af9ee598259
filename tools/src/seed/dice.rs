//! Deterministic randomness for the catalog generator. Every part of the catalog draws from its
//! own ChaCha8 stream, keyed by the seed and a label ("brand/…", "products/<family>"), so that one
//! part never shifts because another drew more or less. Only raw `u64`s are taken from the stream
//! and turned into choices here, so the catalog does not change with the `rand` crate's sampling
//! algorithms either.

use rand::rngs::ChaCha8Rng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

pub struct Dice(ChaCha8Rng);

impl Dice {
    /// The stream for `label` under `seed`.
    pub fn new(seed: u64, label: &str) -> Dice {
        let mut state = seed ^ fnv1a(label.as_bytes());
        let mut key = [0u8; 32];
        for chunk in key.chunks_mut(8) {
            chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
        }
        Dice(ChaCha8Rng::from_seed(key))
    }

    /// A number in `0..n` (`n` > 0). The multiply-shift map's bias is below 2⁻³² for any `n` a
    /// catalog needs.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.0.next_u64()) * u128::from(n.max(1))) >> 64) as u64
    }

    /// A number in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A number in [low, high).
    pub fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    /// An index drawn in proportion to `weights` (all zero: uniformly).
    pub fn weighted(&mut self, weights: impl Iterator<Item = u32> + Clone) -> usize {
        let total: u64 = weights.clone().map(u64::from).sum();
        let count = weights.clone().count();
        if total == 0 {
            return self.below(count as u64) as usize;
        }
        let mut r = self.below(total);
        for (i, w) in weights.enumerate() {
            if r < u64::from(w) {
                return i;
            }
            r -= u64::from(w);
        }
        count.saturating_sub(1)
    }

    /// A random (version 4) UUID from the stream.
    pub fn uuid(&mut self) -> Uuid {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.0.next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&self.0.next_u64().to_le_bytes());
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }
}

/// Draws for one product: with the catalog's skew, or (for a share of the draws) uniformly, so
/// that a family can be filled far into its rare combinations without endless retries.
pub struct Draw<'a> {
    pub dice: &'a mut Dice,
    pub uniform: bool,
}

impl Draw<'_> {
    /// One of `items`, by weight (or uniformly).
    pub fn pick<'i, T>(&mut self, items: &'i [(T, u32)]) -> &'i T {
        &items[self.index(items.iter().map(|(_, w)| *w))].0
    }

    /// An index by `weights` (or uniformly).
    pub fn index(&mut self, weights: impl Iterator<Item = u32> + Clone) -> usize {
        if self.uniform {
            self.dice.below(weights.count() as u64) as usize
        } else {
            self.dice.weighted(weights)
        }
    }

    pub fn chance(&mut self, p: f64) -> bool {
        if self.uniform {
            self.dice.chance(0.5)
        } else {
            self.dice.chance(p)
        }
    }

    /// A value that is not variant-defining (a jitter, a weight): never uniform.
    pub fn between(&mut self, low: f64, high: f64) -> f64 {
        self.dice.between(low, high)
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
