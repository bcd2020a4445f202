//! The scale step of `climbing-bench`: list and search on a store grown to
//! `--scale-climbs`, against the base store of the same run.

use anyhow::{Context, Result};
use serde_json::json;
use std::time::Instant;

use super::dataset::{import_climbs, BASE_CRAG_CLIMBS, SCALE_CRAG_CLIMBS, SEARCH_QUERY};
use super::load::Client;
use super::plan::Plan;
use super::report::{self, Row};
use super::requests::{str_field, tool_call};
use super::scenario::{measure_rounds, post_scenario, sample, Measure, Servers};

/// The scale step: a second store gets the same base dataset and then climbs up to
/// `plan.scale_climbs` through import_tree; search and list are then measured on
/// both stores in interleaved rounds, so that the ratios compare like with like.
pub async fn scale(
    plan: &Plan,
    ours: &Client,
    servers: &Servers,
    base_crags: &[String],
    out: &mut String,
) -> Result<()> {
    use std::fmt::Write as _;
    let Some((scale_target, scale_metered)) = &servers.scale else {
        return Ok(());
    };
    let big = Client::new(scale_target.clone(), &servers.token);
    let adding = plan.scale_climbs - plan.base_climbs;
    eprintln!(
        "bench: scale: a second store with the base dataset and {adding} more climbs through import_tree..."
    );
    let country = big
        .tool(
            "create_area",
            json!({"name": "Benchland", "kind": "country"}),
        )
        .await?;
    let country_id = str_field(&country, "id")?;
    let same_crags = import_climbs(
        &big,
        &country_id,
        0,
        plan.base_climbs,
        BASE_CRAG_CLIMBS,
        "Crag",
    )
    .await?;
    let t = Instant::now();
    let big_crags = import_climbs(
        &big,
        &country_id,
        plan.base_climbs,
        adding,
        SCALE_CRAG_CLIMBS,
        "Big crag",
    )
    .await?;
    let import_secs = t.elapsed().as_secs_f64();
    let big_crag = &big_crags[0];
    // Deep in the big crag: the page after 1,000 climbs, through a real cursor.
    let mut cursor = None;
    for _ in 0..5 {
        let mut args = json!({"area_id": big_crag, "limit": 200});
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let page = big.tool("list_climbs", args).await?;
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    let cursor = cursor.context("the big crag has no page after 1,000 climbs")?;

    let search = vec![tool_call("search_climbs", json!({"query": SEARCH_QUERY}))];
    let list_base = vec![tool_call(
        "list_climbs",
        json!({"area_id": base_crags[0], "limit": 50}),
    )];
    let list_same = vec![tool_call(
        "list_climbs",
        json!({"area_id": same_crags[0], "limit": 50}),
    )];
    let list_big = vec![tool_call(
        "list_climbs",
        json!({"area_id": big_crag, "limit": 50}),
    )];
    let list_deep = vec![tool_call(
        "list_climbs",
        json!({"area_id": big_crag, "limit": 50, "cursor": cursor}),
    )];
    let base_metered = &servers.ours_metered;
    let small = |name, bodies| post_scenario("base", name, ours, bodies, base_metered);
    let large = |name, bodies| post_scenario("scale", name, &big, bodies, scale_metered);
    let scenarios = [
        small("search_climbs", search.as_slice()),
        large("search_climbs", search.as_slice()),
        small("list_climbs, crag of 100", list_base.as_slice()),
        large("list_climbs, crag of 100", list_same.as_slice()),
        large("list_climbs, crag of 1,980", list_big.as_slice()),
        large("list_climbs, crag of 1,980, page 21", list_deep.as_slice()),
    ];
    let results = measure_rounds(plan, &scenarios).await?;
    let mut rows = Vec::new();
    for (scenario, result) in scenarios.iter().zip(results) {
        let Measure::Post(target, bodies, _) = scenario.measure else {
            unreachable!("every scale scenario is a POST");
        };
        let s = sample(target, &servers.token, bodies, None, plan.samples).await?;
        rows.push(Row::new(scenario.server, scenario.name, result, Some(s)));
    }

    writeln!(
        out,
        "\n== scale: base store {} climbs vs scale store {} climbs (+{adding} through import_tree: {} calls of one crag and up to {SCALE_CRAG_CLIMBS} climbs, {import_secs:.1} s, {:.0} climbs/s), measured interleaved",
        plan.base_climbs,
        plan.scale_climbs,
        big_crags.len(),
        adding as f64 / import_secs
    )?;
    report::table(out, &rows);
    writeln!(out, "\nscale vs base, same run (target: within 1.5x)")?;
    for (row, base) in [
        (&rows[1], &rows[0]),
        (&rows[3], &rows[2]),
        (&rows[4], &rows[2]),
        (&rows[5], &rows[2]),
    ] {
        let p50 = row.result.p50_us() / base.result.p50_us();
        let rps = base.result.rps() / row.result.rps();
        let fuel = match (
            row.sample.as_ref().and_then(|s| s.fuel),
            base.sample.as_ref().and_then(|s| s.fuel),
        ) {
            (Some(a), Some(b)) => format!("{:.2}x", a as f64 / b as f64),
            _ => "-".into(),
        };
        let kv = |r: &Row| {
            r.sample
                .as_ref()
                .map_or("-".into(), |s| s.kv_ops.to_string())
        };
        writeln!(
            out,
            "  {:<36} p50 {:>5.2}x   1/throughput {:>5.2}x   fuel {:>5}   kv ops {} -> {}   {}",
            row.name,
            p50,
            rps,
            fuel,
            kv(base),
            kv(row),
            if p50 <= 1.5 && rps <= 1.5 {
                "met"
            } else {
                "MISSED"
            }
        )?;
    }
    Ok(())
}
