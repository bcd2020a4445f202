//! The JSON-RPC requests the bench sends, built before the clock starts.

use anyhow::{Context, Result};
use bytes::Bytes;
use serde_json::{json, Value};

/// The `aud` of the bench's tokens and the component's `resource_url`; its host
/// is never resolved (requests go to loopback addresses).
pub const RESOURCE: &str = "http://climbing-bench.localhost/mcp";
pub const PROTOCOL_VERSION: &str = "2025-11-25";

pub fn rpc(method: &str, params: Value) -> Bytes {
    Bytes::from(json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string())
}

pub fn tool_call(name: &str, arguments: Value) -> Bytes {
    rpc("tools/call", json!({"name": name, "arguments": arguments}))
}

pub fn bodies(n: usize, f: impl Fn(usize) -> Bytes) -> Vec<Bytes> {
    (0..n).map(f).collect()
}

pub fn str_field(v: &Value, field: &str) -> Result<String> {
    v[field]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no string {field:?} in {v}"))
}
