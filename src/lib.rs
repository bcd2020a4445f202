//! climbing-mcp: a stateless remote MCP server for climbing data, built as a WASI
//! HTTP component. Each request runs in a fresh instance; everything that outlives
//! it lives in the host's key-value store.
//!
//! Layers, top to bottom (data flows down, results flow up):
//! `http` (edge) -> `protocol` (JSON-RPC, MCP eras) -> `auth` -> `catalog` (tools,
//! resources, prompts) -> `climbing` (domain) -> `store` (records, indexes,
//! cursors) -> `platform` (host imports behind traits).

pub mod auth;
pub mod catalog;
pub mod climbing;
pub mod http;
pub mod platform;
pub mod protocol;
pub mod store;

#[cfg(target_arch = "wasm32")]
mod entry;
