//! Tool argument validation: `tools/call` of every tool with fuzzed JSON
//! arguments, on a store holding a few records (`$CRAG`, `$CLIMB`, ... in the
//! input are replaced by their ids).
//!
//! Input: one byte choosing the tool, then the arguments as JSON text.
#![no_main]

use climbing_mcp::catalog::tools;
use climbing_mcp_fuzz::{call_tool, check_response, seeded};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let (p, seeds) = seeded();
    let Ok(args) = serde_json::from_str::<serde_json::Value>(&seeds.substitute(text)) else {
        return;
    };
    // Every tool the server offers, admin tools included, from its registry.
    let tools: Vec<&str> = tools::all().map(|t| t.meta.name).collect();
    let name = tools[which as usize % tools.len()];
    let r = call_tool(&p, name, &args);
    check_response(data, &r);
    // A refused call must be answered in a way a model can act on.
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    if v["result"]["isError"] == true {
        let text = v["result"]["content"][0]["text"].as_str().unwrap_or("");
        assert!(!text.is_empty(), "{name}: an error without a message: {v}");
    }
});
