//! `token mint`: a service token signed with the server's secret, printed alone on
//! stdout (what it is for goes to stderr).

use anyhow::{bail, Result};
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::access::{RESOURCE_URL_ENV, SECRET_ENV};
use crate::store_dir;
use climbing_contract::claims::{MAX_CLAIM_BYTES, MAX_TTL_DAYS};
use climbing_contract::scope;
use climbing_host::service_token;

/// `aud` when neither `--audience` nor the environment says: what `serve` uses on
/// its default address.
pub const DEFAULT_AUDIENCE: &str = "http://127.0.0.1:3000/mcp";

#[derive(Debug, Args)]
pub struct MintArgs {
    /// Who the token is for (`sub`).
    #[arg(long, value_name = "NAME")]
    pub subject: String,

    /// Scopes, space-separated (repeatable): climb:read, climb:write, admin.
    #[arg(long, value_name = "SCOPES", required = true)]
    pub scope: Vec<String>,

    /// Lifetime in days.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=MAX_TTL_DAYS as u64))]
    pub ttl_days: u64,

    /// The server's resource_url (`aud`). Default: SPIN_VARIABLE_RESOURCE_URL, else
    /// the one `serve` recorded next to --store, else http://127.0.0.1:3000/mcp.
    #[arg(long, value_name = "URL")]
    pub audience: Option<String>,

    /// The store `serve` uses: its secret and recorded resource URL are read from
    /// the same directory.
    #[arg(long, value_name = "PATH", default_value = store_dir::DEFAULT_STORE)]
    pub store: PathBuf,

    /// The server's jwt_hs256_secret (visible to other local users in the process
    /// list; prefer --secret-file).
    #[arg(long, value_name = "S", conflicts_with = "secret_file")]
    pub secret: Option<String>,

    /// A file holding the server's jwt_hs256_secret (a final line ending is ignored).
    #[arg(long, value_name = "PATH")]
    pub secret_file: Option<PathBuf>,
}

pub fn execute(args: MintArgs) -> Result<()> {
    let token = mint_token(&args, |name| std::env::var(name).ok())?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{token}")?;
    out.flush()?;
    Ok(())
}

/// `token mint`: the token, ready for stdout.
fn mint_token(args: &MintArgs, env: impl Fn(&str) -> Option<String>) -> Result<String> {
    let scopes = parse_scopes(args.scope.iter().map(String::as_str))?;
    let subject = args.subject.trim();
    if subject.is_empty() {
        bail!("--subject must not be empty");
    }
    if subject.chars().count() > MAX_CLAIM_BYTES {
        bail!("--subject is longer than {MAX_CLAIM_BYTES} characters");
    }
    let recorded = store_dir::store_file(&args.store, store_dir::RESOURCE_URL_FILE_NAME);
    let audience = match &args.audience {
        Some(audience) => audience.clone(),
        None => env(RESOURCE_URL_ENV)
            .filter(|url| !url.is_empty())
            .or_else(|| store_dir::read_recorded_resource_url(&recorded))
            .unwrap_or_else(|| DEFAULT_AUDIENCE.to_owned()),
    };
    check_audience(&audience)?;
    let secret = resolve_secret(args, &env, &store_dir::secret_file_for_store(&args.store))?;
    let (token, jti) = service_token::mint(&secret, &audience, subject, &scopes, args.ttl_days)?;
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
        if !scope::ALL.contains(&scope) {
            bail!(
                "unknown scope {scope:?}; valid scopes are {} (space-separated, e.g. --scope \"climb:read climb:write\")",
                scope::ALL.join(", ")
            );
        }
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    }
    if scopes.is_empty() {
        bail!(
            "--scope names no scope; valid scopes are {}",
            scope::ALL.join(", ")
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
        return store_dir::read_secret_file(path);
    }
    if let Some(secret) = env(SECRET_ENV) {
        if secret.is_empty() {
            bail!("{SECRET_ENV} is set but empty");
        }
        return Ok(secret);
    }
    if default_file.exists() {
        return store_dir::read_secret_file(default_file);
    }
    bail!(
        "no secret to sign with: {} does not exist. Pass --store with the store \
         `climbing-host serve` uses (it keeps its secret beside it), --secret-file PATH \
         with the server's jwt_hs256_secret, or set {SECRET_ENV}",
        default_file.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// `token mint`'s arguments alone, as `climbing-host token mint` parses them.
    #[derive(Parser)]
    struct Mint {
        #[command(flatten)]
        args: MintArgs,
    }

    fn parse(extra: &[&str]) -> Result<MintArgs, clap::Error> {
        let mut argv = vec!["mint", "--subject", "me"];
        argv.extend_from_slice(extra);
        Mint::try_parse_from(argv).map(|m| m.args)
    }

    fn mint_args(extra: &[&str]) -> MintArgs {
        parse(extra).unwrap()
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn parses_token_mint_flags() {
        let args = mint_args(&["--scope", "climb:read climb:write"]);
        assert_eq!(args.subject, "me");
        assert_eq!(args.scope, ["climb:read climb:write"]);
        assert_eq!(args.ttl_days, 30);
        assert_eq!(
            (args.audience, args.secret, args.secret_file),
            (None, None, None)
        );

        let mint = parse;
        assert!(mint(&[]).is_err(), "--scope is required");
        assert!(mint(&["--scope", "admin", "--ttl-days", "0"]).is_err());
        assert!(mint(&["--scope", "admin", "--ttl-days", "367"]).is_err());
        assert!(mint(&["--scope", "admin", "--ttl-days", "366"]).is_ok());
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

        assert!(parse(&[
            "--scope",
            "admin",
            "--secret",
            "a",
            "--secret-file",
            file_arg
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
        assert!(mint_token(&args, no_env).is_err());
    }
}
