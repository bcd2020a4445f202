//! `climbing-host bench`: this component against the floor of a fresh sandbox per
//! request and against a native MCP server, in one run, on one machine, with one
//! load generator (see docs/bench.md).
//!
//! - **ours**: the embedded component on this host's runtime and server, an
//!   in-memory store, HS256 auth (a generated `jwt_hs256_secret`, tokens minted
//!   here), the rate limit off (it would refuse a benchmark's request rate);
//! - **floor**: a trivial WASI HTTP component (bench/floor: same SDK and release
//!   profile, reads the request, answers fixed JSON) on the same runtime and server;
//! - **peer**: a native rmcp 3.9 server in stateless JSON mode (bench/peer) with
//!   the same HS256 check, serving every read scenario over the same climbs and
//!   with the same tool definitions, as a child process.
//!
//! - **under Spin**: the floor and ours again, served by the Spin CLI (`--spin`,
//!   else `$SPIN_BIN`, `spin` on `PATH` or `../shared/spin/spin`), measured the
//!   same way, with ours/floor for both runtimes (bench/runtimes.rs).
//!
//! `--target URL` instead points the load generator at any server.
//!
//! Throughput runs with fuel metering off (as `serve` does by default); per-request
//! key-value operations, fuel and peak memory come from a separate small sample on
//! servers with metering on (what `--expose-metrics` reports), sharing the store.
//! The load generator is hyper's HTTP/1.1 client on its own tokio runtime: N
//! keep-alive connections over loopback, each sending its next request when the
//! previous answer is read, bounded by a duration and a request count.

mod load;
mod peer;
mod report;
mod runtimes;
mod scale;
mod spin;

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use clap::Args;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::kv::{memory::MemoryKv, KvBackend};
use crate::outbound::AllowList;
use crate::runtime::{self, Limits, Runtime};
use crate::server::Server;
use crate::variables::Variables;
use load::{Client, LoadConfig, LoadResult, Target};
use report::{Row, Sample};

/// The `aud` of the bench's tokens and the component's `resource_url`; its host
/// is never resolved (requests go to loopback addresses).
const RESOURCE: &str = "http://climbing-bench.localhost/mcp";
const PROTOCOL_VERSION: &str = "2025-11-25";

/// Climbs per crag in the base dataset, and per crag (= per import batch) in the
/// scale step (one crag + 1,980 climbs = 1,981 nodes, under import_tree's 2,000).
const BASE_CRAG_CLIMBS: usize = 100;
const SCALE_CRAG_CLIMBS: usize = 1_980;
/// import_tree refuses more nodes than this in one call.
const MAX_IMPORT_NODES: usize = 2_000;

/// Words of the generated climb names: a search for one adjective matches one
/// climb in [`ADJECTIVES`]`.len()`, whatever the dataset's size.
const ADJECTIVES: &[&str] = &[
    "crimson", "silent", "golden", "hidden", "broken", "wild", "lazy", "frozen", "quiet", "bright",
    "hollow", "steep", "narrow", "ancient", "lonely", "rusty", "velvet", "savage", "gentle",
    "iron",
];
const NOUNS: &[&str] = &[
    "arete", "dihedral", "roof", "crack", "slab", "chimney", "flake", "pillar", "traverse",
    "corner", "groove", "ramp", "buttress", "prow", "overhang", "ledge", "seam", "edge", "wall",
    "tower", "spire", "gully", "scoop", "rib", "face",
];
const YDS: &[&str] = &[
    "5.6", "5.7", "5.8", "5.9", "5.10a", "5.10b", "5.10c", "5.10d", "5.11a", "5.11b", "5.11c",
    "5.11d", "5.12a", "5.12b",
];
const SEARCH_QUERY: &str = "crimson";

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

struct Plan {
    duration: Duration,
    warmup: Duration,
    connections: u32,
    max_requests: u64,
    rounds: u32,
    base_climbs: usize,
    scale_climbs: usize,
    samples: u64,
}

impl Plan {
    fn from_args(args: &BenchArgs) -> Result<Self> {
        let secs = |v: Option<f64>, default: f64, quick: f64| -> Result<Duration> {
            let s = v.unwrap_or(if args.quick { quick } else { default });
            if !(s.is_finite() && s >= 0.0) {
                bail!("durations are non-negative seconds, got {s}");
            }
            Ok(Duration::from_secs_f64(s))
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
            max_requests: args.max_requests,
            rounds: args.rounds.unwrap_or(if args.quick { 1 } else { 2 }),
            base_climbs,
            scale_climbs,
            samples: args.samples,
        })
    }

    fn load(&self) -> LoadConfig {
        LoadConfig {
            connections: self.connections,
            duration: self.duration,
            warmup: self.warmup,
            max_requests: self.max_requests,
        }
    }
}

/// The components being served in this process and what reaches them.
struct Servers {
    /// Throughput: no fuel metering, no metrics headers.
    ours: Target,
    /// Sample: metering and metrics headers; the same store and variables.
    ours_metered: Target,
    /// Sample with the rate limit at its default, as deployed.
    ours_metered_limited: Target,
    floor: Option<(Target, Target)>,
    /// Ours again on a store of its own for the scale step (plain, metered).
    scale: Option<(Target, Target)>,
    token: String,
}

pub fn run(args: BenchArgs, embedded: &'static [u8]) -> Result<()> {
    let plan = Plan::from_args(&args)?;
    let started = Instant::now();
    if let Some(url) = &args.target {
        let rt = tokio::runtime::Runtime::new()?;
        let token = args.token.as_deref().unwrap_or_default();
        print!("{}", rt.block_on(runtimes::against_url(&plan, url, token))?);
        return Ok(());
    }
    let spin_bin = if args.no_spin {
        None
    } else {
        let found = spin::find(args.spin.as_deref());
        if found.is_none() {
            eprintln!("bench: no Spin CLI (pass --spin, set SPIN_BIN or put spin on PATH); skipping the rows under Spin");
        }
        found
    };
    let wasm: Vec<u8> = match &args.component {
        Some(path) => std::fs::read(path)
            .with_context(|| format!("cannot read component {}", path.display()))?,
        None => embedded.to_vec(),
    };
    let floor_path = args
        .floor
        .clone()
        .or_else(|| default_artifact("wasm32-wasip2/release/climbing_bench_floor.wasm"));
    let peer_path = args
        .peer
        .clone()
        .or_else(|| default_artifact("release/climbing-bench-peer"));
    let floor_wasm = match &floor_path {
        Some(p) => Some(std::fs::read(p).with_context(|| format!("reading {}", p.display()))?),
        None => {
            eprintln!("bench: no floor component (build it with .ci/bench or pass --floor); skipping the floor");
            None
        }
    };
    if peer_path.is_none() {
        eprintln!(
            "bench: no peer binary (build it with .ci/bench or pass --peer); skipping the peer"
        );
    }

    // The servers get a runtime of their own (as under `serve`), the load
    // generator another: two processes' worth of threads on one machine.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .thread_name("bench-server")
        .enable_all()
        .build()?;
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .thread_name("bench-client")
        .enable_all()
        .build()?;

    let secret = crate::token::generate_secret()?;
    let (token, _) = crate::token::mint(
        &secret,
        RESOURCE,
        "bench",
        &["climb:read".to_owned(), "climb:write".to_owned()],
        1,
    )?;
    let kv: Arc<dyn KvBackend> = Arc::new(MemoryKv::new());
    let vars = |rate_limit: bool| {
        let mut flags = vec![
            ("jwt_hs256_secret".to_owned(), secret.clone()),
            ("resource_url".to_owned(), RESOURCE.to_owned()),
            (
                "state_secret".to_owned(),
                "bench-state-secret-0123456789abcdef".to_owned(),
            ),
        ];
        if !rate_limit {
            flags.push(("rate_limit_per_minute".to_owned(), "0".to_owned()));
        }
        Variables::from_sources(std::iter::empty(), &flags)
    };

    eprintln!("bench: compiling components (cached after the first run)...");
    let plain =
        |wasm: &[u8], vars: Variables| start_server(&server_rt, wasm, kv.clone(), vars, false);
    let metered =
        |wasm: &[u8], vars: Variables| start_server(&server_rt, wasm, kv.clone(), vars, true);
    let (ours_addr, allocator) = plain(&wasm, vars(false)?)?;
    let servers = Servers {
        ours: Target::new(ours_addr),
        ours_metered: Target::new(metered(&wasm, vars(false)?)?.0),
        ours_metered_limited: Target::new(metered(&wasm, vars(true)?)?.0),
        floor: match &floor_wasm {
            Some(f) => Some((
                Target::new(plain(f, vars(false)?)?.0),
                Target::new(metered(f, vars(false)?)?.0),
            )),
            None => None,
        },
        scale: if plan.scale_climbs > 0 {
            let scale_kv: Arc<dyn KvBackend> = Arc::new(MemoryKv::new());
            let plain = start_server(&server_rt, &wasm, scale_kv.clone(), vars(false)?, false)?;
            let metered = start_server(&server_rt, &wasm, scale_kv, vars(false)?, true)?;
            Some((Target::new(plain.0), Target::new(metered.0)))
        } else {
            None
        },
        token,
    };

    let result = client_rt.block_on(bench(
        &plan,
        &servers,
        &secret,
        peer_path.as_deref(),
        &wasm,
        floor_wasm.as_deref(),
        allocator,
        spin_bin.as_deref(),
        started,
    ));
    // The servers' tasks loop forever; dropping their runtime ends them.
    server_rt.shutdown_background();
    result
}

#[allow(clippy::too_many_arguments)]
async fn bench(
    plan: &Plan,
    servers: &Servers,
    secret: &str,
    peer_path: Option<&Path>,
    wasm: &[u8],
    floor_wasm: Option<&[u8]>,
    allocator: runtime::Allocator,
    spin_bin: Option<&Path>,
    started: Instant,
) -> Result<()> {
    let ours = Client::new(servers.ours.clone(), &servers.token);

    // The dataset, through the component's own tools.
    let t = Instant::now();
    let country = ours
        .tool(
            "create_area",
            json!({"name": "Benchland", "kind": "country"}),
        )
        .await?;
    let country_id = str_field(&country, "id")?;
    let base_crags = import_climbs(
        &ours,
        &country_id,
        0,
        plan.base_climbs,
        BASE_CRAG_CLIMBS,
        "Crag",
    )
    .await?;
    let writes_crag = ours
        .tool(
            "create_area",
            json!({"name": "Bench writes", "kind": "crag", "parent_id": country_id}),
        )
        .await?;
    let writes_crag_id = str_field(&writes_crag, "id")?;
    let mut climbs = Vec::with_capacity(plan.base_climbs);
    for crag in &base_crags {
        climbs.extend(list_all_climbs(&ours, crag).await?);
    }
    if climbs.len() != plan.base_climbs {
        bail!(
            "imported {} climbs but read back {}",
            plan.base_climbs,
            climbs.len()
        );
    }
    eprintln!(
        "bench: base dataset: {} climbs in {} crags, loaded in {:.1} s",
        climbs.len(),
        base_crags.len(),
        t.elapsed().as_secs_f64()
    );
    let climb_ids: Vec<String> = climbs
        .iter()
        .map(|c| str_field(c, "id"))
        .collect::<Result<_>>()?;

    // The peer serves the same climbs with the same tool definitions.
    let tools_list = ours.result("tools/list", json!({})).await?;
    let peer = match peer_path {
        Some(path) => Some(peer::Peer::start(path, secret, RESOURCE, &climbs, &tools_list).await?),
        None => None,
    };

    // Request bodies, built before the clock starts; readers cycle through every id.
    let get_bodies = bodies(climb_ids.len(), |i| {
        tool_call("get_climb", json!({"id": climb_ids[i]}))
    });
    let list_args = json!({"area_id": base_crags[0], "limit": 50});
    let list_bodies = vec![tool_call("list_climbs", list_args.clone())];
    let list_next_bodies = vec![next_page_body(&ours, &list_args).await?];
    let search_bodies = vec![tool_call("search_climbs", json!({"query": SEARCH_QUERY}))];
    let tools_list_bodies = vec![rpc("tools/list", json!({}))];
    let ping_bodies = vec![rpc("ping", json!({}))];
    let create_bodies = bodies(10_000, |i| {
        let mut climb = climb_json(i, Some(&writes_crag_id));
        climb["name"] = json!(format!("Bench write {i}"));
        tool_call("create_climb", climb)
    });

    let floor_client = servers
        .floor
        .as_ref()
        .map(|(t, _)| Client::new(t.clone(), &servers.token));
    let peer_client = peer
        .as_ref()
        .map(|p| Client::new(p.target.clone(), &servers.token));

    let mut scenarios: Vec<Scenario> = Vec::new();
    if let (Some(client), Some((_, metered))) = (&floor_client, &servers.floor) {
        scenarios.push(Scenario {
            server: "floor",
            name: "fixed JSON (trivial component)",
            client,
            bodies: Some(&ping_bodies),
            expect: Expect::Ok,
            measure: Measure::Post(metered, &ping_bodies, None),
        });
    }
    // The peer's later page goes through a cursor the peer sealed.
    let peer_list_next_bodies = match &peer_client {
        Some(client) => vec![next_page_body(client, &list_args).await?],
        None => Vec::new(),
    };
    // The read scenarios, each served by the peer (named alike, for `/peer`) and ours.
    let reads = [
        ("get_climb", &get_bodies, &get_bodies, Expect::ToolOk),
        (
            "list_climbs (page of 50)",
            &list_bodies,
            &list_bodies,
            Expect::ToolOk,
        ),
        (
            "list_climbs (page 2, by cursor)",
            &list_next_bodies,
            &peer_list_next_bodies,
            Expect::ToolOk,
        ),
        (
            "search_climbs",
            &search_bodies,
            &search_bodies,
            Expect::ToolOk,
        ),
        (
            "tools/list",
            &tools_list_bodies,
            &tools_list_bodies,
            Expect::Ok,
        ),
    ];
    if let Some(client) = &peer_client {
        for (name, _, peer_bodies, expect) in reads {
            scenarios.push(Scenario {
                server: "peer",
                name,
                client,
                bodies: Some(peer_bodies),
                expect,
                measure: Measure::Nothing,
            });
        }
    }
    let limited = Some(&servers.ours_metered_limited);
    let ours_reads = reads.map(|(name, bodies, _, expect)| (name, bodies, expect));
    let ping = [("ping (auth only)", &ping_bodies, Expect::Ok)];
    for (name, bodies, expect) in ours_reads.into_iter().chain(ping) {
        scenarios.push(Scenario {
            server: "ours",
            name,
            client: &ours,
            bodies: Some(bodies),
            expect,
            measure: Measure::Post(&servers.ours_metered, bodies, limited),
        });
    }
    // GET /mcp: the component's 405, before auth: instantiation and routing.
    scenarios.push(Scenario {
        server: "ours",
        name: "GET /mcp (405, no auth)",
        client: &ours,
        bodies: None,
        expect: Expect::Status(405),
        measure: Measure::Get(&servers.ours_metered),
    });
    // Writes grow the dataset, in a crag and under name tokens of their own.
    scenarios.push(Scenario {
        server: "ours",
        name: "create_climb (write)",
        client: &ours,
        bodies: Some(&create_bodies),
        expect: Expect::ToolOk,
        measure: Measure::Post(&servers.ours_metered, &create_bodies, limited),
    });

    eprintln!(
        "bench: measuring {} scenarios in {} round(s), {} connections, {:.1} s warm-up + {:.1} s per scenario",
        scenarios.len(),
        plan.rounds,
        plan.connections,
        plan.warmup.as_secs_f64(),
        plan.duration.as_secs_f64()
    );
    let results = measure_rounds(plan, &scenarios).await?;
    let mut rows: Vec<Row> = Vec::new();
    for (scenario, result) in scenarios.iter().zip(results) {
        let s = match scenario.measure {
            Measure::Post(target, bodies, limited) => {
                Some(sample(target, &servers.token, bodies, limited, plan.samples).await?)
            }
            Measure::Get(target) => Some(sample_get(target, plan.samples).await?),
            Measure::Nothing => None,
        };
        rows.push(Row::new(scenario.server, scenario.name, result, s));
    }

    let mut out = String::new();
    report::header(
        &mut out,
        plan,
        wasm.len(),
        floor_wasm.map(<[u8]>::len),
        allocator,
        climbs.len(),
    );
    report::table(&mut out, &rows);
    report::targets(&mut out, &rows, wasm.len());
    print!("{out}");

    match (spin_bin, floor_wasm) {
        (Some(spin_bin), Some(floor_wasm)) => {
            let mut out = String::new();
            runtimes::under_spin(
                plan,
                spin_bin,
                wasm,
                floor_wasm,
                secret,
                &servers.token,
                &rows,
                &mut out,
            )
            .await?;
            print!("{out}");
        }
        (Some(_), None) => eprintln!("bench: no floor component; skipping the rows under Spin"),
        (None, _) => {}
    }

    if plan.scale_climbs > 0 {
        let mut out = String::new();
        scale::scale(plan, &ours, servers, &base_crags, &mut out).await?;
        print!("{out}");
    }
    println!(
        "\nbench finished in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    drop(peer);
    Ok(())
}

/// One row of the base table: what to send where, and where to sample its costs.
struct Scenario<'a> {
    server: &'static str,
    name: &'static str,
    client: &'a Client,
    /// POST bodies, cycled; `None`: bodiless GETs.
    bodies: Option<&'a [Bytes]>,
    expect: Expect,
    measure: Measure<'a>,
}

#[derive(Clone, Copy)]
enum Measure<'a> {
    /// Sample these POSTs on this metered server (and on the rate-limited one).
    Post(&'a Target, &'a [Bytes], Option<&'a Target>),
    Get(&'a Target),
    Nothing,
}

/// A tool call scenario whose costs are sampled on `metered`.
fn post_scenario<'a>(
    server: &'static str,
    name: &'static str,
    client: &'a Client,
    bodies: &'a [Bytes],
    metered: &'a Target,
) -> Scenario<'a> {
    Scenario {
        server,
        name,
        client,
        bodies: Some(bodies),
        expect: Expect::ToolOk,
        measure: Measure::Post(metered, bodies, None),
    }
}

/// Runs every scenario `plan.rounds` times, interleaved (A B C .. A B C ..), each
/// time for `duration / rounds`, and merges the rounds: background load on a shared
/// machine then weighs on every scenario alike instead of on whichever ran during it.
/// Only the first round of a scenario warms up fully.
async fn measure_rounds(plan: &Plan, scenarios: &[Scenario<'_>]) -> Result<Vec<LoadResult>> {
    let mut results = vec![LoadResult::default(); scenarios.len()];
    for round in 0..plan.rounds {
        let mut cfg = plan.load();
        cfg.duration = plan.duration / plan.rounds;
        cfg.max_requests = plan.max_requests.div_ceil(u64::from(plan.rounds));
        if round > 0 {
            cfg.warmup = cfg.warmup.min(Duration::from_millis(300));
        }
        for (scenario, total) in scenarios.iter().zip(results.iter_mut()) {
            let result = match scenario.bodies {
                Some(bodies) => scenario.client.load(&cfg, bodies, scenario.expect).await?,
                None => scenario.client.load_get(&cfg).await?,
            };
            total.merge(result);
        }
    }
    Ok(results)
}

/// How a scenario's answers are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// 200 and no JSON-RPC error.
    Ok,
    /// 200, no JSON-RPC error, and a tool result that is not an error.
    ToolOk,
    /// This status (body not checked).
    Status(u16),
}

/// The metered sample: medians over `n` sequential requests, on the metered
/// server, and KV operations on the rate-limited one too.
async fn sample(
    target: &Target,
    token: &str,
    bodies: &[Bytes],
    limited: Option<&Target>,
    n: u64,
) -> Result<Sample> {
    let client = Client::new(target.clone(), token);
    let costs = client.costs(bodies, n).await?;
    let mut s = Sample::from_costs(&costs)?;
    if let Some(limited) = limited {
        let client = Client::new(limited.clone(), token);
        let costs = client.costs(bodies, n.min(5)).await?;
        s.kv_ops_rate_limited = Some(Sample::from_costs(&costs)?.kv_ops);
    }
    Ok(s)
}

async fn sample_get(target: &Target, n: u64) -> Result<Sample> {
    let client = Client::new(target.clone(), "");
    Sample::from_costs(&client.costs_get(n).await?)
}

/// Serves `wasm` on a loopback port from `rt`, the way `serve` does.
fn start_server(
    rt: &tokio::runtime::Runtime,
    wasm: &[u8],
    kv: Arc<dyn KvBackend>,
    vars: Variables,
    metered: bool,
) -> Result<(SocketAddr, runtime::Allocator)> {
    let limits = Limits {
        max_memory_bytes: 64 << 20,
        timeout: Duration::from_secs(60),
        fuel_limit: None,
        meter_fuel: metered,
    };
    let outbound = Arc::new(AllowList::parse(std::iter::empty::<&str>())?);
    let runtime = Arc::new(Runtime::new(wasm, limits, kv, Arc::new(vars), outbound)?);
    let allocator = runtime.allocator();
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let server = Arc::new(Server::new(runtime, metered));
    rt.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        server.serve(listener).await
    });
    Ok((addr, allocator))
}

/// `target/bench/<rel>` next to this executable's target dir, else under the
/// current directory.
fn default_artifact(rel: &str) -> Option<PathBuf> {
    let exe_based = std::env::current_exe().ok().and_then(|exe| {
        // target/<profile>/climbing-host -> target/bench
        Some(exe.parent()?.parent()?.join("bench").join(rel))
    });
    exe_based
        .into_iter()
        .chain([PathBuf::from("target/bench").join(rel)])
        .find(|p| p.is_file())
}

/// Imports `count` climbs (numbered from `first`) as crags of `per_crag` under
/// `parent`, as many crags per import_tree call as fit; returns the crag ids.
async fn import_climbs(
    client: &Client,
    parent: &str,
    first: usize,
    count: usize,
    per_crag: usize,
    crag_name: &str,
) -> Result<Vec<String>> {
    let mut crag_ids = Vec::new();
    let mut next = first;
    let end = first + count;
    let mut crag_no = first / per_crag;
    while next < end {
        let mut areas = Vec::new();
        let mut nodes = 0;
        while next < end {
            let n = per_crag.min(end - next);
            if nodes + 1 + n > MAX_IMPORT_NODES && !areas.is_empty() {
                break;
            }
            let climbs: Vec<Value> = (next..next + n).map(|i| climb_json(i, None)).collect();
            areas.push(json!({
                "name": format!("{crag_name} {crag_no}"),
                "kind": "crag",
                "climbs": climbs,
            }));
            nodes += 1 + n;
            next += n;
            crag_no += 1;
        }
        let summary = client
            .tool("import_tree", json!({"parent_id": parent, "areas": areas}))
            .await?;
        let roots = summary["root_ids"]
            .as_array()
            .context("import_tree gave no root_ids")?;
        for id in roots {
            crag_ids.push(id.as_str().context("a root id is not a string")?.to_owned());
        }
    }
    Ok(crag_ids)
}

/// Every climb of a crag, following cursors.
async fn list_all_climbs(client: &Client, crag: &str) -> Result<Vec<Value>> {
    let mut climbs = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut args = json!({"area_id": crag, "limit": 200});
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let page = client.tool("list_climbs", args).await?;
        climbs.extend(
            page["items"]
                .as_array()
                .context("list_climbs gave no items")?
                .iter()
                .cloned(),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return Ok(climbs),
        }
    }
}

/// The generated climb number `i`: name "<adjective> <noun> <i>", a YDS grade,
/// sport, length and bolts.
fn climb_json(i: usize, area_id: Option<&str>) -> Value {
    let adjective = ADJECTIVES[i % ADJECTIVES.len()];
    let noun = NOUNS[(i / ADJECTIVES.len()) % NOUNS.len()];
    let mut climb = json!({
        "name": format!("{} {noun} {i}", capitalize(adjective)),
        "grades": {"yds": YDS[i % YDS.len()]},
        "disciplines": ["sport"],
        "length_m": 12 + (i % 25) as u32,
        "bolts": 4 + (i % 9) as u32,
        "description": format!("Follow the {noun} past the {adjective} bulge to the chains."),
    });
    if let Some(area) = area_id {
        climb["area_id"] = json!(area);
    }
    climb
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The request for the page after the first of `list_climbs` with `args`, through
/// the cursor `client` answered.
async fn next_page_body(client: &Client, args: &Value) -> Result<Bytes> {
    let first = client.tool("list_climbs", args.clone()).await?;
    let mut next = args.clone();
    next["cursor"] = json!(str_field(&first, "next_cursor")?);
    Ok(tool_call("list_climbs", next))
}

fn rpc(method: &str, params: Value) -> Bytes {
    Bytes::from(json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string())
}

fn tool_call(name: &str, arguments: Value) -> Bytes {
    rpc("tools/call", json!({"name": name, "arguments": arguments}))
}

fn bodies(n: usize, f: impl Fn(usize) -> Bytes) -> Vec<Bytes> {
    (0..n).map(f).collect()
}

fn str_field(v: &Value, field: &str) -> Result<String> {
    v[field]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no string {field:?} in {v}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_spread_over_the_search_word() {
        let matches = (0..1_000)
            .filter(|&i| {
                climb_json(i, None)["name"]
                    .as_str()
                    .unwrap()
                    .starts_with("Crimson ")
            })
            .count();
        assert_eq!(matches, 1_000 / ADJECTIVES.len());
        assert_eq!(climb_json(7, Some("x"))["area_id"], "x");
    }

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
