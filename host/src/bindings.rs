//! Host-side bindings for the component's imports beyond WASI (wit/world.wit),
//! generated once; each capability links the interfaces it implements
//! (`capabilities::*::add_to_linker`).

wasmtime::component::bindgen!({
    path: "../wit",
    world: "climbing:mcp/platform",
    with: {
        "wasi:keyvalue/store.bucket": crate::capabilities::kv::Bucket,
        "wasi:keyvalue/atomics.cas": crate::capabilities::kv::Cas,
        "fermyon:spin/redis.connection": crate::capabilities::redis::RedisConnection,
    },
});
