//! The floor of `climbing-bench`: the cheapest a request to a fresh
//! sandbox can be. Built with the same SDK (spin-sdk 5.2 `#[http_component]`)
//! and release profile as climbing-mcp, served by the same host machinery; it
//! reads the request body (as the component must) and answers a fixed small
//! JSON-RPC result, without auth, storage or JSON parsing.

use spin_sdk::http::{IncomingRequest, Response};
use spin_sdk::http_component;

const BODY: &str = r#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"ok"}],"isError":false}}"#;

#[http_component]
async fn handle(req: IncomingRequest) -> Response {
    let _body = req.into_body().await.unwrap_or_default();
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(BODY)
        .build()
}
