//! JSON Schemas for tool inputs and outputs, generated from the Rust types.
//!
//! Generation runs natively only: a unit test writes every tool's definition into
//! `tools/definitions.json`, which the build script compacts into what the
//! component serves, so schemars is not part of the `.wasm` at all (the types
//! derive `JsonSchema` off wasm only).
//!
//! Every client loads `tools/list` into a model's context, so the schemas are
//! generated compact (schemars transforms below): an optional field is simply not
//! required (no `null` in its type, no `"default": null`), an enum is a plain `enum`
//! list, and a text is said once. Output schemas describe what the tool serializes
//! (schemars' serialize contract) and carry no prose: they are for validating results.

#[cfg(not(target_arch = "wasm32"))]
use schemars::{generate::SchemaSettings, transform::RecursiveTransform, JsonSchema, Schema};
#[cfg(not(target_arch = "wasm32"))]
use serde_json::{Map, Value};

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

/// The JSON Schema (2020-12, MCP's default dialect, so no `$schema`) of the
/// arguments `T` accepts, for `inputSchema`.
#[cfg(not(target_arch = "wasm32"))]
pub fn input<T: JsonSchema>() -> Value {
    SchemaSettings::draft2020_12()
        .for_deserialize()
        .with(|s| s.meta_schema = None)
        .with_transform(RecursiveTransform(compact))
        .with_transform(drop_root_prose)
        .with_transform(inline_single_use_defs)
        .with_transform(describe_once)
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value()
}

/// The JSON Schema of the result `T` serializes to. Tests check every result
/// against it; `tools/list` carries its [`served_output`] form.
#[cfg(not(target_arch = "wasm32"))]
pub fn output<T: JsonSchema>() -> Value {
    SchemaSettings::draft2020_12()
        .for_serialize()
        .with(|s| s.meta_schema = None)
        .with_transform(RecursiveTransform(compact))
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value()
}

/// The `outputSchema` of a result whose full schema is `shape`: an object. Results
/// come back as text too, where a model reads their fields; the full shape of every
/// record, repeated in each tool that returns one, would double what `tools/list`
/// puts into a model's context (65 KB of output schemas for a read/write token).
pub fn served_output(shape: &serde_json::Value) -> serde_json::Value {
    let mut served = serde_json::Map::new();
    if let Some(t) = shape.get("type") {
        served.insert("type".into(), t.clone());
    }
    serde_json::Value::Object(served)
}

/// The rewrites every subschema gets.
#[cfg(not(target_arch = "wasm32"))]
fn compact(schema: &mut Schema) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    drop_rust_number_format(obj);
    drop_null_type(obj);
    collapse_nullable_any_of(obj);
    enum_from_consts(obj);
    if obj.get("default") == Some(&Value::Null) {
        obj.remove("default");
    }
    // schemars bounds every unsigned integer by 0; the descriptions give the real ranges.
    if obj.get("minimum") == Some(&Value::from(0)) && !obj.contains_key("maximum") {
        obj.remove("minimum");
    }
    // Unknown fields are refused with a message that names the accepted ones; the
    // properties already list them.
    if obj.get("additionalProperties") == Some(&Value::Bool(false)) {
        obj.remove("additionalProperties");
    }
}

/// schemars marks numbers with Rust-specific formats (`uint32`, `double`, ...), which
/// are not JSON Schema formats and make strict validators in clients complain. The
/// ranges they imply stay expressed by `minimum`/`maximum`.
#[cfg(not(target_arch = "wasm32"))]
fn drop_rust_number_format(obj: &mut Map<String, Value>) {
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

/// `"type": ["string", "null"]` -> `"type": "string"`. schemars writes it for an
/// `Option`; our optional fields are absent rather than null (inputs: not
/// required; outputs: `skip_serializing_if`), which the result validation test checks.
#[cfg(not(target_arch = "wasm32"))]
fn drop_null_type(obj: &mut Map<String, Value>) {
    if let Some(Value::Array(types)) = obj.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.pop().unwrap_or_default();
            obj.insert("type".into(), only);
        }
    }
}

/// `"anyOf": [S, {"type": "null"}]` (an `Option` of a named type) -> S's keywords.
#[cfg(not(target_arch = "wasm32"))]
fn collapse_nullable_any_of(obj: &mut Map<String, Value>) {
    let Some(Value::Array(variants)) = obj.get("anyOf") else {
        return;
    };
    let is_null = |v: &Value| v.get("type").and_then(Value::as_str) == Some("null");
    if variants.len() != 2 || !variants.iter().any(is_null) {
        return;
    }
    let Some(Value::Object(inner)) = variants.iter().find(|v| !is_null(v)).cloned() else {
        return;
    };
    obj.remove("anyOf");
    for (keyword, value) in inner {
        // The property's own description is the more specific one.
        obj.entry(keyword).or_insert(value);
    }
}

/// `"oneOf": [{"const": "a", "description": ...}, {"enum": [...]}, ...]` (an enum whose
/// variants have doc comments, or that nests another) -> `"enum": ["a", ...]`: the
/// values, without a paragraph each.
#[cfg(not(target_arch = "wasm32"))]
fn enum_from_consts(obj: &mut Map<String, Value>) {
    let Some(Value::Array(variants)) = obj.get("oneOf") else {
        return;
    };
    let mut values = Vec::new();
    let mut types = Vec::new();
    for variant in variants {
        match (variant.get("const"), variant.get("enum")) {
            (Some(value), _) => values.push(value.clone()),
            (None, Some(Value::Array(nested))) => values.extend(nested.iter().cloned()),
            _ => return,
        }
        types.push(variant.get("type").cloned());
    }
    obj.remove("oneOf");
    if let Some(Some(first)) = types.first() {
        if types.iter().all(|t| t.as_ref() == Some(first)) {
            obj.insert("type".into(), first.clone());
        }
    }
    obj.insert("enum".into(), Value::Array(values));
}

/// The root's title (the Rust type's name) and description (the argument type's
/// doc comment) repeat what the tool's name and description say.
#[cfg(not(target_arch = "wasm32"))]
fn drop_root_prose(schema: &mut Schema) {
    schema.remove("title");
    schema.remove("description");
}

/// A definition used once reads best where it is used, under that use's
/// description; definitions used several times (or recursively) stay in `$defs`.
#[cfg(not(target_arch = "wasm32"))]
fn inline_single_use_defs(schema: &mut Schema) {
    let Some(Value::Object(defs)) = schema.remove("$defs") else {
        return;
    };
    let mut uses = std::collections::BTreeMap::new();
    count_refs(schema.as_value(), &mut uses);
    for def in defs.values() {
        count_refs(def, &mut uses);
    }
    let (single, mut kept): (Map<String, Value>, Map<String, Value>) =
        defs.into_iter().partition(|(name, def)| {
            let reference = format!("#/$defs/{name}");
            let mut inner = std::collections::BTreeMap::new();
            count_refs(def, &mut inner);
            uses.get(&reference) == Some(&1) && !inner.contains_key(&reference)
        });
    let obj = schema.ensure_object();
    // Inlining recurses into what it inlined, so nested single-use definitions go too.
    for value in obj.values_mut().chain(kept.values_mut()) {
        inline_refs(value, &single);
    }
    if !kept.is_empty() {
        obj.insert("$defs".into(), Value::Object(kept));
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn count_refs(value: &Value, uses: &mut std::collections::BTreeMap<String, usize>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                *uses.entry(r.clone()).or_default() += 1;
            }
            map.values().for_each(|v| count_refs(v, uses));
        }
        Value::Array(items) => items.iter().for_each(|v| count_refs(v, uses)),
        _ => {}
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn inline_refs(value: &mut Value, defs: &Map<String, Value>) {
    match value {
        Value::Object(map) => {
            let target = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/$defs/"))
                .and_then(|name| defs.get(name));
            if let Some(Value::Object(def)) = target {
                map.remove("$ref");
                for (keyword, v) in def {
                    // The use's own description is the more specific one.
                    map.entry(keyword.clone()).or_insert_with(|| v.clone());
                }
            }
            map.values_mut().for_each(|v| inline_refs(v, defs));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| inline_refs(v, defs)),
        _ => {}
    }
}

/// A property that points at a definition and describes itself needs no second
/// description on the definition; a definition keeps its own only when some
/// property uses it without one.
#[cfg(not(target_arch = "wasm32"))]
fn describe_once(schema: &mut Schema) {
    let mut undescribed_uses = std::collections::BTreeSet::new();
    collect_undescribed_refs(schema.as_value(), &mut undescribed_uses);
    if let Some(Value::Object(defs)) = schema.get_mut("$defs") {
        for (name, def) in defs.iter_mut() {
            if !undescribed_uses.contains(&format!("#/$defs/{name}")) {
                if let Some(def) = def.as_object_mut() {
                    def.remove("description");
                }
            }
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn collect_undescribed_refs(value: &Value, out: &mut std::collections::BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                if !map.contains_key("description") {
                    out.insert(r.clone());
                }
            }
            map.values().for_each(|v| collect_undescribed_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_undescribed_refs(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn schemas_are_compact_objects() {
        for tool in super::super::tools::all() {
            let input = (tool.input_schema)();
            assert_eq!(input["type"], "object", "{}", tool.meta.name);
            let text = input.to_string();
            for unwanted in [
                "\"uint",
                "\"double\"",
                "\"null\"",
                "\"default\":null",
                "oneOf",
            ] {
                assert!(
                    !text.contains(unwanted),
                    "{}: {unwanted} in {text}",
                    tool.meta.name
                );
            }
        }
    }
}
