//! `climbing_host`: a Wasmtime host for the climbing-mcp component, as a library
//! for the programs of this package (`climbing-host`, `climbing-bench`).
//!
//! - [`runtime`]: the engine, the linker and a fresh instance per request;
//! - [`server`]: HTTP serving (hyper), one instance per request;
//! - [`capabilities`]: what the component imports beyond WASI, one module each
//!   (key-value, variables, outbound HTTP, Redis), each with its own bindings;
//! - [`metrics`]: what a request cost (`--expose-metrics`);
//! - [`service_token`]: signing the component's service tokens;
//! - [`event_stream`]: reading an answer sent as an event stream.
//!
//! Data flows one way: server -> runtime -> capabilities; none of them knows the
//! command line.

pub mod capabilities;
pub mod event_stream;
pub mod metrics;
pub mod runtime;
pub mod server;
pub mod service_token;

/// The component this package was built with (see build.rs).
pub static EMBEDDED_COMPONENT: &[u8] = include_bytes!(env!("CLIMBING_COMPONENT_WASM"));
