//! SQLite backend (the default): a file whose table matches Spin's
//! `key-value-spin` store, so a `kv.db` can move between this host and `spin up`.
//!
//! Several host processes may open the same file (our stand-in for replicas):
//! WAL mode lets readers run beside the single writer, `busy_timeout` makes
//! writers queue instead of failing, and every read-modify-write (increment,
//! swap) runs inside `BEGIN IMMEDIATE`, which takes the write lock before the
//! read, so no other process can slip a write in between.

use super::{add_counter, decode_counter, KvBackend, SwapOutcome, DEFAULT_STORE};
use anyhow::{Context, Result};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// How long a writer waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections kept open between uses; more are opened on demand under load.
const MAX_IDLE_CONNECTIONS: usize = 16;

const UPSERT: &str = "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
     ON CONFLICT(store, key) DO UPDATE SET value = excluded.value";
const SELECT: &str = "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2";
const DELETE: &str = "DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2";

pub struct SqliteKv {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl SqliteKv {
    /// Opens (creating if needed, parent directories included) the database at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create directory {}", parent.display()))?;
        }
        let kv = Self {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
        };
        let conn = kv.connect()?;
        conn.execute(
            "CREATE TABLE IF NOT EXISTS spin_key_value (
                store TEXT NOT NULL,
                key   TEXT NOT NULL,
                value BLOB NOT NULL,
                PRIMARY KEY (store, key)
            )",
            [],
        )
        .with_context(|| format!("cannot create the key-value table in {}", path.display()))?;
        kv.put_back(conn);
        Ok(kv)
    }

    fn connect(&self) -> Result<Connection> {
        let conn = Connection::open(&self.path)
            .with_context(|| format!("cannot open SQLite database {}", self.path.display()))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // WAL is a property of the file (sticky once set); setting it on every new
        // connection is cheap and covers files created by Spin in rollback mode.
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            eprintln!(
                "climbing-host: warning: {} is in journal mode {mode}, not WAL",
                self.path.display()
            );
        }
        // NORMAL is crash-safe in WAL mode (it may lose the last commits on power
        // loss, never corrupt), and avoids an fsync per write.
        conn.execute_batch("PRAGMA synchronous = NORMAL")?;
        Ok(conn)
    }

    /// Runs `f` on a pooled connection. Connections are per call, not per request:
    /// requests make few, short calls, and this keeps the pool small.
    fn with_conn<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let pooled = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut conn = match pooled {
            Some(c) => c,
            None => self.connect()?,
        };
        let result = f(&mut conn);
        // A connection whose call failed may be mid-transaction; drop it rather
        // than hand a broken one to the next caller.
        if result.is_ok() {
            self.put_back(conn);
        }
        result
    }

    fn put_back(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE_CONNECTIONS {
            idle.push(conn);
        }
    }
}

fn read(conn: &Connection, key: &str) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.prepare_cached(SELECT)?
        .query_row(params![DEFAULT_STORE, key], |row| row.get(0))
        .optional()
}

fn upsert(conn: &Connection, key: &str, value: &[u8]) -> rusqlite::Result<()> {
    conn.prepare_cached(UPSERT)?
        .execute(params![DEFAULT_STORE, key, value])?;
    Ok(())
}

impl KvBackend for SqliteKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.with_conn(|c| Ok(read(c, key)?))
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        self.with_conn(|c| Ok(upsert(c, key, value)?))
    }

    fn delete(&self, key: &str) -> Result<()> {
        self.with_conn(|c| {
            c.prepare_cached(DELETE)?
                .execute(params![DEFAULT_STORE, key])?;
            Ok(())
        })
    }

    fn exists(&self, key: &str) -> Result<bool> {
        self.with_conn(|c| {
            Ok(c.prepare_cached(
                "SELECT EXISTS(SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2)",
            )?
            .query_row(params![DEFAULT_STORE, key], |row| row.get(0))?)
        })
    }

    fn list_keys(&self, after: Option<&str>, limit: usize) -> Result<Vec<String>> {
        self.with_conn(|c| {
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let mut stmt = c.prepare_cached(
                "SELECT key FROM spin_key_value WHERE store = ?1 AND (?2 IS NULL OR key > ?2)
                 ORDER BY key LIMIT ?3",
            )?;
            let keys = stmt
                .query_map(params![DEFAULT_STORE, after, limit], |row| row.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            Ok(keys)
        })
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<(String, Vec<u8>)>> {
        self.with_conn(|c| {
            // One read transaction, so the page is a single consistent snapshot.
            let tx = c.transaction_with_behavior(TransactionBehavior::Deferred)?;
            let mut seen = std::collections::HashSet::new();
            let mut found = Vec::new();
            for key in keys {
                if seen.insert(key.as_str()) {
                    if let Some(value) = read(&tx, key)? {
                        found.push((key.clone(), value));
                    }
                }
            }
            tx.commit()?;
            Ok(found)
        })
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<()> {
        self.with_conn(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            for (key, value) in entries {
                upsert(&tx, key, value)?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn delete_many(&self, keys: &[String]) -> Result<()> {
        self.with_conn(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            for key in keys {
                tx.prepare_cached(DELETE)?
                    .execute(params![DEFAULT_STORE, key])?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64> {
        self.with_conn(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let current = match read(&tx, key)? {
                Some(bytes) => decode_counter(key, &bytes)?,
                None => 0,
            };
            let next = add_counter(key, current, delta)?;
            upsert(&tx, key, &next.to_le_bytes())?;
            tx.commit()?;
            Ok(next)
        })
    }

    fn swap(&self, key: &str, expected: Option<&[u8]>, value: &[u8]) -> Result<SwapOutcome> {
        self.with_conn(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let current = read(&tx, key)?;
            if current.as_deref() != expected {
                return Ok(SwapOutcome::Conflict(current));
            }
            upsert(&tx, key, value)?;
            tx.commit()?;
            Ok(SwapOutcome::Swapped)
        })
    }

    fn describe(&self) -> String {
        format!("sqlite {}", self.path.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capabilities::kv::contract;
    use std::sync::Arc;

    fn temp_db() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/dir/kv.db");
        (dir, path)
    }

    #[test]
    fn contract() {
        let (_dir, path) = temp_db();
        contract::all(&SqliteKv::open(&path).unwrap());
        let (_dir2, path2) = temp_db();
        contract::list_keys(&SqliteKv::open(&path2).unwrap());
    }

    #[test]
    fn table_is_spin_compatible() {
        let (_dir, path) = temp_db();
        let kv = SqliteKv::open(&path).unwrap();
        kv.set("k", b"v").unwrap();
        kv.increment("n", 5).unwrap();
        let conn = Connection::open(&path).unwrap();
        let v: Vec<u8> = conn
            .query_row(
                "SELECT value FROM spin_key_value WHERE store = 'default' AND key = 'k'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(v, b"v");
        let n: Vec<u8> = conn
            .query_row(
                "SELECT value FROM spin_key_value WHERE store = 'default' AND key = 'n'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 5i64.to_le_bytes());
    }

    /// Two independent handles on one file (as two processes would have) see each
    /// other's writes, and a CAS read through one fails after a write through the other.
    #[test]
    fn two_handles_share_one_file() {
        let (_dir, path) = temp_db();
        let a = SqliteKv::open(&path).unwrap();
        let b = SqliteKv::open(&path).unwrap();
        a.set("k", b"from a").unwrap();
        assert_eq!(b.get("k").unwrap().as_deref(), Some(&b"from a"[..]));
        let seen = b.get("k").unwrap();
        a.set("k", b"a again").unwrap();
        assert_eq!(
            b.swap("k", seen.as_deref(), b"from b").unwrap(),
            SwapOutcome::Conflict(Some(b"a again".to_vec()))
        );
        assert_eq!(b.swap("new", None, b"b").unwrap(), SwapOutcome::Swapped);
        assert_eq!(
            a.swap("new", None, b"a").unwrap(),
            SwapOutcome::Conflict(Some(b"b".to_vec()))
        );
    }

    /// Increments and CAS retry loops from many threads over two handles lose nothing.
    #[test]
    fn concurrent_increments_and_cas_lose_nothing() {
        let (_dir, path) = temp_db();
        let handles = [
            Arc::new(SqliteKv::open(&path).unwrap()),
            Arc::new(SqliteKv::open(&path).unwrap()),
        ];
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let kv = handles[i % 2].clone();
                std::thread::spawn(move || {
                    for _ in 0..100 {
                        kv.increment("counter", 1).unwrap();
                        // A CAS-based counter stored as decimal text.
                        let mut seen = kv.get("cas").unwrap();
                        loop {
                            let n: u64 = seen
                                .as_deref()
                                .map(|b| std::str::from_utf8(b).unwrap().parse().unwrap())
                                .unwrap_or(0);
                            match kv
                                .swap("cas", seen.as_deref(), (n + 1).to_string().as_bytes())
                                .unwrap()
                            {
                                SwapOutcome::Swapped => break,
                                SwapOutcome::Conflict(latest) => seen = latest,
                            }
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(handles[0].increment("counter", 0).unwrap(), 800);
        assert_eq!(handles[1].get("cas").unwrap().as_deref(), Some(&b"800"[..]));
    }
}
