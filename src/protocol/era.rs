//! Protocol versions and the two eras served on one endpoint.
//!
//! A request whose `params._meta` names a protocol version, or whose
//! `MCP-Protocol-Version` header is not a legacy version, is served by the stateless
//! 2026-07-28 rules; everything else by the `initialize`-era rules (2024-11-05 to
//! 2025-11-25), where any request works without a prior `initialize`.

use super::jsonrpc::{RpcError, HEADER_MISMATCH, INVALID_PARAMS, UNSUPPORTED_PROTOCOL_VERSION};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};

pub const MODERN: &str = "2026-07-28";
/// Newest first: `initialize` falls back to the first.
pub const LEGACY: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];
/// What a legacy request without the header is assumed to speak (the spec's rule).
pub const LEGACY_DEFAULT: &str = "2025-03-26";

pub const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub const META_CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
pub const META_LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";
pub const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";

pub fn supported_versions() -> Vec<&'static str> {
    std::iter::once(MODERN)
        .chain(LEGACY.iter().copied())
        .collect()
}

/// The standard headers a request came with (already trimmed).
#[derive(Debug, Default, Clone)]
pub struct Headers {
    pub protocol_version: Option<String>,
    pub mcp_method: Option<String>,
    pub mcp_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Era {
    /// `initialize` era, at the version the header names (or the spec's default).
    Legacy(&'static str),
    Modern,
}

/// Which rules serve a request.
pub fn detect(headers: &Headers, params: &Map<String, Value>) -> Era {
    let meta_version = params
        .get("_meta")
        .and_then(|m| m.get(META_PROTOCOL_VERSION))
        .is_some();
    if meta_version {
        return Era::Modern;
    }
    match headers.protocol_version.as_deref() {
        None => Era::Legacy(LEGACY_DEFAULT),
        Some(v) => match LEGACY.iter().find(|l| **l == v) {
            Some(l) => Era::Legacy(l),
            None => Era::Modern,
        },
    }
}

/// `initialize` version negotiation: the client's version when we speak it, else
/// our newest legacy version (never the modern one, which has no `initialize`).
pub fn negotiate(requested: Option<&str>) -> &'static str {
    requested
        .and_then(|r| LEGACY.iter().find(|l| **l == r).copied())
        .unwrap_or(LEGACY[0])
}

/// What a valid modern request declared in `_meta`.
#[derive(Debug, Clone)]
pub struct ModernMeta {
    pub client_capabilities: Map<String, Value>,
    pub log_level: Option<String>,
}

pub use crate::catalog::LOG_LEVELS;

/// The 2026-07-28 checks, in the order the spec's conformance suite expects:
/// required `_meta` fields (-32602), header agreement (-32020), version (-32022),
/// then `Mcp-Method`/`Mcp-Name` agreement (-32020). All are HTTP 400.
pub fn validate_modern(
    headers: &Headers,
    method: &str,
    params: &Map<String, Value>,
) -> Result<ModernMeta, RpcError> {
    let bad_meta = |what: &str| {
        let mut message = format!(
            "Invalid params: {what}. Requests at protocol version {MODERN} carry params._meta with \
             \"{META_PROTOCOL_VERSION}\" and \"{META_CLIENT_CAPABILITIES}\"."
        );
        if let Some(v) = &headers.protocol_version {
            if v != MODERN {
                message.push_str(&format!(
                    " The MCP-Protocol-Version header says {v}; this server speaks {}.",
                    supported_versions().join(", ")
                ));
            }
        }
        RpcError::new(INVALID_PARAMS, message).with_status(400)
    };
    let meta = match params.get("_meta") {
        Some(Value::Object(m)) => m,
        Some(_) => return Err(bad_meta("params._meta must be an object")),
        None => return Err(bad_meta("params._meta is missing")),
    };
    let version = match meta.get(META_PROTOCOL_VERSION) {
        Some(Value::String(v)) => v.as_str(),
        Some(_) => return Err(bad_meta("the protocol version in _meta must be a string")),
        None => return Err(bad_meta("_meta has no protocol version")),
    };
    let client_capabilities = match meta.get(META_CLIENT_CAPABILITIES) {
        Some(Value::Object(c)) => c.clone(),
        Some(_) => {
            return Err(bad_meta(
                "the client capabilities in _meta must be an object",
            ))
        }
        None => return Err(bad_meta("_meta has no client capabilities")),
    };
    match headers.protocol_version.as_deref() {
        None => {
            return Err(mismatch(format!(
                "Header mismatch: the MCP-Protocol-Version header is missing; send MCP-Protocol-Version: {version}"
            )))
        }
        Some(h) if h != version => {
            return Err(mismatch(format!(
                "Header mismatch: MCP-Protocol-Version header value '{h}' does not match the _meta protocol version '{version}'"
            )))
        }
        Some(_) => {}
    }
    if version != MODERN {
        return Err(RpcError::new(
            UNSUPPORTED_PROTOCOL_VERSION,
            format!(
                "Unsupported protocol version {version}: this server speaks {} (older versions through initialize)",
                supported_versions().join(", ")
            ),
        )
        .with_data(json!({ "supported": supported_versions(), "requested": version }))
        .with_status(400));
    }
    check_method_header(headers, method)?;
    check_name_header(headers, method, params)?;
    let log_level = match meta.get(META_LOG_LEVEL) {
        None | Some(Value::Null) => None,
        Some(Value::String(l)) if LOG_LEVELS.contains(&l.as_str()) => Some(l.clone()),
        Some(other) => {
            return Err(RpcError::new(
                INVALID_PARAMS,
                format!(
                    "Invalid params: log level {other} is not one of {}",
                    LOG_LEVELS.join(", ")
                ),
            ))
        }
    };
    Ok(ModernMeta {
        client_capabilities,
        log_level,
    })
}

fn mismatch(message: String) -> RpcError {
    RpcError::new(HEADER_MISMATCH, message).with_status(400)
}

fn check_method_header(headers: &Headers, method: &str) -> Result<(), RpcError> {
    match headers.mcp_method.as_deref() {
        None => Err(mismatch(format!(
            "Header mismatch: the Mcp-Method header is missing; send Mcp-Method: {method}"
        ))),
        Some(h) if h != method => Err(mismatch(format!(
            "Header mismatch: Mcp-Method header value '{h}' does not match body method '{method}'"
        ))),
        Some(_) => Ok(()),
    }
}

fn check_name_header(
    headers: &Headers,
    method: &str,
    params: &Map<String, Value>,
) -> Result<(), RpcError> {
    let field = match method {
        "tools/call" | "prompts/get" => "name",
        "resources/read" => "uri",
        "tasks/get" | "tasks/update" | "tasks/cancel" => "taskId",
        _ => return Ok(()),
    };
    let Some(body_value) = params.get(field).and_then(Value::as_str) else {
        // The missing body field is reported by the method itself.
        return Ok(());
    };
    let Some(header) = headers.mcp_name.as_deref() else {
        return Err(mismatch(format!(
            "Header mismatch: the Mcp-Name header is missing; send Mcp-Name with the value of params.{field}"
        )));
    };
    let decoded = decode_header_value(header).ok_or_else(|| {
        mismatch("Header mismatch: Mcp-Name is not valid =?base64?...?= encoding".to_owned())
    })?;
    if decoded != body_value {
        return Err(mismatch(format!(
            "Header mismatch: Mcp-Name header value '{header}' does not match params.{field} '{body_value}'"
        )));
    }
    Ok(())
}

/// Header values that are not plain visible ASCII travel as `=?base64?<b64>?=`;
/// anything else is literal. `None` for a sentinel whose payload is not valid.
pub fn decode_header_value(value: &str) -> Option<String> {
    match value
        .strip_prefix("=?base64?")
        .and_then(|v| v.strip_suffix("?="))
    {
        Some(b64) => STANDARD
            .decode(b64)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok()),
        None => Some(value.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(version: Option<&str>, method: Option<&str>, name: Option<&str>) -> Headers {
        Headers {
            protocol_version: version.map(Into::into),
            mcp_method: method.map(Into::into),
            mcp_name: name.map(Into::into),
        }
    }

    fn params(version: &str) -> Map<String, Value> {
        json!({"name": "t", "_meta": {META_PROTOCOL_VERSION: version, META_CLIENT_CAPABILITIES: {}}})
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn detects_eras() {
        let none = Map::new();
        assert_eq!(
            detect(&Headers::default(), &none),
            Era::Legacy("2025-03-26")
        );
        assert_eq!(
            detect(&headers(Some("2025-06-18"), None, None), &none),
            Era::Legacy("2025-06-18")
        );
        assert_eq!(
            detect(&headers(Some("2026-07-28"), None, None), &none),
            Era::Modern
        );
        assert_eq!(detect(&Headers::default(), &params(MODERN)), Era::Modern);
    }

    #[test]
    fn negotiates_versions() {
        assert_eq!(negotiate(Some("2024-11-05")), "2024-11-05");
        assert_eq!(negotiate(Some("1999-01-01")), "2025-11-25");
        assert_eq!(negotiate(Some(MODERN)), "2025-11-25");
        assert_eq!(negotiate(None), "2025-11-25");
    }

    #[test]
    fn modern_checks_in_order() {
        let h = headers(Some(MODERN), Some("tools/call"), Some("t"));
        assert!(validate_modern(&h, "tools/call", &params(MODERN)).is_ok());
        let e = validate_modern(&h, "tools/call", &Map::new()).unwrap_err();
        assert_eq!((e.code, e.http_status), (INVALID_PARAMS, 400));
        let e = validate_modern(&h, "tools/call", &params("v999")).unwrap_err();
        assert_eq!(e.code, HEADER_MISMATCH);
        let h999 = headers(Some("v999"), Some("tools/call"), Some("t"));
        let e = validate_modern(&h999, "tools/call", &params("v999")).unwrap_err();
        assert_eq!(e.code, UNSUPPORTED_PROTOCOL_VERSION);
        assert_eq!(e.data.unwrap()["requested"], "v999");
        let wrong_method = headers(Some(MODERN), Some("TOOLS/CALL"), Some("t"));
        assert_eq!(
            validate_modern(&wrong_method, "tools/call", &params(MODERN))
                .unwrap_err()
                .code,
            HEADER_MISMATCH
        );
        let wrong_name = headers(Some(MODERN), Some("tools/call"), Some("u"));
        assert_eq!(
            validate_modern(&wrong_name, "tools/call", &params(MODERN))
                .unwrap_err()
                .code,
            HEADER_MISMATCH
        );
        let b64 = headers(Some(MODERN), Some("tools/call"), Some("=?base64?dA==?="));
        assert!(validate_modern(&b64, "tools/call", &params(MODERN)).is_ok());
        let bad_b64 = headers(Some(MODERN), Some("tools/call"), Some("=?base64?dA?="));
        assert!(validate_modern(&bad_b64, "tools/call", &params(MODERN)).is_err());
    }
}
