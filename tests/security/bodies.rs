//! Body attacks: unauthenticated uploads that never finish, an authenticated one
//! that stalls, a body far over the limit written whole before reading, and
//! batches that would multiply the rate limit.

use crate::support::*;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The head of a chunked POST /mcp that sends `first` and then nothing.
fn stalled_upload(host: &Host, auth: Option<&str>) -> Vec<u8> {
    let auth = auth
        .map(|a| format!("authorization: {a}\r\n"))
        .unwrap_or_default();
    format!(
        "POST /mcp HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\n{auth}transfer-encoding: chunked\r\n\r\n5\r\n[{{\"js\r\n",
        host.addr()
    )
    .into_bytes()
}

#[test]
fn unauthenticated_uploads_that_never_finish_hold_nothing() {
    let host = secure_host().start();
    let mut held = Vec::new();
    for _ in 0..300 {
        let mut s = TcpStream::connect(host.addr()).unwrap();
        s.write_all(&stalled_upload(&host, None)).unwrap();
        held.push(s);
    }
    // Each is answered from its headers, without waiting for the body.
    let mut answered = 0;
    for s in held.iter_mut().take(20) {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 512];
        if let Ok(n) = s.read(&mut buf) {
            if String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 401") {
                answered += 1;
            }
        }
    }
    assert_eq!(
        answered, 20,
        "stalled unauthenticated uploads were not answered 401 at once"
    );
    let started = Instant::now();
    let r = call(&host, &service("root", ALL), "ping", json!({}));
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "ping waited {:?}",
        started.elapsed()
    );
    drop(held);
}

#[test]
fn an_authenticated_upload_that_stalls_is_cut_off() {
    let host = secure_host().start();
    let auth = service("root", ALL);
    let started = Instant::now();
    let mut s = TcpStream::connect(host.addr()).unwrap();
    s.write_all(&stalled_upload(&host, Some(&auth))).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(25))).unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(text.contains("could not be read completely"), "{text}");
    // The body read timeout (10 s), not the request time limit (30 s).
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_huge_declared_body_written_whole_gets_a_readable_413() {
    let host = secure_host().start();
    let body = vec![b' '; 8 << 20];
    let extra = format!("authorization: {}\r\n", service("root", ALL));
    let r = raw(
        host.addr(),
        &post_bytes(&host, &extra, &body),
        Duration::from_secs(60),
    );
    assert_eq!(
        r.status,
        Some(413),
        "{}",
        r.text.chars().take(300).collect::<String>()
    );
    assert!(r.text.contains("Payload Too Large"), "{}", r.text);
}

#[test]
fn batches_count_every_message_against_the_rate_limit() {
    let host = host_builder().var("rate_limit_per_minute", "30").start();
    // Both batches must land in one minute window.
    let second = now() % 60;
    if second > 45 {
        std::thread::sleep(Duration::from_secs((61 - second) as u64));
    }
    let auth = service("batcher", ALL);
    let batch: Vec<Value> = (0..20).map(|i| rpc(i, "ping", json!({}))).collect();
    let send = || {
        crate::common::mcp::post_rpc(
            &host,
            &auth,
            &[("mcp-protocol-version", "2025-03-26")],
            &Value::Array(batch.clone()),
        )
    };
    let first = send();
    assert_eq!(first.status, 200, "{}", first.text());
    let second = send();
    assert_eq!(
        second.status,
        429,
        "40 messages passed a limit of 30: {}",
        second.text()
    );
    assert!(second.header("retry-after").is_some());
    assert!(
        second.text().contains("messages a minute"),
        "{}",
        second.text()
    );
}
