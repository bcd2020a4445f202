//! Service tokens from the command line (`token mint`), and the HS256 secret that
//! `serve` generates when none is configured.
//!
//! The claims are the component's (src/auth/token.rs `mint_service_token`): `sub`,
//! `aud`, `exp`, `iat`, `jti`, `scope` (space-separated). The host talks to the
//! component only over HTTP, so it signs with jwt-simple itself.

use anyhow::{bail, Context, Result};
use jwt_simple::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::MintArgs;

/// The scopes the component knows.
pub const SCOPES: &[&str] = &["climb:read", "climb:write", "admin"];
/// The application variable holding the HS256 secret, and its environment form.
pub const SECRET_VARIABLE: &str = "jwt_hs256_secret";
pub const SECRET_ENV: &str = "SPIN_VARIABLE_JWT_HS256_SECRET";
/// The application variable naming `/mcp` (the `aud` of every token), and its environment form.
pub const RESOURCE_URL_VARIABLE: &str = "resource_url";
pub const RESOURCE_URL_ENV: &str = "SPIN_VARIABLE_RESOURCE_URL";
/// `aud` when neither `--audience` nor the environment says: what `serve` uses on
/// its default address.
pub const DEFAULT_AUDIENCE: &str = "http://127.0.0.1:3000/mcp";
/// The file `serve` keeps a generated secret in, next to its SQLite store.
pub const SECRET_FILE_NAME: &str = "secret";
/// The file `serve` records its resource URL in, next to its SQLite store, so
/// `token mint --store` names the audience of the server that last served it.
pub const RESOURCE_URL_FILE_NAME: &str = "resource_url";
/// Shortest HS256 secret jwt-simple signs or verifies with (96 bits), here and in
/// the component.
pub const MIN_SECRET_BYTES: usize = 12;
/// Longest `sub` the component accepts.
const MAX_SUBJECT_CHARS: usize = 256;

/// `token mint`: the token, ready for stdout.
pub fn mint_command(args: &MintArgs, env: impl Fn(&str) -> Option<String>) -> Result<String> {
    let scopes = parse_scopes(args.scope.iter().map(String::as_str))?;
    let subject = args.subject.trim();
    if subject.is_empty() {
        bail!("--subject must not be empty");
    }
    if subject.chars().count() > MAX_SUBJECT_CHARS {
        bail!("--subject is longer than {MAX_SUBJECT_CHARS} characters");
    }
    let recorded = store_file(&args.store, RESOURCE_URL_FILE_NAME);
    let audience = match &args.audience {
        Some(audience) => audience.clone(),
        None => env(RESOURCE_URL_ENV)
            .filter(|url| !url.is_empty())
            .or_else(|| read_recorded_resource_url(&recorded))
            .unwrap_or_else(|| DEFAULT_AUDIENCE.to_owned()),
    };
    check_audience(&audience)?;
    let secret = resolve_secret(args, &env, &secret_file_for_store(&args.store))?;
    let (token, jti) = mint(&secret, &audience, subject, &scopes, args.ttl_days)?;
    eprintln!(
        "climbing-host: token for sub {subject:?}, scope {:?}, aud {audience}, valid {} day{}, jti {jti}",
        scopes.join(" "),
        args.ttl_days,
        if args.ttl_days == 1 { "" } else { "s" },
    );
    Ok(token)
}

/// Scopes from one or more `--scope` values (space- or comma-separated), each a
/// known scope, without repeats, in the order given.
pub fn parse_scopes<'a>(values: impl IntoIterator<Item = &'a str>) -> Result<Vec<String>> {
    let mut scopes: Vec<String> = Vec::new();
    for scope in values
        .into_iter()
        .flat_map(|v| v.split(|c: char| c == ',' || c.is_whitespace()))
        .filter(|s| !s.is_empty())
    {
        if !SCOPES.contains(&scope) {
            bail!(
                "unknown scope {scope:?}; valid scopes are {} (space-separated, e.g. --scope \"climb:read climb:write\")",
                SCOPES.join(", ")
            );
        }
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    }
    if scopes.is_empty() {
        bail!(
            "--scope names no scope; valid scopes are {}",
            SCOPES.join(", ")
        );
    }
    Ok(scopes)
}

fn check_audience(audience: &str) -> Result<()> {
    let rest = audience
        .strip_prefix("https://")
        .or_else(|| audience.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Ok(()),
        _ => bail!(
            "the audience {audience:?} is not an http(s) URL; it must be the server's resource_url, e.g. {DEFAULT_AUDIENCE}"
        ),
    }
}

/// Signs a service token; returns it and its `jti`.
pub fn mint(
    secret: &str,
    audience: &str,
    subject: &str,
    scopes: &[String],
    ttl_days: u64,
) -> Result<(String, String)> {
    if secret.len() < MIN_SECRET_BYTES {
        bail!(
            "the secret is {} bytes long; HS256 secrets must have at least {MIN_SECRET_BYTES} \
             (the server refuses shorter ones too)",
            secret.len()
        );
    }
    let jti = random_base64url(16)?;
    let mut custom = serde_json::Map::new();
    custom.insert("scope".into(), scopes.join(" ").into());
    let claims = Claims::with_custom_claims(custom, Duration::from_days(ttl_days))
        .with_subject(subject)
        .with_audience(audience)
        .with_jwt_id(&jti);
    let token = HS256Key::from_bytes(secret.as_bytes())
        .authenticate(claims)
        .map_err(|e| anyhow::anyhow!("could not sign the token: {e}"))?;
    Ok((token, jti))
}

/// `n` random bytes, base64url without padding.
pub fn random_base64url(n: usize) -> Result<String> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).context("the system random number generator failed")?;
    Base64UrlSafeNoPadding::encode_to_string(&bytes)
        .map_err(|e| anyhow::anyhow!("base64 encoding failed: {e}"))
}

/// A new secret for `serve`: 32 random bytes, base64url.
pub fn generate_secret() -> Result<String> {
    random_base64url(32)
}

/// `<dir of the SQLite file>/secret`.
pub fn secret_file_for_store(db: &Path) -> PathBuf {
    store_file(db, SECRET_FILE_NAME)
}

/// `<dir of the SQLite file>/<name>`.
fn store_file(db: &Path, name: &str) -> PathBuf {
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

fn read_recorded_resource_url(path: &Path) -> Option<String> {
    let url = std::fs::read_to_string(path).ok()?;
    let url = url.trim();
    (!url.is_empty()).then(|| url.to_owned())
}

/// `--secret`, `--secret-file`, `SPIN_VARIABLE_JWT_HS256_SECRET`, then the file
/// `serve` generated next to its default store.
fn resolve_secret(
    args: &MintArgs,
    env: &impl Fn(&str) -> Option<String>,
    default_file: &Path,
) -> Result<String> {
    if let Some(secret) = &args.secret {
        if secret.is_empty() {
            bail!("--secret is empty");
        }
        return Ok(secret.clone());
    }
    if let Some(path) = &args.secret_file {
        return read_secret_file(path);
    }
    if let Some(secret) = env(SECRET_ENV) {
        if secret.is_empty() {
            bail!("{SECRET_ENV} is set but empty");
        }
        return Ok(secret);
    }
    if default_file.exists() {
        return read_secret_file(default_file);
    }
    bail!(
        "no secret to sign with: {} does not exist. Pass --store with the store \
         `climbing-host serve` uses (it keeps its secret beside it), --secret-file PATH \
         with the server's jwt_hs256_secret, or set {SECRET_ENV}",
        default_file.display()
    )
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
    use crate::cli::Cli;
    use clap::Parser;

    fn mint_args(extra: &[&str]) -> MintArgs {
        let mut argv = vec!["climbing-host", "token", "mint", "--subject", "me"];
        argv.extend_from_slice(extra);
        match crate::cli::Cli::try_parse_from(argv).unwrap().command {
            crate::cli::Command::Token(crate::cli::TokenArgs {
                command: crate::cli::TokenCommand::Mint(args),
            }) => args,
            other => panic!("{other:?}"),
        }
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[derive(serde::Deserialize)]
    struct Scope {
        scope: String,
    }

    #[test]
    fn scopes_are_checked_and_deduplicated() {
        assert_eq!(
            parse_scopes(["climb:read climb:write", "climb:read,admin"]).unwrap(),
            ["climb:read", "climb:write", "admin"]
        );
        let e = parse_scopes(["climb:read climb:admin"])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("\"climb:admin\"") && e.contains("climb:read, climb:write, admin"),
            "{e}"
        );
        assert!(parse_scopes(["  "]).is_err());
    }

    const SECRET: &str = "unit-test-secret-0123";

    #[test]
    fn minted_tokens_carry_the_components_claims() {
        let scopes = vec!["climb:read".to_owned(), "admin".to_owned()];
        let (token, jti) = mint(SECRET, "http://a.test/mcp", "me", &scopes, 2).unwrap();
        let claims = HS256Key::from_bytes(SECRET.as_bytes())
            .verify_token::<Scope>(
                &token,
                Some(VerificationOptions {
                    allowed_audiences: Some(["http://a.test/mcp".to_owned()].into()),
                    ..Default::default()
                }),
            )
            .unwrap();
        assert_eq!(claims.subject.as_deref(), Some("me"));
        assert_eq!(claims.jwt_id.as_deref(), Some(jti.as_str()));
        assert_eq!(claims.custom.scope, "climb:read admin");
        let (exp, iat) = (claims.expires_at.unwrap(), claims.issued_at.unwrap());
        assert_eq!((exp - iat).as_secs(), 2 * 86_400);
        assert_eq!(jti.len(), 22); // 16 bytes, base64url without padding
        let e = mint("short", "http://a.test/mcp", "me", &scopes, 2).unwrap_err();
        assert!(e.to_string().contains("at least 12"), "{e}");
        assert_ne!(
            mint(SECRET, "http://a.test/mcp", "me", &scopes, 2)
                .unwrap()
                .1,
            jti
        );
    }

    #[test]
    fn secret_resolution_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("s");
        std::fs::write(&file, "from-file\n").unwrap();
        let default_file = dir.path().join("secret");
        let env = |name: &str| (name == SECRET_ENV).then(|| "from-env".to_owned());
        let file_arg = file.to_str().unwrap();

        let args = mint_args(&["--scope", "admin", "--secret", "from-flag"]);
        assert_eq!(
            resolve_secret(&args, &env, &default_file).unwrap(),
            "from-flag"
        );
        let args = mint_args(&["--scope", "admin", "--secret-file", file_arg]);
        assert_eq!(
            resolve_secret(&args, &env, &default_file).unwrap(),
            "from-file"
        );
        let args = mint_args(&["--scope", "admin"]);
        assert_eq!(
            resolve_secret(&args, &env, &default_file).unwrap(),
            "from-env"
        );
        let e = resolve_secret(&args, &no_env, &default_file)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--secret-file") && e.contains(SECRET_ENV), "{e}");
        std::fs::write(&default_file, "generated").unwrap();
        assert_eq!(
            resolve_secret(&args, &no_env, &default_file).unwrap(),
            "generated"
        );

        assert!(Cli::try_parse_from([
            "climbing-host",
            "token",
            "mint",
            "--subject",
            "me",
            "--scope",
            "admin",
            "--secret",
            "a",
            "--secret-file",
            file_arg,
        ])
        .is_err());
    }

    #[test]
    fn audience_must_be_a_url() {
        assert!(check_audience("http://127.0.0.1:3000/mcp").is_ok());
        assert!(check_audience("https://climb.example.com/mcp").is_ok());
        assert!(check_audience("climb.example.com").is_err());
        assert!(check_audience("http:///mcp").is_err());
        let args = mint_args(&["--scope", "admin", "--secret", "x", "--audience", "nope"]);
        assert!(mint_command(&args, no_env).is_err());
    }

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
