//! climbing-mcp: a stateless remote MCP server for climbing data, built as a WASI
//! HTTP component. Each request runs in a fresh instance; everything that outlives
//! it lives in the host's key-value store.
//!
//! A request passes, top to bottom (data flows down, results flow up):
//! `http` (edge) -> `auth` (who is calling) -> `protocol` (JSON-RPC, MCP eras) ->
//! `catalog` (tools, resources, prompts) -> `climbing` (domain) -> `store`
//! (records, indexes, cursors) -> `platform` (host imports behind traits).
//!
//! Modules import only downward in that order, with one place where the import
//! order differs from the request's path: the edge calls `auth` before handing the
//! request to `protocol`, and the catalog also uses `auth` (its tools take the
//! authenticated [`auth::identity::Caller`] and issue tokens through it), so as a
//! module `auth` sits below `catalog` and imports neither `protocol` nor
//! `catalog`. The import order is therefore `http` -> `protocol` -> `catalog` ->
//! `auth` -> `climbing` -> `store` -> `platform`, with `meta` (the server's name and
//! version) and `encoding` (byte encodings) below all of them. `src/layers.rs`
//! fails the unit tests on any import against it.

pub mod auth;
pub mod catalog;
pub mod climbing;
pub mod encoding;
pub mod http;
pub mod meta;
pub mod platform;
pub mod protocol;
pub mod store;

#[cfg(target_arch = "wasm32")]
pub mod entry;

#[cfg(test)]
mod layers;
