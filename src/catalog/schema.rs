//! JSON Schemas for tool inputs and outputs, generated from the Rust types.

use schemars::JsonSchema;
use serde_json::Value;

/// The JSON Schema (2020-12) of `T`, as MCP wants it in `inputSchema`/`outputSchema`.
pub fn of<T: JsonSchema>() -> Value {
    let schema = schemars::schema_for!(T);
    schema.to_value()
}
