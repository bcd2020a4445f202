//! The Wasmtime side: engine configuration, the on-disk cache of the compiled
//! component, the linker composed of WASI and the capabilities (each links its
//! own interfaces), and one fresh instance per request from a `ProxyPre`.

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::capabilities::kv::{self, KvBackend, KvHost};
use crate::capabilities::outbound::{self, AllowList, OutboundHooks};
use crate::capabilities::redis::{self, RedisHost, RedisPool};
use crate::capabilities::variables::{self, Variables, VariablesHost};
use crate::metrics::{MemoryLimiter, RequestCost};

/// Instances that may be alive at once; requests beyond this wait for a slot.
/// Sizes the pooling allocator, whose slots are reserved up front.
pub const MAX_CONCURRENT_INSTANCES: u32 = 256;

/// Per instance slot, how much of its linear memory (and of its tables) stays
/// resident between requests; see `build_engine`.
const KEEP_RESIDENT_BYTES: usize = 2 << 20;

/// How often the epoch ticks: the granularity of the wall-clock timeout, and how
/// often a long-running guest yields to other requests on its worker thread.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The knobs that shape the engine and each request's store.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_memory_bytes: usize,
    pub timeout: Duration,
    pub fuel_limit: Option<u64>,
    /// Fuel metering costs throughput, so it is on only when a limit is set or
    /// costs are reported.
    pub meter_fuel: bool,
}

/// How instances get their memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allocator {
    Pooling,
    /// The pooling allocator could not reserve its address space (e.g. under `ulimit -v`).
    OnDemand,
}

/// The error a request's epoch callback raises once the wall-clock limit passed.
#[derive(Debug)]
pub struct TimedOut;

impl std::fmt::Display for TimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("request exceeded the time limit")
    }
}

impl std::error::Error for TimedOut {}

/// The `T` of each request's `Store<T>`.
pub struct HostState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: OutboundHooks,
    kv: KvHost,
    vars: VariablesHost,
    redis: RedisHost,
    limiter: MemoryLimiter,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// Everything shared by all requests.
pub struct Runtime {
    engine: Engine,
    pre: ProxyPre<HostState>,
    limits: Limits,
    allocator: Allocator,
    kv: Arc<dyn KvBackend>,
    vars: Arc<Variables>,
    outbound: Arc<AllowList>,
    redis: Arc<RedisPool>,
    /// Where the compiled component came from, for the banner.
    pub compiled_from: CompileSource,
}

#[derive(Debug, Clone)]
pub enum CompileSource {
    Cache(PathBuf),
    Compiled { cached_at: Option<PathBuf> },
}

impl Runtime {
    pub fn new(
        wasm: &[u8],
        limits: Limits,
        kv: Arc<dyn KvBackend>,
        vars: Arc<Variables>,
        outbound: Arc<AllowList>,
    ) -> Result<Self> {
        let (engine, allocator) = build_engine(&limits)?;
        let (component, compiled_from) = load_component(&engine, wasm, &cache_dirs())?;

        let mut linker = Linker::<HostState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        outbound::add_to_linker(&mut linker)?;
        kv::add_to_linker(&mut linker, |s| &mut s.kv)?;
        variables::add_to_linker(&mut linker, |s| &mut s.vars)?;
        redis::add_to_linker(&mut linker, |s| &mut s.redis)?;
        let pre = ProxyPre::new(
            linker
                .instantiate_pre(&component)
                .map_err(anyhow::Error::from)
                .context("the component imports something this host does not provide")?,
        )?;

        start_epoch_ticker(&engine);
        Ok(Self {
            engine,
            pre,
            limits,
            allocator,
            kv,
            vars,
            outbound,
            redis: Arc::default(),
            compiled_from,
        })
    }

    pub fn allocator(&self) -> Allocator {
        self.allocator
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn proxy_pre(&self) -> &ProxyPre<HostState> {
        &self.pre
    }

    /// A fresh store for one request, with its limits armed.
    pub fn new_store(&self, deadline: Instant) -> Result<Store<HostState>> {
        let wasi = WasiCtx::builder()
            // Guest logs go to the host's stderr; its stdout carries the banner.
            .stdout(wasmtime_wasi::cli::stderr())
            .inherit_stderr()
            .build();
        let state = HostState {
            wasi,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks: OutboundHooks {
                allow: self.outbound.clone(),
            },
            kv: KvHost::new(self.kv.clone()),
            vars: VariablesHost(self.vars.clone()),
            redis: RedisHost::new(
                self.redis.clone(),
                self.vars
                    .value(climbing_contract::variables::REDIS_URL)
                    .map(str::to_owned),
            ),
            limiter: MemoryLimiter::new(self.limits.max_memory_bytes),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        if self.limits.meter_fuel {
            store.set_fuel(self.limits.fuel_limit.unwrap_or(u64::MAX))?;
        }
        // The callback runs at every epoch tick the guest is running through: past
        // the deadline it traps, otherwise it yields so one busy request cannot
        // starve the others sharing its worker thread.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            if Instant::now() >= deadline {
                Err(wasmtime::Error::new(TimedOut))
            } else {
                Ok(wasmtime::UpdateDeadline::Yield(1))
            }
        });
        Ok(store)
    }

    /// What the request in `store` has cost so far.
    pub fn cost(&self, store: &Store<HostState>) -> RequestCost {
        let fuel = if self.limits.meter_fuel {
            let start = self.limits.fuel_limit.unwrap_or(u64::MAX);
            store.get_fuel().ok().map(|left| start - left)
        } else {
            None
        };
        RequestCost {
            kv_ops: store.data().kv.ops(),
            fuel,
            peak_memory: store.data().limiter.peak(),
        }
    }
}

fn build_engine(limits: &Limits) -> Result<(Engine, Allocator)> {
    let mut config = Config::new();
    config.epoch_interruption(true);
    config.consume_fuel(limits.meter_fuel);
    // Copy-on-write memory images are the default; stated because instantiation
    // speed depends on it.
    config.memory_init_cow(true);
    // `CLIMBING_HOST_PROFILE=perfmap` names guest functions for `perf record`
    // (written to /tmp/perf-<pid>.map); see docs/bench.md.
    if std::env::var_os("CLIMBING_HOST_PROFILE").is_some_and(|v| v == "perfmap") {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }

    let mut pooling = PoolingAllocationConfig::default();
    let n = MAX_CONCURRENT_INSTANCES;
    pooling
        .total_component_instances(n)
        // Components made by wit-component carry a few core instances (the module
        // plus shims/fixups) but one memory.
        .total_core_instances(n * 8)
        .total_memories(n * 2)
        .total_tables(n * 8)
        .max_memory_size(limits.max_memory_bytes)
        // A request touches a few hundred KiB of its instance's memory. Returning
        // those pages to the kernel after every request (madvise) costs TLB
        // shootdowns, and the next request on the slot page-faults them back in;
        // instead the pages it dirtied are reset in place (the pagemap scan finds
        // them, Linux 6.7+) and stay resident, up to this much per memory.
        .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
        .table_keep_resident(KEEP_RESIDENT_BYTES)
        .pagemap_scan(wasmtime::Enabled::Auto);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
    match Engine::new(&config) {
        Ok(engine) => return Ok((engine, Allocator::Pooling)),
        Err(e) => eprintln!(
            "climbing-host: pooling allocator unavailable ({e}); using on-demand allocation"
        ),
    }

    config.allocation_strategy(InstanceAllocationStrategy::OnDemand);
    // The default 4 GiB virtual reservation per memory is what failed above when
    // address space is capped; reserve only what the memory limit allows.
    config.memory_reservation(limits.max_memory_bytes as u64);
    let engine = Engine::new(&config).map_err(anyhow::Error::from)?;
    Ok((engine, Allocator::OnDemand))
}

fn start_epoch_ticker(engine: &Engine) {
    // A weak handle: the thread ends with the engine instead of keeping it alive.
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(move || loop {
            std::thread::sleep(EPOCH_TICK);
            match weak.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => return,
            }
        })
        .expect("spawning the epoch ticker thread");
}

/// Where compiled components are cached, in order of preference:
/// `$XDG_CACHE_HOME/climbing-host` (else `~/.cache/climbing-host`), then the system
/// temp dir for when that one is missing or read-only. `CLIMBING_HOST_CACHE_DIR`
/// replaces both (tests use it).
pub fn cache_dirs() -> Vec<PathBuf> {
    if let Some(dir) = std::env::var_os("CLIMBING_HOST_CACHE_DIR") {
        return vec![PathBuf::from(dir)];
    }
    let user = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")));
    user.into_iter()
        .chain([std::env::temp_dir()])
        .map(|base| base.join("climbing-host"))
        .collect()
}

/// sha256 over the component bytes and everything that makes compiled code
/// incompatible: wasmtime's own compatibility hash (target, compiler flags,
/// tunables, features, wasmtime version) — so fuel on/off or another allocator
/// setup get separate entries.
pub fn cache_key(engine: &Engine, wasm: &[u8]) -> String {
    let mut compat = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut compat);
    let mut hasher = Sha256::new();
    hasher.update(wasm);
    hasher.update(b"\0wasmtime-48\0");
    hasher.update(compat.finish().to_le_bytes());
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Loads the compiled component from the first cache dir that has it, or compiles
/// it and stores it in the first dir that takes it. A cache that is unreadable,
/// corrupt or from another engine only costs a compile.
pub fn load_component(
    engine: &Engine,
    wasm: &[u8],
    dirs: &[PathBuf],
) -> Result<(Component, CompileSource)> {
    let key = cache_key(engine, wasm);
    let entry = |dir: &Path| {
        (
            dir.join(format!("{key}.cwasm")),
            dir.join(format!("{key}.sha256")),
        )
    };

    for dir in dirs {
        let (artifact, checksum) = entry(dir);
        match read_cached(engine, &artifact, &checksum) {
            Ok(Some(component)) => return Ok((component, CompileSource::Cache(artifact))),
            Ok(None) => {}
            Err(e) => eprintln!(
                "climbing-host: ignoring cached component {}: {e:#}; recompiling",
                artifact.display()
            ),
        }
    }

    let component = Component::new(engine, wasm)
        .map_err(anyhow::Error::from)
        .context("compiling the component")?;
    let mut cached_at = None;
    for dir in dirs {
        let (artifact, checksum) = entry(dir);
        match write_cached(&component, dir, &artifact, &checksum) {
            Ok(()) => {
                cached_at = Some(artifact);
                break;
            }
            Err(e) => eprintln!(
                "climbing-host: cannot cache the compiled component in {}: {e:#}",
                dir.display()
            ),
        }
    }
    Ok((component, CompileSource::Compiled { cached_at }))
}

fn read_cached(engine: &Engine, artifact: &Path, checksum: &Path) -> Result<Option<Component>> {
    let (Ok(bytes), Ok(expected)) = (std::fs::read(artifact), std::fs::read_to_string(checksum))
    else {
        return Ok(None);
    };
    // Deserializing trusts the bytes to be wasmtime's own output (it maps them as
    // code); the checksum turns a truncated or damaged file into a recompile
    // rather than undefined behavior.
    if hex(&Sha256::digest(&bytes)) != expected.trim() {
        anyhow::bail!("checksum mismatch");
    }
    // SAFETY: the bytes were written by `Component::serialize` of this program
    // (checked by the checksum above) into the user's own cache directory, and
    // wasmtime rejects artifacts from an incompatible engine or version.
    let component =
        unsafe { Component::deserialize(engine, &bytes) }.map_err(anyhow::Error::from)?;
    Ok(Some(component))
}

fn write_cached(component: &Component, dir: &Path, artifact: &Path, checksum: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let bytes = component.serialize().map_err(anyhow::Error::from)?;
    // Write-then-rename so a concurrent host never reads a half-written file.
    let unique = format!("tmp.{}", std::process::id());
    let tmp_artifact = artifact.with_extension(&unique);
    std::fs::write(&tmp_artifact, &bytes)?;
    std::fs::rename(&tmp_artifact, artifact)?;
    let tmp_checksum = checksum.with_extension(&unique);
    std::fs::write(&tmp_checksum, hex(&Sha256::digest(&bytes)))?;
    std::fs::rename(&tmp_checksum, checksum)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest valid component: preamble only.
    pub(super) const EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\0\x01\0";

    #[test]
    fn cache_is_used_and_damage_means_recompiling() {
        let engine = Engine::default();
        let dir = tempfile::tempdir().unwrap();
        let dirs = [dir.path().to_owned()];
        let (_, first) = load_component(&engine, EMPTY_COMPONENT, &dirs).unwrap();
        let CompileSource::Compiled {
            cached_at: Some(artifact),
        } = first
        else {
            panic!("expected a fresh compile that got cached, got {first:?}");
        };
        let (_, second) = load_component(&engine, EMPTY_COMPONENT, &dirs).unwrap();
        assert!(matches!(second, CompileSource::Cache(_)), "{second:?}");

        // Damaged artifact (checksum no longer matches).
        std::fs::write(&artifact, b"garbage").unwrap();
        let (_, third) = load_component(&engine, EMPTY_COMPONENT, &dirs).unwrap();
        assert!(matches!(third, CompileSource::Compiled { .. }), "{third:?}");

        // Garbage with a matching checksum: wasmtime refuses it, we recompile.
        std::fs::write(&artifact, b"garbage").unwrap();
        std::fs::write(
            artifact.with_extension("sha256"),
            hex(&Sha256::digest(b"garbage")),
        )
        .unwrap();
        let (_, fourth) = load_component(&engine, EMPTY_COMPONENT, &dirs).unwrap();
        assert!(
            matches!(fourth, CompileSource::Compiled { .. }),
            "{fourth:?}"
        );
        let (_, fifth) = load_component(&engine, EMPTY_COMPONENT, &dirs).unwrap();
        assert!(matches!(fifth, CompileSource::Cache(_)), "{fifth:?}");
    }

    #[test]
    fn cache_key_depends_on_bytes_and_engine_config() {
        let plain = Engine::default();
        let mut config = Config::new();
        config.consume_fuel(true);
        let fueled = Engine::new(&config).unwrap();
        let k1 = cache_key(&plain, EMPTY_COMPONENT);
        assert_eq!(k1, cache_key(&plain, EMPTY_COMPONENT));
        assert_ne!(k1, cache_key(&fueled, EMPTY_COMPONENT));
        assert_ne!(k1, cache_key(&plain, b"\0asm\x0d\0\x01\0\0"));
    }
}

#[cfg(test)]
mod fallback_tests {
    use super::*;

    #[test]
    fn unwritable_cache_dir_falls_back_to_the_next() {
        let engine = Engine::default();
        let dir = tempfile::tempdir().unwrap();
        // A file where a directory should be: creating the cache dir fails.
        let blocked = dir.path().join("blocked");
        std::fs::write(&blocked, b"").unwrap();
        let dirs = [blocked.join("climbing-host"), dir.path().join("fallback")];
        let (_, source) = load_component(&engine, tests::EMPTY_COMPONENT, &dirs).unwrap();
        let CompileSource::Compiled {
            cached_at: Some(at),
        } = source
        else {
            panic!("expected caching in the fallback dir, got {source:?}");
        };
        assert!(at.starts_with(&dirs[1]));
        let (_, again) = load_component(&engine, tests::EMPTY_COMPONENT, &dirs).unwrap();
        assert!(matches!(again, CompileSource::Cache(_)), "{again:?}");
    }
}
