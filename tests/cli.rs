//! The command line around tokens: `token mint` against a served component, its
//! refusals, and the secret and admin token `serve` generates when none is
//! configured (kept next to a SQLite store, so its tokens survive restarts).

mod common;

use common::mcp::{post_rpc, rpc};
use common::{temp_dir, Host, HOST_BIN};
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Output};

const RESOURCE: &str = "http://mcp.test/mcp";

/// `climbing-host ARGS` in `cwd` with no SPIN_VARIABLE_* from the test's
/// environment, plus `env`.
fn host_cmd(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(HOST_BIN);
    cmd.args(args).current_dir(cwd);
    for (name, _) in std::env::vars() {
        if name.starts_with("SPIN_VARIABLE_") {
            cmd.env_remove(name);
        }
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("running climbing-host")
}

/// The token `token mint` printed; panics (with stderr) if it failed.
fn minted(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "token mint failed: {stderr}");
    let token = stdout.trim_end_matches('\n');
    assert!(
        !token.contains(char::is_whitespace) && token.split('.').count() == 3,
        "stdout is not one JWT: {stdout:?}"
    );
    token.to_owned()
}

fn mint(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> String {
    let mut argv = vec!["token", "mint"];
    argv.extend_from_slice(args);
    minted(&host_cmd(&argv, cwd, env))
}

fn tools_list(host: &Host, token: &str) -> common::Response {
    post_rpc(
        host,
        &format!("Bearer {token}"),
        &[],
        &rpc(1, "tools/list", json!({})),
    )
}

/// `tools/list` with `token` answers 200 with tools; returns their names.
fn assert_accepted(host: &Host, token: &str) -> Vec<String> {
    let r = tools_list(host, token);
    assert_eq!(
        r.status,
        200,
        "{}\nhost output:\n{}",
        r.text(),
        host.output()
    );
    let v: Value = r.json();
    let tools = v["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("no tools: {v}"));
    assert!(!tools.is_empty(), "{v}");
    tools
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The token in the last `claude mcp add` line the host printed.
fn printed_token(output: &str) -> String {
    let line = output
        .lines()
        .rfind(|l| l.trim_start().starts_with("claude mcp add"))
        .unwrap_or_else(|| panic!("no claude mcp add line:\n{output}"));
    let token = line
        .split("Authorization: Bearer ")
        .nth(1)
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or_else(|| panic!("no token in {line:?}"));
    assert_ne!(token, "<token>", "{output}");
    token.to_owned()
}

#[test]
fn minted_tokens_are_accepted_by_the_component() {
    let secret = "cli-test-secret-4f1d0c9a7b2e";
    let host = Host::builder()
        .var("jwt_hs256_secret", secret)
        .var("resource_url", RESOURCE)
        .start();
    let out = host.output();
    assert!(!out.contains(secret), "the secret was printed:\n{out}");
    assert!(out.contains("climbing-host token mint"), "{out}");
    assert!(out.contains("Bearer <token>"), "{out}");

    let dir = temp_dir();
    let read = mint(
        &[
            "--subject",
            "reader",
            "--scope",
            "climb:read",
            "--audience",
            RESOURCE,
            "--secret",
            secret,
        ],
        dir.path(),
        &[],
    );
    let names = assert_accepted(&host, &read);
    assert!(names.iter().any(|n| n == "get_area"), "{names:?}");
    assert!(!names.iter().any(|n| n == "create_area"), "{names:?}");

    // --secret-file (a final newline is not part of the secret).
    let file = dir.path().join("secret.txt");
    std::fs::write(&file, format!("{secret}\n")).unwrap();
    let writer = mint(
        &[
            "--subject",
            "writer",
            "--scope",
            "climb:read climb:write",
            "--audience",
            RESOURCE,
            "--secret-file",
            file.to_str().unwrap(),
            "--ttl-days",
            "1",
        ],
        dir.path(),
        &[],
    );
    let names = assert_accepted(&host, &writer);
    assert!(names.iter().any(|n| n == "create_area"), "{names:?}");

    // The environment, as under Spin: secret and audience.
    let from_env = mint(
        &["--subject", "env", "--scope", "admin climb:read"],
        dir.path(),
        &[
            ("SPIN_VARIABLE_JWT_HS256_SECRET", secret),
            ("SPIN_VARIABLE_RESOURCE_URL", RESOURCE),
        ],
    );
    let names = assert_accepted(&host, &from_env);
    assert!(names.iter().any(|n| n == "issue_token"), "{names:?}");

    // Minted for another audience (the default) or with another secret: refused.
    let wrong_aud = mint(
        &[
            "--subject",
            "x",
            "--scope",
            "climb:read",
            "--secret",
            secret,
        ],
        dir.path(),
        &[],
    );
    assert_eq!(tools_list(&host, &wrong_aud).status, 401);
    let wrong_key = mint(
        &[
            "--subject",
            "x",
            "--scope",
            "climb:read",
            "--audience",
            RESOURCE,
            "--secret",
            "another-secret-0123456789",
        ],
        dir.path(),
        &[],
    );
    assert_eq!(tools_list(&host, &wrong_key).status, 401);
}

#[test]
fn mint_refuses_bad_input_with_helpful_messages() {
    let dir = temp_dir();
    let fails = |args: &[&str], env: &[(&str, &str)]| -> String {
        let mut argv = vec!["token", "mint"];
        argv.extend_from_slice(args);
        let out = host_cmd(&argv, dir.path(), env);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(out.stdout.is_empty(), "{args:?} printed on stdout");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };

    let e = fails(
        &[
            "--subject",
            "me",
            "--scope",
            "climb:read climb:admin",
            "--secret",
            "s",
        ],
        &[],
    );
    assert!(e.contains("unknown scope \"climb:admin\""), "{e}");
    assert!(e.contains("climb:read, climb:write, admin"), "{e}");

    // No --secret, --secret-file, environment, nor ./.climbing-mcp/secret here.
    // A message to act on, not a backtrace (even under RUST_BACKTRACE).
    let e = fails(
        &["--subject", "me", "--scope", "climb:read"],
        &[("RUST_BACKTRACE", "1")],
    );
    assert!(
        e.starts_with("climbing-host: error: no secret to sign with"),
        "{e}"
    );
    assert!(!e.contains("backtrace"), "{e}");
    assert!(e.contains("--secret-file"), "{e}");
    assert!(e.contains("SPIN_VARIABLE_JWT_HS256_SECRET"), "{e}");
    assert!(e.contains("climbing-host serve"), "{e}");

    let e = fails(
        &["--subject", "me", "--scope", "climb:read"],
        &[("SPIN_VARIABLE_JWT_HS256_SECRET", "")],
    );
    assert!(e.contains("empty"), "{e}");
    let e = fails(
        &[
            "--subject",
            "me",
            "--scope",
            "climb:read",
            "--secret-file",
            "/no/such/file",
        ],
        &[],
    );
    assert!(e.contains("/no/such/file"), "{e}");
    let e = fails(
        &[
            "--subject",
            "me",
            "--scope",
            "climb:read",
            "--secret",
            "s",
            "--ttl-days",
            "367",
        ],
        &[],
    );
    assert!(e.contains("367"), "{e}");
    let e = fails(
        &[
            "--subject",
            "me",
            "--scope",
            "climb:read",
            "--secret",
            "s",
            "--audience",
            "mcp.test",
        ],
        &[],
    );
    assert!(e.contains("not an http(s) URL"), "{e}");
    fails(&["--subject", "me", "--secret", "s"], &[]);

    // Once `serve` has generated ./.climbing-mcp/secret, it is the last resort.
    std::fs::create_dir(dir.path().join(".climbing-mcp")).unwrap();
    std::fs::write(
        dir.path().join(".climbing-mcp/secret"),
        "generated-secret-0123456789",
    )
    .unwrap();
    mint(
        &["--subject", "me", "--scope", "climb:read"],
        dir.path(),
        &[],
    );
}

#[test]
fn serve_without_a_secret_prints_a_client_token_and_a_separate_admin_token() {
    let host = Host::builder().start();
    let out = host.output();
    let mcp = format!("{}/mcp", host.url());
    assert!(
        out.contains(&format!("resource_url: {mcp} (from the listening address")),
        "{out}"
    );
    assert!(
        out.contains("for this process only (--store memory)"),
        "{out}"
    );
    let token = printed_token(&out);
    assert!(
        out.contains(&format!(
            "claude mcp add --transport http climbing {mcp} --header \"Authorization: Bearer {token}\""
        )),
        "{out}"
    );
    // The Claude Code line carries data scopes only: no token administration.
    let names = assert_accepted(&host, &token);
    assert!(names.iter().any(|n| n == "create_climb"), "{names:?}");
    assert!(!names.iter().any(|n| n == "issue_token"), "{names:?}");
    // The admin token is printed on its own line, marked as such.
    let admin_line = out
        .lines()
        .skip_while(|l| !l.starts_with("admin token ("))
        .nth(1)
        .unwrap_or_else(|| panic!("no admin token line:\n{out}"));
    let admin = assert_accepted(&host, admin_line.trim());
    assert!(admin.iter().any(|n| n == "issue_token"), "{admin:?}");
    // The token names resource_url, so any loopback name of the server takes it.
    let port = host.addr().rsplit(':').next().unwrap();
    let r = post_rpc(
        &host,
        &format!("Bearer {token}"),
        &[("host", &format!("localhost:{port}"))],
        &rpc(1, "tools/list", json!({})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn generated_secret_is_kept_next_to_the_store_and_survives_restarts() {
    let dir = temp_dir();
    let db = dir.path().join("data/kv.db");
    let secret_file = dir.path().join("data/secret");
    // A fixed resource_url: the harness listens on a new port after a restart,
    // and a token names the resource (the default one contains the port).
    let mut host = Host::builder()
        .sqlite(&db)
        .var("resource_url", RESOURCE)
        .start();
    let out = host.output();
    assert!(
        out.contains(&format!("generated, saved to {}", secret_file.display())),
        "{out}"
    );
    let secret = std::fs::read_to_string(&secret_file).unwrap();
    let secret = secret.trim_end();
    assert_eq!(secret.len(), 43, "32 random bytes, base64url: {secret:?}");
    assert!(!out.contains(secret), "the secret was printed:\n{out}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret_file)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "mode {:o}", mode & 0o777);
    }
    let first = printed_token(&out);
    assert_accepted(&host, &first);

    // `token mint` signs with the same secret.
    let minted = mint(
        &[
            "--subject",
            "cli",
            "--scope",
            "climb:read",
            "--audience",
            RESOURCE,
            "--secret-file",
            secret_file.to_str().unwrap(),
        ],
        dir.path(),
        &[],
    );
    assert_accepted(&host, &minted);

    host.restart();
    let out = host.output();
    assert!(
        out.contains(&format!("loaded from {}", secret_file.display())),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(&secret_file).unwrap().trim_end(),
        secret
    );
    assert_accepted(&host, &first);
    assert_accepted(&host, &minted);
    let second = printed_token(&out);
    assert_ne!(second, first, "each start prints a fresh token");
    assert_accepted(&host, &second);
}

/// The Claude Code `headersHelper` in deploy/claude prints JSON headers whose
/// bearer token the served component accepts.
#[test]
fn claude_code_headers_helper_mints_a_working_token() {
    let secret = "helper-secret-0123456789abcdef";
    let host = Host::builder()
        .var("jwt_hs256_secret", secret)
        .var("resource_url", "http://mcp.test/mcp")
        .start();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../deploy/claude/token-helper.sh"
    );
    let out = std::process::Command::new(script)
        .env("CLIMBING_HOST", common::HOST_BIN)
        .env("CLIMBING_AUDIENCE", "http://mcp.test/mcp")
        .env("SPIN_VARIABLE_JWT_HS256_SECRET", secret)
        .output()
        .expect("run the headers helper");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let headers: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("the helper prints JSON");
    let authorization = headers["Authorization"].as_str().unwrap().to_owned();
    let r = host.post(
        "/mcp",
        &[
            ("content-type", "application/json"),
            ("authorization", &authorization),
        ],
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    for file in ["mcp.json", "mcp-rotating.json"] {
        let path = format!("{}/../deploy/claude/{file}", env!("CARGO_MANIFEST_DIR"));
        let config: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(config["mcpServers"]["climbing"]["type"], "http", "{file}");
    }
}
