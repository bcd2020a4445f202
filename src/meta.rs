//! What this server calls itself. Every layer may read these (the edge's status
//! page, the protected-resource metadata, the protocol's `serverInfo`); they depend
//! on nothing.

/// The implementation name in `serverInfo`.
pub const SERVER_NAME: &str = "climbing-mcp";
/// The name shown to people: `serverInfo.title`, the status page, `resource_name`.
pub const SERVER_TITLE: &str = "Climbing MCP";
pub const SERVER_VERSION: &str = env!("CARGO_PKG_VERSION");
