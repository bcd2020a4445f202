//! Bounds for every retry loop against the store (here, below the store layer, so
//! the platform's own retries of transient errors use them too).
//!
//! A store that keeps refusing (every compare-and-swap fails, every call times out)
//! must not turn one request into an endless stream of writes. Each loop therefore
//! gets a [`Budget`]: a number of attempts and a wall-clock allowance, with an
//! exponential, jittered pause between attempts so competing writers spread out
//! instead of colliding again at once.

use std::time::{Duration, Instant};

/// How many times a create draws a fresh random id after finding its id taken.
/// With 72-bit ids a second collision in one request means something else is
/// wrong (a store that reports every key as present), so we stop early.
pub const ID_ATTEMPTS: usize = 3;

/// Attempts of one compare-and-swap loop (record update, index page change).
pub const CAS_ATTEMPTS: usize = 32;

/// Wall-clock allowance of one retry loop, in milliseconds. A request holds at most
/// a few loops that retry at once, so a request ends well inside the HTTP timeout
/// of any sensible client even against a store that never lets a write through.
pub const LOOP_BUDGET_MS: u64 = 1_500;

/// First pause between attempts, doubled each time up to [`MAX_PAUSE_MS`].
const FIRST_PAUSE_MS: u64 = 1;
const MAX_PAUSE_MS: u64 = 64;

/// The attempts and time one retry loop may still spend.
pub struct Budget {
    attempts_left: usize,
    deadline: Instant,
    pause_ms: u64,
    started: bool,
    /// Jitter state, seeded from the clock: no shared random source needed.
    jitter: u64,
}

impl Budget {
    pub fn new(attempts: usize) -> Self {
        Self::with_time(attempts, Duration::from_millis(LOOP_BUDGET_MS))
    }

    pub fn with_time(attempts: usize, allowance: Duration) -> Self {
        let start = Instant::now();
        Self {
            attempts_left: attempts,
            deadline: start + allowance,
            pause_ms: FIRST_PAUSE_MS,
            started: false,
            jitter: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0x9E37_79B9)
                | 1,
        }
    }

    /// Takes one attempt: `false` when none is left or the time is up. The first
    /// call never waits; later calls pause (backing off) before answering `true`.
    pub fn attempt(&mut self) -> bool {
        if self.attempts_left == 0 || Instant::now() >= self.deadline {
            return false;
        }
        self.attempts_left -= 1;
        if !self.started {
            self.started = true;
            return true;
        }
        self.backoff();
        Instant::now() < self.deadline
    }

    /// Sleeps for the current pause (with jitter, never past the deadline) and
    /// doubles it for next time.
    fn backoff(&mut self) {
        // xorshift keeps the jitter cheap and local.
        let mut x = self.jitter;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.jitter = x;
        let pause = self.pause_ms / 2 + x % (self.pause_ms / 2 + 1) + 1;
        let left = self.deadline.saturating_duration_since(Instant::now());
        std::thread::sleep(Duration::from_millis(pause).min(left));
        self.pause_ms = (self.pause_ms * 2).min(MAX_PAUSE_MS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_are_counted_and_the_first_does_not_wait() {
        let mut b = Budget::new(3);
        let start = Instant::now();
        assert!(b.attempt());
        assert!(start.elapsed() < Duration::from_millis(1));
        assert!(b.attempt());
        assert!(b.attempt());
        assert!(!b.attempt());
    }

    #[test]
    fn the_time_allowance_ends_a_loop_however_many_attempts_are_left() {
        let mut b = Budget::with_time(usize::MAX, Duration::from_millis(50));
        let start = Instant::now();
        let mut n = 0;
        while b.attempt() {
            n += 1;
        }
        assert!(n > 1, "backs off and tries again while time is left");
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(50) && took < Duration::from_millis(150),
            "{took:?}"
        );
    }
}
