//! The component's `wasi:http/incoming-handler` export: converts the WASI request to
//! an [`HttpRequest`], answers what its head decides (the bearer token included)
//! before reading any body, then reads at most [`MAX_BODY_BYTES`] of body, and
//! sends the [`HttpResponse`] back with its whole body written before the host
//! sees the response (see [`send`]).
//!
//! [`serve`] does this for any [`Service`]; with the `component` feature (on by
//! default) this crate exports it for [`Service::DEPLOYED`]. A component built on
//! this crate as a library turns the feature off and exports its own handler that
//! calls [`serve`] with its service (as `conformance/` does).

use crate::http::{self, HttpRequest, HttpResponse, Service, MAX_BODY_BYTES};
use crate::platform::wasi::WasiPlatform;
use crate::protocol::jsonrpc::INTERNAL_ERROR;
use futures::StreamExt;
use spin_sdk::http::{Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam};
use wasi::io::streams::{OutputStream, StreamError};

/// How much of a streamed body past the limit is still read (and dropped) before
/// answering 413.
const MAX_DRAIN_BYTES: usize = 8 << 20;

#[cfg(feature = "component")]
#[spin_sdk::http_component]
async fn handle(req: IncomingRequest, response_out: ResponseOutparam) {
    static DEPLOYED: Service = Service::DEPLOYED;
    serve(&DEPLOYED, req, response_out).await;
}

/// Answers one WASI HTTP request as `service`.
pub async fn serve(
    service: &'static Service,
    req: IncomingRequest,
    response_out: ResponseOutparam,
) {
    let platform = WasiPlatform::default();
    let response = match read_request(service, &platform, req).await {
        Ok((pending, request)) => http::answer_body(&platform, pending, &request),
        Err(response) => response,
    };
    send(response_out, response);
}

/// Hands `response` to the host with its body already written and finished, so
/// the host's HTTP server finds head, body and end together and writes them in
/// one go.
///
/// Setting the response first and writing the body after it (what the SDK's
/// `ResponseOutparam::set_with_body` does) races the host: a server that looks
/// at the body before the write lands sends the head alone, then the body as a
/// second small TCP segment, which Nagle's algorithm holds until the client
/// ACKs the first; clients delay that ACK by up to 40 ms (docs/bench.md). A
/// `Content-Length` lets the server frame the body without chunking.
///
/// Whatever the host buffers without a reader (checked with `check-write`, so a
/// host with less buffering than the body still works) is written before the
/// response is set; the rest, if any, after it.
fn send(out: ResponseOutparam, response: HttpResponse) {
    let (outgoing, bytes) = match outgoing_response(&response) {
        Some(outgoing) => (outgoing, response.body),
        None => {
            // A header the host refuses (a forbidden name or an invalid value) is
            // a bug here, not the client's: answer it as an internal error. (Not
            // setting the response at all would leave the host to answer 500.)
            let fallback = http::error_response(
                500,
                INTERNAL_ERROR,
                "Internal error: the response could not be encoded",
            );
            let Some(outgoing) = outgoing_response(&fallback) else {
                return;
            };
            (outgoing, fallback.body)
        }
    };
    let Ok(response_body) = outgoing.body() else {
        return;
    };
    let Ok(stream) = response_body.write() else {
        return;
    };
    // A write error means the client is gone: nothing more can reach it.
    let rest = write_ready(&stream, &bytes).unwrap_or_default();
    if rest.is_empty() {
        let _ = stream.flush();
        // The stream must be dropped before its body is finished.
        drop(stream);
        let _ = OutgoingBody::finish(response_body, None);
        out.set(outgoing);
        return;
    }
    out.set(outgoing);
    let _ = write_all_blocking(&stream, rest);
    drop(stream);
    let _ = OutgoingBody::finish(response_body, None);
}

/// The WASI response for `response` (status, headers plus `Content-Length`);
/// `None` if the host refuses a header.
fn outgoing_response(response: &HttpResponse) -> Option<OutgoingResponse> {
    let mut entries: Vec<(String, Vec<u8>)> = response
        .headers
        .iter()
        .map(|(name, value)| (name.clone(), value.clone().into_bytes()))
        .collect();
    let has_length = entries
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-length"));
    // 1xx, 204 and 304 carry no body and no Content-Length.
    let bodyless = response.status < 200 || response.status == 204 || response.status == 304;
    if !has_length && !bodyless {
        entries.push((
            "content-length".to_owned(),
            response.body.len().to_string().into_bytes(),
        ));
    }
    let headers = Fields::from_list(&entries).ok()?;
    let outgoing = OutgoingResponse::new(headers);
    outgoing.set_status_code(response.status).ok()?;
    Some(outgoing)
}

/// Writes as much of `bytes` as the stream accepts without blocking; returns
/// what is left.
fn write_ready<'a>(stream: &OutputStream, mut bytes: &'a [u8]) -> Result<&'a [u8], StreamError> {
    while !bytes.is_empty() {
        let permitted = stream.check_write()?;
        if permitted == 0 {
            break;
        }
        let n = usize::try_from(permitted)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        stream.write(&bytes[..n])?;
        bytes = &bytes[n..];
    }
    Ok(bytes)
}

/// Writes all of `bytes`, waiting for the host to take them, then flushes.
fn write_all_blocking(stream: &OutputStream, mut bytes: &[u8]) -> Result<(), StreamError> {
    loop {
        bytes = write_ready(stream, bytes)?;
        if bytes.is_empty() {
            return stream.blocking_flush();
        }
        stream.subscribe().block();
    }
}

async fn read_request(
    service: &'static Service,
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
    let pending = service.answer_head(platform, &request)?;
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
