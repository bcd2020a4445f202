//! The write paths against a misbehaving store: one that refuses every
//! compare-and-swap, one that writes and then reports failure, one that stops
//! answering. Each create, update and token issue must end within a bound, make a
//! bounded number of store calls, and never leave a record twice.

use super::area::{AreaKind, NewArea};
use super::climb::ClimbChanges;
use super::tests::new_climb;
use super::tick::{AttemptType, NewTick, TickStyle};
use super::Climbing;
use crate::identity::Scope;
use crate::platform::memory::{Fault, MemoryPlatform};
use crate::store::{Store, StoreError};
use std::time::{Duration, Instant};

/// The longest any one request may take against a failing store: a few bounded
/// retry loops (1.5 s each at most), far below any client's HTTP timeout.
const REQUEST_BOUND: Duration = Duration::from_secs(4);
/// Store calls one request may make while its writes keep failing.
const CALL_BOUND: u64 = 600;

struct World {
    platform: MemoryPlatform,
    crag: String,
    climb: String,
}

fn world() -> World {
    let platform = MemoryPlatform::default()
        .with_variable("jwt_hs256_secret", "s3cret-s3cret-s3cret-s3cret-s3cret");
    let (crag, climb) = {
        let c = Climbing::new(Store::new(&platform), "alice");
        let root = c
            .create_area(new_area("Root", AreaKind::Country, None))
            .unwrap()
            .id;
        let crag = c
            .create_area(new_area("Crag", AreaKind::Crag, Some(&root)))
            .unwrap()
            .id;
        let climb = c.create_climb(new_climb("First", &crag)).unwrap().id;
        // Alice's tick list and the token list exist before the faults start, so
        // the faults hit appends to existing pages, the common case.
        c.log_tick(new_tick(&climb)).unwrap();
        issue(&platform).unwrap();
        (crag, climb)
    };
    World {
        platform,
        crag,
        climb,
    }
}

fn new_area(name: &str, kind: AreaKind, parent: Option<&str>) -> NewArea {
    NewArea {
        name: name.into(),
        kind,
        parent_id: parent.map(Into::into),
        location: None,
        description: None,
        access_notes: None,
    }
}

fn new_tick(climb: &str) -> NewTick {
    NewTick {
        climb_id: Some(climb.into()),
        gym_route_id: None,
        date: None,
        style: TickStyle::Lead,
        attempt: AttemptType::Redpoint,
        stars: None,
        notes: None,
    }
}

fn issue(p: &MemoryPlatform) -> Result<String, String> {
    let store = Store::new(p);
    crate::credentials::issue(
        &store,
        "https://climbing.test/mcp",
        "admin",
        "bot",
        &[Scope::Read],
        30,
        None,
    )
    .map(|(_, info)| info.id)
}

/// Records of kind `prefix` in the store.
fn count(p: &MemoryPlatform, prefix: &str) -> usize {
    p.kv.keys()
        .iter()
        .filter(|k| k.starts_with(&format!("{prefix}/")))
        .count()
}

/// Runs `op` with `fault` injected; returns its result, how long it took and how
/// many store calls it made, and checks both bounds.
fn under<T>(w: &World, fault: Fault, op: impl FnOnce(&Climbing) -> T) -> T {
    let c = Climbing::new(Store::new(&w.platform), "alice");
    w.platform.kv.fault.set(fault);
    let calls = w.platform.kv.ops.get();
    let start = Instant::now();
    let out = op(&c);
    let took = start.elapsed();
    let calls = w.platform.kv.ops.get() - calls;
    w.platform.kv.fault.set(Fault::None);
    assert!(took < REQUEST_BOUND, "{fault:?}: took {took:?}");
    assert!(calls < CALL_BOUND, "{fault:?}: {calls} store calls");
    out
}

#[test]
fn a_store_that_refuses_every_swap_gets_bounded_attempts_and_a_retryable_error() {
    let w = world();
    let (areas, climbs, ticks, tokens) = (
        count(&w.platform, "a"),
        count(&w.platform, "c"),
        count(&w.platform, "x"),
        count(&w.platform, "t"),
    );
    let writes = w.platform.kv.writes.get();
    let refused = under(&w, Fault::RefuseEveryCas, |c| {
        c.create_area(new_area("Sector", AreaKind::Sector, Some(&w.crag)))
    });
    let message = refused.unwrap_err().to_string();
    assert!(message.contains("retry the request"), "{message}");
    assert!(under(&w, Fault::RefuseEveryCas, |c| c
        .create_climb(new_climb("Second", &w.crag)))
    .is_err());
    assert!(under(&w, Fault::RefuseEveryCas, |c| c
        .log_tick(new_tick(&w.climb)))
    .is_err());
    assert!(under(&w, Fault::RefuseEveryCas, |_| issue(&w.platform)).is_err());
    let update = under(&w, Fault::RefuseEveryCas, |c| {
        c.update_climb(
            &w.climb,
            None,
            ClimbChanges {
                name: Some("Renamed".into()),
                ..Default::default()
            },
        )
    });
    assert!(matches!(
        update,
        Err(super::DomainError::Store(StoreError::Contended { .. }))
    ));
    // Nothing was created or changed: the only writes are index entries (and
    // their lists' counts), which readers skip without their records, and a
    // climb's history line written ahead of it and taken back.
    assert_eq!(count(&w.platform, "a"), areas);
    assert_eq!(count(&w.platform, "c"), climbs);
    assert_eq!(count(&w.platform, "x"), ticks);
    assert_eq!(count(&w.platform, "t"), tokens);
    let c = Climbing::new(Store::new(&w.platform), "alice");
    assert_eq!(c.get_climb(&w.climb).unwrap().decode().unwrap().version, 1);
    assert!(w.platform.kv.writes.get() - writes < 40);
}

#[test]
fn a_store_that_fails_after_writing_gets_each_record_exactly_once() {
    let w = world();
    let (areas, climbs, ticks, tokens) = (
        count(&w.platform, "a"),
        count(&w.platform, "c"),
        count(&w.platform, "x"),
        count(&w.platform, "t"),
    );
    // Every swap lands and then reports an error; reading back shows it landed.
    let sector = under(&w, Fault::FailAfterWrite, |c| {
        c.create_area(new_area("Sector", AreaKind::Sector, Some(&w.crag)))
    })
    .unwrap();
    let climb = under(&w, Fault::FailAfterWrite, |c| {
        c.create_climb(new_climb("Second", &w.crag))
    })
    .unwrap();
    under(&w, Fault::FailAfterWrite, |c| {
        c.log_tick(new_tick(&w.climb))
    })
    .unwrap();
    under(&w, Fault::FailAfterWrite, |_| issue(&w.platform)).unwrap();
    let renamed = under(&w, Fault::FailAfterWrite, |c| {
        c.update_climb(
            &climb.id,
            None,
            ClimbChanges {
                name: Some("Renamed".into()),
                ..Default::default()
            },
        )
    })
    .unwrap();
    assert_eq!(renamed.version, 2, "one update, applied once");
    assert_eq!(count(&w.platform, "a"), areas + 1);
    assert_eq!(count(&w.platform, "c"), climbs + 1);
    assert_eq!(count(&w.platform, "x"), ticks + 1);
    assert_eq!(count(&w.platform, "t"), tokens + 1);
    // Each list holds the new entry once.
    let c = Climbing::new(Store::new(&w.platform), "alice");
    let (children, _) = c.list_areas(Some(&w.crag), None, 100).unwrap();
    assert_eq!(children.iter().filter(|a| a.id == sector.id).count(), 1);
    let (listed, _) = c.list_climbs(&w.crag, None, 100).unwrap();
    let ids: Vec<String> = listed.iter().map(|s| s.decode().unwrap().id).collect();
    assert_eq!(ids.iter().filter(|id| **id == climb.id).count(), 1);
    assert_eq!(
        c.get_climb(&climb.id).unwrap().decode().unwrap().name,
        "Renamed"
    );
}

#[test]
fn a_store_that_stops_answering_ends_each_request_within_the_bound() {
    let w = world();
    let (areas, climbs, ticks) = (
        count(&w.platform, "a"),
        count(&w.platform, "c"),
        count(&w.platform, "x"),
    );
    let slow = Fault::TimeOut(Duration::from_millis(100));
    let failed = under(&w, slow, |c| {
        c.create_area(new_area("Sector", AreaKind::Sector, Some(&w.crag)))
    });
    assert!(failed.unwrap_err().to_string().contains("timed out"));
    assert!(under(&w, slow, |c| c.create_climb(new_climb("Second", &w.crag))).is_err());
    assert!(under(&w, slow, |c| c.log_tick(new_tick(&w.climb))).is_err());
    assert!(under(&w, slow, |_| issue(&w.platform)).is_err());
    assert_eq!(count(&w.platform, "a"), areas);
    assert_eq!(count(&w.platform, "c"), climbs);
    assert_eq!(count(&w.platform, "x"), ticks);
}

#[test]
fn an_insert_that_times_out_in_its_swap_is_read_back_not_repeated() {
    // The store answers reads but every swap times out: the insert keeps reading
    // back (never drawing a new id), gives up within its budget, and says the
    // outcome is unknown rather than "nothing happened".
    let w = world();
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Note {
        id: String,
        version: u64,
    }
    crate::record!(Note, "n", "note");
    struct SwapTimesOut<'a>(&'a MemoryPlatform);
    impl crate::platform::KeyValue for SwapTimesOut<'_> {
        fn get(&self, key: &str) -> crate::platform::KvResult<Option<Vec<u8>>> {
            self.0.kv.get(key)
        }
        fn get_many(&self, keys: &[String]) -> crate::platform::KvResult<Vec<Option<Vec<u8>>>> {
            self.0.kv.get_many(keys)
        }
        fn set(&self, key: &str, value: &[u8]) -> crate::platform::KvResult<()> {
            self.0.kv.set(key, value)
        }
        fn set_many(&self, entries: &[(String, Vec<u8>)]) -> crate::platform::KvResult<()> {
            self.0.kv.set_many(entries)
        }
        fn delete(&self, key: &str) -> crate::platform::KvResult<()> {
            self.0.kv.delete(key)
        }
        fn increment(&self, key: &str, delta: i64) -> crate::platform::KvResult<i64> {
            self.0.kv.increment(key, delta)
        }
        fn cas_read(&self, key: &str) -> crate::platform::KvResult<crate::platform::CasRead> {
            self.0.kv.cas_read(key)
        }
        fn cas_swap(
            &self,
            _read: crate::platform::CasRead,
            _value: &[u8],
        ) -> crate::platform::KvResult<crate::platform::Swap> {
            std::thread::sleep(Duration::from_millis(20));
            Err(crate::platform::KvError("timed out".into()))
        }
    }
    struct Wrapped<'a>(SwapTimesOut<'a>);
    impl crate::platform::Platform for Wrapped<'_> {
        fn kv(&self) -> &dyn crate::platform::KeyValue {
            &self.0
        }
        fn variable(&self, name: &str) -> Option<String> {
            self.0 .0.variable(name)
        }
        fn now_ms(&self) -> u64 {
            self.0 .0.now_ms()
        }
        fn random_bytes(&self, len: usize) -> Vec<u8> {
            self.0 .0.random_bytes(len)
        }
        fn http_get(&self, url: &str) -> Result<Vec<u8>, String> {
            self.0 .0.http_get(url)
        }
    }
    let platform = Wrapped(SwapTimesOut(&w.platform));
    let store = Store::new(&platform);
    let start = Instant::now();
    let mut note = Note {
        id: "n1".into(),
        version: 0,
    };
    let outcome = store.insert(&mut note);
    assert!(start.elapsed() < REQUEST_BOUND);
    assert!(
        matches!(&outcome, Err(StoreError::Unconfirmed { id, .. }) if id == "n1"),
        "{outcome:?}"
    );
    assert!(outcome
        .unwrap_err()
        .to_string()
        .contains("look it up by id before retrying"));
}
