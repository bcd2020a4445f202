//! How `serve` makes the component usable out of the box: the `resource_url` every
//! token names (the listening address unless configured), the HS256 secret
//! (generated and kept next to the store unless configured) and, with a generated
//! secret, ready tokens: a `climb:read climb:write` one for Claude Code and an
//! admin one for the operator. `serve` also records its resource URL next to the
//! secret, so `token mint --store` names the right audience on any `--listen`.

use anyhow::{bail, Result};
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};

use crate::store_dir::{self, StoreArg};
use climbing_contract::claims::MIN_SECRET_BYTES;
use climbing_contract::scope;
use climbing_contract::variables::{
    ALLOWED_HOSTS, JWT_HS256_SECRET as SECRET_VARIABLE, RESOURCE_URL as RESOURCE_URL_VARIABLE,
};
use climbing_host::capabilities::variables::Variables;
use climbing_host::service_token;

/// The environment forms of the secret and resource URL variables (Spin's
/// `SPIN_VARIABLE_<NAME>`).
pub const SECRET_ENV: &str = "SPIN_VARIABLE_JWT_HS256_SECRET";
pub const RESOURCE_URL_ENV: &str = "SPIN_VARIABLE_RESOURCE_URL";

/// The admin token printed on start.
pub const ADMIN_SUBJECT: &str = "local-admin";
pub const ADMIN_SCOPES: &[&str] = &scope::ALL;
pub const ADMIN_TTL_DAYS: u64 = 30;
/// The token in the printed `claude mcp add` line: data, not administration.
pub const CLIENT_SUBJECT: &str = "claude-code";
pub const CLIENT_SCOPES: &[&str] = &[scope::READ, scope::WRITE];

/// Where the secret came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretOrigin {
    /// `--var jwt_hs256_secret=...`.
    Flag,
    /// `SPIN_VARIABLE_JWT_HS256_SECRET`.
    Env,
    /// Generated, kept in this file next to `store` (`created`: by this start).
    File {
        path: PathBuf,
        store: PathBuf,
        created: bool,
    },
    /// Generated for this process only (`--store memory`).
    Memory,
}

/// The tokens `serve` prints when it holds the secret itself.
#[derive(Debug)]
pub struct ReadyTokens {
    /// `climb:read climb:write`, for the Claude Code line.
    pub client: String,
    /// `climb:read climb:write admin`, for the operator.
    pub admin: String,
}

#[derive(Debug)]
pub struct Access {
    /// The URL of `/mcp` tokens must name (`aud`), and the one clients are told.
    pub resource_url: String,
    pub resource_url_configured: bool,
    pub secret: SecretOrigin,
    /// With a generated secret: tokens for `resource_url`.
    pub tokens: Option<ReadyTokens>,
    /// Said on stderr at start.
    pub warnings: Vec<String>,
}

/// Completes `vars` with `resource_url` and `jwt_hs256_secret` when they are not
/// configured. `flags` are the `--var` flags (to tell them from the environment).
pub fn configure(
    vars: &mut Variables,
    flags: &[(String, String)],
    store: &StoreArg,
    addr: SocketAddr,
) -> Result<Access> {
    let mut warnings = Vec::new();
    let configured_url = vars
        .value(RESOURCE_URL_VARIABLE)
        .filter(|url| !url.is_empty())
        .map(str::to_owned);
    let resource_url_configured = configured_url.is_some();
    let resource_url = match configured_url {
        Some(url) => url,
        None => {
            let url = format!("http://{}/mcp", connect_addr(addr));
            vars.set(RESOURCE_URL_VARIABLE, url.clone());
            url
        }
    };
    if addr.ip().is_unspecified() {
        let mut missing = Vec::new();
        if !resource_url_configured {
            missing.push("resource_url (the URL remote clients use for /mcp; tokens name it)");
        }
        if vars.value(ALLOWED_HOSTS).is_none() {
            missing.push(
                "allowed_hosts (the Host names they use; only loopback names are served now)",
            );
        }
        if !missing.is_empty() {
            warnings.push(format!(
                "listening on all interfaces ({addr}); for remote clients also set {}, e.g. --var resource_url=https://climb.example.com/mcp --var allowed_hosts=climb.example.com",
                missing.join(" and ")
            ));
        }
    }

    let secret = match vars.value(SECRET_VARIABLE) {
        Some("") => bail!(
            "jwt_hs256_secret is set but empty; set a real secret, or leave it unset and serve generates one"
        ),
        Some(secret) => {
            if secret.len() < MIN_SECRET_BYTES {
                warnings.push(format!(
                    "jwt_hs256_secret is shorter than {} bytes: the component accepts no service tokens signed with it",
                    MIN_SECRET_BYTES
                ));
            }
            if flags.iter().any(|(name, _)| name == SECRET_VARIABLE) {
                SecretOrigin::Flag
            } else {
                SecretOrigin::Env
            }
        }
        None => {
            let (secret, origin) = match store {
                StoreArg::Memory => (service_token::generate_secret()?, SecretOrigin::Memory),
                StoreArg::Sqlite(db) => {
                    let path = store_dir::secret_file_for_store(db);
                    let (secret, created) = store_dir::load_or_create_secret(&path)?;
                    let store = db.clone();
                    (
                        secret,
                        SecretOrigin::File {
                            path,
                            store,
                            created,
                        },
                    )
                }
            };
            vars.set(SECRET_VARIABLE, secret);
            origin
        }
    };
    let tokens = match secret {
        SecretOrigin::File { .. } | SecretOrigin::Memory => {
            let secret = vars.value(SECRET_VARIABLE).unwrap_or_default();
            let mint = |subject: &str, scopes: &[&str]| {
                let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
                service_token::mint(secret, &resource_url, subject, &scopes, ADMIN_TTL_DAYS)
                    .map(|(token, _)| token)
            };
            Some(ReadyTokens {
                client: mint(CLIENT_SUBJECT, CLIENT_SCOPES)?,
                admin: mint(ADMIN_SUBJECT, ADMIN_SCOPES)?,
            })
        }
        SecretOrigin::Flag | SecretOrigin::Env => None,
    };
    Ok(Access {
        resource_url,
        resource_url_configured,
        secret,
        tokens,
        warnings,
    })
}

/// The address a local client reaches a listener on: loopback for a wildcard.
fn connect_addr(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), addr.port())
        }
        _ => addr,
    }
}

impl Access {
    /// The banner's end: resource URL, secret, token or how to mint one, and the
    /// Claude Code command (the last line; the test harness waits for it). Never
    /// the secret itself.
    pub fn write_banner(&self, out: &mut impl Write) -> std::io::Result<()> {
        writeln!(
            out,
            "resource_url: {}{}",
            self.resource_url,
            if self.resource_url_configured {
                " (configured)"
            } else {
                " (from the listening address; tokens must name it as aud; --var resource_url=URL to change)"
            }
        )?;
        let mint = format!(
            "climbing-host token mint --subject NAME --scope \"climb:read climb:write\" --audience {}",
            self.resource_url
        );
        match &self.secret {
            SecretOrigin::Flag => {
                writeln!(out, "jwt_hs256_secret: configured with --var (not shown)")?;
                writeln!(out, "mint a token with the same secret:")?;
                writeln!(out, "  {mint} --secret-file FILE_WITH_THE_SECRET")?;
            }
            SecretOrigin::Env => {
                writeln!(
                    out,
                    "jwt_hs256_secret: configured with {SECRET_ENV} (not shown)"
                )?;
                writeln!(
                    out,
                    "mint a token (with {SECRET_ENV} set in that shell too):"
                )?;
                writeln!(out, "  {mint}")?;
            }
            SecretOrigin::File {
                path,
                store,
                created,
            } => {
                writeln!(
                    out,
                    "jwt_hs256_secret: {} {} (mode 0600; tokens survive restarts)",
                    if *created {
                        "generated, saved to"
                    } else {
                        "loaded from"
                    },
                    path.display()
                )?;
                // `token mint --store` finds the secret and this resource URL.
                writeln!(out, "mint more tokens with:")?;
                let store = if store.as_path() == Path::new(store_dir::DEFAULT_STORE) {
                    String::new()
                } else {
                    format!(" --store {}", store.display())
                };
                writeln!(
                    out,
                    "  climbing-host token mint --subject NAME --scope \"climb:read climb:write\"{store}"
                )?;
            }
            SecretOrigin::Memory => {
                writeln!(
                    out,
                    "jwt_hs256_secret: generated for this process only (--store memory); its tokens stop working when it exits"
                )?;
            }
        }
        let bearer = match &self.tokens {
            Some(tokens) => {
                writeln!(
                    out,
                    "admin token (sub {ADMIN_SUBJECT}, scope \"{}\", valid {ADMIN_TTL_DAYS} days; for \
                     the operator commands, not for an MCP client):",
                    ADMIN_SCOPES.join(" ")
                )?;
                writeln!(out, "  {}", tokens.admin)?;
                writeln!(
                    out,
                    "client token (sub {CLIENT_SUBJECT}, scope \"{}\", valid {ADMIN_TTL_DAYS} days) in:",
                    CLIENT_SCOPES.join(" ")
                )?;
                tokens.client.as_str()
            }
            None => "<token>",
        };
        writeln!(out, "connect Claude Code with:")?;
        writeln!(
            out,
            "  claude mcp add --transport http climbing {} --header \"Authorization: Bearer {bearer}\"",
            self.resource_url
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(env: &[(&str, &str)], flags: &[(&str, &str)]) -> (Variables, Vec<(String, String)>) {
        let flags: Vec<(String, String)> = flags
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        let env = env.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned()));
        (Variables::from_sources(env, &flags).unwrap(), flags)
    }

    fn banner(access: &Access) -> String {
        let mut out = Vec::new();
        access.write_banner(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn generated_secret_and_resource_url() {
        let (mut v, flags) = vars(&[], &[]);
        let addr: SocketAddr = "127.0.0.1:3000".parse().unwrap();
        let access = configure(&mut v, &flags, &StoreArg::Memory, addr).unwrap();
        assert_eq!(access.resource_url, "http://127.0.0.1:3000/mcp");
        assert_eq!(v.value("resource_url"), Some("http://127.0.0.1:3000/mcp"));
        assert_eq!(access.secret, SecretOrigin::Memory);
        assert!(access.warnings.is_empty());
        let secret = v.value("jwt_hs256_secret").unwrap().to_owned();
        let tokens = access.tokens.as_ref().unwrap();
        let token = tokens.client.clone();
        let out = banner(&access);
        assert!(out.contains(&tokens.admin), "{out}");
        assert!(!out.contains(&secret), "{out}");
        assert!(out.trim_end().ends_with(&format!(
            "claude mcp add --transport http climbing http://127.0.0.1:3000/mcp --header \"Authorization: Bearer {token}\""
        )), "{out}");
    }

    #[test]
    fn configured_secret_is_never_printed() {
        let (mut v, flags) = vars(
            &[("SPIN_VARIABLE_JWT_HS256_SECRET", "env-secret-0123456789")],
            &[("resource_url", "https://climb.example.com/mcp")],
        );
        let addr: SocketAddr = "0.0.0.0:3000".parse().unwrap();
        let access = configure(&mut v, &flags, &StoreArg::Memory, addr).unwrap();
        assert_eq!(access.secret, SecretOrigin::Env);
        assert!(access.tokens.is_none());
        assert_eq!(access.resource_url, "https://climb.example.com/mcp");
        // allowed_hosts is still missing.
        assert_eq!(access.warnings.len(), 1);
        assert!(access.warnings[0].contains("allowed_hosts"));
        let out = banner(&access);
        assert!(!out.contains("env-secret-0123456789"), "{out}");
        assert!(out.contains("climbing-host token mint"), "{out}");
        assert!(out.contains("Bearer <token>"), "{out}");

        let (mut v, flags) = vars(&[], &[("jwt_hs256_secret", "flag-secret-0123456789")]);
        let addr: SocketAddr = "[::]:3000".parse().unwrap();
        let access = configure(&mut v, &flags, &StoreArg::Memory, addr).unwrap();
        assert_eq!(access.secret, SecretOrigin::Flag);
        assert_eq!(access.resource_url, "http://[::1]:3000/mcp");
        assert!(access.warnings[0].contains("resource_url"));
        assert!(!banner(&access).contains("flag-secret-0123456789"));

        let (mut v, flags) = vars(&[], &[("jwt_hs256_secret", "")]);
        assert!(configure(&mut v, &flags, &StoreArg::Memory, addr).is_err());
        let (mut v, flags) = vars(&[], &[("jwt_hs256_secret", "short")]);
        let addr: SocketAddr = "127.0.0.1:3000".parse().unwrap();
        let access = configure(&mut v, &flags, &StoreArg::Memory, addr).unwrap();
        assert!(
            access.warnings[0].contains("shorter than 12 bytes"),
            "{:?}",
            access.warnings
        );
    }
}
