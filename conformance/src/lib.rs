//! The MCP conformance suite's server: climbing-mcp with the fixture tools,
//! resources and prompts the suite's scenarios call by name ([`fixtures`]), as a
//! component of its own. `.ci/conformance` builds it
//! (`cargo build --profile component --target wasm32-wasip2 -p climbing-mcp-conformance`)
//! and runs the suite against it under climbing-host and Spin. Never deployed:
//! with `auth=off` it answers every request without a token.
//!
//! The fixtures reach the server through its extension points: a catalog
//! [`Extension`] for the tools (those of the tasks scenarios apart, in
//! [`task_fixtures`]), resources, prompts and completions, and a
//! [`Service`] whose authentication this crate chooses.

mod fixtures;
mod task_fixtures;

use climbing_mcp::auth::{self, Denial, Resource};
use climbing_mcp::catalog::extension::Extension;
use climbing_mcp::http::Service;
use climbing_mcp::identity::{Caller, Scope};
use climbing_mcp::platform::Platform;

/// The fixtures, as a catalog extension.
pub static FIXTURES: Extension = Extension {
    tools: fixtures::TOOLS,
    task_tools: task_fixtures::TOOLS,
    prompts: fixtures::PROMPTS,
    resources: fixtures::resource_list,
    resource_templates: fixtures::resource_templates,
    read_resource: fixtures::read_resource,
    complete: fixtures::complete,
};

/// The server the suite talks to.
pub static SERVICE: Service = Service {
    authenticate,
    catalog: &FIXTURES,
};

/// With the variable `auth=off` (the suite sends no tokens), every request acts
/// as the subject `conformance` with every scope; otherwise tokens are checked as
/// in the deployed server.
fn authenticate(
    platform: &dyn Platform,
    resource: &Resource,
    authorization: Option<&str>,
) -> Result<Caller, Denial> {
    if platform.variable("auth").as_deref() == Some("off") {
        return Ok(Caller {
            subject: "conformance".into(),
            scopes: vec![Scope::Read, Scope::Write, Scope::Admin],
        });
    }
    auth::authenticate(platform, resource, authorization)
}

#[cfg(target_arch = "wasm32")]
#[spin_sdk::http_component]
async fn handle(req: spin_sdk::http::IncomingRequest, out: spin_sdk::http::ResponseOutparam) {
    climbing_mcp::entry::serve(&SERVICE, req, out).await;
}

#[cfg(test)]
mod tests {
    use climbing_mcp::http::{self, HttpRequest};
    use climbing_mcp::platform::memory::MemoryPlatform;
    use serde_json::{json, Value};

    fn tools_list(answer: impl Fn(&HttpRequest) -> http::HttpResponse) -> (u16, Value) {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}});
        let response = answer(&HttpRequest {
            method: "POST".into(),
            path: "/mcp".into(),
            headers: vec![
                ("host".into(), "localhost:3000".into()),
                ("content-type".into(), "application/json".into()),
                ("accept".into(), "application/json".into()),
            ],
            body: body.to_string().into_bytes(),
        });
        let parsed = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        (response.status, parsed)
    }

    fn names(list: &Value) -> Vec<&str> {
        list["result"]["tools"]
            .as_array()
            .map(|tools| tools.iter().filter_map(|t| t["name"].as_str()).collect())
            .unwrap_or_default()
    }

    /// With `auth=off` the fixtures are listed first, then the catalog's tools.
    #[test]
    fn the_fixtures_are_served_beside_the_catalog() {
        let platform = MemoryPlatform::default().with_variable("auth", "off");
        let (status, list) = tools_list(|req| super::SERVICE.handle(&platform, req));
        assert_eq!(status, 200, "{list}");
        let names = names(&list);
        assert_eq!(names.first(), Some(&"test_simple_text"));
        assert!(names.contains(&"get_climb"), "{names:?}");
    }

    /// The deployed service knows neither the fixtures nor `auth=off`.
    #[test]
    fn the_deployed_service_has_neither() {
        let platform = MemoryPlatform::default().with_variable("auth", "off");
        let (status, _) = tools_list(|req| http::handle(&platform, req));
        assert_eq!(status, 401);
    }
}
