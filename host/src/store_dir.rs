//! Where `serve` keeps its state: the SQLite store (`--store`, by default
//! ./.climbing-mcp/kv.db) and, beside it, the HS256 secret it generates when none
//! is configured and the resource URL it last served, so that `token mint` and the
//! operator commands given the same `--store` find both.

use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

use climbing_host::service_token::{generate_secret, random_base64url};

/// `serve`'s default store; a generated secret lives next to it.
pub const DEFAULT_STORE: &str = "./.climbing-mcp/kv.db";
/// The file `serve` keeps a generated secret in, next to its SQLite store.
pub const SECRET_FILE_NAME: &str = "secret";
/// The file `serve` records its resource URL in, next to its SQLite store, so
/// `token mint --store` names the audience of the server that last served it.
pub const RESOURCE_URL_FILE_NAME: &str = "resource_url";

/// `--store`: a SQLite file, or `memory` for a store discarded on exit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreArg {
    Memory,
    Sqlite(PathBuf),
}

impl std::str::FromStr for StoreArg {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(if s == "memory" {
            StoreArg::Memory
        } else {
            StoreArg::Sqlite(PathBuf::from(s))
        })
    }
}

/// `<dir of the SQLite file>/secret`.
pub fn secret_file_for_store(db: &Path) -> PathBuf {
    store_file(db, SECRET_FILE_NAME)
}

/// `<dir of the SQLite file>/<name>`.
pub fn store_file(db: &Path, name: &str) -> PathBuf {
    db.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join(name)
}

/// Records `url` as the resource URL of the server on store `db` (see
/// [`RESOURCE_URL_FILE_NAME`]). Replicas on one store should share one
/// `resource_url` anyway; the last to start wins.
pub fn record_resource_url(db: &Path, url: &str) -> Result<()> {
    let path = store_file(db, RESOURCE_URL_FILE_NAME);
    std::fs::write(&path, format!("{url}\n"))
        .with_context(|| format!("cannot record the resource URL in {}", path.display()))
}

pub fn read_recorded_resource_url(path: &Path) -> Option<String> {
    let url = std::fs::read_to_string(path).ok()?;
    let url = url.trim();
    (!url.is_empty()).then(|| url.to_owned())
}

/// A secret kept in a file: its content without the final line ending.
pub fn read_secret_file(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the secret file {}", path.display()))?;
    let secret = text.trim_end_matches(['\r', '\n']);
    if secret.is_empty() {
        bail!("the secret file {} is empty", path.display());
    }
    Ok(secret.to_owned())
}

/// The secret in `path`, created (mode 0600) with a new random secret if the file
/// does not exist. `true` when this call created it. Replicas starting together on
/// one store agree: the file appears whole (a hard link to a finished temporary
/// file) and the first one wins.
pub fn load_or_create_secret(path: &Path) -> Result<(String, bool)> {
    if path.exists() {
        warn_if_readable_by_others(path);
        return Ok((read_secret_file(path)?, false));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let secret = generate_secret()?;
    let tmp = dir.join(format!(
        ".{SECRET_FILE_NAME}.{}.{}.tmp",
        std::process::id(),
        random_base64url(6)?
    ));
    write_private(&tmp, &secret)
        .with_context(|| format!("cannot write the secret file {}", tmp.display()))?;
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok((secret, true)),
        // Another replica got there first: use its secret.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok((read_secret_file(path)?, false))
        }
        // No hard links here (some network or FUSE file systems): write in place.
        Err(_) => match write_private(path, &secret) {
            Ok(()) => Ok((secret, true)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Ok((read_secret_file(path)?, false))
            }
            Err(e) => {
                Err(e).with_context(|| format!("cannot write the secret file {}", path.display()))
            }
        },
    }
}

/// Creates `path` (which must not exist) readable and writable by its owner only.
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(content.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                eprintln!(
                    "climbing-host: warning: the secret file {} has mode {mode:04o}; anyone who can read it can mint tokens (chmod 600 it)",
                    path.display()
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_file_is_created_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = secret_file_for_store(&dir.path().join("kv.db"));
        assert_eq!(path, dir.path().join("secret"));
        let (secret, created) = load_or_create_secret(&path).unwrap();
        assert!(created);
        assert_eq!(secret.len(), 43); // 32 bytes, base64url without padding
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(load_or_create_secret(&path).unwrap(), (secret, false));
        // No temporary files left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert_eq!(
            secret_file_for_store(Path::new("kv.db")),
            Path::new("./secret")
        );
    }
}
