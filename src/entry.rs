//! The component's `wasi:http/incoming-handler` export: converts the WASI request to
//! an [`HttpRequest`], answers what its head decides (the bearer token included)
//! before reading any body, then reads at most [`MAX_BODY_BYTES`] of body.

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
    let platform = WasiPlatform::default();
    let response = match read_request(&platform, req).await {
        Ok((pending, request)) => http::answer_body(&platform, pending, &request),
        Err(response) => response,
    };
    let mut builder = Response::builder();
    builder.status(response.status);
    for (name, value) in &response.headers {
        builder.header(name.as_str(), value.as_str());
    }
    builder.body(response.body).build()
}

async fn read_request(
    platform: &WasiPlatform,
    req: IncomingRequest,
) -> Result<(http::Pending, HttpRequest), HttpResponse> {
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
    let mut request = HttpRequest {
        method,
        path,
        headers,
        body: Vec::new(),
    };
    // The head first: an unauthorized client is answered before its body is read.
    let pending = http::answer_head(platform, &request)?;
    let mut stream = req.into_body_stream();
    // A body declared too large is refused unread, after a bounded drain so a
    // client that writes its whole body before reading (urllib) gets the 413
    // instead of a reset connection.
    if let Some(len) = declared_length.filter(|len| *len > MAX_BODY_BYTES as u64) {
        if len <= (MAX_BODY_BYTES + MAX_DRAIN_BYTES) as u64 {
            let mut drained = 0;
            while let Some(Ok(chunk)) = stream.next().await {
                drained += chunk.len();
                if drained as u64 >= len {
                    break;
                }
            }
        }
        return Err(http::too_large());
    }
    let mut too_large = false;
    let mut body = Vec::new();
    let mut received = 0;
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
    request.body = body;
    Ok((pending, request))
}
