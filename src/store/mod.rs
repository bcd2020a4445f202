//! Typed, versioned records over the key-value store.
//!
//! One JSON record per key, each with a `version` that every write bumps through
//! compare-and-swap, so concurrent writers on many replicas never overwrite each other.
//! Lists that can grow live in sharded index pages ([`index`]); list positions are
//! opaque, tamper-evident cursors ([`cursor`]).

pub mod conformance;
pub mod creation;
pub mod cursor;
mod field;
pub mod ids;
pub mod index;
pub mod keys;
pub mod lifecycle;
pub mod pages;
mod swap;
pub mod tasks;

pub use crate::platform::retry;
use crate::platform::{KeyValue, KvError, Platform};
use field::FieldIs;
pub use ids::DerivedIds;
pub use index::Listing;
pub use lifecycle::{Leased, Listed, Scan};
use serde::{de::DeserializeOwned, Serialize, Serializer};
use serde_json::value::RawValue;
use std::fmt;
use std::marker::PhantomData;
use std::rc::Rc;
use swap::Halt;

/// How often a read-modify-write retries after losing a compare-and-swap race before
/// giving up with [`StoreError::Contended`]. Each retry re-reads, so progress is only
/// blocked by a storm of writers on the very same key.
pub const CAS_RETRIES: usize = retry::CAS_ATTEMPTS;
pub use retry::ID_ATTEMPTS;

#[derive(Debug, Clone, PartialEq)]
pub enum StoreError {
    Kv(KvError),
    /// A stored value that is not the JSON we expect (a bug or a foreign writer).
    Corrupt {
        key: String,
        reason: String,
    },
    NotFound {
        kind: &'static str,
        id: String,
    },
    /// `expected_version` did not match: someone else changed the record first.
    VersionConflict {
        kind: &'static str,
        id: String,
        expected: u64,
        current: u64,
    },
    /// Too many concurrent writers on one key (or a store that refuses every
    /// compare-and-swap); nothing was written, the caller may simply retry.
    Contended {
        key: String,
    },
    /// The store failed while a write was on its way and reading back could not
    /// tell whether it landed: the caller must look before writing again.
    Unconfirmed {
        kind: &'static str,
        id: String,
        detail: String,
    },
}

impl StoreError {
    /// True for store trouble (not a refusal of the request itself): the reply is a
    /// server error and the request may be retried once the store is healthy.
    pub fn is_store_trouble(&self) -> bool {
        matches!(
            self,
            StoreError::Kv(_) | StoreError::Corrupt { .. } | StoreError::Unconfirmed { .. }
        )
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Kv(e) => write!(f, "{e}"),
            StoreError::Corrupt { key, reason } => {
                write!(f, "stored record {key} is unreadable: {reason}")
            }
            StoreError::NotFound { kind, id } => write!(f, "no {kind} with id \"{id}\""),
            StoreError::VersionConflict {
                kind,
                id,
                expected,
                current,
            } => write!(
                f,
                "{kind} \"{id}\" was changed by someone else: you expected version {expected}, \
                 the current version is {current}. Read it again, reapply your change, and \
                 send expected_version {current}."
            ),
            StoreError::Contended { key } => write!(
                f,
                "the store refused every attempt to write {key} (too many concurrent writes, \
                 or a store whose compare-and-swap never succeeds); nothing was changed, \
                 retry the request"
            ),
            StoreError::Unconfirmed { kind, id, detail } => write!(
                f,
                "the key-value store failed during a write and did not confirm whether \
                 {kind} \"{id}\" was saved ({detail}); look it up by id before retrying, \
                 so it is not written twice"
            ),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<KvError> for StoreError {
    fn from(e: KvError) -> Self {
        StoreError::Kv(e)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A record kind stored one per key under `PREFIX/<id>`.
pub trait Record: Serialize + DeserializeOwned {
    /// Key prefix, e.g. `"a"` for areas.
    const PREFIX: &'static str;
    /// The noun used in messages ("area", "climb").
    const KIND: &'static str;
    fn id(&self) -> &str;
    fn version(&self) -> u64;
    fn set_version(&mut self, version: u64);
}

/// Implements [`Record`] for a struct with `id: String` and `version: u64` fields:
/// `record!(Area, "a", "area");`
#[macro_export]
macro_rules! record {
    ($ty:ty, $prefix:literal, $kind:literal) => {
        impl $crate::store::Record for $ty {
            const PREFIX: &'static str = $prefix;
            const KIND: &'static str = $kind;
            fn id(&self) -> &str {
                &self.id
            }
            fn version(&self) -> u64 {
                self.version
            }
            fn set_version(&mut self, version: u64) {
                self.version = version;
            }
        }
    };
}

/// Typed access to the store for one request.
pub struct Store<'p> {
    platform: &'p dyn Platform,
    /// Set for a call made under an idempotency key: new ids are derived, not drawn.
    derived_ids: Option<Rc<DerivedIds>>,
}

impl<'p> Store<'p> {
    pub fn new(platform: &'p dyn Platform) -> Self {
        Self {
            platform,
            derived_ids: None,
        }
    }

    /// This store, drawing its new ids from `ids` (see [`ids`]).
    pub fn deriving_ids(self, ids: Option<Rc<DerivedIds>>) -> Self {
        Self {
            derived_ids: ids,
            ..self
        }
    }

    /// Whether new ids are derived, so a taken id is our own earlier attempt's.
    pub fn derives_ids(&self) -> bool {
        self.derived_ids.is_some()
    }

    /// Whether new ids are those of an earlier attempt that died, so what it wrote
    /// under them (index entries of a record it did not get to store) may be there.
    pub fn resumes_ids(&self) -> bool {
        self.derived_ids.as_ref().is_some_and(|ids| ids.resumed())
    }

    pub fn kv(&self) -> &'p dyn KeyValue {
        self.platform.kv()
    }

    pub fn platform(&self) -> &'p dyn Platform {
        self.platform
    }

    /// A new short, URL-safe id (12 characters, 72 bits): random, or the next
    /// derived one.
    pub fn new_id(&self) -> String {
        match &self.derived_ids {
            Some(ids) => ids.next(),
            None => crate::encoding::base64url(&self.platform.random_bytes(9)),
        }
    }

    pub fn get<R: Record>(&self, id: &str) -> StoreResult<Option<R>> {
        let key = keys::record::<R>(id);
        self.kv()
            .get(&key)?
            .map(|bytes| decode_record(&key, &bytes))
            .transpose()
    }

    pub fn require<R: Record>(&self, id: &str) -> StoreResult<R> {
        self.get(id)?.ok_or_else(|| StoreError::NotFound {
            kind: R::KIND,
            id: id.to_owned(),
        })
    }

    /// Records for `ids` in one batch read, skipping ids whose record is gone
    /// (index entries may briefly outlive their record; see [`index`]).
    pub fn get_many<R: Record>(&self, ids: &[String]) -> StoreResult<Vec<R>> {
        self.fetch_many::<R>(ids)?
            .map(|(key, bytes)| decode_record(&key, &bytes))
            .collect()
    }

    /// A record as stored, to hand on without decoding it.
    pub fn require_stored<R: Record>(&self, id: &str) -> StoreResult<Stored<R>> {
        let key = keys::record::<R>(id);
        match self.kv().get(&key)? {
            Some(bytes) => Stored::read(key, bytes),
            None => Err(StoreError::NotFound {
                kind: R::KIND,
                id: id.to_owned(),
            }),
        }
    }

    /// [`Store::get_many`] without decoding the records.
    pub fn get_many_stored<R: Record>(&self, ids: &[String]) -> StoreResult<Vec<Stored<R>>> {
        self.fetch_many::<R>(ids)?
            .map(|(key, bytes)| Stored::read(key, bytes))
            .collect()
    }

    /// The records of `listed` (an id, and the value its string `field` has when
    /// the record is really where it was listed: a climb in `cl/<area>` has that
    /// `area_id`), as stored, in one batch read. An entry whose record has moved on
    /// is skipped like one whose record is gone: a move cut off between writing the
    /// record and removing its old entry leaves one behind (see [`index`]).
    pub fn get_many_stored_in<R: Record>(
        &self,
        listed: &[(&str, &str)],
        field: &str,
    ) -> StoreResult<Vec<Stored<R>>> {
        let keys: Vec<String> = listed.iter().map(|(id, _)| keys::record::<R>(id)).collect();
        let values = self.kv().get_many(&keys)?;
        let mut kept = Vec::with_capacity(keys.len());
        // One test per home (a page lists most or all of its records under one).
        let mut test: Option<FieldIs> = None;
        for ((key, value), (_, home)) in keys.into_iter().zip(values).zip(listed) {
            let Some(bytes) = value else { continue };
            let stored = Stored::<R>::read(key, bytes)?;
            let test = match &mut test {
                Some(t) if t.value() == *home => t,
                _ => test.insert(FieldIs::new(field, home)),
            };
            match test.holds(stored.json.get()) {
                Ok(true) => kept.push(stored),
                Ok(false) => {}
                Err(e) => return Err(stored.corrupt(e.to_string())),
            }
        }
        Ok(kept)
    }

    /// The keys and stored bytes of the records of `ids` that exist, in one batch read.
    fn fetch_many<R: Record>(
        &self,
        ids: &[String],
    ) -> StoreResult<impl Iterator<Item = (String, Vec<u8>)>> {
        let keys: Vec<String> = ids.iter().map(|id| keys::record::<R>(id)).collect();
        let values = self.kv().get_many(&keys)?;
        Ok(keys
            .into_iter()
            .zip(values)
            .filter_map(|(key, value)| Some((key, value?))))
    }

    /// Stores a new record at version 1. Fails with `Ok(false)` if the id is taken,
    /// so the caller can pick another id; how a store error or a lost swap is
    /// settled is [`Store::insert_bytes`]'s.
    pub fn insert<R: Record>(&self, record: &mut R) -> StoreResult<bool> {
        record.set_version(1);
        let key = keys::record::<R>(record.id());
        self.insert_bytes(R::KIND, record.id(), &key, &encode(record))
    }

    /// Deletes a record. Callers remove index entries afterwards (readers skip ids
    /// whose record is gone), so a crash never leaves a record no index finds.
    pub fn delete<R: Record>(&self, id: &str) -> StoreResult<()> {
        Ok(self.kv().delete(&keys::record::<R>(id))?)
    }

    /// Read-modify-write of one record under compare-and-swap. `change` may refuse
    /// (domain rules) with an error of its own; with `expected_version`, a record at
    /// another version is a [`StoreError::VersionConflict`] and nothing is written.
    /// Retries and the settling of a failed swap are [`Store::swap_bytes`]'s.
    pub fn update<R: Record, E: From<StoreError>>(
        &self,
        id: &str,
        expected_version: Option<u64>,
        mut change: impl FnMut(&mut R) -> Result<(), E>,
    ) -> Result<R, E> {
        let key = keys::record::<R>(id);
        // The record of the last attempt and the change's refusal, kept here: the
        // loop only sees bytes.
        let mut changed: Option<R> = None;
        let mut refusal: Option<E> = None;
        let outcome = self.swap_bytes(R::KIND, id, &key, &mut |bytes| {
            let mut record: R = decode_record(&key, bytes)?;
            expect_version(R::KIND, id, expected_version, record.version())?;
            if let Err(e) = change(&mut record) {
                refusal = Some(e);
                return Err(Halt::Refused);
            }
            record.set_version(record.version() + 1);
            let attempted = encode(&record);
            changed = Some(record);
            Ok(attempted)
        });
        // A write that landed was the last attempt's, and a refusal left its error.
        match (outcome, changed, refusal) {
            (Ok(()), Some(record), _) => Ok(record),
            (Err(Halt::Refused), _, Some(e)) => Err(e),
            (Err(Halt::Store(e)), ..) => Err(e.into()),
            _ => Err(StoreError::Contended { key }.into()),
        }
    }
}

/// The error of a create that found every fresh id it drew already taken: with
/// random 72-bit ids that is a store answering "present" for absent keys.
pub fn ids_exhausted(kind: &'static str) -> StoreError {
    StoreError::Kv(KvError(format!(
        "every new {kind} id tried was reported as already taken; the store answers \
         wrongly for absent keys (run the check_store admin tool); nothing was created"
    )))
}

/// A record as stored: its JSON text, which a reply carries as it is. Reads that
/// only return records skip decoding and re-encoding them, which is most of what
/// they cost. The text is checked to be JSON when read, and records are stored in
/// their output shape, so a field added later must be optional (records written
/// before it stay valid output).
pub struct Stored<R> {
    key: String,
    json: Box<RawValue>,
    record: PhantomData<fn() -> R>,
}

impl<R: Record> Stored<R> {
    fn read(key: String, bytes: Vec<u8>) -> StoreResult<Self> {
        let json = String::from_utf8(bytes)
            .map_err(|e| e.to_string())
            .and_then(|text| RawValue::from_string(text).map_err(|e| e.to_string()));
        match json {
            Ok(json) => Ok(Self {
                key,
                json,
                record: PhantomData,
            }),
            Err(reason) => Err(StoreError::Corrupt { key, reason }),
        }
    }

    /// The record itself.
    pub fn decode(&self) -> StoreResult<R> {
        self.view()
    }

    /// The record's string field named `key`, parsed no further than it (the text
    /// was checked to be JSON when read); a record without it is corrupt.
    pub fn string_field(&self, key: &str) -> StoreResult<String> {
        match field::string_field(self.json.get(), key) {
            Ok(Some(value)) => Ok(value),
            Ok(None) => Err(self.corrupt(format!("no `{key}` field"))),
            Err(e) => Err(self.corrupt(e.to_string())),
        }
    }

    fn corrupt(&self, reason: String) -> StoreError {
        corrupt(&self.key, reason)
    }

    /// Part of the record: a struct with some of its fields.
    pub fn view<T: DeserializeOwned>(&self) -> StoreResult<T> {
        decode_record(&self.key, self.json.get().as_bytes())
    }
}

impl<R> Serialize for Stored<R> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.json.serialize(serializer)
    }
}

/// A stored record has its record type's schema.
#[cfg(not(target_arch = "wasm32"))]
impl<R: schemars::JsonSchema> schemars::JsonSchema for Stored<R> {
    fn inline_schema() -> bool {
        R::inline_schema()
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        R::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        R::schema_id()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        R::json_schema(generator)
    }
}

pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Serializing our own plain data types to JSON cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

pub fn decode<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> StoreResult<T> {
    serde_json::from_slice(bytes).map_err(|e| corrupt_json(key, e))
}

/// A record (or part of one), parsed to JSON first and read from the object: a
/// typed parse straight from the bytes is about 3 KB of code per record type, one
/// from a parsed object about 1 KB, and tools' arguments are read that way already.
/// Reads that answer with records do not decode them ([`Stored`]); index pages and
/// cursors, which every list reads, are parsed straight from their bytes.
pub fn decode_record<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> StoreResult<T> {
    T::deserialize(parse_object(key, bytes)?).map_err(|e| corrupt_json(key, e))
}

/// The untyped half of [`decode_record`], outside the copy each type gets.
fn parse_object(
    key: &str,
    bytes: &[u8],
) -> StoreResult<serde_json::Map<String, serde_json::Value>> {
    match serde_json::from_slice(bytes).map_err(|e| corrupt_json(key, e))? {
        serde_json::Value::Object(map) => Ok(map),
        _ => Err(corrupt(key, "not a JSON object".into())),
    }
}

/// A version check ahead of a write: a record at `current` may be written over
/// only when it is the `expected` version (when one is given).
fn expect_version(
    kind: &'static str,
    id: &str,
    expected: Option<u64>,
    current: u64,
) -> StoreResult<()> {
    match expected {
        Some(expected) if expected != current => Err(StoreError::VersionConflict {
            kind,
            id: id.to_owned(),
            expected,
            current,
        }),
        _ => Ok(()),
    }
}

fn corrupt_json(key: &str, e: serde_json::Error) -> StoreError {
    corrupt(key, e.to_string())
}

fn corrupt(key: &str, reason: String) -> StoreError {
    StoreError::Corrupt {
        key: key.to_owned(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::memory::MemoryPlatform;
    use serde::Deserialize;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Note {
        id: String,
        version: u64,
        text: String,
    }

    crate::record!(Note, "n", "note");

    #[test]
    fn insert_update_and_conflicts() {
        let platform = MemoryPlatform::default();
        let store = Store::new(&platform);
        let mut note = Note {
            id: "x".into(),
            version: 0,
            text: "a".into(),
        };
        assert!(store.insert(&mut note).unwrap());
        assert!(!store
            .insert(&mut Note {
                id: "x".into(),
                version: 0,
                text: "b".into()
            })
            .unwrap());
        let updated: Note = store
            .update("x", Some(1), |n: &mut Note| {
                n.text = "b".into();
                Ok::<(), StoreError>(())
            })
            .unwrap();
        assert_eq!(updated.version, 2);
        let stale = store.update("x", Some(1), |_: &mut Note| Ok::<(), StoreError>(()));
        assert!(matches!(
            stale,
            Err(StoreError::VersionConflict { current: 2, .. })
        ));
        let missing = store.update("nope", None, |_: &mut Note| Ok::<(), StoreError>(()));
        assert!(matches!(missing, Err(StoreError::NotFound { .. })));
        assert_eq!(store.require::<Note>("x").unwrap().text, "b");
        let got: Vec<Note> = store.get_many(&["x".into(), "gone".into()]).unwrap();
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn stored_records_pass_through_unchanged_and_garbage_is_refused() {
        let platform = MemoryPlatform::default();
        let store = Store::new(&platform);
        let stored_text = r#"{"id":"x","version":3,"text":"a \"quoted\" é"}"#;
        platform.kv().set("n/x", stored_text.as_bytes()).unwrap();
        platform.kv().set("n/bad", b"{\"id\":").unwrap();

        let stored = store.require_stored::<Note>("x").unwrap();
        assert_eq!(serde_json::to_string(&stored).unwrap(), stored_text);
        assert_eq!(stored.decode().unwrap().text, "a \"quoted\" é");
        let page = store
            .get_many_stored::<Note>(&["x".into(), "gone".into()])
            .unwrap();
        assert_eq!(
            serde_json::to_string(&page).unwrap(),
            format!("[{stored_text}]")
        );

        assert!(matches!(
            store.require_stored::<Note>("bad"),
            Err(StoreError::Corrupt { .. })
        ));
        assert!(matches!(
            store.get_many_stored::<Note>(&["x".into(), "bad".into()]),
            Err(StoreError::Corrupt { .. })
        ));
        assert!(matches!(
            store.require_stored::<Note>("gone"),
            Err(StoreError::NotFound { .. })
        ));
    }
}
