//! Cursor decoding: `climbing_mcp::store::cursor::CursorCodec::open`.
//!
//! Input: a mode byte, then
//! - 0: the cursor text, opened as a list position and as any JSON;
//! - 1: a genuine cursor for a position built from fuzz, with fuzz bytes written
//!   over it: a changed cursor must never open, an unchanged one must open to
//!   the same position;
//! - 2: a genuine cursor opened with another scope (list): must never open.
#![no_main]

use climbing_mcp::store::cursor::CursorCodec;
use climbing_mcp::store::index::Position;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let codec = CursorCodec::new(b"fuzz-cursor-key".to_vec());
    let scope = "climbs:abc";
    match mode % 3 {
        0 => {
            let text = String::from_utf8_lossy(rest);
            let _ = codec.open::<Position>(scope, &text);
            let _ = codec.open::<serde_json::Value>(scope, &text);
        }
        1 => {
            let (head, edits) = rest.split_at(rest.len().min(8));
            let mut h = [0u8; 8];
            h[..head.len()].copy_from_slice(head);
            let position = Position {
                page: u32::from_le_bytes([h[0], h[1], h[2], h[3]]),
                offset: u16::from_le_bytes([h[4], h[5]]) as usize,
                last: String::from_utf8_lossy(&h[6..]).into_owned(),
                slot: (h[7] % 2 == 1).then(|| u64::from(h[6])),
            };
            let cursor = codec.seal(scope, &position);
            assert_eq!(codec.open::<Position>(scope, &cursor), Ok(position.clone()));
            let mut bytes = cursor.clone().into_bytes();
            for pair in edits.chunks(2) {
                if let [at, byte] = pair {
                    let i = *at as usize % bytes.len();
                    bytes[i] = *byte;
                }
            }
            let Ok(edited) = String::from_utf8(bytes) else {
                return;
            };
            match codec.open::<Position>(scope, &edited) {
                Ok(p) => {
                    assert_eq!(edited, cursor, "an edited cursor opened: {edited} -> {p:?}");
                    assert_eq!(p, position);
                }
                Err(_) => assert_ne!(edited, cursor, "a genuine cursor did not open"),
            }
        }
        _ => {
            let other = String::from_utf8_lossy(rest);
            if other == scope {
                return;
            }
            let cursor = codec.seal(
                &other,
                &Position {
                    page: 1,
                    offset: 2,
                    last: "x".into(),
                    slot: Some(3),
                },
            );
            assert!(codec.open::<Position>(scope, &cursor).is_err(), "{other}");
        }
    }
});
