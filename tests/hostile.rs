//! Hostile HTTP against the served component, over raw TCP with hand-written
//! request bytes, so that malformed requests reach the host's HTTP server.
//!
//! Every case must get a 4xx with a message (or, for framing errors the HTTP
//! parser rejects, a 400 without body or a closed connection), the server must
//! keep serving afterwards, and the store must be unchanged.
//!
//! See docs/limits.md for every limit these tests hold.

mod common;

use common::mcp::{bearer, ALL};
use common::raw_http::{chunked, run, seeded, snapshot, tool_call, Expect, Req, PING};
use serde_json::json;

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
    run(h, cases);
    assert_eq!(snapshot(h, &crag), before, "the store changed");
}
