//! Compacts the committed tool definitions (src/catalog/tools/definitions.json,
//! pretty-printed, one tool per block, written by the unit test
//! `tool_definitions_are_current`) into the bytes `tools/list` serves: a table of
//! each tool's name, scope and compact JSON in OUT_DIR, which
//! `catalog::tools::definitions` includes. The component carries no schema
//! generator and parses nothing per request.

use std::path::PathBuf;

const SOURCE: &str = "src/catalog/tools/definitions.json";

/// The component's initial linear memory (wasm-ld's `--initial-memory`). The
/// linker's default is the 1 MiB stack plus the static data (the allocator's
/// 256 KiB arena included, src/platform/allocator.rs), about 1.5 MiB, and a
/// request's allocations then grow the memory: under a pooling allocator (Wasmtime's,
/// Spin's) each grow makes the new pages accessible with an `mprotect`, and every
/// reuse of the slot takes them away again, which flushes the TLB of each core
/// running the host's threads. At 2 MiB ordinary requests fit without growing, and
/// pages never touched cost nothing (copy-on-write images, resets of dirtied pages
/// only). Not more: climbing-host keeps 2 MiB per instance slot resident, and the
/// allocator writes the last page of the heap, which beyond that would go back to
/// the kernel after every request (docs/bench.md).
const INITIAL_MEMORY_BYTES: u32 = 2 << 20;

fn main() {
    println!("cargo:rerun-if-changed={SOURCE}");
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-cdylib=--initial-memory={INITIAL_MEMORY_BYTES}");
        // The compiler leaves every call target and address in the code as a
        // five-byte LEB128 for the linker to patch; by default wasm-ld keeps that
        // padding (174 KB, 8.5% of the module). Compressing it is what most of
        // `wasm-opt`'s gain was, so a build without binaryen (`spin build`, a
        // newcomer's) is within 10% of one with it. It needs the output free of
        // DWARF, which only std's prebuilt objects bring (names stay).
        println!("cargo:rustc-link-arg-cdylib=--compress-relocations");
        println!("cargo:rustc-link-arg-cdylib=--strip-debug");
    }
    let text = std::fs::read_to_string(SOURCE)
        .unwrap_or_else(|e| fail(&format!("cannot read {SOURCE}: {e}")));
    let entries: Vec<serde_json::Value> = serde_json::from_str(&text)
        .unwrap_or_else(|e| fail(&format!("{SOURCE} is not a JSON array: {e}")));
    let mut out = String::from("pub static DEFINITIONS: &[Definition] = &[\n");
    for entry in &entries {
        let tool = &entry["tool"];
        let Some(name) = tool["name"].as_str() else {
            fail(&format!("{SOURCE}: an entry without tool.name"));
        };
        let scope = match entry["scope"].as_str() {
            Some("climb:read") => "Read",
            Some("climb:write") => "Write",
            Some("admin") => "Admin",
            _ => fail(&format!("{SOURCE}: {name} has no known scope")),
        };
        let json = serde_json::to_string(tool).unwrap_or_else(|e| fail(&e.to_string()));
        out.push_str(&format!(
            "    Definition {{ name: {name:?}, scope: Scope::{scope}, json: {json:?} }},\n"
        ));
    }
    out.push_str("];\n");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_else(|| fail("no OUT_DIR")));
    std::fs::write(out_dir.join("tool_definitions.rs"), out)
        .unwrap_or_else(|e| fail(&format!("cannot write the definitions table: {e}")));
}

/// Stops the build with a message and no backtrace.
fn fail(message: &str) -> ! {
    eprintln!("climbing-mcp build: {message}");
    std::process::exit(1);
}
