//! Raw HTTP for the hostile-input suites (tests/hostile.rs,
//! tests/hostile_content.rs): requests written byte by byte on a fresh TCP
//! connection, so that malformed ones reach the host's HTTP server as sent, and
//! the checks every case's answer must pass.

use super::mcp::{bearer, host_builder, ok_tool, post_rpc, rpc, seed_crag, ALL};
use super::Host;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

/// What came back on a raw connection.
#[derive(Debug)]
pub struct Raw {
    pub status: Option<u16>,
    pub head: String,
    pub body: Vec<u8>,
    /// The server closed (or reset) the connection.
    pub closed: bool,
    /// The read timed out with the connection still open.
    pub timed_out: bool,
    pub elapsed: Duration,
}

impl Raw {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The JSON-RPC error message, or the host's `{"error": "..."}` text.
    pub fn message(&self) -> String {
        let v = self.json();
        v["error"]["message"]
            .as_str()
            .or(v["error"].as_str())
            .or(v["result"]["content"][0]["text"]
                .as_str()
                .filter(|_| v["result"]["isError"] == true))
            .unwrap_or("")
            .to_owned()
    }
}

/// Sends `parts` (with `pause` between them) on a fresh connection while reading
/// the answer, until the response is complete, the server closes, or `timeout`.
/// Writing happens on its own thread: a server that answers early (413) and
/// closes must not lose its answer to a reset caused by our unread writes.
pub fn exchange(addr: &str, parts: Vec<Vec<u8>>, pause: Duration, timeout: Duration) -> Raw {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(timeout)).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let write = std::thread::spawn(move || {
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                std::thread::sleep(pause);
            }
            if writer.write_all(part).is_err() {
                return;
            }
        }
    });
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let (mut closed, mut timed_out) = (false, false);
    loop {
        if let Some((status, head_len, length)) = parse_head(&buf) {
            let _ = status;
            if let Some(length) = length {
                if buf.len() >= head_len + length {
                    break;
                }
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                timed_out = true;
                break;
            }
            Err(_) => {
                closed = true;
                break;
            }
        }
        if started.elapsed() > timeout {
            timed_out = true;
            break;
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
    let _ = write.join();
    let (status, head, body) = match parse_head(&buf) {
        Some((status, head_len, _)) => (
            Some(status),
            String::from_utf8_lossy(&buf[..head_len]).into_owned(),
            buf[head_len..].to_vec(),
        ),
        None => (None, String::from_utf8_lossy(&buf).into_owned(), Vec::new()),
    };
    Raw {
        status,
        head,
        body,
        closed,
        timed_out,
        elapsed: started.elapsed(),
    }
}

pub fn send_raw(addr: &str, request: Vec<u8>) -> Raw {
    exchange(addr, vec![request], Duration::ZERO, Duration::from_secs(20))
}

/// (status, length of the head including the blank line, content-length).
pub fn parse_head(buf: &[u8]) -> Option<(u16, usize, Option<usize>)> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&buf[..end]);
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let length = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())
            .flatten()
    });
    Some((status, end, length))
}

/// A POST /mcp with the usual headers, `extra` header lines (each ending in
/// CRLF) and a Content-Length matching `body` unless `framing` replaces it.
pub struct Req {
    pub method: String,
    pub target: String,
    pub host: Option<String>,
    pub content_type: Option<String>,
    pub auth: Option<String>,
    pub version: Option<String>,
    pub accept: String,
    pub extra: Vec<u8>,
    /// `None`: a Content-Length for the body; `Some(lines)`: these framing header
    /// lines instead.
    pub framing: Option<Vec<u8>>,
    pub body: Vec<u8>,
}

impl Req {
    pub fn new(host: &Host, body: impl Into<Vec<u8>>) -> Req {
        Req {
            method: "POST".into(),
            target: "/mcp".into(),
            host: Some(host.addr().to_owned()),
            content_type: Some("application/json".into()),
            auth: Some(bearer(ALL)),
            version: Some("2025-11-25".into()),
            accept: "application/json, text/event-stream".into(),
            extra: Vec::new(),
            framing: None,
            body: body.into(),
        }
    }

    pub fn extra(mut self, lines: &[u8]) -> Req {
        self.extra.extend_from_slice(lines);
        self
    }

    pub fn framing(mut self, lines: &[u8]) -> Req {
        self.framing = Some(lines.to_vec());
        self
    }

    pub fn head(&self) -> Vec<u8> {
        let mut h = format!("{} {} HTTP/1.1\r\n", self.method, self.target).into_bytes();
        if let Some(host) = &self.host {
            h.extend_from_slice(format!("Host: {host}\r\n").as_bytes());
        }
        if let Some(ct) = &self.content_type {
            h.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        if let Some(auth) = &self.auth {
            h.extend_from_slice(format!("Authorization: {auth}\r\n").as_bytes());
        }
        if let Some(v) = &self.version {
            h.extend_from_slice(format!("MCP-Protocol-Version: {v}\r\n").as_bytes());
        }
        h.extend_from_slice(format!("Accept: {}\r\nConnection: close\r\n", self.accept).as_bytes());
        h.extend_from_slice(&self.extra);
        match &self.framing {
            None => {
                h.extend_from_slice(format!("Content-Length: {}\r\n", self.body.len()).as_bytes())
            }
            Some(lines) => h.extend_from_slice(lines),
        }
        h.extend_from_slice(b"\r\n");
        h
    }

    pub fn bytes(&self) -> Vec<u8> {
        let mut b = self.head();
        b.extend_from_slice(&self.body);
        b
    }
}

pub const PING: &str = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;

pub fn tool_call(name: &str, args: Value) -> Vec<u8> {
    rpc(7, "tools/call", json!({"name": name, "arguments": args}))
        .to_string()
        .into_bytes()
}

/// What a case must get.
#[derive(Debug, Clone, Copy)]
pub enum Expect {
    /// Exactly this status, with a JSON error message.
    Status(u16),
    /// This status from the host's HTTP parser (no body needed), or a closed
    /// connection without an answer.
    ParserRejects(u16),
    /// Any 4xx with a message.
    ClientError,
    /// A tool refusal: 200 with `isError: true` or a JSON-RPC error, or a 4xx
    /// with a message.
    Refused,
    /// A JSON-RPC error with this code (HTTP 200 or 4xx).
    RpcError(i64),
}

pub fn check(name: &str, request: &[u8], r: &Raw, expect: Expect) -> Result<(), String> {
    let shown = String::from_utf8_lossy(&request[..request.len().min(300)]).into_owned();
    let fail = |why: &str| {
        Err(format!(
            "{name}: {why}\n  request ({} bytes): {shown:?}\n  response: {:?} {:?} {}",
            request.len(),
            r.status,
            r.head,
            r.text().chars().take(300).collect::<String>()
        ))
    };
    if r.timed_out && r.status.is_none() {
        return fail("no answer before the timeout (hang)");
    }
    let has_message = r.message().len() > 10;
    match expect {
        Expect::Status(s) => {
            if r.status != Some(s) {
                return fail(&format!("expected {s}"));
            }
            if !has_message {
                return fail("no error message");
            }
        }
        Expect::ParserRejects(s) => {
            if r.status.is_some() && r.status != Some(s) {
                return fail(&format!("expected {s} or a closed connection"));
            }
            if r.status.is_none() && !r.closed {
                return fail("neither an answer nor a closed connection");
            }
        }
        Expect::ClientError => {
            if !r.status.is_some_and(|s| (400..500).contains(&s)) || !has_message {
                return fail("expected a 4xx with a message");
            }
        }
        Expect::Refused => {
            let ok = match r.status {
                Some(200) => {
                    let v = r.json();
                    (v["result"]["isError"] == true
                        && v["result"]["content"][0]["text"]
                            .as_str()
                            .is_some_and(|t| t.len() > 10))
                        || has_message
                }
                Some(s) => (400..500).contains(&s) && has_message,
                None => false,
            };
            if !ok {
                return fail("expected a refusal (isError or a 4xx with a message)");
            }
        }
        Expect::RpcError(code) => {
            let in_range = r
                .status
                .is_some_and(|s| s == 200 || (400..500).contains(&s));
            if !in_range || r.json()["error"]["code"].as_i64() != Some(code) || !has_message {
                return fail(&format!("expected JSON-RPC error {code}"));
            }
        }
    }
    Ok(())
}

/// Top-level areas and the crag's climbs: what must not change.
pub fn snapshot(host: &Host, crag: &str) -> Value {
    let areas = ok_tool(host, "list_areas", json!({"limit": 200}));
    let sub = ok_tool(host, "list_areas", json!({"parent_id": crag, "limit": 200}));
    let climbs = ok_tool(host, "list_climbs", json!({"area_id": crag, "limit": 200}));
    json!([areas["items"], sub["items"], climbs["items"]])
}

pub fn assert_serving(host: &Host, after: &str) {
    let r = post_rpc(host, &bearer(ALL), &[], &rpc(1, "ping", json!({})));
    assert_eq!(r.status, 200, "not serving after {after}: {}", r.text());
}

pub fn seeded() -> (Host, String, Value) {
    let host = host_builder().start();
    let crag = seed_crag(&host);
    ok_tool(
        &host,
        "create_climb",
        json!({"name": "Existing", "area_id": crag, "grades": {"french": "6a"}, "disciplines": ["sport"]}),
    );
    let before = snapshot(&host, &crag);
    (host, crag, before)
}

/// Runs each case, checks the answer and that a normal request still succeeds;
/// fails the test with every case that did not pass.
pub fn run(host: &Host, cases: Vec<(&str, Vec<u8>, Expect)>) {
    let mut failures = Vec::new();
    for (name, request, expect) in cases {
        let r = send_raw(host.addr(), request.clone());
        println!(
            "{name:<44} -> {} in {:?}{}",
            r.status.map_or("closed".to_owned(), |s| s.to_string()),
            r.elapsed,
            if r.message().is_empty() {
                String::new()
            } else {
                format!(": {}", r.message().chars().take(90).collect::<String>())
            }
        );
        if let Err(e) = check(name, &request, &r, expect) {
            failures.push(e);
        }
        assert_serving(host, name);
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

pub fn chunked(body: &[u8], chunk: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for c in body.chunks(chunk) {
        out.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        out.extend_from_slice(c);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}
