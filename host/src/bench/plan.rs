//! What the bench measures: its flags and the plan made of them.

use anyhow::{bail, Result};
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

use super::load::LoadConfig;
use super::pinning::{pin_current_thread, Pinning};

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The CI mode, about a minute: 3 s per scenario after 1 s of warm-up, and a
    /// 20,000-climb scale step.
    #[arg(long)]
    pub quick: bool,

    /// Seconds each scenario is measured (default 8; 3 with --quick).
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,

    /// Seconds of unmeasured load before each scenario (default 2; 1 with --quick).
    #[arg(long, value_name = "SECS")]
    pub warmup: Option<f64>,

    /// Concurrent keep-alive connections of the load generator.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub connections: u32,

    /// Worker threads of the load generator's runtime (default: as many as the
    /// machine has cores, like the servers' runtime); 1 runs it on one thread.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
    pub load_threads: Option<u32>,

    /// Let the servers and the load generator share every core. By default, on
    /// a machine of two cores or more, the servers (ours, the floor, the peer,
    /// Spin) run on the first half of the cores and the load generator on the
    /// rest, so that neither preempts the other (docs/bench.md, Method), each
    /// side with as many worker threads as it has cores; with `--target`, only
    /// the load generator is pinned.
    #[arg(long)]
    pub share_cores: bool,

    /// Interleaved rounds per base scenario (default 2; 1 with --quick); the
    /// duration is split among them.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub rounds: Option<u32>,

    /// At most this many measured requests per scenario.
    #[arg(long, default_value_t = 2_000_000)]
    pub max_requests: u64,

    /// Climbs in the base dataset (crags of 100).
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(100..=100_000))]
    pub climbs: u64,

    /// Climbs after the scale step's bulk load (default 100,000; 20,000 with --quick;
    /// 0 skips the step).
    #[arg(long, value_name = "N")]
    pub scale_climbs: Option<u64>,

    /// Requests per scenario in the metered sample (KV operations, fuel, memory).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub samples: u64,

    /// The floor component (default: target/bench/wasm32-wasip2/release/climbing_bench_floor.wasm,
    /// built by .ci/bench). Missing: the floor rows are skipped.
    #[arg(long, value_name = "PATH")]
    pub floor: Option<PathBuf>,

    /// The native peer's binary (default: target/bench/release/climbing-bench-peer,
    /// built by .ci/bench). Missing: the peer rows are skipped.
    #[arg(long, value_name = "PATH")]
    pub peer: Option<PathBuf>,

    /// Serve ours with this component instead of the embedded one.
    #[arg(long, value_name = "PATH")]
    pub component: Option<PathBuf>,

    /// The Spin CLI for the rows under Spin (default: $SPIN_BIN, else `spin` on
    /// PATH, else ../shared/spin/spin beside the workspace). Not found: those rows
    /// are skipped.
    #[arg(long, value_name = "PATH", conflicts_with = "no_spin")]
    pub spin: Option<PathBuf>,

    /// Leave out the rows under Spin.
    #[arg(long)]
    pub no_spin: bool,

    /// Measure this server instead (`http://host:port/mcp`): load the dataset
    /// through its tools, then get_climb, ping and GET /mcp; nothing is served.
    #[arg(long, value_name = "URL", requires = "token")]
    pub target: Option<String>,

    /// The bearer token for --target (scopes climb:read and climb:write).
    #[arg(
        long,
        value_name = "JWT",
        env = "CLIMBING_BENCH_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
}

pub struct Plan {
    pub duration: Duration,
    pub warmup: Duration,
    pub connections: u32,
    /// The machine's cores.
    pub cores: usize,
    pub pinning: Option<&'static Pinning>,
    pub load_threads: usize,
    pub max_requests: u64,
    pub rounds: u32,
    pub base_climbs: usize,
    pub scale_climbs: usize,
    pub samples: u64,
}

impl Plan {
    pub fn from_args(args: &BenchArgs) -> Result<Self> {
        let secs = |v: Option<f64>, default: f64, quick: f64| -> Result<Duration> {
            let s = v.unwrap_or(if args.quick { quick } else { default });
            if !(s.is_finite() && s >= 0.0) {
                bail!("durations are non-negative seconds, got {s}");
            }
            Ok(Duration::from_secs_f64(s))
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        // Pinning starts here, on the calling thread, so that whatever it starts
        // later (the runtimes' threads, the compiler's) starts pinned.
        let pinning = if args.share_cores || cores < 2 {
            None
        } else {
            Some(Pinning::split()?.install())
        };
        let base_climbs = usize::try_from(args.climbs)?;
        let scale_climbs = usize::try_from(args.scale_climbs.unwrap_or(if args.quick {
            20_000
        } else {
            100_000
        }))?;
        if scale_climbs != 0 && scale_climbs <= base_climbs {
            bail!("--scale-climbs ({scale_climbs}) must exceed --climbs ({base_climbs}), or be 0");
        }
        Ok(Self {
            duration: secs(args.duration, 8.0, 3.0)?,
            warmup: secs(args.warmup, 2.0, 1.0)?,
            connections: args.connections,
            cores,
            load_threads: args
                .load_threads
                .map_or(pinning.map_or(cores, |p| p.load.len()), |n| n as usize),
            pinning,
            max_requests: args.max_requests,
            rounds: args.rounds.unwrap_or(if args.quick { 1 } else { 2 }),
            base_climbs,
            scale_climbs,
            samples: args.samples,
        })
    }

    /// The load generator's runtime.
    pub fn load_runtime(&self) -> Result<tokio::runtime::Runtime> {
        self.runtime(
            "bench-client",
            self.load_threads,
            self.pinning.map(|p| &p.load[..]),
        )
    }

    /// The servers' runtime (ours and the floor under this host).
    pub fn server_runtime(&self) -> Result<tokio::runtime::Runtime> {
        self.runtime(
            "bench-server",
            // The machine's cores, or the servers' share of them when pinned.
            self.pinning.map_or(self.cores, |p| p.servers.len()),
            self.pinning.map(|p| &p.servers[..]),
        )
    }

    fn runtime(
        &self,
        name: &str,
        threads: usize,
        cores: Option<&'static [usize]>,
    ) -> Result<tokio::runtime::Runtime> {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder
            .worker_threads(threads)
            .thread_name(name)
            .enable_all();
        if let Some(cores) = cores {
            builder.on_thread_start(move || pin_current_thread(cores));
        }
        Ok(builder.build()?)
    }

    pub fn load(&self) -> LoadConfig {
        LoadConfig {
            connections: self.connections,
            duration: self.duration,
            warmup: self.warmup,
            max_requests: self.max_requests,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_plan_is_short() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            bench: BenchArgs,
        }
        let cli = Cli::try_parse_from(["bench", "--quick"]).unwrap();
        let plan = Plan::from_args(&cli.bench).unwrap();
        assert_eq!(plan.duration, Duration::from_secs(3));
        assert_eq!(plan.scale_climbs, 20_000);
        let cli = Cli::try_parse_from(["bench", "--scale-climbs", "500"]).unwrap();
        assert!(Plan::from_args(&cli.bench).is_err());
    }
}
