//! `fermyon:spin/redis@2.0.0`: Spin's outbound Redis interface, against a real Redis
//! server through the `redis` crate, so the component's Redis store
//! (`kv_backend = "redis"`) runs here exactly as under Spin.
//!
//! As in Spin, the component may only reach the server its configuration names:
//! here that is the `redis_url` variable (Spin checks `allowed_outbound_hosts`, which
//! our spin.toml fills from the same variable). Unlike Spin, connections are kept in
//! a small pool between requests, and every call has a time limit, so a server that
//! stops answering fails the call instead of holding the request's thread.

use anyhow::Result;
use bindings::fermyon::spin::redis::{self as wit, Error, RedisParameter, RedisResult};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wasmtime::component::{HasSelf, Linker, Resource, ResourceTable};

/// Host bindings of `fermyon:spin/redis` (wit/deps/spin), with this module's
/// connection type.
mod bindings {
    wasmtime::component::bindgen!({
        inline: "package climbing:host-redis;
                 world redis { import fermyon:spin/redis@2.0.0; }",
        path: "../wit/deps/spin",
        with: { "fermyon:spin/redis.connection": super::RedisConnection },
    });
}

/// Connecting, and each command's round trip, give up after this long. Well below
/// the host's request timeout, so a stalled server yields an error reply in time.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(2);

/// Idle connections kept per server address.
const POOL_PER_ADDRESS: usize = 64;

/// Links `fermyon:spin/redis` to the [`RedisHost`] that `get` finds in a
/// request's state.
pub fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> &mut RedisHost,
) -> Result<()> {
    wit::add_to_linker::<_, HasSelf<RedisHost>>(linker, get)?;
    Ok(())
}

/// Open connections shared by all requests, by address.
#[derive(Default)]
pub struct RedisPool {
    idle: Mutex<HashMap<String, Vec<redis::Connection>>>,
}

impl RedisPool {
    fn take(&self, address: &str) -> Option<redis::Connection> {
        self.idle.lock().ok()?.get_mut(address)?.pop()
    }

    fn give_back(&self, address: String, conn: redis::Connection) {
        if let Ok(mut idle) = self.idle.lock() {
            let list = idle.entry(address).or_default();
            if list.len() < POOL_PER_ADDRESS {
                list.push(conn);
            }
        }
    }
}

/// Host side of a `connection` resource.
pub struct RedisConnection {
    address: String,
    conn: Option<redis::Connection>,
}

/// Per-request state of the capability.
pub struct RedisHost {
    pool: Arc<RedisPool>,
    /// The one address the component may open: its `redis_url` variable.
    allowed: Option<String>,
    table: ResourceTable,
}

impl RedisHost {
    pub fn new(pool: Arc<RedisPool>, allowed: Option<String>) -> Self {
        Self {
            pool,
            allowed,
            table: ResourceTable::new(),
        }
    }

    fn connection(&mut self, r: &Resource<RedisConnection>) -> Result<&mut RedisConnection, Error> {
        self.table
            .get_mut(r)
            .map_err(|e| Error::Other(format!("unknown Redis connection: {e}")))
    }

    /// Runs one command on the connection. A connection that failed is dropped
    /// (not pooled again): after a time-out its reply may still arrive later and
    /// would be read as the answer to the next command.
    fn query<T: redis::FromRedisValue>(
        &mut self,
        r: &Resource<RedisConnection>,
        cmd: &redis::Cmd,
    ) -> Result<T, Error> {
        let entry = self.connection(r)?;
        let conn = entry.conn.as_mut().ok_or_else(|| {
            Error::Other("the Redis connection broke earlier in this request".into())
        })?;
        match cmd.query::<T>(conn) {
            Ok(value) => Ok(value),
            Err(e) => {
                if e.is_io_error() || e.is_timeout() || e.is_connection_dropped() {
                    entry.conn = None;
                }
                Err(error_of(&e))
            }
        }
    }
}

fn error_of(e: &redis::RedisError) -> Error {
    if e.is_timeout() {
        return Error::Other(format!(
            "no answer from Redis within {} s ({e})",
            CALL_TIMEOUT.as_secs()
        ));
    }
    match e.kind() {
        redis::ErrorKind::UnexpectedReturnType => Error::TypeError,
        _ => Error::Other(e.to_string()),
    }
}

/// Scheme, host and port of a Redis URL, for comparing addresses.
fn server_of(url: &str) -> Option<(String, String, u16)> {
    let info = redis::IntoConnectionInfo::into_connection_info(url).ok()?;
    match info.addr() {
        redis::ConnectionAddr::Tcp(host, port) => Some(("redis".into(), host.clone(), *port)),
        redis::ConnectionAddr::TcpTls { host, port, .. } => {
            Some(("rediss".into(), host.clone(), *port))
        }
        _ => None,
    }
}

fn connect(address: &str) -> Result<redis::Connection, Error> {
    let client = redis::Client::open(address).map_err(|_| Error::InvalidAddress)?;
    let conn = client
        .get_connection_with_timeout(CALL_TIMEOUT)
        .map_err(|e| error_of(&e))?;
    conn.set_read_timeout(Some(CALL_TIMEOUT))
        .and_then(|()| conn.set_write_timeout(Some(CALL_TIMEOUT)))
        .map_err(|e| error_of(&e))?;
    Ok(conn)
}

/// Spin's conversion of a reply to `list<redis-result>`: arrays are flattened,
/// nil elements kept.
fn results_of(value: redis::Value, out: &mut Vec<RedisResult>) -> Result<(), Error> {
    match value {
        redis::Value::Nil => out.push(RedisResult::Nil),
        redis::Value::Int(n) => out.push(RedisResult::Int64(n)),
        redis::Value::BulkString(bytes) => out.push(RedisResult::Binary(bytes)),
        redis::Value::SimpleString(s) => out.push(RedisResult::Status(s)),
        redis::Value::Okay => out.push(RedisResult::Status("OK".into())),
        redis::Value::Boolean(b) => out.push(RedisResult::Int64(i64::from(b))),
        redis::Value::Double(d) => out.push(RedisResult::Binary(d.to_string().into_bytes())),
        redis::Value::Array(items) | redis::Value::Set(items) => {
            for item in items {
                results_of(item, out)?;
            }
        }
        redis::Value::ServerError(e) => return Err(Error::Other(e.to_string())),
        _ => return Err(Error::TypeError),
    }
    Ok(())
}

impl wit::Host for RedisHost {}

impl wit::HostConnection for RedisHost {
    fn open(&mut self, address: String) -> Result<Resource<RedisConnection>, Error> {
        let wanted = server_of(&address).ok_or(Error::InvalidAddress)?;
        let allowed = self.allowed.as_deref().and_then(server_of);
        if allowed.as_ref() != Some(&wanted) {
            return Err(Error::InvalidAddress);
        }
        // A pooled connection may point at a server that restarted since: check it
        // with a PING (harmless to repeat) before any real command goes over it.
        let pooled = self.pool.take(&address).and_then(|mut conn| {
            redis::cmd("PING")
                .query::<String>(&mut conn)
                .ok()
                .map(|_| conn)
        });
        let conn = match pooled {
            Some(conn) => conn,
            None => connect(&address)?,
        };
        self.table
            .push(RedisConnection {
                address,
                conn: Some(conn),
            })
            .map_err(|_| Error::TooManyConnections)
    }

    fn publish(
        &mut self,
        r: Resource<RedisConnection>,
        channel: String,
        payload: Vec<u8>,
    ) -> Result<(), Error> {
        self.query::<i64>(&r, redis::cmd("PUBLISH").arg(channel).arg(payload))
            .map(drop)
    }

    fn get(&mut self, r: Resource<RedisConnection>, key: String) -> Result<Option<Vec<u8>>, Error> {
        self.query(&r, redis::cmd("GET").arg(key))
    }

    fn set(
        &mut self,
        r: Resource<RedisConnection>,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), Error> {
        self.query::<()>(&r, redis::cmd("SET").arg(key).arg(value))
    }

    fn incr(&mut self, r: Resource<RedisConnection>, key: String) -> Result<i64, Error> {
        self.query(&r, redis::cmd("INCR").arg(key))
    }

    fn del(&mut self, r: Resource<RedisConnection>, keys: Vec<String>) -> Result<u32, Error> {
        self.query(&r, redis::cmd("DEL").arg(keys))
    }

    fn sadd(
        &mut self,
        r: Resource<RedisConnection>,
        key: String,
        values: Vec<String>,
    ) -> Result<u32, Error> {
        self.query(&r, redis::cmd("SADD").arg(key).arg(values))
    }

    fn smembers(
        &mut self,
        r: Resource<RedisConnection>,
        key: String,
    ) -> Result<Vec<String>, Error> {
        self.query(&r, redis::cmd("SMEMBERS").arg(key))
    }

    fn srem(
        &mut self,
        r: Resource<RedisConnection>,
        key: String,
        values: Vec<String>,
    ) -> Result<u32, Error> {
        self.query(&r, redis::cmd("SREM").arg(key).arg(values))
    }

    fn execute(
        &mut self,
        r: Resource<RedisConnection>,
        command: String,
        arguments: Vec<RedisParameter>,
    ) -> Result<Vec<RedisResult>, Error> {
        let mut cmd = redis::cmd(&command);
        for argument in arguments {
            match argument {
                RedisParameter::Int64(n) => cmd.arg(n),
                RedisParameter::Binary(bytes) => cmd.arg(bytes),
            };
        }
        let value: redis::Value = self.query(&r, &cmd)?;
        let mut out = Vec::new();
        results_of(value, &mut out)?;
        Ok(out)
    }

    fn drop(&mut self, r: Resource<RedisConnection>) -> wasmtime::Result<()> {
        let entry = self.table.delete(r)?;
        if let Some(conn) = entry.conn {
            self.pool.give_back(entry.address, conn);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_compare_by_server_not_by_spelling() {
        assert_eq!(
            server_of("redis://127.0.0.1:6390/"),
            server_of("redis://127.0.0.1:6390")
        );
        assert_eq!(server_of("redis://localhost").unwrap().2, 6379);
        assert_ne!(
            server_of("redis://127.0.0.1:6390"),
            server_of("redis://127.0.0.1:6391")
        );
        assert!(server_of("not a url").is_none());
    }

    #[test]
    fn replies_flatten_as_spin_does_and_keep_nils() {
        let mut out = Vec::new();
        results_of(
            redis::Value::Array(vec![
                redis::Value::BulkString(b"a".to_vec()),
                redis::Value::Nil,
                redis::Value::Int(3),
            ]),
            &mut out,
        )
        .unwrap();
        assert_eq!(out.len(), 3);
        assert!(matches!(out[1], RedisResult::Nil));
    }
}
