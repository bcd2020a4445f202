//! Byte encodings shared across layers (cursors, token fingerprints, rate-limit
//! and store keys). Depends on nothing in the crate.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Unpadded URL-safe base64 (RFC 4648 section 5): safe in keys, URLs and JSON.
pub fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `text` as a JSON string literal, quoted and escaped as serde_json escapes it.
///
/// For the text block of a tool result, which carries the structured result's
/// JSON as a string: there a quote comes every few bytes, and serde_json writes
/// the run before each escape with a `memcpy`, which inside the component is a
/// `memory.copy` and a call out to the runtime every few bytes. Runs of up to 16
/// bytes are copied here with fixed-size loads and stores instead.
pub fn json_string(text: &str) -> String {
    let bytes = text.as_bytes();
    // Compact JSON escapes about one byte in eight (quotes); more only regrows.
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 4 + 2);
    out.push(b'"');
    let mut run_start = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let escape = ESCAPES[byte as usize];
        if escape == 0 {
            continue;
        }
        push_run(&mut out, &bytes[run_start..i]);
        run_start = i + 1;
        if escape == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(byte >> 4) as usize],
                HEX[(byte & 0xf) as usize],
            ]);
        } else {
            out.push(b'\\');
            out.push(escape);
        }
    }
    push_run(&mut out, &bytes[run_start..]);
    out.push(b'"');
    // SAFETY: `text` is UTF-8 and was cut only next to ASCII bytes (the escaped
    // ones, all below 0x80), and only ASCII was added, so `out` is UTF-8 too
    // (checking it again would be one more pass over the whole text).
    unsafe { String::from_utf8_unchecked(out) }
}

/// What follows the backslash that escapes each byte, 0 for a byte kept as it is
/// (JSON's short escapes, `u` for `\u00XX`).
const ESCAPES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = b'u';
        byte += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Appends `run`; a short one as two overlapping fixed-size copies (loads and
/// stores in the component), a long one with `extend_from_slice`.
fn push_run(out: &mut Vec<u8>, run: &[u8]) {
    let n = run.len();
    match n {
        0 => {}
        1..=3 => {
            out.push(run[0]);
            if n > 1 {
                out.push(run[1]);
            }
            if n > 2 {
                out.push(run[2]);
            }
        }
        4..=7 => push_overlapping::<4>(out, run),
        8..=16 => push_overlapping::<8>(out, run),
        _ => out.extend_from_slice(run),
    }
}

/// Appends `run` (W <= len <= 2W) as its first W bytes and its last W bytes,
/// written as two arrays into the spare capacity: fixed-size copies, where a
/// slice copy of a length known only at run time is a `memcpy`.
fn push_overlapping<const W: usize>(out: &mut Vec<u8>, run: &[u8]) {
    let n = run.len();
    let (Some(head), Some(tail)) = (run.first_chunk::<W>(), run.last_chunk::<W>()) else {
        return out.extend_from_slice(run);
    };
    if n > 2 * W {
        return out.extend_from_slice(run);
    }
    out.reserve(2 * W);
    let len = out.len();
    let spare = out.spare_capacity_mut();
    let Some(to_head) = spare.first_chunk_mut::<W>() else {
        return out.extend_from_slice(run);
    };
    *to_head = head.map(std::mem::MaybeUninit::new);
    let Some(to_tail) = spare[n - W..].first_chunk_mut::<W>() else {
        return out.extend_from_slice(run);
    };
    *to_tail = tail.map(std::mem::MaybeUninit::new);
    // SAFETY: the head (bytes 0..W after `len`) and the tail (n-W..n), which
    // overlap or meet since W <= n <= 2W, initialized all n bytes.
    unsafe { out.set_len(len + n) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_string_escapes_as_serde_json_does() {
        let mut samples: Vec<String> = vec![
            String::new(),
            r#"{"id":"r586hk0ZtbSx","version":1,"name":"Golden arete","grades":{"yds":"5.9"}}"#
                .into(),
            "é 🧗 \u{2028} \u{7f}".into(),
            (0u8..128).map(char::from).collect(),
        ];
        // Runs of every length from 0 to 40 between escapes, at every offset.
        for run in 0..=40 {
            for lead in 0..3 {
                let piece = "ab\u{e9}cdefghij".repeat(5);
                let body: String = piece.chars().take(run).collect();
                samples.push(format!("{}\"{body}\\{body}\n", "x".repeat(lead)));
            }
        }
        for text in samples {
            assert_eq!(
                json_string(&text),
                serde_json::to_string(&text).unwrap(),
                "{text:?}"
            );
        }
    }
}
