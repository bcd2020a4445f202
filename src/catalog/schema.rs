//! JSON Schemas for tool inputs and outputs, generated from the Rust types.
//!
//! Generation runs natively only: it serializes every tool's definition into
//! `tools/definitions.rs`, which the component serves as is, so schemars is not
//! part of the `.wasm` at all (the types derive `JsonSchema` off wasm only).

#[cfg(not(target_arch = "wasm32"))]
use schemars::{generate::SchemaSettings, transform::RecursiveTransform, JsonSchema, Schema};
#[cfg(not(target_arch = "wasm32"))]
use serde_json::Value;

/// A type whose JSON Schema the catalog can describe: `JsonSchema` natively, any
/// type inside the component (which never generates schemas).
#[cfg(not(target_arch = "wasm32"))]
pub trait Described: JsonSchema {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: JsonSchema> Described for T {}
#[cfg(target_arch = "wasm32")]
pub trait Described {}
#[cfg(target_arch = "wasm32")]
impl<T> Described for T {}

/// The JSON Schema (2020-12) of `T`, as MCP wants it in `inputSchema`/`outputSchema`.
#[cfg(not(target_arch = "wasm32"))]
pub fn of<T: JsonSchema>() -> Value {
    SchemaSettings::draft2020_12()
        .with_transform(RecursiveTransform(drop_rust_number_formats))
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value()
}

#[cfg(not(target_arch = "wasm32"))]
/// schemars marks numbers with Rust-specific formats (`uint32`, `double`, ...), which
/// are not JSON Schema formats and make strict validators in clients complain. The
/// ranges they imply stay expressed by `minimum`/`maximum`.
fn drop_rust_number_formats(schema: &mut Schema) {
    if let Some(obj) = schema.as_object_mut() {
        let rust_format = matches!(
            obj.get("format").and_then(Value::as_str),
            Some(
                "uint"
                    | "uint8"
                    | "uint16"
                    | "uint32"
                    | "uint64"
                    | "int"
                    | "int8"
                    | "int16"
                    | "int32"
                    | "int64"
                    | "float"
                    | "double"
            )
        );
        if rust_format {
            obj.remove("format");
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn schemas_are_objects_without_rust_formats() {
        for tool in super::super::tools::all() {
            let input = (tool.input_schema)();
            assert_eq!(input["type"], "object", "{}", tool.name);
            let text = input.to_string()
                + &tool
                    .output_schema
                    .map(|s| s().to_string())
                    .unwrap_or_default();
            assert!(
                !text.contains("\"uint") && !text.contains("\"double\""),
                "{}: {text}",
                tool.name
            );
        }
    }
}
