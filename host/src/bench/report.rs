//! The bench's printout: a table per section and the targets.

use anyhow::{bail, Result};
use std::fmt::Write;

use super::load::LoadResult;
use super::plan::Plan;
use climbing_host::metrics::RequestCost;
use climbing_host::runtime::Allocator;

/// Costs of one scenario from the metered sample.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Median KV data operations per request (opening the bucket is not one), rate limit off.
    pub kv_ops: u64,
    /// The same with the rate limit on, as deployed.
    pub kv_ops_rate_limited: Option<u64>,
    /// Median fuel per request.
    pub fuel: Option<u64>,
    /// Largest peak linear memory of an instance.
    pub peak_memory: u64,
}

impl Sample {
    pub fn from_costs(costs: &[RequestCost]) -> Result<Self> {
        if costs.is_empty() {
            bail!("no metered requests");
        }
        let median = |mut v: Vec<u64>| {
            v.sort_unstable();
            v[v.len() / 2]
        };
        let fuel: Vec<u64> = costs.iter().filter_map(|c| c.fuel).collect();
        Ok(Self {
            kv_ops: median(costs.iter().map(|c| c.kv_ops).collect()),
            kv_ops_rate_limited: None,
            fuel: (!fuel.is_empty()).then(|| median(fuel)),
            peak_memory: costs.iter().map(|c| c.peak_memory).max().unwrap_or(0),
        })
    }
}

pub struct Row {
    pub server: &'static str,
    pub name: String,
    pub result: LoadResult,
    pub sample: Option<Sample>,
}

impl Row {
    pub fn new(
        server: &'static str,
        name: &str,
        result: LoadResult,
        sample: Option<Sample>,
    ) -> Self {
        if result.errors > 0 {
            eprintln!(
                "bench: {server} {name}: {} of {} answers were wrong; first: {}",
                result.errors,
                result.requests(),
                result.first_error.as_deref().unwrap_or("?")
            );
        }
        Self {
            server,
            name: name.to_owned(),
            result,
            sample,
        }
    }

    fn label(&self) -> String {
        format!("{} {}", self.server, self.name)
    }
}

pub fn header(
    out: &mut String,
    plan: &Plan,
    component_bytes: usize,
    floor_bytes: Option<usize>,
    allocator: Allocator,
    climbs: usize,
) {
    let cores = plan.cores;
    let _ = writeln!(out, "== climbing-bench");
    let _ = writeln!(
        out,
        "machine: {cores} cores{}; {} allocator; load: {} keep-alive connections on {} thread(s), {:.1} s warm-up + {:.1} s per scenario in {} interleaved round(s) (at most {} requests); loopback",
        plan.pinning.map_or(String::new(), |p| format!(" ({})", p.describe())),
        match allocator {
            Allocator::Pooling => "pooling",
            Allocator::OnDemand => "on-demand",
        },
        plan.connections,
        plan.load_threads,
        plan.warmup.as_secs_f64(),
        plan.duration.as_secs_f64(),
        plan.rounds,
        plan.max_requests
    );
    let _ = writeln!(
        out,
        "component: {component_bytes} bytes{}; store: memory, {climbs} climbs; auth: HS256 bearer; rate limit off for throughput",
        floor_bytes.map_or(String::new(), |b| format!(" (floor {b} bytes)"))
    );
    let _ = writeln!(
        out,
        "kv ops, fuel, peak memory: medians (memory: max) of {} metered requests per scenario; \"kv (rl)\" with the rate limit on\n",
        plan.samples
    );
}

pub fn table(out: &mut String, rows: &[Row]) {
    let floor = rows
        .iter()
        .find(|r| r.server == "floor")
        .map(|r| r.result.rps());
    let _ = writeln!(
        out,
        "{:<46} {:>9} {:>8} {:>8} {:>7} {:>7} {:>4} {:>7} {:>11} {:>9} {:>6}",
        "scenario",
        "req/s",
        "p50 ms",
        "p99 ms",
        "/floor",
        "/peer",
        "kv",
        "kv (rl)",
        "fuel",
        "peak mem",
        "errors"
    );
    for row in rows {
        let rps = row.result.rps();
        let ratio = |base: Option<f64>| match base {
            Some(b) if row.server == "ours" => format!("{:.2}", rps / b),
            _ => "-".into(),
        };
        let vs_peer = ratio(peer_row(rows, row).map(|r| r.result.rps()));
        let s = row.sample.as_ref();
        let _ = writeln!(
            out,
            "{:<46} {:>9.0} {:>8.3} {:>8.3} {:>7} {:>7} {:>4} {:>7} {:>11} {:>9} {:>6}",
            row.label(),
            rps,
            row.result.p50_us() / 1000.0,
            row.result.p99_us() / 1000.0,
            ratio(floor),
            vs_peer,
            s.map_or("-".into(), |s| s.kv_ops.to_string()),
            s.and_then(|s| s.kv_ops_rate_limited)
                .map_or("-".into(), |k| k.to_string()),
            s.and_then(|s| s.fuel).map_or("-".into(), |f| f.to_string()),
            s.map_or("-".into(), |s| mib(s.peak_memory)),
            row.result.errors
        );
    }
}

/// The peer's row of the same scenario as `row`.
fn peer_row<'a>(rows: &'a [Row], row: &Row) -> Option<&'a Row> {
    rows.iter()
        .find(|r| r.server == "peer" && r.name == row.name)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
}

/// The targets, each with its measured value and verdict.
/// `plain_bytes`: the component's size without `wasm-opt`, when known (the
/// embedded one; not a `--component`).
pub fn targets(out: &mut String, rows: &[Row], component_bytes: usize, plain_bytes: Option<usize>) {
    let find = |server: &str, name: &str| {
        rows.iter()
            .find(|r| r.server == server && r.name.starts_with(name))
    };
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    let _ = writeln!(out, "\ntargets");
    let get = find("ours", "get_climb");
    if let (Some(get), Some(floor)) = (get, find("floor", "")) {
        let r = get.result.rps() / floor.result.rps();
        let _ = writeln!(
            out,
            "  read tool call >= 70% of the floor's throughput: {:.0}% ({:.0} vs {:.0} req/s)  {}",
            r * 100.0,
            get.result.rps(),
            floor.result.rps(),
            verdict(r >= 0.70)
        );
    }
    if let (Some(get), Some(peer)) = (get, find("peer", "")) {
        let r = get.result.rps() / peer.result.rps();
        let _ = writeln!(
            out,
            "  read tool call at least as fast as the native peer: {:.2}x its throughput, p50 {:.3} vs {:.3} ms  {}",
            r,
            get.result.p50_us() / 1000.0,
            peer.result.p50_us() / 1000.0,
            verdict(r >= 1.0)
        );
    }
    // The reads the peer serves too: every read scenario.
    let reads: Vec<(&Row, &Row)> = rows
        .iter()
        .filter(|r| r.server == "ours")
        .filter_map(|r| Some((r, peer_row(rows, r)?)))
        .collect();
    let others: Vec<(&str, f64)> = reads
        .iter()
        .filter(|(r, _)| !r.name.starts_with("get_climb"))
        .map(|(r, p)| (r.name.as_str(), r.result.rps() / p.result.rps()))
        .collect();
    if !others.is_empty() {
        let worst = others.iter().map(|(_, x)| *x).fold(f64::INFINITY, f64::min);
        let each: Vec<String> = others.iter().map(|(n, x)| format!("{n} {x:.2}")).collect();
        let _ = writeln!(
            out,
            "  list, search, tools/list >= 0.8x the peer: {}  {}",
            each.join(", "),
            verdict(worst >= 0.8)
        );
    }
    let tail = |r: &Row| r.result.p99_us() / r.result.p50_us();
    if let Some((worst, _)) = reads.iter().max_by(|a, b| tail(a.0).total_cmp(&tail(b.0))) {
        let worst_peer = reads.iter().map(|(_, p)| tail(p)).fold(0.0, f64::max);
        let floor =
            find("floor", "").map_or(String::new(), |f| format!(", the floor {:.2}x", tail(f)));
        let _ = writeln!(
            out,
            "  p99 < 2x p50 for every read: at most {:.2}x ({}; the peer at most {worst_peer:.2}x{floor})  {}",
            tail(worst),
            worst.name,
            verdict(tail(worst) < 2.0)
        );
    }
    let _ = writeln!(
        out,
        "  component < 1 MB: {component_bytes} bytes ({:.1}% of 1,000,000)  {}",
        component_bytes as f64 / 1e4,
        verdict(component_bytes < 1_000_000)
    );
    if let Some(plain) = plain_bytes {
        let ratio = plain as f64 / component_bytes as f64;
        let _ = writeln!(
            out,
            "  without wasm-opt <= 1.10x: {plain} bytes ({ratio:.2}x)  {}",
            verdict(ratio <= 1.10)
        );
    }
    let ops = |name: &str| {
        find("ours", name)
            .and_then(|r| r.sample.as_ref())
            .map(|s| (s.kv_ops, s.kv_ops_rate_limited.unwrap_or(s.kv_ops)))
    };
    if let Some((auth, auth_rl)) = ops("ping") {
        let _ = writeln!(
            out,
            "  KV ops for auth <= 2: {auth} (ping; {auth_rl} with the rate limit on)  {}",
            verdict(auth <= 2 && auth_rl <= 2)
        );
        for (name, extra) in [("get_climb", 1), ("list_climbs", 2)] {
            if let Some((n, n_rl)) = ops(name) {
                let more = n.saturating_sub(auth);
                let _ = writeln!(
                    out,
                    "  KV ops for {name} <= auth + {extra}: auth + {more} ({n} in all; {n_rl} with the rate limit on)  {}",
                    verdict(more <= extra && n_rl.saturating_sub(auth_rl) <= extra)
                );
            }
        }
    }
}
