//! Host-side bindings for the component's imports beyond WASI (wit/world.wit).

wasmtime::component::bindgen!({
    path: "../wit",
    world: "climbing:mcp/platform",
    with: {
        "wasi:keyvalue/store.bucket": crate::kv::Bucket,
        "wasi:keyvalue/atomics.cas": crate::kv::Cas,
        "fermyon:spin/redis.connection": crate::redis::RedisConnection,
    },
});
