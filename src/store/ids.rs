//! Where new record ids come from: drawn at random (the usual case), or derived
//! from a seed so that a retried call draws exactly the ids its first attempt drew.
//!
//! A create that runs under a derived seed writes the same record key on every
//! attempt, so the store's insert-if-absent makes the retry collide with what the
//! first attempt wrote, and [`Store::create`](super::Store::create) hands that
//! record back instead of adding a second one. The seed comes from the caller's
//! subject and idempotency key (see `catalog::idempotency`), so one caller's
//! derived ids never meet another's.

use std::cell::Cell;

/// Ids derived from a seed: the `n`th id drawn is a hash of the seed and `n`,
/// shortened to the 12 characters (72 bits) of a random id.
#[derive(Debug)]
pub struct DerivedIds {
    seed: [u8; 32],
    drawn: Cell<u64>,
    resumed: bool,
}

impl DerivedIds {
    pub fn new(seed: [u8; 32]) -> Self {
        Self {
            seed,
            drawn: Cell::new(0),
            resumed: false,
        }
    }

    /// The ids of a call that takes over an attempt that died: what that attempt
    /// wrote under them may be in the store already.
    pub fn resuming(self) -> Self {
        Self {
            resumed: true,
            ..self
        }
    }

    /// Whether an earlier attempt may have written under these ids.
    pub fn resumed(&self) -> bool {
        self.resumed
    }

    /// The next id of the sequence.
    pub fn next(&self) -> String {
        let n = self.drawn.get();
        self.drawn.set(n.wrapping_add(1));
        let mut input = Vec::with_capacity(40);
        input.extend_from_slice(&self.seed);
        input.extend_from_slice(&n.to_be_bytes());
        let hash = hmac_sha256::Hash::hash(&input);
        crate::encoding::base64url(&hash[..9])
    }
}

#[cfg(test)]
mod tests {
    use super::DerivedIds;

    #[test]
    fn the_same_seed_draws_the_same_ids_and_another_seed_others() {
        let (a, b, c) = (
            DerivedIds::new([1; 32]),
            DerivedIds::new([1; 32]),
            DerivedIds::new([2; 32]),
        );
        let first: Vec<String> = (0..3).map(|_| a.next()).collect();
        let again: Vec<String> = (0..3).map(|_| b.next()).collect();
        assert_eq!(first, again);
        assert_eq!(first[0].len(), 12);
        assert_ne!(first[0], first[1]);
        assert_ne!(c.next(), first[0]);
    }
}
