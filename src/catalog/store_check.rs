//! `check_store`: the store conformance check of [`crate::store::conformance`] as an
//! admin tool, so an operator (or `climbing-host doctor`) can prove a live
//! deployment's store before trusting it with data.

use super::tools::{Tool, ToolFailure, ToolMeta};
use super::Ctx;
use crate::encoding::base64url;
use crate::store::conformance::{self, StoreReport};
use serde::Deserialize;

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CheckStoreArgs {}

pub struct CheckStore;
impl Tool for CheckStore {
    const META: ToolMeta = ToolMeta::maintenance(
        "check_store",
        "Check the key-value store",
        "Run a short conformance check of this deployment's key-value store on a few scratch keys: compare-and-swap detects conflicts, increments are exact, batch reads answer in key order. Says plainly (safe: false, verdict UNSAFE) when writes through the store could be lost or duplicated.",
    );
    type Input = CheckStoreArgs;
    type Output = StoreReport;
    fn call(ctx: &Ctx, _input: CheckStoreArgs) -> Result<StoreReport, ToolFailure> {
        // Fresh keys for each run, so concurrent checks never meet.
        let run = base64url(&ctx.platform.random_bytes(9));
        Ok(conformance::check(ctx.platform.kv(), &run))
    }
}
