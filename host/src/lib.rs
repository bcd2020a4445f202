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

/// The size of the embedded component as it is without `wasm-opt` (what
/// `spin build` makes); the embedded one's own size when none was applied.
pub fn embedded_component_plain_bytes() -> usize {
    env!("CLIMBING_COMPONENT_PLAIN_BYTES")
        .parse()
        .unwrap_or(EMBEDDED_COMPONENT.len())
}

#[cfg(test)]
mod tests {
    /// The build without binaryen stays within 10% of the `wasm-opt` one
    /// (docs/bench.md, "Relocations"); equal when `wasm-opt` was not there.
    #[test]
    fn the_component_without_wasm_opt_is_at_most_a_tenth_larger() {
        let plain = super::embedded_component_plain_bytes();
        let embedded = super::EMBEDDED_COMPONENT.len();
        println!("component: {embedded} bytes, {plain} without wasm-opt");
        assert!(
            plain * 10 <= embedded * 11,
            "{plain} bytes without wasm-opt against {embedded} with it"
        );
    }
}
