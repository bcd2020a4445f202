//! The bench under other servers than this host's: the floor and ours under the
//! Spin CLI in the same run (ours/floor for both runtimes), and the load
//! generator pointed at any URL (`--target`).

use anyhow::{Context, Result};
use bytes::Bytes;
use serde_json::json;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use super::dataset::{import_climbs, list_all_climbs, BASE_CRAG_CLIMBS};
use super::load::{Client, Expect, Target};
use super::plan::Plan;
use super::report::{self, Row};
use super::requests::{bodies, rpc, str_field, tool_call, RESOURCE};
use super::scenario::{measure_rounds, Measure, Scenario};
use super::spin::{self, SpinApp};
use climbing_contract::variables as var;

/// Variables ours gets under Spin, as under this host: the bench's HS256 secret
/// and resource URL, a fixed state secret, the rate limit off.
fn spin_vars(secret: &str) -> Vec<(String, String)> {
    [
        (var::JWT_HS256_SECRET, secret),
        (var::RESOURCE_URL, RESOURCE),
        (var::STATE_SECRET, "bench-state-secret-0123456789abcdef"),
        (var::RATE_LIMIT_PER_MINUTE, "0"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// The base dataset through `client`'s tools; returns every climb id.
async fn load_dataset(plan: &Plan, client: &Client) -> Result<Vec<String>> {
    let country = client
        .tool(
            "create_area",
            json!({"name": "Benchland", "kind": "country"}),
        )
        .await?;
    let country_id = str_field(&country, "id")?;
    let crags = import_climbs(
        client,
        &country_id,
        0,
        plan.base_climbs,
        BASE_CRAG_CLIMBS,
        "Crag",
    )
    .await?;
    let mut ids = Vec::with_capacity(plan.base_climbs);
    for crag in &crags {
        for climb in list_all_climbs(client, crag).await? {
            ids.push(str_field(&climb, "id")?);
        }
    }
    Ok(ids)
}

fn get_bodies(ids: &[String]) -> Vec<Bytes> {
    bodies(ids.len(), |i| tool_call("get_climb", json!({"id": ids[i]})))
}

/// Ours' scenarios on `client`: get_climb over every id, ping, GET /mcp.
fn ours_scenarios<'a>(
    client: &'a Client,
    get: &'a [Bytes],
    ping: &'a [Bytes],
) -> Vec<Scenario<'a>> {
    let post = |name, bodies, expect| Scenario {
        server: "ours",
        name,
        client,
        bodies: Some(bodies),
        expect,
        measure: Measure::Nothing,
    };
    vec![
        post("get_climb", get, Expect::ToolOk),
        post("ping (auth only)", ping, Expect::Ok),
        Scenario {
            server: "ours",
            name: "GET /mcp (405, no auth)",
            client,
            bodies: None,
            expect: Expect::Status(405),
            measure: Measure::Nothing,
        },
    ]
}

/// ours/floor in requests/s for `ours_name`, from one table's rows.
fn ratio(rows: &[Row], ours_name: &str) -> Option<(f64, f64, f64)> {
    let floor = rows.iter().find(|r| r.server == "floor")?.result.rps();
    let ours = rows
        .iter()
        .find(|r| r.server == "ours" && r.name.starts_with(ours_name))?
        .result
        .rps();
    Some((ours / floor, ours, floor))
}

/// The floor and ours under `spin up`, measured in interleaved rounds like the
/// host's table; then ours/floor under both runtimes. `host_rows` are the host's
/// table of this run.
#[allow(clippy::too_many_arguments)]
pub async fn under_spin(
    plan: &Plan,
    spin_bin: &Path,
    wasm: &[u8],
    floor_wasm: &[u8],
    secret: &str,
    token: &str,
    host_rows: &[Row],
    out: &mut String,
) -> Result<()> {
    let version = spin::version(spin_bin)?;
    eprintln!("bench: {version}: serving the floor and ours with spin up...");
    let manifest = spin::project_manifest()?;
    // Starting waits for Spin's "Serving" line: blocking, off the async workers.
    let (floor_app, ours_app) = tokio::task::block_in_place(|| -> Result<_> {
        let floor = SpinApp::start(spin_bin, "floor", spin::floor_manifest(), floor_wasm, &[])?;
        let ours = SpinApp::start(spin_bin, "ours", &manifest, wasm, &spin_vars(secret))?;
        Ok((floor, ours))
    })?;
    let floor = Client::new(floor_app.target.clone(), token);
    let ours = Client::new(ours_app.target.clone(), token);

    let t = Instant::now();
    let ids = load_dataset(plan, &ours)
        .await
        .context("loading the dataset under Spin")?;
    eprintln!(
        "bench: Spin: {} climbs loaded in {:.1} s",
        ids.len(),
        t.elapsed().as_secs_f64()
    );
    let get = get_bodies(&ids);
    let ping = vec![rpc("ping", json!({}))];
    let mut scenarios = vec![Scenario {
        server: "floor",
        name: "fixed JSON (trivial component)",
        client: &floor,
        bodies: Some(&ping),
        expect: Expect::Ok,
        measure: Measure::Nothing,
    }];
    scenarios.extend(ours_scenarios(&ours, &get, &ping));
    let results = measure_rounds(plan, &scenarios).await?;
    let rows: Vec<Row> = scenarios
        .iter()
        .zip(results)
        .map(|(s, r)| Row::new(s.server, s.name, r, None))
        .collect();

    writeln!(
        out,
        "\n== under {version}: the same floor and component with `spin up` (the project's spin.toml, Spin's key-value store in memory), same load"
    )?;
    report::table(out, &rows);
    writeln!(
        out,
        "\nours/floor by runtime, same run (target: under Spin at least what it is under climbing-host)"
    )?;
    for name in ["get_climb", "GET /mcp"] {
        let (Some(host), Some(spin)) = (ratio(host_rows, name), ratio(&rows, name)) else {
            continue;
        };
        writeln!(
            out,
            "  {name:<10} climbing-host {:.2} ({:.0} / {:.0} req/s)   Spin {:.2} ({:.0} / {:.0} req/s)   {}",
            host.0,
            host.1,
            host.2,
            spin.0,
            spin.1,
            spin.2,
            if spin.0 >= host.0 { "met" } else { "MISSED" }
        )?;
    }
    Ok(())
}

/// `--target URL`: the dataset through the target's own tools (the token needs
/// `climb:write`), then ours' scenarios against it. Nothing is served here.
pub async fn against_url(plan: &Plan, url: &str, token: &str) -> Result<String> {
    let target = Target::from_url(url)?;
    let client = Client::new(target, token);
    let t = Instant::now();
    let ids = load_dataset(plan, &client)
        .await
        .with_context(|| format!("loading the dataset through {url}"))?;
    eprintln!(
        "bench: {url}: {} climbs loaded in {:.1} s",
        ids.len(),
        t.elapsed().as_secs_f64()
    );
    let get = get_bodies(&ids);
    let ping = vec![rpc("ping", json!({}))];
    let scenarios = ours_scenarios(&client, &get, &ping);
    let results = measure_rounds(plan, &scenarios).await?;
    let rows: Vec<Row> = scenarios
        .iter()
        .zip(results)
        .map(|(s, r)| Row::new(s.server, s.name, r, None))
        .collect();
    let mut out = String::new();
    writeln!(
        out,
        "== climbing-bench --target {url}\nload: {} keep-alive connections on {} thread(s), {:.1} s warm-up + {:.1} s per scenario in {} interleaved round(s)\n",
        plan.connections,
        plan.load_threads,
        plan.warmup.as_secs_f64(),
        plan.duration.as_secs_f64(),
        plan.rounds
    )?;
    report::table(&mut out, &rows);
    Ok(out)
}
