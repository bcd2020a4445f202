//! The platform inside the component: the key-value store chosen by the `kv_backend`
//! variable (`wasi:keyvalue@0.2.0-draft2` through spin-sdk's generated bindings, or
//! Redis through Spin's outbound Redis interface), Spin variables, WASI clocks and
//! random.

use super::batch_order::in_key_order;
use super::redis::RedisKv;
use super::retry::Budget;
use super::{CasRead, KeyValue, KvError, KvResult, Platform, Swap, Unavailable};
use spin_sdk::wit::wasi::keyvalue::{atomics, batch, store};
use std::time::Duration;

/// The Spin key-value store every deployment declares (`key_value_stores = ["default"]`).
const STORE_LABEL: &str = "default";

#[derive(Default)]
pub struct WasiPlatform {
    kv: std::cell::OnceCell<Box<dyn KeyValue>>,
}

impl WasiPlatform {
    /// The store `kv_backend` names: `keyvalue` (the default: the host's
    /// `wasi:keyvalue` store) or `redis` (the server at `redis_url`).
    fn backend(&self) -> Box<dyn KeyValue> {
        match self.variable("kv_backend").as_deref() {
            None | Some("keyvalue") => Box::new(WasiKv::default()),
            Some("redis") => match self.variable(climbing_contract::variables::REDIS_URL) {
                Some(url) => Box::new(RedisKv::new(with_password(
                    &url,
                    self.variable("redis_password").as_deref(),
                ))),
                None => Box::new(Unavailable(KvError(
                    "kv_backend is \"redis\" but redis_url is not set; set it to \
                     redis://HOST:PORT (and allow that origin in allowed_outbound_hosts)"
                        .into(),
                ))),
            },
            Some(other) => Box::new(Unavailable(KvError(format!(
                "kv_backend is \"{other}\"; it must be \"keyvalue\" (the runtime's key-value \
                 store, the default) or \"redis\""
            )))),
        }
    }
}

/// `redis_url` with `redis_password` put in as its user information. The password
/// is a variable of its own because `redis_url` is also the allowed outbound host,
/// and Spin refuses user information there.
fn with_password(url: &str, password: Option<&str>) -> String {
    match (password, url.split_once("://")) {
        (Some(password), Some((scheme, rest))) if !rest.contains('@') => {
            let mut encoded = String::new();
            for b in password.bytes() {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    encoded.push(b as char);
                } else {
                    encoded.push_str(&format!("%{b:02X}"));
                }
            }
            format!("{scheme}://:{encoded}@{rest}")
        }
        _ => url.to_owned(),
    }
}

impl Platform for WasiPlatform {
    fn kv(&self) -> &dyn KeyValue {
        self.kv.get_or_init(|| self.backend()).as_ref()
    }

    fn variable(&self, name: &str) -> Option<String> {
        spin_sdk::variables::get(name)
            .ok()
            .filter(|v| !v.is_empty())
    }

    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }

    fn http_get(&self, url: &str) -> Result<Vec<u8>, String> {
        outbound::get(url)
    }

    fn random_bytes(&self, len: usize) -> Vec<u8> {
        wasi::random::random::get_random_bytes(len as u64)
    }

    /// A `wasi:clocks/monotonic-clock` pollable, blocked on: the host parks the
    /// instance (no busy loop) and runs other requests meanwhile.
    fn sleep_ms(&self, ms: u64) {
        let nanos = ms.saturating_mul(1_000_000);
        wasi::clocks::monotonic_clock::subscribe_duration(nanos).block();
    }
}

/// Opens the bucket on first use, so requests that never touch the store
/// (errors at the HTTP edge, `ping`) cost no KV call.
#[derive(Default)]
struct WasiKv {
    bucket: std::cell::OnceCell<Result<store::Bucket, KvError>>,
}

fn kv_error(e: store::Error) -> KvError {
    KvError(match e {
        store::Error::NoSuchStore => "the key-value store \"default\" is not configured".into(),
        store::Error::AccessDenied => "access to the key-value store was denied".into(),
        store::Error::Other(msg) => msg,
    })
}

impl WasiKv {
    fn bucket(&self) -> KvResult<&store::Bucket> {
        self.bucket
            .get_or_init(|| transient(|| store::open(STORE_LABEL)))
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// Attempts of a call that failed because another process held the SQLite file.
const LOCKED_ATTEMPTS: usize = 8;

/// Runs `call`, again (backing off, bounded) while it fails with SQLite's "database
/// is locked": several Spin processes on one file see it under load, and Spin
/// neither waits for the lock nor retries. The calls retried here leave nothing
/// behind when they fail this way (Spin runs each in its own statement or
/// transaction, rolled back on error). The compare-and-swap write is not retried
/// here: its handle is spent, and the store layer reads back instead.
fn transient<T>(mut call: impl FnMut() -> Result<T, store::Error>) -> KvResult<T> {
    let mut budget = Budget::with_time(LOCKED_ATTEMPTS, Duration::from_millis(800));
    let mut last = None;
    while budget.attempt() {
        match call() {
            Ok(value) => return Ok(value),
            Err(store::Error::Other(msg)) if is_locked(&msg) => last = Some(msg),
            Err(e) => return Err(kv_error(e)),
        }
    }
    Err(KvError(format!(
        "{} (the store stayed locked by another process through {LOCKED_ATTEMPTS} attempts; retry the request)",
        last.unwrap_or_else(|| "database is locked".into())
    )))
}

fn is_locked(message: &str) -> bool {
    message.contains("database is locked") || message.contains("database table is locked")
}

impl KeyValue for WasiKv {
    fn get(&self, key: &str) -> KvResult<Option<Vec<u8>>> {
        let bucket = self.bucket()?;
        transient(|| bucket.get(key))
    }

    fn get_many(&self, keys: &[String]) -> KvResult<Vec<Option<Vec<u8>>>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let bucket = self.bucket()?;
        let found = transient(|| batch::get_many(bucket, keys))?;
        Ok(in_key_order(keys, found))
    }

    fn set(&self, key: &str, value: &[u8]) -> KvResult<()> {
        let bucket = self.bucket()?;
        transient(|| bucket.set(key, value))
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> KvResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let bucket = self.bucket()?;
        transient(|| batch::set_many(bucket, entries))
    }

    fn delete(&self, key: &str) -> KvResult<()> {
        let bucket = self.bucket()?;
        transient(|| bucket.delete(key))
    }

    fn increment(&self, key: &str, delta: i64) -> KvResult<i64> {
        let bucket = self.bucket()?;
        transient(|| atomics::increment(bucket, key, delta))
    }

    fn cas_read(&self, key: &str) -> KvResult<CasRead> {
        let bucket = self.bucket()?;
        let cas = transient(|| atomics::Cas::new(bucket, key))?;
        let current = transient(|| cas.current())?;
        Ok(CasRead {
            current,
            handle: Box::new(cas),
        })
    }

    fn cas_swap(&self, read: CasRead, value: &[u8]) -> KvResult<Swap> {
        let cas = read
            .handle
            .downcast::<atomics::Cas>()
            .map_err(|_| KvError("compare-and-swap handle from another store".into()))?;
        match atomics::swap(*cas, value) {
            Ok(()) => Ok(Swap::Written),
            Err(atomics::CasError::CasFailed(_)) => Ok(Swap::Conflict),
            Err(atomics::CasError::StoreError(e)) => Err(kv_error(e)),
        }
    }
}

/// Blocking outbound GET over `wasi:http/outgoing-handler`.
mod outbound {
    use wasi::http::outgoing_handler;
    use wasi::http::types::{Fields, Method, OutgoingRequest, Scheme};

    /// Responses larger than this are cut off with an error.
    const MAX_RESPONSE_BYTES: usize = 1 << 20;

    pub fn get(url: &str) -> Result<Vec<u8>, String> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| format!("{url} is not an absolute URL"))?;
        let scheme = match scheme {
            "https" => Scheme::Https,
            "http" => Scheme::Http,
            other => return Err(format!("unsupported URL scheme {other}")),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let headers = Fields::from_list(&[("accept".to_owned(), b"application/json".to_vec())])
            .map_err(|e| format!("{e:?}"))?;
        let request = OutgoingRequest::new(headers);
        let bad = |_| "invalid URL".to_owned();
        request.set_method(&Method::Get).map_err(bad)?;
        request.set_scheme(Some(&scheme)).map_err(bad)?;
        request.set_authority(Some(authority)).map_err(bad)?;
        request.set_path_with_query(Some(path)).map_err(bad)?;
        let future = outgoing_handler::handle(request, None).map_err(|e| format!("{e:?}"))?;
        future.subscribe().block();
        let response = future
            .get()
            .ok_or("no response")?
            .map_err(|_| "response already taken".to_owned())?
            .map_err(|e| format!("{e:?}"))?;
        if response.status() != 200 {
            return Err(format!("HTTP status {}", response.status()));
        }
        let body = response.consume().map_err(|_| "no body".to_owned())?;
        let stream = body.stream().map_err(|_| "no body stream".to_owned())?;
        let mut bytes = Vec::new();
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() > MAX_RESPONSE_BYTES {
                        return Err("response too large".into());
                    }
                }
                Err(wasi::io::streams::StreamError::Closed) => break,
                Err(e) => return Err(format!("reading the body failed: {e:?}")),
            }
        }
        Ok(bytes)
    }
}
