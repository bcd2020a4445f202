//! What the component imports beyond WASI, one capability per module, in the
//! manner of Spin's factors: each holds its shared configuration, its
//! per-request host state, and an `add_to_linker` that links the interfaces it
//! implements from the generated bindings. The runtime composes them.

pub mod kv;
pub mod outbound;
pub mod redis;
pub mod variables;
