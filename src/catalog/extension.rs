//! What a component built on this crate adds to the catalog: tools, prompts,
//! resources and completions of its own, served beside the catalog's. The
//! deployed component adds nothing ([`Extension::NONE`]); the MCP conformance
//! suite's fixtures (the `conformance/` crate) are one.
//!
//! Extension tools run through [`Runner::Json`](super::tools::Runner::Json), so
//! they can answer with any `CallToolResult`, an `input_required` result of a
//! multi-round-trip request included ([`Ctx::input_required`](super::Ctx::input_required)).

use super::prompts::PromptSpec;
use super::tools::ToolSpec;
use serde_json::Value;

pub struct Extension {
    /// Tools listed before the catalog's own.
    pub tools: &'static [ToolSpec],
    /// More tools, listed after [`Extension::tools`]: those whose work runs as a
    /// task ([`Runner::Task`](super::tools::Runner::Task)), kept apart.
    pub task_tools: &'static [ToolSpec],
    /// Prompts listed before the catalog's own.
    pub prompts: &'static [PromptSpec],
    /// Resources listed on the first page of `resources/list`, before the areas.
    pub resources: fn() -> Vec<Value>,
    /// Resource templates listed after the catalog's own.
    pub resource_templates: fn() -> Vec<Value>,
    /// The `contents` entry of a URI the catalog does not serve, if it is one of
    /// the extension's.
    pub read_resource: fn(&str) -> Option<Value>,
    /// Completion values for an argument of one of [`Extension::prompts`].
    pub complete: fn(prompt: &str, argument: &str) -> Option<&'static [&'static str]>,
}

fn nothing() -> Vec<Value> {
    Vec::new()
}

impl Extension {
    /// No additions: the catalog as deployed.
    pub const NONE: Extension = Extension {
        tools: &[],
        task_tools: &[],
        prompts: &[],
        resources: nothing,
        resource_templates: nothing,
        read_resource: |_| None,
        complete: |_, _| None,
    };
}

/// The address [`Ctx`](super::Ctx) points to by default.
pub static NONE: Extension = Extension::NONE;
