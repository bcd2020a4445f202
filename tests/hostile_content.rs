//! Hostile content against the served component: names and keys with Unicode
//! tricks, ambiguous and oversized JSON-RPC, truncated, stalled and slow requests,
//! and runaway ones, over raw TCP (tests/common/raw_http.rs). As in
//! tests/hostile.rs, every case must get a specific refusal, the server must keep
//! serving afterwards, and the store must be unchanged.
//!
//! See docs/limits.md for every limit these tests hold.

mod common;

use common::mcp::{bearer, host_builder, post_rpc, rpc, seed_crag, ALL};
use common::raw_http::{
    assert_serving, exchange, run, seeded, snapshot, tool_call, Expect, Req, PING,
};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

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
    run(h, cases);
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
    run(h, cases);
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
    run(h, cases);
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
    run(h, cases);
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
