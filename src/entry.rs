//! The component's `wasi:http/incoming-handler` export: converts the WASI request to
//! an [`HttpRequest`], reading at most [`MAX_BODY_BYTES`] of body, and back.

use crate::http::{self, HttpRequest, HttpResponse, MAX_BODY_BYTES};
use crate::platform::wasi::WasiPlatform;
use futures::StreamExt;
use spin_sdk::http::{IncomingRequest, Response};
use spin_sdk::http_component;

/// How much of a streamed body past the limit is still read (and dropped) before
/// answering 413.
const MAX_DRAIN_BYTES: usize = 8 << 20;

#[http_component]
async fn handle(req: IncomingRequest) -> Response {
    let response = match read_request(req).await {
        Ok(request) => http::handle(&WasiPlatform::default(), &request),
        Err(response) => response,
    };
    let mut builder = Response::builder();
    builder.status(response.status);
    for (name, value) in &response.headers {
        builder.header(name.as_str(), value.as_str());
    }
    builder.body(response.body).build()
}

async fn read_request(req: IncomingRequest) -> Result<HttpRequest, HttpResponse> {
    let method = req.method().to_string();
    let path_with_query = req.path_with_query().unwrap_or_default();
    let path = path_with_query
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    let mut headers: Vec<(String, String)> = req
        .headers()
        .entries()
        .into_iter()
        .map(|(name, value)| {
            (
                name.to_ascii_lowercase(),
                String::from_utf8_lossy(&value).into_owned(),
            )
        })
        .collect();
    // WASI HTTP hosts carry the Host header as the request's authority.
    if !headers.iter().any(|(n, _)| n == "host") {
        if let Some(authority) = req.authority() {
            headers.push(("host".to_owned(), authority));
        }
    }
    let declared_length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.trim().parse::<u64>().ok());
    // A body declared too large is refused before any of it is read.
    if declared_length.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        return Err(http::too_large());
    }
    let mut too_large = false;
    let mut body = Vec::new();
    let mut received = 0;
    let mut stream = req.into_body_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| {
            http::error_response(
                400,
                crate::protocol::jsonrpc::INVALID_REQUEST,
                "Bad Request: the request body could not be read completely",
            )
        })?;
        received += chunk.len();
        if received > MAX_BODY_BYTES {
            too_large = true;
            body = Vec::new();
        }
        if too_large {
            // A streamed body that grows too large: read on and drop what comes, so
            // a client still sending gets the 413 rather than a reset connection;
            // past the drain limit, stop.
            if received > MAX_BODY_BYTES + MAX_DRAIN_BYTES {
                break;
            }
            continue;
        }
        body.extend_from_slice(&chunk);
    }
    if too_large {
        return Err(http::too_large());
    }
    Ok(HttpRequest {
        method,
        path,
        headers,
        body,
    })
}
