//! The text rules of every name and free-text field:
//! `climbing_mcp::climbing::validate::{name, optional_text}`.
//!
//! Input: any bytes, read as UTF-8 (lossily). Nothing panics, and accepted text
//! holds no invisible character outside an emoji sequence: every character the
//! rules call invisible is a zero-width joiner between pictographs or a
//! presentation selector right after one.
#![no_main]

use climbing_mcp::climbing::validate::{is_invisible, name, optional_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for accepted in [
        name("name", &text).ok(),
        optional_text("text", Some(text.to_string()), 10_000).ok().flatten(),
    ]
    .into_iter()
    .flatten()
    {
        let chars: Vec<char> = accepted.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            if is_invisible(*c) {
                assert!(
                    matches!(*c, '\u{200D}' | '\u{FE0E}' | '\u{FE0F}') && i > 0,
                    "U+{:04X} accepted at {i}",
                    *c as u32
                );
            }
            assert!(!c.is_control() || *c == '\n' || *c == '\t');
        }
    }
});
