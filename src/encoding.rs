//! Byte encodings shared across layers (cursors, token fingerprints, rate-limit
//! and store keys). Depends on nothing in the crate.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Unpadded URL-safe base64 (RFC 4648 section 5): safe in keys, URLs and JSON.
pub fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A JSON document assembled in one buffer from pieces that are JSON text already
/// and from string literals escaped in place: a tool result carries its
/// structured JSON twice, once as it is and once as the text block's string, and a
/// page of climbs is about 55 KB of it, so neither copy goes through a buffer of
/// its own.
pub struct JsonText(Vec<u8>);

impl JsonText {
    pub fn with_capacity(bytes: usize) -> Self {
        Self(Vec::with_capacity(bytes))
    }

    /// About the bytes `text` takes as a string literal, what [`Self::push_string`]
    /// reserves for it: compact JSON escapes about one byte in eight (quotes); more
    /// only regrows.
    pub fn string_size(text: &str) -> usize {
        text.len() + text.len() / 4 + 16
    }

    /// Appends `piece` as it is.
    pub fn push_raw(&mut self, piece: &str) {
        self.0.extend_from_slice(piece.as_bytes());
    }

    /// Appends `text` as a JSON string literal, quoted and escaped as serde_json
    /// escapes it.
    ///
    /// Escaping a page of climbs was a fifth to a third of what a page or a search
    /// cost, with a quote every few bytes. So the text goes eight bytes at a time:
    /// each word is stored whole into the output and the output kept up to its
    /// first byte to escape ([`escapes_in`]), which then gets its escape. serde_json
    /// instead copies the run before each escape with a `memcpy`, inside the
    /// component a `memory.copy` and a call out to the runtime every few bytes.
    pub fn push_string(&mut self, text: &str) {
        let out = &mut self.0;
        let bytes = text.as_bytes();
        out.reserve(Self::string_size(text));
        out.push(b'"');
        let mut i = 0;
        while let Some(word) = bytes[i..].first_chunk::<8>() {
            // Room for the whole word and an escape's eight-byte store.
            out.reserve(16);
            let found = escapes_in(u64::from_le_bytes(*word));
            let keep = if found == 0 {
                8
            } else {
                // The lowest flagged byte is the first one to escape.
                (found.trailing_zeros() / 8) as usize
            };
            push_word(out, word, keep);
            i += keep;
            if keep < 8 {
                let (escaped, len) = escaped(bytes[i]);
                push_word(out, &escaped, len);
                i += 1;
            }
        }
        for &byte in &bytes[i..] {
            out.reserve(8);
            let (escaped, len) = escaped(byte);
            push_word(out, &escaped, len);
        }
        out.push(b'"');
    }

    pub fn into_string(self) -> String {
        // SAFETY: every piece was a whole `str`, or a string literal: a `str` cut
        // only next to ASCII bytes (the escaped ones, all below 0x80), with only
        // ASCII added; so the bytes are UTF-8 (checking them again would be one
        // more pass over the whole document).
        unsafe { String::from_utf8_unchecked(self.0) }
    }
}

/// The bytes of `word` (eight bytes of text, the first in the low byte) that JSON
/// escapes, as their high bit: a quote, a backslash or a control character
/// (below 0x20). Each test is the classic "byte is zero / byte is less than n"
/// trick on all eight bytes at once; its borrow can flag a byte above a true
/// match, never one below it, so the lowest flag is exact, which is all
/// [`JsonText::push_string`] reads.
fn escapes_in(word: u64) -> u64 {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    let quotes = word ^ (ONES * b'"' as u64);
    let backslashes = word ^ (ONES * b'\\' as u64);
    let zero_if_quote = quotes.wrapping_sub(ONES) & !quotes;
    let zero_if_backslash = backslashes.wrapping_sub(ONES) & !backslashes;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word;
    (zero_if_quote | zero_if_backslash | below_space) & HIGH
}

/// Appends the first `keep` (at most 8) bytes of `word` with one eight-byte store
/// into the spare capacity (the caller reserved it): a fixed-size copy, where a
/// slice copy of a length known only at run time is a `memcpy`.
fn push_word(out: &mut Vec<u8>, word: &[u8; 8], keep: usize) {
    let Some(to) = out.spare_capacity_mut().first_chunk_mut::<8>() else {
        return out.extend_from_slice(&word[..keep]);
    };
    *to = word.map(std::mem::MaybeUninit::new);
    // SAFETY: the eight bytes after `len` were just written and `keep <= 8`.
    unsafe { out.set_len(out.len() + keep.min(8)) };
}

/// `byte` as JSON writes it inside a string: the first `len` bytes of the word.
fn escaped(byte: u8) -> ([u8; 8], usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match ESCAPES[byte as usize] {
        0 => ([byte, 0, 0, 0, 0, 0, 0, 0], 1),
        b'u' => {
            let (high, low) = (HEX[(byte >> 4) as usize], HEX[(byte & 0xf) as usize]);
            ([b'\\', b'u', b'0', b'0', high, low, 0, 0], 6)
        }
        escape => ([b'\\', escape, 0, 0, 0, 0, 0, 0], 2),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn json_string(text: &str) -> String {
        let mut out = JsonText::with_capacity(0);
        out.push_string(text);
        out.into_string()
    }

    /// Every mix, at every offset of the eight-byte words, of the bytes around
    /// each edge `escapes_in` tests (control characters and space, the quote, the
    /// backslash and their neighbours, DEL, multi-byte characters).
    #[test]
    fn json_string_agrees_with_serde_json_on_mixed_text() {
        let alphabet = [
            "\u{0}", "\u{1f}", " ", "!", "\"", "#", "[", "\\", "]", "\u{7f}", "a", "é", "🧗", "\n",
            "\u{2028}",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..4000 {
            let mut text = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 40) as usize;
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Mostly plain letters, as in real text, so runs of every length occur.
                let pick = (state >> 32) as usize % (alphabet.len() * 3);
                text.push_str(alphabet.get(pick).copied().unwrap_or("x"));
            }
            assert_eq!(
                json_string(&text),
                serde_json::to_string(&text).unwrap(),
                "{text:?}"
            );
        }
    }

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
