//! The load generator: hyper's HTTP/1.1 client over keep-alive loopback
//! connections, one request in flight per connection (a closed loop, like wrk).

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use http::{HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::requests::{rpc, tool_call, PROTOCOL_VERSION};
use climbing_host::metrics::{RequestCost, HEADER_FUEL, HEADER_KV_OPS, HEADER_MEMORY};

/// How a scenario's answers are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// 200 and no JSON-RPC error.
    Ok,
    /// 200, no JSON-RPC error, and a tool result that is not an error.
    ToolOk,
    /// This status (body not checked).
    Status(u16),
}

/// Where the load goes: an address to connect to, the `Host` header and the
/// path of the MCP endpoint.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    host: HeaderValue,
    path: String,
}

impl Target {
    /// `/mcp` on a loopback server of this process (or a child).
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            host: HeaderValue::from_str(&addr.to_string()).expect("an address is a valid header"),
            path: "/mcp".to_owned(),
        }
    }

    /// Any `http://host[:port][/path]` URL (the path defaults to `/mcp`); the
    /// host is resolved once, here. The load generator speaks plain HTTP/1.1.
    pub fn from_url(url: &str) -> Result<Self> {
        let Some(rest) = url.strip_prefix("http://") else {
            bail!("--target takes an http:// URL (the load generator has no TLS), got {url}");
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/mcp"),
        };
        if authority.is_empty() {
            bail!("--target {url} has no host");
        }
        let with_port = if authority
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        let addr = std::net::ToSocketAddrs::to_socket_addrs(&with_port)
            .with_context(|| format!("resolving {authority}"))?
            .next()
            .with_context(|| format!("{authority} resolves to no address"))?;
        Ok(Self {
            addr,
            host: HeaderValue::from_str(authority)
                .context("the URL's host is not a valid header")?,
            path: path.to_owned(),
        })
    }
}

#[derive(Debug, Clone)]
pub struct LoadConfig {
    pub connections: u32,
    pub duration: Duration,
    pub warmup: Duration,
    pub max_requests: u64,
}

/// What one scenario measured.
#[derive(Debug, Clone, Default)]
pub struct LoadResult {
    /// Latencies of the measured requests, in microseconds, sorted.
    pub latencies_us: Vec<u32>,
    pub elapsed: Duration,
    pub errors: u64,
    pub first_error: Option<String>,
}

impl LoadResult {
    pub fn requests(&self) -> u64 {
        self.latencies_us.len() as u64
    }

    pub fn rps(&self) -> f64 {
        self.requests() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn percentile_us(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let rank = ((self.latencies_us.len() as f64 * p / 100.0).ceil() as usize)
            .clamp(1, self.latencies_us.len());
        f64::from(self.latencies_us[rank - 1])
    }

    /// Adds another run's measurements (another round of the same scenario).
    pub fn merge(&mut self, other: LoadResult) {
        self.latencies_us.extend(other.latencies_us);
        self.latencies_us.sort_unstable();
        self.elapsed += other.elapsed;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    pub fn p50_us(&self) -> f64 {
        self.percentile_us(50.0)
    }

    pub fn p99_us(&self) -> f64 {
        self.percentile_us(99.0)
    }
}

/// A client of one server with one bearer token.
pub struct Client {
    target: Target,
    auth: Option<HeaderValue>,
}

impl Client {
    pub fn new(target: Target, token: &str) -> Self {
        let auth = (!token.is_empty()).then(|| {
            HeaderValue::from_str(&format!("Bearer {token}")).expect("a JWT is a valid header")
        });
        Self { target, auth }
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>> {
        let stream = tokio::net::TcpStream::connect(self.target.addr)
            .await
            .with_context(|| format!("connecting to {}", self.target.addr))?;
        stream.set_nodelay(true)?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }

    fn request(&self, method: Method, body: Option<Bytes>) -> Request<Full<Bytes>> {
        let mut req = Request::builder()
            .method(method)
            .uri(self.target.path.as_str())
            .header(http::header::HOST, self.target.host.clone())
            .header(http::header::ACCEPT, "application/json, text/event-stream")
            .header("mcp-protocol-version", PROTOCOL_VERSION);
        if let Some(auth) = &self.auth {
            req = req.header(http::header::AUTHORIZATION, auth.clone());
        }
        if body.is_some() {
            req = req.header(http::header::CONTENT_TYPE, "application/json");
        }
        req.body(Full::new(body.unwrap_or_default()))
            .expect("static request parts are valid")
    }

    async fn send(
        &self,
        sender: &mut SendRequest<Full<Bytes>>,
        req: Request<Full<Bytes>>,
    ) -> Result<(StatusCode, http::HeaderMap, Bytes)> {
        sender.ready().await?;
        let response = sender.send_request(req).await?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok((parts.status, parts.headers, body))
    }

    /// One tool call (its own connection); the structured result, or an error
    /// with the answer.
    pub async fn tool(&self, name: &str, arguments: Value) -> Result<Value> {
        let mut sender = self.connect().await?;
        let req = self.request(Method::POST, Some(tool_call(name, arguments)));
        let (status, headers, body) = self.send(&mut sender, req).await?;
        let text = String::from_utf8_lossy(&body);
        if status != StatusCode::OK {
            bail!("{name}: HTTP {status}: {text}");
        }
        let v = answer(&headers, &body).with_context(|| format!("{name}: {text}"))?;
        if v.get("error").is_some() || v["result"]["isError"] != Value::Bool(false) {
            bail!("{name} failed: {text}");
        }
        Ok(v["result"]["structuredContent"].clone())
    }

    /// One JSON-RPC request (its own connection); its `result`.
    pub async fn result(&self, method: &str, params: Value) -> Result<Value> {
        let mut sender = self.connect().await?;
        let req = self.request(Method::POST, Some(rpc(method, params)));
        let (status, headers, body) = self.send(&mut sender, req).await?;
        let v = answer(&headers, &body).with_context(|| {
            format!(
                "{method}: HTTP {status}: {}",
                String::from_utf8_lossy(&body)
            )
        })?;
        match v.get("result") {
            Some(result) if status == StatusCode::OK => Ok(result.clone()),
            _ => bail!("{method} failed: HTTP {status}: {v}"),
        }
    }

    /// Runs the closed loop with `bodies` (cycled) as POSTs.
    pub async fn load(
        &self,
        cfg: &LoadConfig,
        bodies: &[Bytes],
        expect: Expect,
    ) -> Result<LoadResult> {
        self.run_load(cfg, Some(Arc::new(bodies.to_vec())), expect)
            .await
    }

    /// Runs the closed loop with bodiless GETs (expected: 405).
    pub async fn load_get(&self, cfg: &LoadConfig) -> Result<LoadResult> {
        self.run_load(cfg, None, Expect::Status(405)).await
    }

    async fn run_load(
        &self,
        cfg: &LoadConfig,
        bodies: Option<Arc<Vec<Bytes>>>,
        expect: Expect,
    ) -> Result<LoadResult> {
        let start = Instant::now();
        let measure_from = start + cfg.warmup;
        let end = measure_from + cfg.duration;
        let issued = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for conn in 0..cfg.connections {
            let mut sender = self.connect().await?;
            let client = Client {
                target: self.target.clone(),
                auth: self.auth.clone(),
            };
            let bodies = bodies.clone();
            let issued = issued.clone();
            let max = cfg.max_requests;
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0u64;
                let mut first_error = None;
                // Connections start at different bodies so they do not march in step.
                let mut i = conn as usize * 7919;
                loop {
                    let now = Instant::now();
                    if now >= end {
                        break;
                    }
                    let measured = now >= measure_from;
                    if measured && issued.fetch_add(1, Ordering::Relaxed) >= max {
                        break;
                    }
                    let req = match &bodies {
                        Some(b) => client.request(Method::POST, Some(b[i % b.len()].clone())),
                        None => client.request(Method::GET, None),
                    };
                    i += 1;
                    let t = Instant::now();
                    let outcome = client.send(&mut sender, req).await;
                    let took = t.elapsed();
                    let problem = match outcome {
                        Ok((status, _, body)) => check(status, &body, expect),
                        Err(e) => {
                            // The connection is gone; take a new one.
                            let problem = Some(format!("request failed: {e:#}"));
                            match client.connect().await {
                                Ok(s) => sender = s,
                                Err(e) => {
                                    first_error.get_or_insert(format!("{e:#}"));
                                    errors += 1;
                                    break;
                                }
                            }
                            problem
                        }
                    };
                    if measured {
                        latencies.push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
                        if let Some(p) = problem {
                            errors += 1;
                            first_error.get_or_insert(p);
                        }
                    }
                }
                (latencies, errors, first_error)
            }));
        }
        let mut result = LoadResult::default();
        for task in tasks {
            let (latencies, errors, first_error) = task.await?;
            result.latencies_us.extend(latencies);
            result.errors += errors;
            if result.first_error.is_none() {
                result.first_error = first_error;
            }
        }
        result.elapsed = Instant::now().saturating_duration_since(measure_from);
        result.latencies_us.sort_unstable();
        Ok(result)
    }

    /// `n` sequential POSTs on one connection; the cost headers of each.
    pub async fn costs(&self, bodies: &[Bytes], n: u64) -> Result<Vec<RequestCost>> {
        let mut sender = self.connect().await?;
        let mut costs = Vec::new();
        for i in 0..n as usize {
            let req = self.request(Method::POST, Some(bodies[i % bodies.len()].clone()));
            let (status, headers, body) = self.send(&mut sender, req).await?;
            if let Some(problem) = check(status, &body, Expect::Ok) {
                bail!("metered request: {problem}");
            }
            costs.push(cost(&headers)?);
        }
        Ok(costs)
    }

    pub async fn costs_get(&self, n: u64) -> Result<Vec<RequestCost>> {
        let mut sender = self.connect().await?;
        let mut costs = Vec::new();
        for _ in 0..n {
            let (_, headers, _) = self
                .send(&mut sender, self.request(Method::GET, None))
                .await?;
            costs.push(cost(&headers)?);
        }
        Ok(costs)
    }
}

fn cost(headers: &http::HeaderMap) -> Result<RequestCost> {
    let num = |name: &str| -> Option<u64> { headers.get(name)?.to_str().ok()?.parse().ok() };
    Ok(RequestCost {
        kv_ops: num(HEADER_KV_OPS).context("no kv-ops header: is the server metered?")?,
        fuel: num(HEADER_FUEL),
        peak_memory: num(HEADER_MEMORY).unwrap_or(0),
    })
}

/// What is wrong with an answer, if anything.
fn check(status: StatusCode, body: &[u8], expect: Expect) -> Option<String> {
    let describe = || {
        format!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        )
    };
    match expect {
        Expect::Status(want) => (status.as_u16() != want).then(describe),
        Expect::Ok | Expect::ToolOk => {
            if status != StatusCode::OK
                || contains(body, br#""error":{"#)
                || (expect == Expect::ToolOk && !contains(body, br#""isError":false"#))
            {
                Some(describe())
            } else {
                None
            }
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The JSON-RPC answer in a response body: the body itself, or, when the server
/// streamed notifications ahead of it (a tool that logs), the event ending the
/// stream.
fn answer(headers: &http::HeaderMap, body: &[u8]) -> Result<Value> {
    let streamed = headers
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream"));
    if streamed {
        let event = climbing_host::event_stream::read_response(body, &mut |_, _| {})?;
        return Ok(serde_json::from_str(&event)?);
    }
    Ok(serde_json::from_slice(body)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let r = LoadResult {
            latencies_us: (1..=100).collect(),
            elapsed: Duration::from_secs(2),
            ..Default::default()
        };
        assert_eq!(r.p50_us(), 50.0);
        assert_eq!(r.p99_us(), 99.0);
        assert_eq!(r.rps(), 50.0);
    }

    #[test]
    fn checks_answers() {
        let ok = br#"{"jsonrpc":"2.0","id":1,"result":{"isError":false}}"#;
        assert!(check(StatusCode::OK, ok, Expect::ToolOk).is_none());
        let err = br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32602}}"#;
        assert!(check(StatusCode::OK, err, Expect::Ok).is_some());
        let tool_err = br#"{"result":{"isError":true}}"#;
        assert!(check(StatusCode::OK, tool_err, Expect::ToolOk).is_some());
        assert!(check(StatusCode::OK, tool_err, Expect::Ok).is_none());
        assert!(check(StatusCode::METHOD_NOT_ALLOWED, b"", Expect::Status(405)).is_none());
    }
}
