//! Randomness, injected like the clock: every random value the server makes (ids, tokens,
//! activation codes, challenges, credential ids and salts, status list entries, relay
//! sessions and codes, keys, the server secret) comes from one [`Random`] in [`Config`].
//!
//! The default, [`SystemRandom`], is rand 0.10's thread-local ChaCha12 CSPRNG, seeded from
//! the operating system and reseeded from it every 64 KiB of output. [`SeededRandom`]
//! makes a run reproducible, for tests only: its output is as predictable as its seed.
//!
//! [`Config`]: crate::Config

use std::sync::Mutex;

use rand::{Rng as _, SeedableRng as _};

/// A source of random bytes.
pub trait Random: Send + Sync {
    /// Fills `out` with random bytes.
    fn fill(&self, out: &mut [u8]);
}

/// The operating system's randomness, through rand's thread-local CSPRNG.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemRandom;

impl Random for SystemRandom {
    fn fill(&self, out: &mut [u8]) {
        rand::rng().fill_bytes(out);
    }
}

/// A deterministic generator from a seed: the same seed gives the same ids, codes and keys.
/// For tests; never for a server that issues real credentials.
pub struct SeededRandom(Mutex<rand::rngs::StdRng>);

impl SeededRandom {
    /// The generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Self(Mutex::new(rand::rngs::StdRng::seed_from_u64(seed)))
    }
}

impl core::fmt::Debug for SeededRandom {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SeededRandom")
    }
}

impl Random for SeededRandom {
    fn fill(&self, out: &mut [u8]) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .fill_bytes(out);
    }
}

/// A uniform number in `0..n` (`n > 0`), by rejection: no modulo bias.
pub fn below(random: &dyn Random, n: u64) -> u64 {
    if n <= 1 {
        return 0;
    }
    // The largest multiple of n that fits: values at or past it are drawn again.
    let zone = u64::MAX - (u64::MAX % n);
    loop {
        let mut b = [0u8; 8];
        random.fill(&mut b);
        let v = u64::from_le_bytes(b);
        if v < zone {
            return v % n;
        }
    }
}

/// A [`Random`] as the `rand_core` generator the protocol core and `p256` take.
pub struct AsRng<'a>(pub &'a dyn Random);

impl rand::TryRng for AsRng<'_> {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.0.fill(&mut b);
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.0.fill(&mut b);
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.0.fill(dst);
        Ok(())
    }
}

// Every `Random` here is a CSPRNG but `SeededRandom`, which is for tests only.
impl rand::TryCryptoRng for AsRng<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_bytes_and_below_stays_below() {
        let (a, b) = (SeededRandom::new(7), SeededRandom::new(7));
        let (mut x, mut y) = ([0u8; 32], [0u8; 32]);
        a.fill(&mut x);
        b.fill(&mut y);
        assert_eq!(x, y);
        assert_ne!(x, [0u8; 32]);
        for n in [1u64, 2, 3, 10, 1_000_000, 1 << 20, u64::MAX] {
            for _ in 0..50 {
                assert!(below(&a, n) < n.max(1));
            }
        }
        // Every value of a small range turns up.
        let mut seen = [false; 6];
        for _ in 0..200 {
            seen[usize::try_from(below(&a, 6)).unwrap_or(0)] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }
}
