//! The layer order, checked: no module reaches a layer above its own.
//!
//! A request passes http (edge) -> auth -> protocol -> catalog -> climbing
//! (domain) -> store -> platform, and the modules depend on each other in that
//! order. `credentials` (issued tokens and revocation) sits beside the domain:
//! the authenticator and the admin tools both use it. `identity`, `meta`,
//! `encoding` and `ordering` sit at the root, below everything: the caller's
//! identity is what `auth` produces and the layers below check.
//!
//! The check reads every file under `src/` as text: after dropping comments and
//! string and character literals, each `crate::` path (and each name in a
//! `use crate::{...}` group, and a `super::` chain that climbs to the crate root)
//! names the layer it reaches. Test code (`#[cfg(test)]` modules) is left out: a
//! test may set up what it checks through any layer.

/// Top to bottom: a module may use its own layer and those after it.
const DEPENDENCY_ORDER: &[&str] = &[
    "entry",
    "http",
    "auth",
    "protocol",
    "catalog",
    "climbing",
    "credentials",
    "store",
    "platform",
    "identity",
    "meta",
    "encoding",
    "ordering",
];

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn rank(layer: &str) -> Option<usize> {
    DEPENDENCY_ORDER.iter().position(|l| *l == layer)
}

/// Source text with comments, string literals and character literals blanked
/// out (newlines kept), so only code is scanned.
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let blank = |out: &mut String, s: &[u8]| {
        for &c in s {
            out.push(if c == b'\n' { '\n' } else { ' ' });
        }
    };
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"//") {
            let end = rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest.starts_with(b"/*") {
            let (mut depth, mut j) = (1, 2);
            while j < rest.len() && depth > 0 {
                if rest[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if rest[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            blank(&mut out, &rest[..j]);
            i += j;
        } else if let Some(len) = raw_string_len(rest) {
            blank(&mut out, &rest[..len]);
            i += len;
        } else if rest[0] == b'"' {
            let mut j = 1;
            while j < rest.len() && rest[j] != b'"' {
                j += if rest[j] == b'\\' { 2 } else { 1 };
            }
            let len = (j + 1).min(rest.len());
            blank(&mut out, &rest[..len]);
            i += len;
        } else if rest[0] == b'\'' {
            // A character literal ('x', '\n', '\u{7f}'); otherwise a lifetime.
            let len = if rest.get(1) == Some(&b'\\') {
                rest[2..].iter().position(|&c| c == b'\'').map(|p| p + 3)
            } else if rest.get(2) == Some(&b'\'') {
                Some(3)
            } else {
                None
            };
            let len = len.unwrap_or(1);
            blank(&mut out, &rest[..len]);
            i += len;
        } else {
            // Whole UTF-8 characters: code bytes are copied as they are.
            let len = src[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&src[i..i + len]);
            i += len;
        }
    }
    out
}

/// The length of a raw string literal (`r"..."`, `r#"..."#`, `br"..."`) at the
/// start of `s`, if one starts there.
fn raw_string_len(s: &[u8]) -> Option<usize> {
    let start = if s.starts_with(b"br") {
        2
    } else if s.starts_with(b"r") {
        1
    } else {
        return None;
    };
    let hashes = s[start..].iter().take_while(|&&c| c == b'#').count();
    if s.get(start + hashes) != Some(&b'"') {
        return None;
    }
    let close: Vec<u8> = std::iter::once(b'"')
        .chain(std::iter::repeat_n(b'#', hashes))
        .collect();
    let body = start + hashes + 1;
    let end = s[body..]
        .windows(close.len())
        .position(|w| w == close.as_slice())?;
    Some(body + end + close.len())
}

/// Blanks every `#[cfg(test)]` item that is an inline module (`mod x { ... }`).
fn without_test_modules(code: &str) -> String {
    let mut out = code.to_owned();
    let mut from = 0;
    while let Some(at) = out[from..].find("#[cfg(test)]").map(|p| p + from) {
        let after = at + "#[cfg(test)]".len();
        let item = out[after..].trim_start();
        let item_at = out.len() - item.len();
        from = after;
        if !(item.starts_with("mod ") || item.starts_with("pub mod ")) {
            continue;
        }
        let Some(open) = out[item_at..].find(['{', ';']).map(|p| p + item_at) else {
            continue;
        };
        if out.as_bytes()[open] == b';' {
            continue; // a file module: left out by file, see `test_files`
        }
        let mut depth = 0;
        let mut end = open;
        for (k, c) in out[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = open + k + 1;
                break;
            }
        }
        // One space per byte, so the offsets after it stay where they were.
        let blanked: String = out[at..end]
            .chars()
            .map(|c| match c {
                '\n' => "\n".to_owned(),
                _ => " ".repeat(c.len_utf8()),
            })
            .collect();
        out.replace_range(at..end, &blanked);
        from = end;
    }
    out
}

/// Names of modules declared as `#[cfg(test)] mod name;` in `code`.
fn test_files(code: &str) -> Vec<String> {
    let words: Vec<&str> = code.split_whitespace().collect();
    let mut names = Vec::new();
    for (k, w) in words.iter().enumerate() {
        if *w == "#[cfg(test)]" && words.get(k + 1) == Some(&"mod") {
            if let Some(name) = words.get(k + 2).and_then(|n| n.strip_suffix(';')) {
                names.push(name.to_owned());
            }
        }
    }
    names
}

/// The top-level modules a piece of code reaches through `crate::`, `$crate::`
/// or a `super::` chain that climbs to the crate root (from a file `depth`
/// modules deep), with the line of each.
fn reached_layers(code: &str, depth: usize) -> Vec<(String, usize)> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let mut found = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let preceded_by_ident = code[..at]
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        if preceded_by_ident {
            continue;
        }
        let after = &code[at + "crate::".len()..];
        match after.strip_prefix('{') {
            // `use crate::{a, b::c, d::{e, f}}` (a group may span lines).
            Some(group) => {
                for item in top_level_items(group) {
                    found.push((item, line_of(at)));
                }
            }
            None => found.push((ident(after), line_of(at))),
        }
    }
    if depth > 0 {
        let mut from = 0;
        while let Some(at) = code[from..].find("super::").map(|p| p + from) {
            let mut tail = &code[at..];
            let mut supers = 0;
            while let Some(t) = tail.strip_prefix("super::") {
                supers += 1;
                tail = t;
            }
            if supers >= depth {
                found.push((ident(tail), line_of(at)));
            }
            from = code.len() - tail.len();
        }
    }
    found
}

/// The first name of each top-level item of a `{a, b::c, d::{e}}` group whose
/// text starts just after the opening brace.
fn top_level_items(text: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut level = 0;
    let mut current = String::new();
    let mut want = true;
    for c in text.chars() {
        if want && level == 0 && (c.is_alphanumeric() || c == '_') {
            current.push(c);
            continue;
        }
        if !current.is_empty() {
            items.push(std::mem::take(&mut current));
            want = false;
        }
        match c {
            '{' => level += 1,
            '}' if level == 0 => break,
            '}' => level -= 1,
            ',' if level == 0 => want = true,
            _ => {}
        }
    }
    items
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("src/ is readable")
        .map(|e| e.expect("a readable entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// Every reference from a layer to a layer above it, as `file:line: from -> to`.
fn upward_references(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    // Files that are test modules (declared `#[cfg(test)] mod x;` beside them).
    let mut test_only = BTreeSet::new();
    for file in &files {
        let code = code_only(&std::fs::read_to_string(file).expect("readable source"));
        let dir = match file.file_name().and_then(|n| n.to_str()) {
            Some("mod.rs" | "lib.rs") => file.parent().expect("in src/").to_owned(),
            _ => file.with_extension(""),
        };
        for name in test_files(&code) {
            test_only.insert(dir.join(format!("{name}.rs")));
            test_only.insert(dir.join(name).join("mod.rs"));
        }
    }
    let mut bad = Vec::new();
    for file in &files {
        if test_only
            .iter()
            .any(|t| file.starts_with(t.with_extension("")) || file == t)
        {
            continue;
        }
        let rel = file.strip_prefix(src).expect("under src/");
        let parts: Vec<&str> = rel.iter().filter_map(|p| p.to_str()).collect();
        let Some(layer) = parts.first().map(|p| p.trim_end_matches(".rs")) else {
            continue;
        };
        if layer == "lib" || layer == "layers" {
            continue;
        }
        let Some(own) = rank(layer) else {
            bad.push(format!(
                "{}: a module not in DEPENDENCY_ORDER",
                rel.display()
            ));
            continue;
        };
        let depth = match parts.last() {
            Some(&"mod.rs") => parts.len() - 1,
            _ => parts.len(),
        };
        let code = without_test_modules(&code_only(
            &std::fs::read_to_string(file).expect("readable source"),
        ));
        for (target, line) in reached_layers(&code, depth) {
            match rank(&target) {
                Some(r) if r < own => bad.push(format!(
                    "{}:{line}: {layer} uses {target}, a layer above it",
                    rel.display()
                )),
                _ => {}
            }
        }
    }
    bad
}

#[test]
fn no_layer_reaches_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let bad = upward_references(&src);
    assert!(
        bad.is_empty(),
        "references against the layer order ({}):\n{}",
        DEPENDENCY_ORDER.join(" -> "),
        bad.join("\n")
    );
}

#[test]
fn the_check_sees_what_it_must() {
    let code = code_only(
        "use crate::{auth::x, catalog::{a, b},\n    http};\n// crate::protocol in a comment\nlet s = \"crate::protocol\";\nfn f() { crate::platform::y(); super::super::store::z(); }\n",
    );
    let reached: Vec<String> = reached_layers(&code, 2)
        .into_iter()
        .map(|(l, _)| l)
        .collect();
    assert_eq!(reached, ["auth", "catalog", "http", "platform", "store"]);
    let code = without_test_modules(&code_only(
        "fn a() {}\n#[cfg(test)]\nmod tests {\n    use crate::http;\n    fn b() { let c = '{'; }\n}\nuse crate::store;\n",
    ));
    let reached: Vec<String> = reached_layers(&code, 1)
        .into_iter()
        .map(|(l, _)| l)
        .collect();
    assert_eq!(reached, ["store"]);
    assert_eq!(
        test_files("#[cfg(test)]\nmod fault_tests;\nmod x;"),
        ["fault_tests"]
    );
}
