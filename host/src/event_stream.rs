//! Reading an MCP answer sent as an event stream (`text/event-stream`): the
//! notifications ahead of it, then the JSON-RPC response that ends it. Shared by
//! the operator commands' client and the benchmark's setup calls.

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// Reads an event stream as it arrives: each progress notification goes to
/// `report`; returns the data of the event that is not a notification (the
/// response, which ends the stream).
pub fn read_response(
    body: impl std::io::Read,
    report: &mut dyn FnMut(f64, Option<f64>),
) -> Result<String> {
    use std::io::BufRead;
    let mut data = String::new();
    for line in std::io::BufReader::new(body).lines() {
        let line = line?;
        if let Some(d) = line.strip_prefix("data:") {
            data.push_str(d.trim_start());
            continue;
        }
        // A blank line ends an event; comments (keep-alives) and other fields
        // carry nothing for us.
        if !line.is_empty() || data.is_empty() {
            continue;
        }
        let event = std::mem::take(&mut data);
        let message: Value = serde_json::from_str(&event).context("an event is not JSON")?;
        if message.get("id").is_some() {
            return Ok(event);
        }
        if message["method"] == "notifications/progress" {
            if let Some(p) = message["params"]["progress"].as_f64() {
                report(p, message["params"]["total"].as_f64());
            }
        }
    }
    bail!("the event stream ended without the response")
}
