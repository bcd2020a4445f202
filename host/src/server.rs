//! The HTTP side: hyper (HTTP/1.1, keep-alive) accepts requests and each one runs
//! in a fresh component instance. Routing, status codes and bodies are the
//! component's business; the host only answers for failures of the sandbox
//! (trap → 500, time or fuel limit → 503).

use anyhow::Result;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};
use wasmtime::Trap;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::WasiHttpView;

use crate::metrics::RequestCost;
use crate::runtime::{Runtime, TimedOut, MAX_CONCURRENT_INSTANCES};

pub struct Server {
    runtime: Arc<Runtime>,
    expose_metrics: bool,
    /// One permit per live instance, so bursts queue instead of exhausting the pool.
    slots: Arc<Semaphore>,
    /// Instances each client address holds: one client can take at most
    /// [`MAX_INSTANCES_PER_CLIENT`] of the slots, so the others always get some.
    clients: Arc<ClientShares>,
}

/// Each client address's share of the instance slots.
struct ClientShares {
    per_client: usize,
    shares: Mutex<HashMap<IpAddr, Arc<Semaphore>>>,
}

impl ClientShares {
    fn new(per_client: u32) -> Self {
        Self {
            per_client: per_client as usize,
            shares: Mutex::new(HashMap::new()),
        }
    }

    /// The share of one client address (created on its first request).
    fn of(&self, client: IpAddr) -> Arc<Semaphore> {
        let mut shares = self.shares.lock().unwrap_or_else(|p| p.into_inner());
        shares
            .entry(client)
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_client)))
            .clone()
    }

    /// Forgets a client address that holds nothing, so the map stays as small as
    /// the set of clients with requests in flight.
    fn forget_idle(&self, client: IpAddr) {
        let mut shares = self.shares.lock().unwrap_or_else(|p| p.into_inner());
        if shares
            .get(&client)
            .is_some_and(|s| Arc::strong_count(s) == 1 && s.available_permits() == self.per_client)
        {
            shares.remove(&client);
        }
    }
}

/// Most instances one client address may hold at once; its further requests
/// wait for one of its own to finish.
pub const MAX_INSTANCES_PER_CLIENT: u32 = MAX_CONCURRENT_INSTANCES / 4;

/// How long a request's body may take to arrive, from when the request gets an
/// instance: a client that stops sending cannot hold one for the whole request
/// time limit. The component reads a late body as a broken one (400).
pub const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Why a request got no response from the component.
enum Failure {
    TimedOut,
    OutOfFuel,
    /// The guest trapped, returned an error code, or never answered.
    Guest(String),
    /// The host could not set the request up.
    Host(String),
}

/// How long a client may take to send a request's headers.
const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

impl Server {
    pub fn new(runtime: Arc<Runtime>, expose_metrics: bool) -> Self {
        Self {
            runtime,
            expose_metrics,
            slots: Arc::new(Semaphore::new(MAX_CONCURRENT_INSTANCES as usize)),
            clients: Arc::new(ClientShares::new(MAX_INSTANCES_PER_CLIENT)),
        }
    }

    /// Serves connections from `listener` until the process ends.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) -> Result<()> {
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(conn) => conn,
                Err(e) => {
                    // E.g. out of file descriptors: back off instead of spinning or dying.
                    eprintln!("climbing-host: accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            // Responses are small and clients keep connections alive: don't let
            // Nagle hold the last segment back.
            let _ = stream.set_nodelay(true);
            let server = self.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let server = server.clone();
                    async move { Ok::<_, Infallible>(server.handle(req, peer).await) }
                });
                if let Err(e) = http1::Builder::new()
                    .keep_alive(true)
                    // A client that never finishes its headers is dropped, so idle
                    // half-requests cannot pile up.
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(HEADER_READ_TIMEOUT)
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    if !e.is_incomplete_message() {
                        eprintln!("climbing-host: connection from {peer}: {e}");
                    }
                }
            });
        }
    }

    async fn handle(
        &self,
        mut req: Request<Incoming>,
        peer: SocketAddr,
    ) -> Response<HyperOutgoingBody> {
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        if let Err(message) = prepare_like_spin(&mut req, peer) {
            return json_error(StatusCode::BAD_REQUEST, message);
        }
        let outcome = self.run(req, peer.ip()).await;
        // Also when the request ended before its instance ran.
        self.clients.forget_idle(peer.ip());
        match outcome {
            Ok(response) => response,
            Err(Failure::TimedOut) => {
                eprintln!("climbing-host: {method} {path}: request exceeded the time limit");
                json_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "request exceeded the time limit",
                )
            }
            Err(Failure::OutOfFuel) => {
                eprintln!("climbing-host: {method} {path}: request exceeded the fuel limit");
                json_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "request exceeded the fuel limit",
                )
            }
            Err(Failure::Guest(detail)) => {
                eprintln!("climbing-host: {method} {path}: component failed: {detail}");
                json_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the component failed while handling the request",
                )
            }
            Err(Failure::Host(detail)) => {
                eprintln!("climbing-host: {method} {path}: host error: {detail}");
                json_error(StatusCode::INTERNAL_SERVER_ERROR, "host error")
            }
        }
    }

    async fn run(
        &self,
        req: Request<Incoming>,
        client: IpAddr,
    ) -> Result<Response<HyperOutgoingBody>, Failure> {
        // The client's own share first, then a slot of the pool: a client that
        // holds its share waits behind itself, not in front of everyone else.
        let client_permit: OwnedSemaphorePermit = self
            .clients
            .of(client)
            .acquire_owned()
            .await
            .map_err(|e| Failure::Host(e.to_string()))?;
        let permit: OwnedSemaphorePermit = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| Failure::Host(e.to_string()))?;
        // The time limit counts from when the request gets an instance, not from
        // when it started queueing for one.
        let deadline = Instant::now() + self.runtime.limits().timeout;
        let host_err = |e: wasmtime::Error| Failure::Host(format!("{e:#}"));

        let mut store = self
            .runtime
            .new_store(deadline)
            .map_err(|e| Failure::Host(format!("{e:#}")))?;
        let (sender, receiver) = oneshot::channel();
        let body_deadline = tokio::time::Instant::now() + BODY_READ_TIMEOUT;
        let req = req.map(|body| TimedBody::new(body, body_deadline));
        let incoming = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, req)
            .map_err(host_err)?;
        let outparam = store
            .data_mut()
            .http()
            .new_response_outparam(sender)
            .map_err(host_err)?;

        let runtime = self.runtime.clone();
        let clients = self.clients.clone();
        // The guest runs in its own task so it can keep writing the body after
        // the response head has gone out.
        let task = tokio::spawn(async move {
            let result = async {
                let proxy = runtime.proxy_pre().instantiate_async(&mut store).await?;
                proxy
                    .wasi_http_incoming_handler()
                    .call_handle(&mut store, incoming, outparam)
                    .await
            }
            .await;
            let cost = runtime.cost(&store);
            // The instance (and its pool slot) goes before the permit does.
            drop(store);
            drop(permit);
            drop(client_permit);
            clients.forget_idle(client);
            (result, cost)
        });
        let abort = task.abort_handle();
        let tokio_deadline = tokio::time::Instant::from_std(deadline);

        // The epoch callback stops a guest that computes past the deadline; this
        // timeout stops one that waits past it (on a body, an outbound call...).
        let head = match tokio::time::timeout_at(tokio_deadline, receiver).await {
            Err(_) => {
                abort.abort();
                return Err(Failure::TimedOut);
            }
            Ok(Ok(Ok(head))) => head,
            Ok(Ok(Err(code))) => {
                abort.abort();
                return Err(Failure::Guest(format!(
                    "responded with error code {code:?}"
                )));
            }
            // The outparam was dropped unset: the task's result says why.
            Ok(Err(_)) => {
                return Err(match tokio::time::timeout_at(tokio_deadline, task).await {
                    Err(_) => {
                        abort.abort();
                        Failure::TimedOut
                    }
                    Ok(Err(join)) => Failure::Host(format!("request task failed: {join}")),
                    Ok(Ok((Err(e), _))) => classify(e),
                    Ok(Ok((Ok(()), _))) => {
                        Failure::Guest("returned without setting a response".into())
                    }
                });
            }
        };

        if !self.expose_metrics {
            // Stream the body as the guest writes it; report a late failure in the log.
            tokio::spawn(async move {
                match tokio::time::timeout_at(tokio_deadline, task).await {
                    Err(_) => {
                        abort.abort();
                        eprintln!(
                            "climbing-host: request exceeded the time limit while sending the body"
                        );
                    }
                    Ok(Ok((Err(e), _))) => {
                        eprintln!("climbing-host: component failed after responding: {e:#}")
                    }
                    Ok(_) => {}
                }
            });
            return Ok(head);
        }

        // With metrics the costs go into headers, which are only known once the
        // guest is done: buffer the body, then wait for the instance to finish.
        let (mut parts, body) = head.into_parts();
        let body = match tokio::time::timeout_at(tokio_deadline, body.collect()).await {
            Err(_) => {
                abort.abort();
                return Err(Failure::TimedOut);
            }
            Ok(body) => body,
        };
        let (result, cost) = match tokio::time::timeout_at(tokio_deadline, task).await {
            Err(_) => {
                abort.abort();
                return Err(Failure::TimedOut);
            }
            Ok(Err(join)) => return Err(Failure::Host(format!("request task failed: {join}"))),
            Ok(Ok(done)) => done,
        };
        if let Err(e) = result {
            return Err(classify(e));
        }
        let body = body.map_err(|e| Failure::Guest(format!("response body failed: {e}")))?;
        add_cost_headers(&mut parts.headers, &cost);
        Ok(Response::from_parts(parts, full(body.to_bytes())))
    }
}

/// A request body that fails once [`BODY_READ_TIMEOUT`] has passed, so a stalled
/// upload ends the request instead of holding its instance.
struct TimedBody {
    inner: Incoming,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl TimedBody {
    fn new(inner: Incoming, deadline: tokio::time::Instant) -> Self {
        Self {
            inner,
            deadline: Box::pin(tokio::time::sleep_until(deadline)),
        }
    }
}

impl hyper::body::Body for TimedBody {
    type Data = Bytes;
    type Error = wasmtime_wasi_http::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(wasmtime_wasi_http::Error::from)));
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => {
                Poll::Ready(Some(Err(wasmtime_wasi_http::Error::ConnectionReadTimeout)))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// What Spin does to a request before a `wasi:http` component sees it, for an app
/// whose one component has `route = "/..."` (crates/trigger-http: `set_req_uri`,
/// `prepare_request_headers`): the URI becomes absolute (the `Host` header itself
/// is then stripped by wasmtime-wasi-http as a forbidden header, on Spin too;
/// guests read the authority from the request instead), and `spin-*` headers
/// describe the URL, route and client.
fn prepare_like_spin<B>(req: &mut Request<B>, peer: SocketAddr) -> Result<(), &'static str> {
    // RFC 9112 3.2: a request with more than one Host is refused, and an
    // absolute-form target's authority must agree with Host, so the component and
    // any proxy in front of it see the same host.
    if req.headers().get_all(http::header::HOST).iter().count() > 1 {
        return Err("more than one Host header");
    }
    let host = match req.headers().get(http::header::HOST) {
        Some(host) => Some(
            host.to_str()
                .ok()
                .and_then(|h| h.parse::<http::uri::Authority>().ok())
                .ok_or("invalid Host header")?,
        ),
        None => None,
    };
    let authority = match (host, req.uri().authority()) {
        (Some(host), Some(target)) if !host.as_str().eq_ignore_ascii_case(target.as_str()) => {
            return Err("the request target names another host than the Host header")
        }
        (Some(host), _) => host,
        (None, Some(authority)) => authority.clone(),
        (None, None) => return Err("missing Host header"),
    };
    let path_and_query = req
        .uri()
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| http::uri::PathAndQuery::from_static("/"));
    let uri = http::Uri::builder()
        .scheme("http")
        .authority(authority.clone())
        .path_and_query(path_and_query.clone())
        .build()
        .map_err(|_| "invalid request URI")?;
    let full_url = format!("http://{authority}{path_and_query}");
    let path_info = path_and_query.path().to_owned();
    *req.uri_mut() = uri;

    let headers = req.headers_mut();
    headers.remove(http::header::CONNECTION);
    let peer = peer.to_string();
    for (name, value) in [
        ("spin-full-url", full_url.as_str()),
        ("spin-path-info", path_info.as_str()),
        ("spin-matched-route", "/..."),
        ("spin-base-path", "/"),
        ("spin-raw-component-route", "/..."),
        ("spin-component-route", ""),
        ("spin-client-addr", peer.as_str()),
    ] {
        if let Ok(value) = http::HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
    Ok(())
}

fn classify(error: wasmtime::Error) -> Failure {
    if error.chain().any(|e| e.is::<TimedOut>()) {
        return Failure::TimedOut;
    }
    if error
        .chain()
        .any(|e| matches!(e.downcast_ref::<Trap>(), Some(Trap::OutOfFuel)))
    {
        return Failure::OutOfFuel;
    }
    Failure::Guest(format!("{error:#}"))
}

fn add_cost_headers(headers: &mut http::HeaderMap, cost: &RequestCost) {
    for (name, value) in cost.headers() {
        if let Ok(value) = http::HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
}

fn full(bytes: Bytes) -> HyperOutgoingBody {
    Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// The host's own answers are short JSON documents, like the component's errors.
fn json_error(status: StatusCode, message: &str) -> Response<HyperOutgoingBody> {
    let body = serde_json::json!({ "error": message }).to_string();
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(full(Bytes::from(body)))
        .expect("static response parts are valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_client_holds_at_most_its_share() {
        let shares = ClientShares::new(3);
        let (a, b): (IpAddr, IpAddr) = ("127.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let held: Vec<_> = (0..3)
            .map(|_| shares.of(a).try_acquire_owned().unwrap())
            .collect();
        assert!(
            shares.of(a).try_acquire_owned().is_err(),
            "a fourth slot for one client"
        );
        let other = shares.of(b).try_acquire_owned();
        assert!(other.is_ok(), "another client waits behind the first");
        drop(other);
        shares.forget_idle(b);
        shares.forget_idle(a);
        assert_eq!(
            shares.shares.lock().unwrap().len(),
            1,
            "only the busy client is kept"
        );
        drop(held);
        shares.forget_idle(a);
        assert!(shares.shares.lock().unwrap().is_empty());
    }

    #[test]
    fn requests_look_as_they_do_on_spin() {
        let mut req = Request::post("/mcp?x=1")
            .header("host", "localhost:3000")
            .header("connection", "keep-alive")
            .body(())
            .unwrap();
        prepare_like_spin(&mut req, "127.0.0.1:5555".parse().unwrap()).unwrap();
        assert_eq!(req.uri().to_string(), "http://localhost:3000/mcp?x=1");
        let h = req.headers();
        assert_eq!(h["spin-full-url"], "http://localhost:3000/mcp?x=1");
        assert_eq!(h["spin-path-info"], "/mcp");
        assert_eq!(h["spin-client-addr"], "127.0.0.1:5555");
        assert!(h.get("connection").is_none());

        let mut no_host = Request::get("/").body(()).unwrap();
        assert!(prepare_like_spin(&mut no_host, "127.0.0.1:1".parse().unwrap()).is_err());
    }
}
