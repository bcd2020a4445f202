//! climbing-mcp: a stateless remote MCP server for climbing data, built as a WASI
//! HTTP component. Each request runs in a fresh instance; everything that outlives
//! it lives in the host's key-value store.
//!
//! A request passes, top to bottom (data flows down, results flow up):
//! `http` (edge) -> `auth` (who is calling) -> `protocol` (JSON-RPC, MCP eras) ->
//! `catalog` (tools, resources, prompts) -> `climbing` (domain) -> `store`
//! (records, indexes, cursors) -> `platform` (host imports behind traits).
//!
//! Modules import only downward in that same order. Beside the domain,
//! `credentials` keeps the tokens this server issues (minting, their records,
//! revocation), which the authenticator checks and the admin tools manage; at the
//! bottom, every layer may read `identity` (the authenticated caller and its
//! scopes), `meta` (the server's name and version), `encoding` (byte
//! encodings) and `ordering` (sorting). `src/layers.rs` fails the unit tests on
//! any import against the order.

pub mod auth;
pub mod catalog;
pub mod climbing;
pub mod credentials;
pub mod encoding;
pub mod http;
pub mod identity;
pub mod meta;
pub mod ordering;
pub mod platform;
pub mod protocol;
pub mod store;

#[cfg(target_arch = "wasm32")]
pub mod entry;

#[cfg(test)]
mod layers;

/// Every request runs in a fresh instance: see [`platform::allocator`]. The arena
/// lies inside an instance's initial memory (build.rs) beside the stack and the
/// static data; one of 512 KiB left every step of the fuel breakdown (tests/mcp.rs)
/// as it was.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static HEAP: platform::allocator::Arena<{ 256 << 10 }> = platform::allocator::Arena::new();
