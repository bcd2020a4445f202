//! The MCP conformance suite's fixtures: the tools, resources and prompts its
//! scenarios call by name.

use climbing_mcp::catalog::prompts::{PromptArg, PromptSpec};
use climbing_mcp::catalog::tools::{error_result, Runner, ToolFailure, ToolMeta, ToolSpec};
use climbing_mcp::catalog::{CatalogError, CatalogResult, Ctx, RoundTrip};
use serde_json::{json, Map, Value};

const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const WAV: &str = "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA=";

fn no_args() -> Value {
    json!({"type": "object", "properties": {}})
}

fn prompt_arg() -> Value {
    json!({"type": "object", "properties": {"prompt": {"type": "string"}}, "required": ["prompt"]})
}

fn message_arg() -> Value {
    json!({"type": "object", "properties": {"message": {"type": "string"}}, "required": ["message"]})
}

const fn fixture(
    name: &'static str,
    description: &'static str,
    input_schema: fn() -> Value,
    run: fn(&Ctx, Value) -> Result<Value, ToolFailure>,
) -> ToolSpec {
    ToolSpec {
        meta: ToolMeta::read(name, name, description),
        input_schema,
        output_schema: None,
        run: Runner::Json(run),
    }
}

fn content(blocks: Value) -> Result<Value, ToolFailure> {
    Ok(json!({ "content": blocks }))
}

fn text(t: &str) -> Result<Value, ToolFailure> {
    content(json!([{"type": "text", "text": t}]))
}

fn protocol(e: CatalogError) -> ToolFailure {
    ToolFailure::Protocol(e)
}

fn elicit(message: &str, properties: Value, required: &[&str]) -> Value {
    json!({"method": "elicitation/create", "params": {"mode": "form", "message": message, "requestedSchema": {"type": "object", "properties": properties, "required": required}}})
}

fn sample(prompt: &str, max_tokens: u32) -> Value {
    json!({"method": "sampling/createMessage", "params": {"messages": [{"role": "user", "content": {"type": "text", "text": prompt}}], "maxTokens": max_tokens}})
}

fn list_roots() -> Value {
    json!({"method": "roots/list", "params": {}})
}

/// The client's accepted form answer for `key`, if it sent a well-formed one.
fn accepted<'a>(responses: &'a Map<String, Value>, key: &str) -> Option<&'a Map<String, Value>> {
    let answer = responses.get(key)?;
    (answer.get("action")? == "accept")
        .then(|| answer.get("content")?.as_object())
        .flatten()
}

fn round_trip<'a>(ctx: &'a Ctx) -> Result<&'a RoundTrip, ToolFailure> {
    ctx.round_trip.as_ref().ok_or_else(|| {
        ToolFailure::Refused("this tool asks the client for input; call it with tools/call".into())
    })
}

// ---- the initialize-era scenarios -----------------------------------------------
//
// Written like every tool that asks for input: return input_required, finish
// when the answer is there. In the initialize era the server asks on the event
// stream and runs the tool again with the answer (catalog::back_channel).

/// "action=<action>, content=<content>" of an elicitation answer.
fn elicitation_outcome(answer: &Value) -> String {
    let action = answer.get("action").and_then(Value::as_str).unwrap_or("");
    let content = answer.get("content").cloned().unwrap_or(Value::Null);
    format!("action={action}, content={content}")
}

fn message_argument(arguments: &Value) -> String {
    arguments
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("Please provide your information")
        .to_owned()
}

fn legacy_elicitation_tool(ctx: &Ctx, arguments: Value) -> Result<Value, ToolFailure> {
    let rt = round_trip(ctx)?;
    check_answer_shape(&rt.input_responses, "user_info")?;
    if let Some(answer) = rt.input_responses.get("user_info") {
        return text(&format!("User response: {}", elicitation_outcome(answer)));
    }
    let properties = json!({
        "username": {"type": "string", "description": "User's response"},
        "email": {"type": "string", "description": "User's email address"},
    });
    let mut request = elicit(
        &message_argument(&arguments),
        properties,
        &["username", "email"],
    );
    // The initialize-era request has no mode: form is the only one there.
    if let Some(params) = request["params"].as_object_mut() {
        params.remove("mode");
    }
    ctx.input_required(json!({ "user_info": request }), None)
        .map_err(protocol)
}

fn legacy_sampling_tool(ctx: &Ctx, arguments: Value) -> Result<Value, ToolFailure> {
    let rt = round_trip(ctx)?;
    if let Some(answer) = rt.input_responses.get("completion") {
        let said = answer
            .pointer("/content/text")
            .and_then(Value::as_str)
            .unwrap_or("(no text)");
        return text(&format!("LLM response: {said}"));
    }
    let prompt = arguments
        .get("prompt")
        .and_then(Value::as_str)
        .unwrap_or("Test prompt for sampling");
    ctx.input_required(json!({ "completion": sample(prompt, 100) }), None)
        .map_err(protocol)
}

/// Asks with `schema` under `key` and reports what came back.
fn elicit_schema(ctx: &Ctx, message: &str, properties: Value) -> Result<Value, ToolFailure> {
    let rt = round_trip(ctx)?;
    check_answer_shape(&rt.input_responses, "form")?;
    if let Some(answer) = rt.input_responses.get("form") {
        return text(&format!(
            "Elicitation completed: {}",
            elicitation_outcome(answer)
        ));
    }
    let request = json!({"method": "elicitation/create", "params": {"message": message, "requestedSchema": {"type": "object", "properties": properties, "required": []}}});
    ctx.input_required(json!({ "form": request }), None)
        .map_err(protocol)
}

fn sep1034_defaults_tool(ctx: &Ctx, _: Value) -> Result<Value, ToolFailure> {
    elicit_schema(
        ctx,
        "Please review and update the form fields with defaults",
        json!({
            "name": {"type": "string", "description": "User name", "default": "John Doe"},
            "age": {"type": "integer", "description": "User age", "default": 30},
            "score": {"type": "number", "description": "User score", "default": 95.5},
            "status": {"type": "string", "description": "User status", "enum": ["active", "inactive", "pending"], "default": "active"},
            "verified": {"type": "boolean", "description": "Verification status", "default": true},
        }),
    )
}

fn sep1330_enums_tool(ctx: &Ctx, _: Value) -> Result<Value, ToolFailure> {
    elicit_schema(
        ctx,
        "Please select options from the enum fields",
        json!({
            "untitledSingle": {"type": "string", "description": "Untitled single-select", "enum": ["option1", "option2", "option3"]},
            "titledSingle": {"type": "string", "description": "Titled single-select", "oneOf": [
                {"const": "value1", "title": "First Option"},
                {"const": "value2", "title": "Second Option"},
                {"const": "value3", "title": "Third Option"},
            ]},
            "legacyEnum": {"type": "string", "description": "Legacy titled enum", "enum": ["opt1", "opt2", "opt3"], "enumNames": ["Option One", "Option Two", "Option Three"]},
            "untitledMulti": {"type": "array", "description": "Untitled multi-select", "items": {"type": "string", "enum": ["option1", "option2", "option3"]}},
            "titledMulti": {"type": "array", "description": "Titled multi-select", "items": {"anyOf": [
                {"const": "value1", "title": "First Choice"},
                {"const": "value2", "title": "Second Choice"},
                {"const": "value3", "title": "Third Choice"},
            ]}},
        }),
    )
}

fn check_answer_shape(responses: &Map<String, Value>, key: &str) -> Result<(), ToolFailure> {
    match responses.get(key) {
        Some(v) if !v.is_object() => Err(protocol(CatalogError::invalid(format!(
            "inputResponses.{key} must be an object"
        )))),
        _ => Ok(()),
    }
}

fn elicitation_tool(ctx: &Ctx, _: Value) -> Result<Value, ToolFailure> {
    let rt = round_trip(ctx)?;
    check_answer_shape(&rt.input_responses, "user_name")?;
    if let Some(name) =
        accepted(&rt.input_responses, "user_name").and_then(|c| c.get("name")?.as_str())
    {
        return text(&format!("Hello, {name}!"));
    }
    let requests = json!({"user_name": elicit("What is your name?", json!({"name": {"type": "string"}}), &["name"])});
    ctx.input_required(requests, None).map_err(protocol)
}

fn sampling_tool(ctx: &Ctx, _: Value) -> Result<Value, ToolFailure> {
    let rt = round_trip(ctx)?;
    if let Some(answer) = rt.input_responses.get("capital_question") {
        let said = answer
            .pointer("/content/text")
            .and_then(Value::as_str)
            .unwrap_or("(no text)");
        return text(&format!("The model answered: {said}"));
    }
    let requests = json!({"capital_question": sample("What is the capital of France?", 100)});
    ctx.input_required(requests, None).map_err(protocol)
}

fn roots_tool(ctx: &Ctx, _: Value) -> Result<Value, ToolFailure> {
    let rt = round_trip(ctx)?;
    if let Some(answer) = rt.input_responses.get("client_roots") {
        let count = answer
            .get("roots")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        return text(&format!(
            "The client has {count} root(s): {}",
            answer["roots"]
        ));
    }
    ctx.input_required(json!({"client_roots": list_roots()}), None)
        .map_err(protocol)
}

fn request_state_tool(ctx: &Ctx, _: Value) -> Result<Value, ToolFailure> {
    let rt = round_trip(ctx)?;
    if let (Some(state), Some(_)) = (&rt.state, rt.input_responses.get("confirm")) {
        if state["stage"] == "confirm" {
            return text("state-ok: the request state came back intact");
        }
    }
    let requests =
        json!({"confirm": elicit("Continue?", json!({"ok": {"type": "boolean"}}), &["ok"])});
    ctx.input_required(requests, Some(json!({"stage": "confirm"})))
        .map_err(protocol)
}

fn multiple_inputs_tool(ctx: &Ctx, _: Value) -> Result<Value, ToolFailure> {
    let rt = round_trip(ctx)?;
    let keys = ["user_name", "greeting", "client_roots"];
    if rt.state.is_some() && keys.iter().all(|k| rt.input_responses.contains_key(*k)) {
        let name = accepted(&rt.input_responses, "user_name")
            .and_then(|c| c.get("name")?.as_str())
            .unwrap_or("friend");
        return text(&format!("All three inputs arrived; hello, {name}"));
    }
    let requests = json!({
        "user_name": elicit("What is your name?", json!({"name": {"type": "string"}}), &["name"]),
        "greeting": sample("Generate a greeting", 50),
        "client_roots": list_roots(),
    });
    ctx.input_required(requests, Some(json!({"stage": "all"})))
        .map_err(protocol)
}

fn multi_round_tool(ctx: &Ctx, _: Value) -> Result<Value, ToolFailure> {
    let rt = round_trip(ctx)?;
    let stage = rt
        .state
        .as_ref()
        .and_then(|s| s["step"].as_u64())
        .unwrap_or(0);
    match stage {
        1 => {
            if let Some(name) =
                accepted(&rt.input_responses, "step1").and_then(|c| c.get("name")?.as_str())
            {
                let requests = json!({"step2": elicit("Step 2: What is your favorite color?", json!({"color": {"type": "string"}}), &["color"])});
                return ctx
                    .input_required(requests, Some(json!({"step": 2, "name": name})))
                    .map_err(protocol);
            }
        }
        2 => {
            if let Some(color) =
                accepted(&rt.input_responses, "step2").and_then(|c| c.get("color")?.as_str())
            {
                let name = rt
                    .state
                    .as_ref()
                    .and_then(|s| s["name"].as_str())
                    .unwrap_or("");
                return text(&format!("{name} likes {color}"));
            }
        }
        _ => {}
    }
    let requests = json!({"step1": elicit("Step 1: What is your name?", json!({"name": {"type": "string"}}), &["name"])});
    ctx.input_required(requests, Some(json!({"step": 1})))
        .map_err(protocol)
}

fn tampered_state_tool(ctx: &Ctx, _: Value) -> Result<Value, ToolFailure> {
    let rt = round_trip(ctx)?;
    if rt.state.is_some() {
        return text("the request state verified");
    }
    let requests =
        json!({"confirm": elicit("Continue?", json!({"ok": {"type": "boolean"}}), &["ok"])});
    ctx.input_required(requests, Some(json!({"stage": "tamper-check"})))
        .map_err(protocol)
}

fn capabilities_tool(ctx: &Ctx, _: Value) -> Result<Value, ToolFailure> {
    let rt = round_trip(ctx)?;
    if !rt.input_responses.is_empty() {
        return text("inputs received");
    }
    // Only ask for what the client declared it can answer.
    let mut requests = Map::new();
    if ctx.client_supports("elicitation") {
        requests.insert(
            "user_name".into(),
            elicit(
                "What is your name?",
                json!({"name": {"type": "string"}}),
                &["name"],
            ),
        );
    }
    if ctx.client_supports("sampling") {
        requests.insert("greeting".into(), sample("Generate a greeting", 50));
    }
    if requests.is_empty() {
        return Err(protocol(CatalogError::MissingCapability {
            required: json!({"sampling": {}}),
            message: "this tool needs the sampling or elicitation capability".into(),
        }));
    }
    ctx.input_required(Value::Object(requests), None)
        .map_err(protocol)
}

/// JSON Schema 2020-12 keywords a client must keep as they are.
fn schema_2020_12() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {"address": {"$anchor": "addressDef", "type": "object", "properties": {"street": {"type": "string"}, "city": {"type": "string"}}}},
        "properties": {
            "name": {"type": "string"},
            "address": {"$ref": "#/$defs/address"},
            "contactMethod": {"type": "string", "enum": ["phone", "email"]},
            "phone": {"type": "string"},
            "email": {"type": "string"},
        },
        "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
        "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
        "then": {"required": ["phone"]},
        "else": {"required": ["email"]},
        "additionalProperties": false,
    })
}

pub static TOOLS: &[ToolSpec] = &[
    fixture(
        "test_simple_text",
        "Returns a simple text response",
        no_args,
        |_, _| text("This is a simple text response for testing."),
    ),
    fixture("test_image_content", "Returns an image", no_args, |_, _| {
        content(json!([{"type": "image", "data": PNG, "mimeType": "image/png"}]))
    }),
    fixture("test_audio_content", "Returns audio", no_args, |_, _| {
        content(json!([{"type": "audio", "data": WAV, "mimeType": "audio/wav"}]))
    }),
    fixture(
        "test_embedded_resource",
        "Returns an embedded resource",
        no_args,
        |_, _| {
            content(
                json!([{"type": "resource", "resource": {"uri": "test://embedded-resource", "mimeType": "text/plain", "text": "This is an embedded resource content."}}]),
            )
        },
    ),
    fixture(
        "test_multiple_content_types",
        "Returns text, an image and a resource",
        no_args,
        |_, _| {
            content(json!([
                {"type": "text", "text": "Multiple content types test:"},
                {"type": "image", "data": PNG, "mimeType": "image/png"},
                {"type": "resource", "resource": {"uri": "test://mixed-content-resource", "mimeType": "application/json", "text": "{\"test\":\"data\",\"value\":123}"}},
            ]))
        },
    ),
    fixture("test_error_handling", "Always fails", no_args, |_, _| {
        Ok(error_result(
            "This tool intentionally returns an error for testing".into(),
        ))
    }),
    fixture(
        "test_tool_with_progress",
        "Reports progress",
        no_args,
        |ctx, _| {
            for step in [0.0, 50.0, 100.0] {
                ctx.progress(step, Some(100.0), None);
            }
            text("Progress complete")
        },
    ),
    fixture(
        "test_tool_with_logging",
        "Sends log messages",
        no_args,
        |ctx, _| {
            for m in [
                "Tool execution started",
                "Tool processing data",
                "Tool execution completed",
            ] {
                ctx.log("info", m);
            }
            text("Logging complete")
        },
    ),
    fixture(
        "test_logging_tool",
        "Sends log messages when asked to",
        no_args,
        |ctx, _| {
            ctx.log("info", "test_logging_tool ran");
            text("Logging tool complete")
        },
    ),
    fixture(
        "test_sampling",
        "Asks the client's model to complete a prompt",
        prompt_arg,
        legacy_sampling_tool,
    ),
    fixture(
        "test_elicitation",
        "Asks the user for a name and an email address",
        message_arg,
        legacy_elicitation_tool,
    ),
    fixture(
        "test_elicitation_sep1034_defaults",
        "Asks with a default for every primitive type",
        no_args,
        sep1034_defaults_tool,
    ),
    fixture(
        "test_elicitation_sep1330_enums",
        "Asks with each kind of enum",
        no_args,
        sep1330_enums_tool,
    ),
    fixture(
        "test_missing_capability",
        "Requires the sampling capability",
        no_args,
        |ctx, _| {
            if ctx.client_supports("sampling") {
                return text("sampling is available");
            }
            Err(protocol(CatalogError::MissingCapability {
                required: json!({"sampling": {}}),
                message: "Server requires the sampling capability for this request".into(),
            }))
        },
    ),
    fixture(
        "test_streaming_elicitation",
        "Answers on its own response stream",
        no_args,
        |_, _| text("no server-to-client requests are sent on response streams"),
    ),
    fixture(
        "test_input_required_result_elicitation",
        "Asks for a name",
        no_args,
        elicitation_tool,
    ),
    fixture(
        "test_input_required_result_sampling",
        "Asks the client's model",
        no_args,
        sampling_tool,
    ),
    fixture(
        "test_input_required_result_list_roots",
        "Asks for roots",
        no_args,
        roots_tool,
    ),
    fixture(
        "test_input_required_result_request_state",
        "Carries request state",
        no_args,
        request_state_tool,
    ),
    fixture(
        "test_input_required_result_multiple_inputs",
        "Asks for three inputs",
        no_args,
        multiple_inputs_tool,
    ),
    fixture(
        "test_input_required_result_multi_round",
        "Asks twice",
        no_args,
        multi_round_tool,
    ),
    fixture(
        "test_input_required_result_tampered_state",
        "Verifies request state",
        no_args,
        tampered_state_tool,
    ),
    fixture(
        "test_input_required_result_capabilities",
        "Asks only for declared capabilities",
        no_args,
        capabilities_tool,
    ),
    fixture(
        "json_schema_2020_12_tool",
        "Has a JSON Schema 2020-12 input schema",
        schema_2020_12,
        |_, _| text("ok"),
    ),
];

// ---- resources ---------------------------------------------------------------

pub const STATIC_RESOURCES: &[(&str, &str, &str)] = &[
    ("test://static-text", "static-text", "text/plain"),
    ("test://static-binary", "static-binary", "image/png"),
    ("test://watched-resource", "watched-resource", "text/plain"),
];

pub fn resource_list() -> Vec<Value> {
    STATIC_RESOURCES
        .iter()
        .map(|(uri, name, mime)| json!({"uri": uri, "name": name, "mimeType": mime}))
        .collect()
}

pub fn resource_templates() -> Vec<Value> {
    vec![
        json!({"uriTemplate": "test://template/{id}/data", "name": "template", "mimeType": "application/json"}),
    ]
}

pub fn read_resource(uri: &str) -> Option<Value> {
    Some(match uri {
        "test://static-text" => {
            json!({"uri": uri, "mimeType": "text/plain", "text": "This is the content of the static text resource."})
        }
        "test://watched-resource" => {
            json!({"uri": uri, "mimeType": "text/plain", "text": "Watched resource content."})
        }
        "test://static-binary" => json!({"uri": uri, "mimeType": "image/png", "blob": PNG}),
        _ => {
            let id = uri
                .strip_prefix("test://template/")?
                .strip_suffix("/data")?;
            let data =
                json!({"id": id, "templateTest": true, "data": format!("Data for ID: {id}")});
            json!({"uri": uri, "mimeType": "application/json", "text": data.to_string()})
        }
    })
}

// ---- prompts -----------------------------------------------------------------

fn messages(list: Value) -> CatalogResult<Value> {
    Ok(json!({ "messages": list }))
}

fn arg<'a>(args: &'a Map<String, Value>, name: &str) -> &'a str {
    args.get(name).and_then(Value::as_str).unwrap_or("")
}

pub static PROMPTS: &[PromptSpec] = &[
    PromptSpec {
        name: "test_simple_prompt",
        title: "Simple prompt",
        description: "A prompt without arguments",
        args: &[],
        render: |_, _| {
            messages(
                json!([{"role": "user", "content": {"type": "text", "text": "This is a simple prompt for testing."}}]),
            )
        },
    },
    PromptSpec {
        name: "test_prompt_with_arguments",
        title: "Prompt with arguments",
        description: "A prompt with two required arguments",
        args: &[
            PromptArg {
                name: "arg1",
                description: "First argument",
                required: true,
            },
            PromptArg {
                name: "arg2",
                description: "Second argument",
                required: true,
            },
        ],
        render: |_, a| {
            let t = format!(
                "Prompt with arguments: arg1='{}', arg2='{}'",
                arg(a, "arg1"),
                arg(a, "arg2")
            );
            messages(json!([{"role": "user", "content": {"type": "text", "text": t}}]))
        },
    },
    PromptSpec {
        name: "test_prompt_with_embedded_resource",
        title: "Prompt with a resource",
        description: "A prompt embedding a resource",
        args: &[PromptArg {
            name: "resourceUri",
            description: "The resource to embed",
            required: true,
        }],
        render: |_, a| {
            messages(json!([
                {"role": "user", "content": {"type": "resource", "resource": {"uri": arg(a, "resourceUri"), "mimeType": "text/plain", "text": "Embedded resource content for testing."}}},
                {"role": "user", "content": {"type": "text", "text": "Please process the embedded resource above."}},
            ]))
        },
    },
    PromptSpec {
        name: "test_prompt_with_image",
        title: "Prompt with an image",
        description: "A prompt with an image",
        args: &[],
        render: |_, _| {
            messages(json!([
                {"role": "user", "content": {"type": "image", "data": PNG, "mimeType": "image/png"}},
                {"role": "user", "content": {"type": "text", "text": "Please analyze the image above."}},
            ]))
        },
    },
    PromptSpec {
        name: "test_input_required_result_prompt",
        title: "Prompt asking for context",
        description: "A prompt that asks the client for input first",
        args: &[],
        render: |ctx, _| {
            let Some(rt) = ctx.round_trip.as_ref() else {
                return messages(
                    json!([{"role": "user", "content": {"type": "text", "text": "No context: this request cannot ask for it."}}]),
                );
            };
            if let Some(context) = accepted(&rt.input_responses, "user_context")
                .and_then(|c| c.get("context")?.as_str())
            {
                return messages(
                    json!([{"role": "user", "content": {"type": "text", "text": format!("Use this context: {context}")}}]),
                );
            }
            ctx.input_required(json!({"user_context": elicit("What context should the prompt use?", json!({"context": {"type": "string"}}), &["context"])}), None)
        },
    },
];

/// Completion values for the fixture prompt's arguments.
pub fn complete(prompt: &str, argument: &str) -> Option<&'static [&'static str]> {
    (prompt == "test_prompt_with_arguments" && (argument == "arg1" || argument == "arg2"))
        .then_some(&["test-value-1", "test-value-2", "other"][..])
}
