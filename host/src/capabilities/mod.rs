//! What the component imports beyond WASI (wit/world.wit), one capability per
//! module, in the manner of Spin's factors: each generates the bindings of its
//! own interfaces, holds its shared configuration and per-request host state,
//! and has an `add_to_linker` for them. The runtime composes them with WASI.

pub mod kv;
pub mod outbound;
pub mod redis;
pub mod variables;
