//! Header attacks: a header that must be single sent twice, Host and Origin
//! values that only look like an allowed one.

use crate::support::*;
use serde_json::json;
use std::time::Duration;

const PING: &[u8] = br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;

#[test]
fn repeated_security_headers_get_400() {
    let host = secure_host().start();
    let admin = service("root", ALL);
    let cases = [
        (
            "two Authorization, admin first",
            format!("authorization: {admin}\r\nauthorization: Bearer junk\r\n"),
        ),
        (
            "two Authorization, junk first",
            format!("authorization: Bearer junk\r\nauthorization: {admin}\r\n"),
        ),
        (
            "two identical Authorization",
            format!("authorization: {admin}\r\nauthorization: {admin}\r\n"),
        ),
        (
            "two Origin",
            format!(
                "authorization: {admin}\r\norigin: http://localhost\r\norigin: http://evil.com\r\n"
            ),
        ),
        (
            "two MCP-Protocol-Version",
            format!("authorization: {admin}\r\nmcp-protocol-version: 2025-06-18\r\n"),
        ),
    ];
    for (what, extra) in cases {
        let r = raw(
            host.addr(),
            &post_bytes(&host, &extra, PING),
            Duration::from_secs(10),
        );
        assert_eq!(r.status, Some(400), "{what}: {}", r.text);
        assert!(r.text.contains("more than one"), "{what}: {}", r.text);
    }
    let once = format!("authorization: {admin}\r\n");
    let r = raw(
        host.addr(),
        &post_bytes(&host, &once, PING),
        Duration::from_secs(10),
    );
    assert_eq!(r.status, Some(200), "{}", r.text);
}

#[test]
fn hosts_and_origins_that_only_look_allowed_are_refused() {
    let host = secure_host().start();
    let admin = service("root", ALL);
    let port = host.addr().rsplit(':').next().unwrap().to_owned();
    for bad_host in [
        format!("127.0.0.1:{port}@evil.com"),
        format!("127.0.0.1:{port}.evil.com"),
        format!("localhost:{port}:{port}"),
        "localhost:99999".to_owned(),
        "localhost.evil.com".to_owned(),
        "evil.com".to_owned(),
    ] {
        let request = format!(
            "POST /mcp HTTP/1.1\r\nhost: {bad_host}\r\ncontent-type: application/json\r\nauthorization: {admin}\r\ncontent-length: {}\r\n\r\n",
            PING.len()
        );
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(PING);
        let r = raw(host.addr(), &bytes, Duration::from_secs(10));
        assert!(
            matches!(r.status, Some(400 | 403)),
            "Host {bad_host}: {}",
            r.text
        );
    }
    for origin in [
        format!("http://127.0.0.1:{port}.evil.com"),
        format!("http://127.0.0.1:{port}@evil.com"),
        format!("http://localhost:{port}/path"),
        "http://evil.com".to_owned(),
        "null".to_owned(),
        "file://".to_owned(),
    ] {
        let r = crate::common::mcp::post_rpc(
            &host,
            &admin,
            &[("origin", &origin)],
            &rpc(1, "ping", json!({})),
        );
        assert_eq!(r.status, 403, "Origin {origin}: {}", r.text());
    }
    let good = format!("http://localhost:{port}");
    let r = crate::common::mcp::post_rpc(
        &host,
        &admin,
        &[("origin", &good)],
        &rpc(1, "ping", json!({})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
}
