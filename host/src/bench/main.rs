//! `climbing-bench`: this component against the floor of a fresh sandbox per
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
//! The servers and the load generator run on separate cores (bench/pinning.rs)
//! unless `--share-cores`.
//!
//! Throughput runs with fuel metering off (as `serve` does by default); per-request
//! key-value operations, fuel and peak memory come from a separate small sample on
//! servers with metering on (what `--expose-metrics` reports), sharing the store.
//! The load generator is hyper's HTTP/1.1 client on its own tokio runtime: N
//! keep-alive connections over loopback, each sending its next request when the
//! previous answer is read, bounded by a duration and a request count.

mod dataset;
mod load;
mod peer;
mod pinning;
mod plan;
mod report;
mod requests;
mod runtimes;
mod scale;
mod scenario;
mod spin;

use anyhow::{bail, Context, Result};
use clap::Parser;
use serde_json::json;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use climbing_contract::{scope, variables as var};
use climbing_host::capabilities::kv::{memory::MemoryKv, KvBackend};
use climbing_host::capabilities::outbound::AllowList;
use climbing_host::capabilities::variables::Variables;
use climbing_host::runtime::{self, Limits, Runtime};
use climbing_host::server::Server;
use climbing_host::service_token;
use dataset::{
    climb_json, import_climbs, list_all_climbs, next_page_body, BASE_CRAG_CLIMBS, SEARCH_QUERY,
};
use load::{Client, Expect, Target};
use plan::{BenchArgs, Plan};
use report::Row;
use requests::{bodies, rpc, str_field, tool_call, RESOURCE};
use scenario::{measure_rounds, sample, sample_get, Measure, Scenario, Servers};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "climbing-bench",
    version,
    about = "Benchmark the climbing-mcp component against the floor of a fresh sandbox per \
             request and a native MCP server, in one run (see docs/bench.md)"
)]
struct Cli {
    #[command(flatten)]
    args: BenchArgs,
}

fn main() -> std::process::ExitCode {
    match run(Cli::parse().args, climbing_host::EMBEDDED_COMPONENT) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("climbing-bench: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(args: BenchArgs, embedded: &'static [u8]) -> Result<()> {
    let plan = Plan::from_args(&args)?;
    let started = Instant::now();
    if let Some(url) = &args.target {
        let rt = plan.load_runtime()?;
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
    let server_rt = plan.server_runtime()?;
    let client_rt = plan.load_runtime()?;

    let secret = service_token::generate_secret()?;
    let (token, _) = service_token::mint(
        &secret,
        RESOURCE,
        "bench",
        &[scope::READ.to_owned(), scope::WRITE.to_owned()],
        1,
    )?;
    let kv: Arc<dyn KvBackend> = Arc::new(MemoryKv::new());
    let vars = |rate_limit: bool| {
        let mut flags = vec![
            (var::JWT_HS256_SECRET.to_owned(), secret.clone()),
            (var::RESOURCE_URL.to_owned(), RESOURCE.to_owned()),
            (
                var::STATE_SECRET.to_owned(),
                "bench-state-secret-0123456789abcdef".to_owned(),
            ),
        ];
        if !rate_limit {
            flags.push((var::RATE_LIMIT_PER_MINUTE.to_owned(), "0".to_owned()));
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
        // The size without wasm-opt is known for the embedded component only.
        args.component
            .is_none()
            .then(climbing_host::embedded_component_plain_bytes),
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
    plain_bytes: Option<usize>,
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
    report::targets(&mut out, &rows, wasm.len(), plain_bytes);
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
        // target/<profile>/climbing-bench -> target/bench
        Some(exe.parent()?.parent()?.join("bench").join(rel))
    });
    exe_based
        .into_iter()
        .chain([PathBuf::from("target/bench").join(rel)])
        .find(|p| p.is_file())
}
