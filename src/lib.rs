//! climbing-mcp: a stateless remote MCP server for climbing data (placeholder entry point).

#[cfg(target_arch = "wasm32")]
mod entry {
    use spin_sdk::http::{IntoResponse, Request, Response};
    use spin_sdk::http_component;

    #[http_component]
    fn handle(req: Request) -> anyhow_free::Result {
        let store = spin_sdk::wit::wasi::keyvalue::store::open("default");
        let hits = match &store {
            Ok(b) => spin_sdk::wit::wasi::keyvalue::atomics::increment(b, "hits", 1).unwrap_or(-1),
            Err(_) => -2,
        };
        let greeting = spin_sdk::variables::get("greeting").unwrap_or_else(|_| "hello".into());
        Ok(Response::new(200, format!("{greeting} {} {hits}", req.path())))
    }

    mod anyhow_free {
        pub type Result = std::result::Result<super::Response, std::convert::Infallible>;
    }
    #[allow(unused)]
    fn _assert(r: Response) -> impl IntoResponse { r }
}
