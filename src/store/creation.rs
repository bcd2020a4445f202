//! Electing the one writer that creates a key, on every store.
//!
//! "Insert if absent" is a compare-and-swap of a key read as absent, and on most
//! stores only one of two writers racing for an absent key wins it. Spin's SQLite
//! key-value store (4.0.2, and upstream since) writes that swap as an upsert
//! (`INSERT ... ON CONFLICT DO UPDATE`), so there both win, the later overwriting
//! the earlier. A swap of a key that exists is a real compare there (`UPDATE ...
//! WHERE value = <what was read>`), and an increment is one transaction on every
//! backend. So for a key that, once created, is only ever replaced and never
//! deleted (an idempotency entry, a list entry's election claim, the stored
//! cursor key), the creator is elected by an increment of a ticket beside it: the
//! caller that takes the ticket to 1 creates the key. A later caller that still finds the key absent is looking
//! at a creator between its ticket and its write, so it reads again; should the
//! key stay absent for `patience` (its creator died there, or an operator removed
//! the key since), it may create it as before the election existed.

use super::keys;
use crate::platform::{KeyValue, KvResult};
use std::time::{Duration, Instant};

/// How long a caller that lost the ticket waits for the creator's write, when
/// it waits within one retry loop (whose budget is 1.5 s): longer than a
/// store's own retries of one write take (a locked SQLite file: 0.8 s).
pub const PATIENCE: Duration = Duration::from_secs(1);

/// One caller's part in the election of the creator of one key.
pub struct Creation {
    ticket: String,
    /// `None` before the ticket is drawn; then `Ok` for the creator, or `Err` with
    /// until when to wait for the creator's write.
    drawn: Option<Result<(), Instant>>,
}

impl Creation {
    /// The election of whoever creates `key`.
    pub fn of(key: &str) -> Self {
        Self {
            ticket: keys::creation_ticket(key),
            drawn: None,
        }
    }

    /// Asked when `key` was just read as absent: whether to create it now. `false`
    /// means another caller is creating it: read it again (after a pause).
    pub fn may_create(&mut self, kv: &dyn KeyValue, patience: Duration) -> KvResult<bool> {
        let drawn = match self.drawn {
            Some(drawn) => drawn,
            None => {
                let drawn = match kv.increment(&self.ticket, 1)? {
                    1 => Ok(()),
                    _ => Err(Instant::now() + patience),
                };
                *self.drawn.insert(drawn)
            }
        };
        Ok(match drawn {
            Ok(()) => true,
            Err(until) => Instant::now() >= until,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::memory::MemoryKv;

    #[test]
    fn the_first_ticket_creates_and_a_later_one_waits_then_may() {
        let kv = MemoryKv::default();
        let mut first = Creation::of("idem/abc");
        let mut second = Creation::of("idem/abc");
        assert!(first.may_create(&kv, Duration::from_secs(60)).unwrap());
        assert!(!second.may_create(&kv, Duration::from_millis(30)).unwrap());
        // One ticket each, however often asked.
        assert!(first.may_create(&kv, Duration::ZERO).unwrap());
        assert_eq!(kv.get("ct/idem/abc").unwrap(), Some(b"2".to_vec()));
        std::thread::sleep(Duration::from_millis(40));
        assert!(second.may_create(&kv, Duration::ZERO).unwrap());
        assert_eq!(kv.get("ct/idem/abc").unwrap(), Some(b"2".to_vec()));
        // Other keys have tickets of their own.
        assert!(Creation::of("idem/abd")
            .may_create(&kv, Duration::ZERO)
            .unwrap());
    }
}
