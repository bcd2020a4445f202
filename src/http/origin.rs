//! DNS-rebinding defences: the `Host` a request names and the `Origin` a browser
//! sends must be ones this deployment answers to.
//!
//! Allowed hosts come from the `allowed_hosts` variable (comma-separated `host` or
//! `host:port`, `*` for any), defaulting to loopback names, plus the host of the
//! `resource_url` variable. An `Origin` is allowed when it is listed in
//! `allowed_origins` (`*` for any) or names an allowed host.

use super::{error_response, HttpRequest, HttpResponse};
use crate::platform::Platform;
use crate::protocol::jsonrpc::INVALID_REQUEST;

const LOOPBACK: &[&str] = &["localhost", "127.0.0.1", "[::1]"];

/// `resource_url` is the value of that variable, which the caller reads once for
/// this check and the request's authentication.
pub fn check(
    platform: &dyn Platform,
    req: &HttpRequest,
    resource_url: Option<&str>,
) -> Result<(), HttpResponse> {
    let allowed_hosts = platform.variable(climbing_contract::variables::ALLOWED_HOSTS);
    let resource_host = resource_url.and_then(authority_of);
    let host_ok =
        |authority: &str| host_allowed(authority, allowed_hosts.as_deref(), resource_host);
    match req.header("host") {
        Some(host) if host_ok(host) => {}
        Some(host) => {
            return Err(error_response(
                403,
                INVALID_REQUEST,
                &format!(
                    "Forbidden: Host '{}' is not served here; add it to the allowed_hosts variable",
                    host.chars().take(100).collect::<String>()
                ),
            ))
        }
        None => {
            return Err(error_response(
                400,
                INVALID_REQUEST,
                "Bad Request: the Host header is missing",
            ))
        }
    }
    if let Some(origin) = req.header("origin") {
        let listed = platform.variable("allowed_origins").is_some_and(|list| {
            list.split(',')
                .map(str::trim)
                .any(|o| o == "*" || o.eq_ignore_ascii_case(origin))
        });
        if !listed && !origin_authority(origin).is_some_and(host_ok) {
            return Err(error_response(
                403,
                INVALID_REQUEST,
                &format!(
                    "Forbidden: Origin '{}' is not allowed; add it to the allowed_origins variable",
                    origin.chars().take(100).collect::<String>()
                ),
            ));
        }
    }
    Ok(())
}

/// `host[:port]` of a URL or origin.
fn authority_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|a| !a.is_empty())
}

/// The `host[:port]` of an Origin, which is exactly `scheme://host[:port]` (RFC
/// 6454): no path, no user info, an http(s) scheme.
fn origin_authority(origin: &str) -> Option<&str> {
    let (scheme, authority) = origin.split_once("://")?;
    let ok = (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https"))
        && !authority.is_empty()
        && !authority.contains(['/', '?', '#', '@']);
    ok.then_some(authority)
}

/// Whether `authority` is a well-formed `host[:port]`: a DNS name or IPv4
/// address of letters, digits, `-` and `.`, or a bracketed IPv6 address, and a
/// port of digits up to 65535. Anything else (`127.0.0.1:4201@evil.com`,
/// `127.0.0.1:4201.evil.com`) is not an authority this server can be.
fn well_formed(authority: &str) -> bool {
    let (host, port) = split_host_port(authority);
    // After a bracketed address comes nothing or a port.
    let rest = &authority[host.len()..];
    if !rest.is_empty() && !rest.starts_with(':') {
        return false;
    }
    let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => {
            !v6.is_empty()
                && v6
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        }
        None => {
            !host.is_empty()
                && host.len() <= 253
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        }
    };
    let port_ok = port.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| n <= 65_535)
    });
    host_ok && port_ok
}

/// Splits `host[:port]`, keeping IPv6 brackets: `[::1]:3000` -> (`[::1]`, Some(`3000`)).
fn split_host_port(authority: &str) -> (&str, Option<&str>) {
    if authority.starts_with('[') {
        match authority.find(']') {
            Some(end) => {
                let (host, rest) = authority.split_at(end + 1);
                (host, rest.strip_prefix(':'))
            }
            None => (authority, None),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    }
}

fn host_allowed(authority: &str, allowed: Option<&str>, resource_host: Option<&str>) -> bool {
    if !well_formed(authority) {
        return false;
    }
    let (host, port) = split_host_port(authority);
    let matches = |entry: &str| {
        let entry = entry.trim();
        if entry == "*" {
            return true;
        }
        let (eh, ep) = split_host_port(entry);
        eh.eq_ignore_ascii_case(host) && (ep.is_none() || ep == port)
    };
    let configured = match allowed {
        Some(list) => list.split(',').any(matches),
        None => LOOPBACK.iter().any(|l| matches(l)),
    };
    configured || resource_host.is_some_and(matches)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert!(host_allowed("localhost:3000", None, None));
        assert!(host_allowed("127.0.0.1", None, None));
        assert!(host_allowed("[::1]:8080", None, None));
        assert!(!host_allowed("evil.example.com", None, None));
        assert!(!host_allowed("localhost.evil.com:3000", None, None));
        assert!(host_allowed(
            "mcp.example.com",
            None,
            Some("mcp.example.com")
        ));
        assert!(host_allowed(
            "a.example:443",
            Some("a.example:443,b.example"),
            None
        ));
        assert!(!host_allowed("a.example:80", Some("a.example:443"), None));
        assert!(!host_allowed("localhost:3000", Some("a.example"), None));
        assert!(host_allowed("anything", Some("*"), None));
        assert_eq!(
            authority_of("http://localhost:3000/x"),
            Some("localhost:3000")
        );
        assert_eq!(authority_of("null"), None);
    }

    #[test]
    fn malformed_authorities_are_never_allowed() {
        for bad in [
            "127.0.0.1:4201@evil.com",
            "127.0.0.1:4201.evil.com",
            "localhost:80:80",
            "localhost:",
            "localhost:99999",
            "localhost:-1",
            "user@localhost",
            "local host",
            "[::1",
            "[::1]x",
            "localhost\\@evil",
        ] {
            assert!(!host_allowed(bad, None, None), "{bad}");
            assert!(!host_allowed(bad, Some("*"), None), "{bad} with *");
        }
        for bad in [
            "http://127.0.0.1:4201.evil.com",
            "http://127.0.0.1:4201@evil.com",
            "http://localhost/path",
            "ftp://localhost",
            "http://",
            "null",
        ] {
            assert!(
                !origin_authority(bad).is_some_and(|a| host_allowed(a, None, None)),
                "{bad}"
            );
        }
        assert!(
            origin_authority("http://localhost:3000").is_some_and(|a| host_allowed(a, None, None))
        );
    }
}
