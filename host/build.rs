//! Builds the `climbing-mcp` component for `wasm32-wasip2` and hands its path to the
//! host crate as `CLIMBING_COMPONENT_WASM`, so `cargo run -p climbing-host -- serve`
//! is one command on a fresh machine.
//!
//! The core module is linked without its component wrapper, run through binaryen's
//! `wasm-opt -Os` when that is installed (about 9% smaller and a little faster;
//! see docs/bench.md), then made a component with `wit-component`, as the linker
//! would have. Without `wasm-opt` the build says so and embeds the plain module's
//! component.
//!
//! Set `CLIMBING_HOST_COMPONENT=/path/to/x.wasm` to embed a prebuilt component
//! instead (useful while the component's sources are mid-edit).

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Environment that cargo sets for build scripts and that must not leak into the
/// nested cargo: it would retarget, re-wrap (clippy, sccache) or re-flag the
/// component build, or hand it our jobserver.
const LEAKY_VARS: &[&str] = &[
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_MAKEFLAGS",
    "MAKEFLAGS",
    "MFLAGS",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_CRATE_NAME",
    "CARGO_RUSTC_CURRENT_DIR",
    "TARGET",
    "HOST",
    "OUT_DIR",
    "OPT_LEVEL",
    "PROFILE",
    "DEBUG",
    "NUM_JOBS",
    "RUSTC_LINKER",
    "RUSTDOC",
];
const LEAKY_PREFIXES: &[&str] = &[
    "CARGO_MANIFEST_",
    "CARGO_PKG_",
    "CARGO_CFG_",
    "CARGO_FEATURE_",
    "DEP_",
];

fn main() {
    println!("cargo:rerun-if-env-changed=CLIMBING_HOST_COMPONENT");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let embedded = out_dir.join("climbing_mcp.wasm");

    if let Some(prebuilt) = env::var_os("CLIMBING_HOST_COMPONENT") {
        let prebuilt = PathBuf::from(prebuilt);
        println!("cargo:rerun-if-changed={}", prebuilt.display());
        let component = std::fs::read(&prebuilt)
            .unwrap_or_else(|e| panic!("cannot read component {}: {e}", prebuilt.display()));
        println!(
            "cargo:rustc-env=CLIMBING_COMPONENT_PLAIN_BYTES={}",
            component.len()
        );
        embed(&component, &embedded);
        return;
    }

    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let workspace = manifest_dir
        .parent()
        .expect("host/ lives inside the workspace")
        .to_path_buf();
    for watched in [
        "src",
        "wit",
        "Cargo.toml",
        "Cargo.lock",
        "rust-toolchain.toml",
    ] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }

    ensure_wasm_target();

    // A target dir of its own: the outer cargo holds the lock on `target/`, so a
    // nested build there would wait forever.
    let target_dir = workspace.join("target").join("component");

    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&workspace).args([
        "build",
        "--profile",
        "component",
        "--target",
        "wasm32-wasip2",
        "-p",
        "climbing-mcp",
    ]);
    for (name, _) in env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        if LEAKY_VARS.contains(&name) || LEAKY_PREFIXES.iter().any(|p| name.starts_with(p)) {
            cmd.env_remove(name);
        }
    }
    cmd.env("CARGO_TARGET_DIR", &target_dir);
    // The core module only (set after the clean-up above, which drops an outer
    // RUSTFLAGS); it becomes a component below, after optimizing.
    cmd.env("RUSTFLAGS", "-C link-arg=--skip-wit-component");

    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("could not run cargo to build the component: {e}"));
    if !output.status.success() {
        // Not a panic: the inner cargo's errors are the message, a backtrace of
        // this script would only bury them.
        eprintln!(
            "building the climbing-mcp component failed ({}):\n{}\n\
             (set CLIMBING_HOST_COMPONENT=/path/to/climbing_mcp.wasm to embed a prebuilt one)",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        std::process::exit(1);
    }

    let plain = target_dir.join("wasm32-wasip2/component/climbing_mcp.wasm");
    let core = optimize(&plain, &out_dir.join("climbing_mcp.core.wasm"));
    let component = componentize(&core);
    // What a build without binaryen (`spin build`) gets, for the size check.
    let plain_bytes = if core == plain {
        component.len()
    } else {
        componentize(&plain).len()
    };
    println!("cargo:rustc-env=CLIMBING_COMPONENT_PLAIN_BYTES={plain_bytes}");
    embed(&component, &embedded);
}

/// The component of the core module at `core`, as the linker would have made it.
fn componentize(core: &Path) -> Vec<u8> {
    let module = std::fs::read(core)
        .unwrap_or_else(|e| panic!("cannot read the core module {}: {e}", core.display()));
    wit_component::ComponentEncoder::default()
        .validate(true)
        .module(&module)
        .and_then(|mut encoder| encoder.encode())
        .unwrap_or_else(|e| panic!("cannot make a component of {}: {e:#}", core.display()))
}

/// The component's target. rustup installs the `targets` of rust-toolchain.toml only
/// when it installs the toolchain itself, so a machine that already had the pinned
/// toolchain lacks it: add it here (and say so) rather than fail deep in the build.
const WASM_TARGET: &str = "wasm32-wasip2";

fn ensure_wasm_target() {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    if let Some(sysroot) = &sysroot {
        if sysroot.join("lib/rustlib").join(WASM_TARGET).exists() {
            return;
        }
    }
    println!("cargo:warning=the {WASM_TARGET} target is not installed; running `rustup target add {WASM_TARGET}`");
    // rustup's proxy set RUSTUP_TOOLCHAIN for this build, so the target lands in
    // the pinned toolchain.
    match Command::new("rustup")
        .args(["target", "add", WASM_TARGET])
        .status()
    {
        Ok(status) if status.success() => {}
        Ok(status) => fail(&format!(
            "`rustup target add {WASM_TARGET}` failed ({status}); run it by hand, then build again"
        )),
        Err(_) => fail(&format!(
            "the {WASM_TARGET} target is missing and rustup is not installed; \
             install the target for this toolchain (with rustup: `rustup target add {WASM_TARGET}`)"
        )),
    }
}

/// Stops the build with a message and no backtrace.
fn fail(message: &str) -> ! {
    eprintln!("climbing-host build: {message}");
    std::process::exit(1);
}

/// Runs `wasm-opt -Os` (binaryen; `WASM_OPT` names another binary) on the core
/// module into `to`, and returns what to componentize: `to`, or `core` itself when
/// `wasm-opt` is missing or fails.
fn optimize(core: &Path, to: &Path) -> PathBuf {
    println!("cargo:rerun-if-env-changed=WASM_OPT");
    let wasm_opt = env::var_os("WASM_OPT").unwrap_or_else(|| "wasm-opt".into());
    // The features rustc enables for wasm32-wasip2.
    let features = [
        "--enable-bulk-memory",
        "--enable-sign-ext",
        "--enable-mutable-globals",
        "--enable-nontrapping-float-to-int",
        "--enable-multivalue",
        "--enable-reference-types",
    ];
    let status = Command::new(&wasm_opt)
        .arg("-Os")
        .args(features)
        .arg(core)
        .arg("-o")
        .arg(to)
        .status();
    match status {
        Ok(status) if status.success() => to.to_owned(),
        outcome => {
            let why = match outcome {
                Ok(status) => format!("it failed ({status})"),
                Err(e) => format!("it could not run ({e}); install binaryen"),
            };
            println!(
                "cargo:warning=wasm-opt: {why}; embedding the component without its size optimization"
            );
            core.to_owned()
        }
    }
}

/// Writes the component into OUT_DIR, so a later component build (another
/// checkout) cannot change the bytes under an already compiled host,
/// and hands its path to the host crate.
fn embed(component: &[u8], at: &Path) {
    std::fs::write(at, component).unwrap_or_else(|e| panic!("cannot write {}: {e}", at.display()));
    println!("cargo:rustc-env=CLIMBING_COMPONENT_WASM={}", at.display());
}
