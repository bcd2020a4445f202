//! Hostile HTTP against the served component, over raw TCP with hand-written
//! request bytes, so that malformed requests reach the host's HTTP server.
//!
//! Every case must get a 4xx with a message (or, for framing errors the HTTP
//! parser rejects, a 400 without body or a closed connection), the server must
//! keep serving afterwards, and the store must be unchanged.
//!
//! See docs/limits.md for every limit these tests hold.

mod common;

use common::mcp::{bearer, host_builder, ok_tool, post_rpc, rpc, seed_crag, ALL};
use common::Host;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

/// What came back on a raw connection.
#[derive(Debug)]
struct Raw {
    status: Option<u16>,
    head: String,
    body: Vec<u8>,
    /// The server closed (or reset) the connection.
    closed: bool,
    /// The read timed out with the connection still open.
    timed_out: bool,
    elapsed: Duration,
}

impl Raw {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The JSON-RPC error message, or the host's `{"error": "..."}` text.
    fn message(&self) -> String {
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
fn exchange(addr: &str, parts: Vec<Vec<u8>>, pause: Duration, timeout: Duration) -> Raw {
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

fn send_raw(addr: &str, request: Vec<u8>) -> Raw {
    exchange(addr, vec![request], Duration::ZERO, Duration::from_secs(20))
}

/// (status, length of the head including the blank line, content-length).
fn parse_head(buf: &[u8]) -> Option<(u16, usize, Option<usize>)> {
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
struct Req {
    method: String,
    target: String,
    host: Option<String>,
    content_type: Option<String>,
    auth: Option<String>,
    version: Option<String>,
    accept: String,
    extra: Vec<u8>,
    /// `None`: a Content-Length for the body; `Some(lines)`: these framing header
    /// lines instead.
    framing: Option<Vec<u8>>,
    body: Vec<u8>,
}

impl Req {
    fn new(host: &Host, body: impl Into<Vec<u8>>) -> Req {
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

    fn extra(mut self, lines: &[u8]) -> Req {
        self.extra.extend_from_slice(lines);
        self
    }

    fn framing(mut self, lines: &[u8]) -> Req {
        self.framing = Some(lines.to_vec());
        self
    }

    fn head(&self) -> Vec<u8> {
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

    fn bytes(&self) -> Vec<u8> {
        let mut b = self.head();
        b.extend_from_slice(&self.body);
        b
    }
}

const PING: &str = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;

fn tool_call(name: &str, args: Value) -> Vec<u8> {
    rpc(7, "tools/call", json!({"name": name, "arguments": args}))
        .to_string()
        .into_bytes()
}

/// What a case must get.
#[derive(Debug, Clone, Copy)]
enum Expect {
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

fn check(name: &str, request: &[u8], r: &Raw, expect: Expect) -> Result<(), String> {
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
fn snapshot(host: &Host, crag: &str) -> Value {
    let areas = ok_tool(host, "list_areas", json!({"limit": 200}));
    let sub = ok_tool(host, "list_areas", json!({"parent_id": crag, "limit": 200}));
    let climbs = ok_tool(host, "list_climbs", json!({"area_id": crag, "limit": 200}));
    json!([areas["items"], sub["items"], climbs["items"]])
}

fn assert_serving(host: &Host, after: &str) {
    let r = post_rpc(host, &bearer(ALL), &[], &rpc(1, "ping", json!({})));
    assert_eq!(r.status, 200, "not serving after {after}: {}", r.text());
}

fn seeded() -> (Host, String, Value) {
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

/// Runs each case, checks the answer and that a normal request still succeeds.
fn run(host: &Host, cases: Vec<(&str, Vec<u8>, Expect)>) -> Vec<String> {
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
    failures
}

fn chunked(body: &[u8], chunk: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for c in body.chunks(chunk) {
        out.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        out.extend_from_slice(c);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

#[test]
fn framing_size_and_smuggling_matrix() {
    let (host, crag, before) = seeded();
    let h = &host;
    let ping = PING.as_bytes();
    // A request that would create an area if it were ever executed.
    let smuggled = Req::new(
        h,
        tool_call(
            "create_area",
            json!({"name": "Smuggled", "kind": "country"}),
        ),
    )
    .bytes();
    let mut cl_te_body = b"0\r\n\r\n".to_vec();
    cl_te_body.extend_from_slice(&smuggled);
    let te_cl_body = {
        let mut b = format!("{:x}\r\n", smuggled.len()).into_bytes();
        b.extend_from_slice(&smuggled);
        b.extend_from_slice(b"\r\n0\r\n\r\n");
        b
    };
    let big_chunked = chunked(&vec![b' '; (1 << 20) + 64 * 1024], 64 * 1024);

    let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
        // Sizes.
        (
            "Content-Length over 1 MiB",
            Req::new(h, b"{}".to_vec())
                .framing(b"Content-Length: 2000000\r\n")
                .bytes(),
            Expect::Status(413),
        ),
        (
            "chunked body growing past 1 MiB",
            Req::new(h, big_chunked)
                .framing(b"Transfer-Encoding: chunked\r\n")
                .bytes(),
            Expect::Status(413),
        ),
        (
            "one 500 KiB header",
            Req::new(h, ping.to_vec())
                .extra(format!("X-Junk: {}\r\n", "a".repeat(500 * 1024)).as_bytes())
                .bytes(),
            Expect::ParserRejects(431),
        ),
        (
            "200 headers",
            Req::new(h, ping.to_vec())
                .extra(
                    (0..200)
                        .map(|i| format!("X-H{i}: v\r\n"))
                        .collect::<String>()
                        .as_bytes(),
                )
                .bytes(),
            Expect::ParserRejects(431),
        ),
        (
            "100 KiB request target",
            {
                let mut r = Req::new(h, ping.to_vec());
                r.target = format!("/mcp?{}", "a".repeat(100 * 1024));
                r.bytes()
            },
            Expect::ParserRejects(414),
        ),
        (
            "64 KiB bearer token",
            {
                let mut r = Req::new(h, ping.to_vec());
                r.auth = Some(format!("Bearer {}", "a".repeat(64 * 1024)));
                r.bytes()
            },
            Expect::Status(401),
        ),
        // Request smuggling shapes.
        (
            "CL.TE: Content-Length and chunked, smuggled request",
            Req::new(h, cl_te_body.clone())
                .framing(
                    format!(
                        "Content-Length: {}\r\nTransfer-Encoding: chunked\r\n",
                        cl_te_body.len()
                    )
                    .as_bytes(),
                )
                .bytes(),
            Expect::ClientError,
        ),
        (
            "TE.CL: chunked and a short Content-Length",
            Req::new(h, te_cl_body)
                .framing(b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n")
                .bytes(),
            Expect::ClientError,
        ),
        (
            "two different Content-Lengths",
            Req::new(h, ping.to_vec())
                .framing(format!("Content-Length: {}\r\nContent-Length: 5\r\n", ping.len()).as_bytes())
                .bytes(),
            Expect::ParserRejects(400),
        ),
        (
            "Content-Length with a sign",
            Req::new(h, ping.to_vec())
                .framing(format!("Content-Length: +{}\r\n", ping.len()).as_bytes())
                .bytes(),
            Expect::ParserRejects(400),
        ),
        (
            "space before the colon",
            Req::new(h, ping.to_vec())
                .framing(format!("Content-Length : {}\r\n", ping.len()).as_bytes())
                .bytes(),
            Expect::ParserRejects(400),
        ),
        (
            "obs-fold header continuation",
            Req::new(h, ping.to_vec())
                .extra(b"X-Folded: a\r\n  continued\r\n")
                .bytes(),
            Expect::ParserRejects(400),
        ),
        (
            "obs-fold on Transfer-Encoding",
            Req::new(h, chunked(ping, 8))
                .framing(b"Transfer-Encoding:\r\n chunked\r\n")
                .bytes(),
            Expect::ParserRejects(400),
        ),
        (
            "chunk size not hex",
            Req::new(h, b"zz\r\nhello\r\n0\r\n\r\n".to_vec())
                .framing(b"Transfer-Encoding: chunked\r\n")
                .bytes(),
            Expect::ClientError,
        ),
        (
            "chunk size overflowing 64 bits",
            Req::new(h, b"fffffffffffffffffffff\r\nhello\r\n0\r\n\r\n".to_vec())
                .framing(b"Transfer-Encoding: chunked\r\n")
                .bytes(),
            Expect::ClientError,
        ),
        (
            "Transfer-Encoding: identity",
            Req::new(h, ping.to_vec())
                .framing(b"Transfer-Encoding: identity\r\n")
                .bytes(),
            Expect::ParserRejects(400),
        ),
        (
            "Transfer-Encoding: chunked, identity",
            Req::new(h, chunked(ping, 8))
                .framing(b"Transfer-Encoding: chunked, identity\r\n")
                .bytes(),
            Expect::ParserRejects(400),
        ),
        (
            "NUL in a header value",
            Req::new(h, ping.to_vec()).extra(b"X-Nul: a\0b\r\n").bytes(),
            Expect::ParserRejects(400),
        ),
        (
            "bare LF line endings with a smuggled header",
            {
                let mut b = format!(
                    "POST /mcp HTTP/1.1\r\nHost: {}\r\nX-A: b\nContent-Length: 0\r\nContent-Type: application/json\r\nContent-Length: {}\r\nAuthorization: {}\r\n\r\n",
                    h.addr(),
                    ping.len(),
                    bearer(ALL)
                )
                .into_bytes();
                b.extend_from_slice(ping);
                b
            },
            Expect::ParserRejects(400),
        ),
        (
            "invalid UTF-8 in the path",
            {
                let mut r = Req::new(h, ping.to_vec());
                r.target = "/mcp".into();
                let mut b = r.bytes();
                let at = b.windows(5).position(|w| w == b"/mcp ").unwrap() + 4;
                b.splice(at..at, [0xff, 0xfe]);
                b
            },
            Expect::ParserRejects(400),
        ),
        (
            "invalid UTF-8 in the bearer token",
            {
                let mut b = Req::new(h, ping.to_vec()).bytes();
                let at = b.windows(7).position(|w| w == b"Bearer ").unwrap() + 7;
                b.splice(at..at, [0xff, 0xfe]);
                b
            },
            Expect::Status(401),
        ),
        (
            "unknown method",
            {
                let mut r = Req::new(h, ping.to_vec());
                r.method = "BREW".into();
                r.bytes()
            },
            Expect::Status(405),
        ),
        // Host and Origin.
        (
            "no Host header",
            {
                let mut r = Req::new(h, ping.to_vec());
                r.host = None;
                r.bytes()
            },
            Expect::ClientError,
        ),
        (
            "Host with a space",
            {
                let mut r = Req::new(h, ping.to_vec());
                r.host = Some("a b".into());
                r.bytes()
            },
            Expect::ClientError,
        ),
        (
            "Host not allowed",
            {
                let mut r = Req::new(h, ping.to_vec());
                r.host = Some("evil.example.com".into());
                r.bytes()
            },
            Expect::Status(403),
        ),
        (
            "Host: loopback name with a rebinding suffix",
            {
                let mut r = Req::new(h, ping.to_vec());
                r.host = Some("127.0.0.1.nip.io".into());
                r.bytes()
            },
            Expect::Status(403),
        ),
        (
            "Host with userinfo",
            {
                let mut r = Req::new(h, ping.to_vec());
                r.host = Some(format!("evil.example.com@{}", h.addr()));
                r.bytes()
            },
            Expect::ClientError,
        ),
        (
            "Origin not allowed",
            Req::new(h, ping.to_vec())
                .extra(b"Origin: http://evil.example.com\r\n")
                .bytes(),
            Expect::Status(403),
        ),
        (
            "Origin: null",
            Req::new(h, ping.to_vec()).extra(b"Origin: null\r\n").bytes(),
            Expect::Status(403),
        ),
        (
            "Origin: loopback prefix of an evil host",
            Req::new(h, ping.to_vec())
                .extra(b"Origin: http://127.0.0.1.evil.example.com\r\n")
                .bytes(),
            Expect::Status(403),
        ),
        // Bodies.
        (
            "100k nested [",
            Req::new(h, vec![b'['; 100_000]).bytes(),
            Expect::Status(400),
        ),
        (
            "10k nested arrays inside tool arguments",
            Req::new(
                h,
                format!(
                    r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"create_area","arguments":{{"name":{}{},"kind":"country"}}}}}}"#,
                    "[".repeat(10_000),
                    "]".repeat(10_000)
                ),
            )
            .bytes(),
            Expect::Status(400),
        ),
        (
            "300k-element array inside tool arguments",
            Req::new(
                h,
                format!(
                    r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"create_area","arguments":{{"name":"Huge","kind":"country","parent_id":[{}0]}}}}}}"#,
                    "0,".repeat(300_000)
                ),
            )
            .bytes(),
            Expect::Refused,
        ),
        (
            "500k-character name",
            Req::new(
                h,
                tool_call("create_area", json!({"name": "n".repeat(500_000), "kind": "country"})),
            )
            .bytes(),
            Expect::Refused,
        ),
        (
            "invalid UTF-8 in the body",
            Req::new(h, b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\xfe\"}".to_vec()).bytes(),
            Expect::Status(400),
        ),
        (
            "invalid UTF-8 inside a name",
            Req::new(
                h,
                b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"create_area\",\"arguments\":{\"name\":\"a\xc0\xafb\",\"kind\":\"country\"}}}".to_vec(),
            )
            .bytes(),
            Expect::Status(400),
        ),
        (
            "lone surrogate escape in a name",
            Req::new(
                h,
                br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_area","arguments":{"name":"x\ud800","kind":"country"}}}"#.to_vec(),
            )
            .bytes(),
            Expect::Status(400),
        ),
        (
            "duplicate keys in tool arguments",
            Req::new(
                h,
                br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_area","arguments":{"name":"Dup","kind":"country","kind":"planet"}}}"#.to_vec(),
            )
            .bytes(),
            Expect::Refused,
        ),
        (
            "BOM before the JSON",
            Req::new(h, [&b"\xef\xbb\xbf"[..], ping].concat()).bytes(),
            Expect::Status(400),
        ),
        (
            "empty body",
            Req::new(h, Vec::new()).bytes(),
            Expect::Status(400),
        ),
        // Content types.
        (
            "Content-Type text/plain",
            {
                let mut r = Req::new(h, ping.to_vec());
                r.content_type = Some("text/plain".into());
                r.bytes()
            },
            Expect::Status(415),
        ),
        (
            "no Content-Type",
            {
                let mut r = Req::new(h, ping.to_vec());
                r.content_type = None;
                r.bytes()
            },
            Expect::Status(415),
        ),
        (
            "Content-Type application/jsonx",
            {
                let mut r = Req::new(h, ping.to_vec());
                r.content_type = Some("application/jsonx".into());
                r.bytes()
            },
            Expect::Status(415),
        ),
        (
            "Content-Type multipart/form-data",
            {
                let mut r = Req::new(h, ping.to_vec());
                r.content_type = Some("multipart/form-data; boundary=x".into());
                r.bytes()
            },
            Expect::Status(415),
        ),
        (
            "Content-Type x-www-form-urlencoded",
            {
                let mut r = Req::new(h, b"jsonrpc=2.0&method=ping".to_vec());
                r.content_type = Some("application/x-www-form-urlencoded".into());
                r.bytes()
            },
            Expect::Status(415),
        ),
        (
            "Accept: text/html only",
            {
                let mut r = Req::new(h, ping.to_vec());
                r.accept = "text/html".into();
                r.bytes()
            },
            Expect::Status(406),
        ),
        (
            "unsupported MCP-Protocol-Version",
            {
                let mut r = Req::new(h, ping.to_vec());
                r.version = Some("1999-01-01".into());
                r.bytes()
            },
            Expect::Status(400),
        ),
        (
            "no Authorization",
            {
                let mut r = Req::new(h, tool_call("create_area", json!({"name": "NoAuth", "kind": "country"})));
                r.auth = None;
                r.bytes()
            },
            Expect::Status(401),
        ),
    ];
    let failures = run(h, cases);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(snapshot(h, &crag), before, "the store changed");
}

/// Unicode tricks that are refused today: control characters, over-long
/// combining sequences, invisible or unknown keys.
#[test]
fn unicode_tricks_in_names_and_keys_are_refused() {
    let (host, crag, before) = seeded();
    let h = &host;
    let area = |name: &str| {
        Req::new(
            h,
            tool_call("create_area", json!({"name": name, "kind": "country"})),
        )
        .bytes()
    };
    let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
        ("NUL in a name", area("a\u{0}b"), Expect::Refused),
        ("escape sequence in a name", area("\u{1b}[31mred"), Expect::Refused),
        ("C1 control (NEL) in a name", area("a\u{85}b"), Expect::Refused),
        ("CR in a name", area("a\rb"), Expect::Refused),
        (
            "300 combining marks on one letter",
            area(&format!("a{}", "\u{301}".repeat(300))),
            Expect::Refused,
        ),
        ("only whitespace", area(" \u{3000}\t "), Expect::Refused),
        (
            "NUL in a climb name",
            Req::new(
                h,
                tool_call(
                    "create_climb",
                    json!({"name": "x\u{0}", "area_id": crag, "grades": {"french": "6a"}, "disciplines": ["sport"]}),
                ),
            )
            .bytes(),
            Expect::Refused,
        ),
        (
            "zero-width space inside a key",
            Req::new(
                h,
                tool_call("create_area", json!({"na\u{200b}me": "Zw", "kind": "country"})),
            )
            .bytes(),
            Expect::Refused,
        ),
        (
            "NUL at the end of a key",
            Req::new(
                h,
                tool_call("create_area", json!({"name\u{0}": "Nul", "kind": "country"})),
            )
            .bytes(),
            Expect::Refused,
        ),
        (
            "fullwidth letters in a key",
            Req::new(
                h,
                tool_call("create_area", json!({"ｎａｍｅ": "Fw", "kind": "country"})),
            )
            .bytes(),
            Expect::Refused,
        ),
        (
            "RTL override in an id",
            Req::new(h, tool_call("get_area", json!({"id": "abc\u{202e}def"}))).bytes(),
            Expect::Refused,
        ),
        (
            "NUL in a tool name",
            Req::new(h, tool_call("create_area\u{0}", json!({"name": "T", "kind": "country"}))).bytes(),
            Expect::RpcError(-32602),
        ),
        (
            "homoglyph tool name (Cyrillic a)",
            Req::new(h, tool_call("cre\u{430}te_area", json!({"name": "H", "kind": "country"}))).bytes(),
            Expect::RpcError(-32602),
        ),
    ];
    let failures = run(h, cases);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(snapshot(h, &crag), before, "the store changed");
}

/// Names made of invisible or direction-changing characters (spoofed or visually
/// empty names) are refused.
#[test]
fn invisible_and_bidi_names_are_refused() {
    let (host, crag, before) = seeded();
    let h = &host;
    let area = |name: &str| {
        Req::new(
            h,
            tool_call("create_area", json!({"name": name, "kind": "country"})),
        )
        .bytes()
    };
    let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
        (
            "RTL override (U+202E)",
            area("\u{202e}kcor"),
            Expect::Refused,
        ),
        ("RTL isolate (U+2067)", area("a\u{2067}b"), Expect::Refused),
        (
            "only zero-width spaces",
            area("\u{200b}\u{200b}"),
            Expect::Refused,
        ),
        (
            "only a zero-width joiner",
            area("\u{200d}"),
            Expect::Refused,
        ),
        ("BOM inside a name", area("\u{feff}x"), Expect::Refused),
        (
            "190 combining marks on one letter",
            area(&format!("a{}", "\u{301}".repeat(190))),
            Expect::Refused,
        ),
    ];
    let failures = run(h, cases);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(snapshot(h, &crag), before, "the store changed");
}

/// Requests that two parsers could read differently are refused: two `Host`
/// headers (RFC 9112 3.2), an absolute-form target naming another host than
/// `Host`, and JSON objects with duplicate keys, in the JSON-RPC envelope and in
/// tool arguments alike.
#[test]
fn ambiguous_requests_are_rejected() {
    let (host, _crag, _before) = seeded();
    let h = &host;
    let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
        (
            "duplicate name key in tool arguments",
            Req::new(
                h,
                br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_area","arguments":{"name":"A","name":"B","kind":"country"}}}"#.to_vec(),
            )
            .bytes(),
            Expect::Refused,
        ),
        (
            "two Host headers (allowed first, evil second)",
            Req::new(h, PING)
                .extra(b"Host: evil.example.com\r\n")
                .bytes(),
            Expect::ParserRejects(400),
        ),
        (
            "absolute-form target naming another authority",
            {
                let mut r = Req::new(h, PING);
                r.target = "http://evil.example.com/mcp".into();
                r.bytes()
            },
            // RFC 9112 3.2.2: the target's authority wins over Host: 403.
            Expect::ClientError,
        ),
        (
            "duplicate JSON-RPC method key",
            Req::new(
                h,
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","method":"ping"}"#,
            )
            .bytes(),
            Expect::Status(400),
        ),
    ];
    let failures = run(h, cases);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// JSON-RPC batches (2025-03-26, i.e. without `MCP-Protocol-Version`) hold at most
/// 32 messages, so one request cannot outgrow the instance's memory.
#[test]
fn oversized_batches_are_refused() {
    let (host, crag, before) = seeded();
    let h = &host;
    let legacy = |body: String| {
        let mut r = Req::new(h, body);
        r.version = None;
        r.bytes()
    };
    let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
        (
            "batch of 400k invalid messages",
            legacy(format!("[{}1]", "1,".repeat(400_000))),
            Expect::ClientError,
        ),
        (
            "batch of 500 tools/list",
            legacy(format!(
                "[{}]",
                vec![r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#; 500].join(",")
            )),
            Expect::ClientError,
        ),
    ];
    let failures = run(h, cases);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(snapshot(h, &crag), before, "the store changed");
}

/// Truncated, stalled and slow bodies and slow headers: the server keeps serving
/// others meanwhile, and a stalled request is ended by the time limit.
#[test]
fn truncated_stalled_and_slow_requests_do_not_block_serving() {
    let host = host_builder().args(["--timeout-ms", "1500"]).start();
    let crag = seed_crag(&host);
    let before = snapshot(&host, &crag);
    let addr = host.addr().to_owned();
    let create = tool_call("create_area", json!({"name": "Partial", "kind": "country"}));
    let (first, _) = create.split_at(create.len() / 2);

    // A body cut short: the client half-closes after half of it.
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut req = Req::new(&host, create.clone());
    req.body = first.to_vec();
    let mut head = req.head();
    let cl = format!("Content-Length: {}", first.len());
    let full = format!("Content-Length: {}", create.len());
    head = String::from_utf8(head)
        .unwrap()
        .replace(&cl, &full)
        .into_bytes();
    stream.write_all(&head).unwrap();
    stream.write_all(first).unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    println!("truncated body -> {:?}", answer.lines().next());
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "truncated body: {answer}"
    );
    assert_serving(&host, "a truncated body");

    // Stalled bodies: eight requests send half their body and wait. Others are
    // served meanwhile; each stalled one is answered 503 by the time limit.
    let stalled: Vec<_> = (0..8)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
            s.write_all(&head).unwrap();
            s.write_all(first).unwrap();
            s
        })
        .collect();
    let t = Instant::now();
    assert_serving(&host, "stalled bodies");
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "served in {:?}",
        t.elapsed()
    );
    for mut s in stalled {
        let t = Instant::now();
        let mut buf = [0u8; 4096];
        let n = s.read(&mut buf).unwrap_or(0);
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(text.starts_with("HTTP/1.1 503"), "stalled body: {text:?}");
        assert!(text.contains("time limit"), "{text}");
        assert!(t.elapsed() < Duration::from_secs(5));
    }
    println!("8 stalled bodies -> 503 (time limit), served others meanwhile");

    // A slow but complete body (one byte every 20 ms, well within the limit).
    let ping = Req::new(&host, PING).bytes();
    let (head_part, body_part) = ping.split_at(ping.len() - PING.len());
    let mut parts = vec![head_part.to_vec()];
    parts.extend(body_part.chunks(1).map(|b| b.to_vec()));
    let r = exchange(
        &addr,
        parts,
        Duration::from_millis(20),
        Duration::from_secs(10),
    );
    assert_eq!(r.status, Some(200), "slow body: {r:?}");

    // Slow headers (slowloris): a partial head, then silence. Others are served;
    // the connection holds no instance.
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.write_all(format!("POST /mcp HTTP/1.1\r\nHost: {addr}\r\nX-Slow: ").as_bytes())
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_serving(&host, "a stalled header");
    slow.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut buf = [0u8; 64];
    let still_open = matches!(slow.read(&mut buf), Err(ref e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut);
    println!(
        "partial header after 3.3 s: {}",
        if still_open {
            "connection still open (no header read timeout)"
        } else {
            "closed"
        }
    );
    drop(slow);

    // A connection that opens and closes without a byte.
    drop(TcpStream::connect(&addr).unwrap());
    assert_serving(&host, "an empty connection");
    assert_eq!(snapshot(&host, &crag), before, "the store changed");
}

/// A request that exceeds `--fuel-limit` or `--timeout-ms` is stopped by the
/// host and answered 503; the next request is served normally.
#[test]
fn runaway_requests_get_503_and_the_server_keeps_serving() {
    // A ping costs ~0.3 M fuel; parsing a 300k-element argument array ~200 M.
    let host = host_builder()
        .args(["--fuel-limit", "10000000", "--timeout-ms", "2000"])
        .start();
    let auth = bearer(ALL);
    let ping = post_rpc(&host, &auth, &[], &rpc(1, "ping", json!({})));
    assert_eq!(ping.status, 200, "{}", ping.text());
    println!("ping: {:?} fuel of 10 M", ping.fuel());

    let heavy = format!(
        r#"{{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{{"name":"get_area","arguments":{{"id":[{}0]}}}}}}"#,
        "0,".repeat(300_000)
    );
    let r = host.post(
        "/mcp",
        &[
            ("content-type", "application/json"),
            ("authorization", &auth),
            ("mcp-protocol-version", "2025-11-25"),
        ],
        heavy,
    );
    println!(
        "600 KB of JSON under a 10 M fuel limit -> {} {}",
        r.status,
        r.text()
    );
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(r.text().contains("fuel limit"), "{}", r.text());
    assert_serving(&host, "an out-of-fuel request");

    let batch: Vec<Value> = (0..2000).map(|i| rpc(i, "ping", json!({}))).collect();
    let r = host.post(
        "/mcp",
        &[
            ("content-type", "application/json"),
            ("authorization", &auth),
        ],
        Value::Array(batch).to_string(),
    );
    println!(
        "2,000-ping batch -> {} {}",
        r.status,
        r.text().chars().take(100).collect::<String>()
    );
    assert!(r.status == 503 || r.status == 400, "{}", r.status);
    assert_serving(&host, "a large batch");

    // Time: a body that never completes is cut off at --timeout-ms.
    let t = Instant::now();
    let r = exchange(
        host.addr(),
        vec![Req::new(&host, PING)
            .framing(b"Content-Length: 1000\r\n")
            .bytes()],
        Duration::ZERO,
        Duration::from_secs(10),
    );
    println!(
        "stalled body under a 2 s limit -> {:?} after {:?}: {}",
        r.status,
        t.elapsed(),
        r.text()
    );
    assert_eq!(r.status, Some(503), "{r:?}");
    assert!(r.text().contains("time limit"));
    assert!(t.elapsed() < Duration::from_secs(6));
    assert_serving(&host, "a timed-out request");
}
