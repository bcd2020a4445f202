//! The key-value store on a Redis server that the component reaches itself, through
//! Spin's outbound Redis interface (`fermyon:spin/redis@2.0.0`), for deployments
//! with more than one machine (`kv_backend = "redis"`, `redis_url`).
//!
//! Spin's own Redis key-value backend (4.0.2) loses compare-and-swaps and cannot
//! batch-read (docs/operations.md), so the operations are built here from plain
//! Redis commands whose semantics are exact:
//! - compare-and-swap is one server-side Lua script: it compares the current value
//!   with the one read and writes only when they are equal (absence included), so
//!   no other client can come between the check and the write;
//! - increments are `INCRBY` (atomic, the value is a decimal string);
//! - batch reads are one `MGET`, answered in key order with nil for absent keys.
//!
//! One connection per request: the instance opens it on first use and every call
//! of the request shares it.

use super::{CasRead, KeyValue, KvError, KvResult, Swap};
use spin_sdk::redis::{Connection, Error, RedisParameter, RedisResult};
use std::cell::OnceCell;

/// Writes `ARGV[3]` at `KEYS[1]` only when the key holds `ARGV[2]`
/// (`ARGV[1] == "1"`) or is absent (`ARGV[1] == "0"`). Returns 1 when written.
/// Comparing whole values is exact for our records: every write bumps a version
/// inside the value, and index pages only ever change in ways computed from the
/// page read, so equal bytes mean nothing happened in between that matters.
const CAS_SCRIPT: &str = "local cur = redis.call('GET', KEYS[1]) \
if ARGV[1] == '0' then if cur then return 0 end \
elseif cur ~= ARGV[2] then return 0 end \
redis.call('SET', KEYS[1], ARGV[3]) return 1";

pub struct RedisKv {
    url: String,
    connection: OnceCell<Result<Connection, KvError>>,
}

impl RedisKv {
    pub fn new(url: String) -> Self {
        Self {
            url,
            connection: OnceCell::new(),
        }
    }

    fn connection(&self) -> KvResult<&Connection> {
        self.connection
            .get_or_init(|| Connection::open(&self.url).map_err(|e| self.error(e)))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// An error that names the server (never its password) and says what to check.
    fn error(&self, e: Error) -> KvError {
        let server = redacted(&self.url);
        KvError(match e {
            Error::InvalidAddress => format!(
                "redis_url {server} is not a valid Redis URL or is not in the component's \
                 allowed_outbound_hosts"
            ),
            Error::TooManyConnections => format!("too many open connections to Redis at {server}"),
            Error::TypeError => format!("Redis at {server} answered with an unexpected type"),
            Error::Other(msg) => format!("Redis at {server}: {msg}"),
        })
    }

    fn execute(&self, command: &str, args: &[RedisParameter]) -> KvResult<Vec<RedisResult>> {
        self.connection()?
            .execute(command, args)
            .map_err(|e| self.error(e))
    }

    fn unexpected(&self, command: &str, got: &[RedisResult]) -> KvError {
        KvError(format!(
            "Redis at {} answered {command} with {got:?}",
            redacted(&self.url)
        ))
    }
}

fn binary(bytes: &[u8]) -> RedisParameter {
    RedisParameter::Binary(bytes.to_vec())
}

/// The URL without its user information, for messages.
fn redacted(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, _)), Some(at)) => format!("{scheme}://…@{}", &url[at + 1..]),
        _ => url.to_owned(),
    }
}

impl KeyValue for RedisKv {
    fn get(&self, key: &str) -> KvResult<Option<Vec<u8>>> {
        self.connection()?.get(key).map_err(|e| self.error(e))
    }

    fn get_many(&self, keys: &[String]) -> KvResult<Vec<Option<Vec<u8>>>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let args: Vec<RedisParameter> = keys.iter().map(|k| binary(k.as_bytes())).collect();
        let results = self.execute("MGET", &args)?;
        // One answer per key, in order. A host that dropped nils from the array
        // would shift values onto the wrong keys: refuse instead.
        if results.len() != keys.len() {
            return Err(KvError(format!(
                "Redis MGET of {} keys returned {} values; the host's outbound Redis drops \
                 nil replies, which this server cannot use",
                keys.len(),
                results.len()
            )));
        }
        results
            .into_iter()
            .map(|r| match r {
                RedisResult::Nil => Ok(None),
                RedisResult::Binary(bytes) => Ok(Some(bytes)),
                other => Err(self.unexpected("MGET", &[other])),
            })
            .collect()
    }

    fn set(&self, key: &str, value: &[u8]) -> KvResult<()> {
        self.connection()?
            .set(key, value)
            .map_err(|e| self.error(e))
    }

    /// One `MSET` (atomic on a Redis server).
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> KvResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let args: Vec<RedisParameter> = entries
            .iter()
            .flat_map(|(key, value)| [binary(key.as_bytes()), binary(value)])
            .collect();
        self.execute("MSET", &args).map(drop)
    }

    fn delete(&self, key: &str) -> KvResult<()> {
        self.connection()?
            .del(&[key.to_owned()])
            .map(drop)
            .map_err(|e| self.error(e))
    }

    fn increment(&self, key: &str, delta: i64) -> KvResult<i64> {
        let results = self.execute(
            "INCRBY",
            &[binary(key.as_bytes()), RedisParameter::Int64(delta)],
        )?;
        match results.as_slice() {
            [RedisResult::Int64(n)] => Ok(*n),
            other => Err(self.unexpected("INCRBY", other)),
        }
    }

    fn cas_read(&self, key: &str) -> KvResult<CasRead> {
        let current = self.get(key)?;
        Ok(CasRead {
            current: current.clone(),
            handle: Box::new((key.to_owned(), current)),
        })
    }

    fn cas_swap(&self, read: CasRead, value: &[u8]) -> KvResult<Swap> {
        let (key, seen) = *read
            .handle
            .downcast::<(String, Option<Vec<u8>>)>()
            .map_err(|_| KvError("compare-and-swap handle from another store".into()))?;
        let (present, expected) = match &seen {
            Some(bytes) => ("1", bytes.as_slice()),
            None => ("0", &[][..]),
        };
        let results = self.execute(
            "EVAL",
            &[
                binary(CAS_SCRIPT.as_bytes()),
                RedisParameter::Int64(1),
                binary(key.as_bytes()),
                binary(present.as_bytes()),
                binary(expected),
                binary(value),
            ],
        )?;
        match results.as_slice() {
            [RedisResult::Int64(1)] => Ok(Swap::Written),
            [RedisResult::Int64(0)] => Ok(Swap::Conflict),
            other => Err(self.unexpected("the compare-and-swap script", other)),
        }
    }
}
