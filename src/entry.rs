//! The component's `wasi:http/incoming-handler` export: converts the WASI request to
//! an [`HttpRequest`], answers what its head decides (the bearer token included)
//! before reading any body, then reads at most [`MAX_BODY_BYTES`] of body, and
//! sends the [`HttpResponse`] back with its whole body written before the host
//! sees the response (see [`send`]). A request that asked for progress or logs
//! gets a [`LiveResponse`] as its event sink: the first notification opens an
//! event stream, each one after it is written and flushed as it is produced, and
//! the result ends the stream.
//!
//! [`serve`] does this for any [`Service`]; with the `component` feature (on by
//! default) this crate exports it for [`Service::DEPLOYED`]. A component built on
//! this crate as a library turns the feature off and exports its own handler that
//! calls [`serve`] with its service (as `conformance/` does).

use crate::catalog::events::{EventSink, StreamClosed};
use crate::http::{self, HttpRequest, HttpResponse, Service, MAX_BODY_BYTES};
use crate::platform::wasi::WasiPlatform;
use crate::protocol::jsonrpc::INTERNAL_ERROR;
use futures::StreamExt;
use spin_sdk::http::{Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam};
use std::cell::RefCell;
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
    let live = LiveResponse {
        state: RefCell::new(Live::Waiting(response_out)),
    };
    let response = match read_request(service, &platform, req).await {
        Ok((pending, request)) => http::answer_body_live(&platform, pending, &request, Some(&live)),
        Err(response) => response,
    };
    live.finish(response);
}

/// The response to one request, which becomes an event stream when the first
/// notification is sent through it, and otherwise is sent whole by [`send`].
struct LiveResponse {
    state: RefCell<Live>,
}

enum Live {
    /// Nothing sent yet.
    Waiting(ResponseOutparam),
    /// The event stream's head is out; events follow on `stream`.
    Open {
        body: OutgoingBody,
        stream: OutputStream,
    },
    /// The client stopped reading (or the stream could not be opened).
    Closed,
}

impl LiveResponse {
    /// Sends what the request answered: the whole response if no event went out,
    /// else its body (the result event) as the stream's end.
    fn finish(self, response: HttpResponse) {
        match self.state.into_inner() {
            Live::Waiting(out) => send(out, response),
            Live::Open { body, stream } => {
                let _ = write_all_blocking(&stream, &response.body);
                // The stream must be dropped before its body is finished.
                drop(stream);
                let _ = OutgoingBody::finish(body, None);
            }
            Live::Closed => {}
        }
    }

    /// Writes `bytes` to the open stream, or opens it with them; a write error
    /// closes it for good.
    fn write(&self, bytes: &[u8], opens: bool) -> Result<(), StreamClosed> {
        let mut state = self.state.borrow_mut();
        match std::mem::replace(&mut *state, Live::Closed) {
            Live::Waiting(out) if opens => {
                let (body, stream) = open_event_stream(out, bytes).ok_or(StreamClosed)?;
                *state = Live::Open { body, stream };
                Ok(())
            }
            waiting @ Live::Waiting(_) => {
                *state = waiting;
                Ok(())
            }
            Live::Open { body, stream } => match write_all_blocking(&stream, bytes) {
                Ok(()) => {
                    *state = Live::Open { body, stream };
                    Ok(())
                }
                // The client closed the connection: what was written is all it gets.
                Err(_) => Err(StreamClosed),
            },
            Live::Closed => Err(StreamClosed),
        }
    }
}

impl EventSink for LiveResponse {
    fn send(&self, message: &str) -> Result<(), StreamClosed> {
        let mut event = Vec::with_capacity(message.len() + 24);
        crate::protocol::sse_event(&mut event, message);
        self.write(&event, true)
    }

    fn keep_alive(&self) -> Result<(), StreamClosed> {
        self.write(b": keep-alive\n\n", false)
    }

    fn is_open(&self) -> bool {
        matches!(*self.state.borrow(), Live::Open { .. })
    }
}

/// Sets `out` to a 200 event stream whose first bytes are `first`, written before
/// the response is set so the head and the first event leave together (as in
/// [`send`]); the rest is flushed after it. `None` if the host refuses.
fn open_event_stream(out: ResponseOutparam, first: &[u8]) -> Option<(OutgoingBody, OutputStream)> {
    let entries: Vec<(String, Vec<u8>)> = http::EVENT_STREAM_HEADERS
        .iter()
        .map(|(name, value)| ((*name).to_owned(), value.as_bytes().to_vec()))
        .collect();
    let outgoing = OutgoingResponse::new(Fields::from_list(&entries).ok()?);
    outgoing.set_status_code(200).ok()?;
    let body = outgoing.body().ok()?;
    let stream = body.write().ok()?;
    let rest = write_ready(&stream, first).ok()?;
    out.set(outgoing);
    write_all_blocking(&stream, rest).ok()?;
    Some((body, stream))
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
        .map(|(mut name, value)| {
            name.make_ascii_lowercase();
            let value = String::from_utf8(value)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            (name, value)
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
