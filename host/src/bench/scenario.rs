//! The scenarios of a run: what to send where, measured in interleaved rounds,
//! and the metered sample of their costs.

use anyhow::Result;
use bytes::Bytes;
use std::time::Duration;

use super::load::{Client, Expect, LoadResult, Target};
use super::plan::Plan;
use super::report::Sample;

/// The components being served in this process and what reaches them.
pub struct Servers {
    /// Throughput: no fuel metering, no metrics headers.
    pub ours: Target,
    /// Sample: metering and metrics headers; the same store and variables.
    pub ours_metered: Target,
    /// Sample with the rate limit at its default, as deployed.
    pub ours_metered_limited: Target,
    pub floor: Option<(Target, Target)>,
    /// Ours again on a store of its own for the scale step (plain, metered).
    pub scale: Option<(Target, Target)>,
    pub token: String,
}

/// One row of the base table: what to send where, and where to sample its costs.
pub struct Scenario<'a> {
    pub server: &'static str,
    pub name: &'static str,
    pub client: &'a Client,
    /// POST bodies, cycled; `None`: bodiless GETs.
    pub bodies: Option<&'a [Bytes]>,
    pub expect: Expect,
    pub measure: Measure<'a>,
}

#[derive(Clone, Copy)]
pub enum Measure<'a> {
    /// Sample these POSTs on this metered server (and on the rate-limited one).
    Post(&'a Target, &'a [Bytes], Option<&'a Target>),
    Get(&'a Target),
    Nothing,
}

/// A tool call scenario whose costs are sampled on `metered`.
pub fn post_scenario<'a>(
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
pub async fn measure_rounds(plan: &Plan, scenarios: &[Scenario<'_>]) -> Result<Vec<LoadResult>> {
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

/// The metered sample: medians over `n` sequential requests, on the metered
/// server, and KV operations on the rate-limited one too.
pub async fn sample(
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

pub async fn sample_get(target: &Target, n: u64) -> Result<Sample> {
    let client = Client::new(target.clone(), "");
    Sample::from_costs(&client.costs_get(n).await?)
}
