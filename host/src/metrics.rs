//! Per-request costs (`--expose-metrics`): what tests and benches assert on.

use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};

pub const HEADER_KV_OPS: &str = "climbing-host-kv-ops";
pub const HEADER_FUEL: &str = "climbing-host-fuel";
pub const HEADER_MEMORY: &str = "climbing-host-memory";

/// What one request cost the host.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestCost {
    /// Key-value calls (opening the bucket not included, see capabilities/kv/mod.rs `KvHost::ops`).
    pub kv_ops: u64,
    /// Fuel consumed, when fuel metering is on.
    pub fuel: Option<u64>,
    /// Peak total linear memory of the instance, in bytes.
    pub peak_memory: u64,
}

impl RequestCost {
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, String)> {
        [
            Some((HEADER_KV_OPS, self.kv_ops.to_string())),
            self.fuel.map(|f| (HEADER_FUEL, f.to_string())),
            Some((HEADER_MEMORY, self.peak_memory.to_string())),
        ]
        .into_iter()
        .flatten()
    }
}

/// [`StoreLimits`] (the `--max-memory-mib` cap) plus a record of the peak linear
/// memory, which wasmtime does not report by itself.
pub struct MemoryLimiter {
    limits: StoreLimits,
    total: usize,
    peak: usize,
}

impl MemoryLimiter {
    pub fn new(max_memory_bytes: usize) -> Self {
        Self {
            limits: StoreLimitsBuilder::new()
                .memory_size(max_memory_bytes)
                .build(),
            total: 0,
            peak: 0,
        }
    }

    pub fn peak(&self) -> u64 {
        self.peak as u64
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.limits.memory_growing(current, desired, maximum)?;
        if allowed {
            // Called for the initial allocation too (current = 0), so the sum over
            // all memories of the instance is tracked from the start.
            self.total = self.total.saturating_add(desired.saturating_sub(current));
            self.peak = self.peak.max(self.total);
        }
        Ok(allowed)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.memory_grow_failed(error)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.table_grow_failed(error)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_peak_and_enforces_cap() {
        let mib = 1 << 20;
        let mut limiter = MemoryLimiter::new(4 * mib);
        assert!(limiter.memory_growing(0, mib, None).unwrap());
        assert!(limiter.memory_growing(mib, 3 * mib, None).unwrap());
        assert!(!limiter.memory_growing(3 * mib, 5 * mib, None).unwrap());
        assert_eq!(limiter.peak(), 3 * mib as u64);
    }
}
