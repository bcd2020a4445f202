//! A newcomer's first run, as the README tells it: the run command serves the demo
//! data on a new default store, prints a data token for Claude Code (and the admin
//! token apart from it), and the README's first question gets an answer; `token
//! mint` finds the secret and resource URL of that store on whatever port it
//! served; the friction real clients met on that path is gone.
//!
//! The README's commands are read from the README itself. The one liberty taken:
//! the built host binary stands for `cargo run --release -p climbing-host --`, and
//! `--listen 127.0.0.1:0` is added so parallel tests never fight over port 3000.

mod common;

use common::mcp::{call_tool, host_builder, ok_tool, rpc};
use common::{agent, send, temp_dir, HOST_BIN};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn readme() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    std::fs::read_to_string(&path).expect("README.md")
}

/// The first command of the first ```sh block after `heading_text` in the README.
fn readme_command(after: &str) -> String {
    let text = readme();
    let start = text
        .find(after)
        .unwrap_or_else(|| panic!("README has no {after:?}"));
    let block = text[start..]
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .unwrap_or_else(|| panic!("no sh block after {after:?} in the README"));
    block.lines().next().unwrap_or_default().trim().to_owned()
}

/// The host's own arguments in a `cargo run ... -p climbing-host -- ARGS` command.
fn host_args(command: &str) -> Vec<String> {
    let (cargo, args) = command
        .split_once(" -- ")
        .unwrap_or_else(|| panic!("not a cargo run command: {command:?}"));
    assert!(
        cargo.starts_with("cargo run") && cargo.contains("-p climbing-host"),
        "{command:?}"
    );
    args.split_whitespace().map(str::to_owned).collect()
}

/// A `serve` started as the README says, in `dir`, with its banner.
struct Served {
    child: Child,
    banner: String,
    url: String,
    token: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// The child is waited for by `Served`'s Drop, which clippy does not follow.
#[allow(clippy::zombie_processes)]
fn serve_as_readme_says(dir: &Path) -> Served {
    let mut args = host_args(&readme_command("Run the server"));
    assert_eq!(args, ["serve"], "the README's run command changed");
    args.extend(["--listen".into(), "127.0.0.1:0".into()]);
    let mut child = Command::new(HOST_BIN)
        .args(&args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting climbing-host serve");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut banner = String::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(300))
            .unwrap_or_else(|_| panic!("serve printed no claude mcp add line:\n{banner}"));
        banner.push_str(&line);
        banner.push('\n');
        if let Some(rest) = line
            .trim()
            .strip_prefix("claude mcp add --transport http climbing ")
        {
            let (url, header) = rest.split_once(' ').expect("url and header");
            let token = header
                .split("Authorization: Bearer ")
                .nth(1)
                .and_then(|t| t.strip_suffix('"'))
                .expect("a token in the claude line")
                .to_owned();
            return Served {
                child,
                banner,
                url: url.to_owned(),
                token,
            };
        }
    }
}

/// `climbing-host token mint --subject me --scope climb:read EXTRA` run in `dir`:
/// the token, or a panic with what it said.
fn mint(dir: &Path, extra: &[&str]) -> String {
    let out = Command::new(HOST_BIN)
        .args(["token", "mint", "--subject", "me", "--scope", "climb:read"])
        .args(extra)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A JSON-RPC call to `url` with `token`; the `result`, or a panic.
fn call(url: &str, token: &str, method: &str, params: Value) -> Value {
    let auth = format!("Bearer {token}");
    let r = send(
        &agent(),
        "POST",
        url,
        &[
            ("content-type", "application/json"),
            ("accept", "application/json, text/event-stream"),
            ("authorization", &auth),
        ],
        Some(rpc(1, method, params).to_string().as_bytes()),
    )
    .expect("request");
    let v = r.json();
    assert_eq!(r.status, 200, "{v}");
    v.get("result")
        .cloned()
        .unwrap_or_else(|| panic!("{method} failed: {v}"))
}

fn tool(url: &str, token: &str, name: &str, args: Value) -> Value {
    let result = call(
        url,
        token,
        "tools/call",
        json!({"name": name, "arguments": args}),
    );
    assert_eq!(result["isError"], false, "{name}: {result}");
    result["structuredContent"].clone()
}

#[test]
fn the_readme_run_command_serves_the_demo_and_answers_its_first_question() {
    let dir = temp_dir();
    let served = serve_as_readme_says(dir.path());
    assert!(
        served.banner.contains("seeded with the bundled demo data"),
        "{}",
        served.banner
    );
    assert!(served.banner.contains("admin token ("), "{}", served.banner);

    // The Claude Code token reads and writes data; it administers nothing.
    let tools = call(&served.url, &served.token, "tools/list", json!({}));
    let names: Vec<&str> = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"list_climbs") && names.contains(&"log_tick"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"issue_token") && !names.contains(&"revoke_token"),
        "{names:?}"
    );

    // "Sport climbs between 5.10a and 5.11a at Smith Rock": find the place, then
    // one list_climbs over everything below it.
    let question = "sport climbs between 5.10a and 5.11a at Smith Rock";
    assert!(
        readme().contains(question),
        "the README's first question changed"
    );
    let found = tool(
        &served.url,
        &served.token,
        "search_areas",
        json!({"query": "Smith Rock"}),
    );
    let smith = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Smith Rock")
        .unwrap_or_else(|| panic!("no area named Smith Rock: {found}"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut answers = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut args = json!({"area_id": smith, "discipline": "sport", "min_grade": "5.10a", "max_grade": "5.11a", "limit": 200});
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let page = tool(&served.url, &served.token, "list_climbs", args);
        answers.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert!(answers.len() >= 5, "only {} answers", answers.len());
    for climb in &answers {
        assert!(
            climb["disciplines"]
                .as_array()
                .unwrap()
                .contains(&json!("sport")),
            "{climb}"
        );
    }

    // The prompt resolves the exact name, not the first area containing it.
    let prompt = call(
        &served.url,
        &served.token,
        "prompts/get",
        json!({"name": "plan_crag_day", "arguments": {"crag": "Smith Rock", "discipline": "sport"}}),
    );
    let text = prompt["messages"][0]["content"]["text"].as_str().unwrap();
    assert!(text.contains(&format!("area id {smith}")), "{text}");

    // `token mint` with the defaults finds this store's secret and the resource
    // URL of the port it served on.
    call(&served.url, &mint(dir.path(), &[]), "ping", json!({}));

    // A second start keeps the store as it is: no second import.
    drop(served);
    let again = serve_as_readme_says(dir.path());
    assert!(!again.banner.contains("seeded"), "{}", again.banner);
}

#[test]
fn token_mint_reads_another_store_and_an_audience_refusal_names_the_expected_one() {
    let dir = temp_dir();
    let store = dir.path().join("elsewhere/kv.db");
    let host = common::Host::builder().sqlite(&store).start();
    let good = mint(dir.path(), &["--store", store.to_str().unwrap()]);
    call(&format!("{}/mcp", host.url()), &good, "ping", json!({}));

    let wrong = mint(
        dir.path(),
        &[
            "--store",
            store.to_str().unwrap(),
            "--audience",
            "http://127.0.0.1:1/mcp",
        ],
    );
    let r = send(
        &agent(),
        "POST",
        &format!("{}/mcp", host.url()),
        &[
            ("content-type", "application/json"),
            ("authorization", &format!("Bearer {wrong}")),
        ],
        Some(rpc(1, "ping", json!({})).to_string().as_bytes()),
    )
    .unwrap();
    assert_eq!(r.status, 401);
    let expected = format!("mint it with aud {}/mcp", host.url());
    assert!(
        r.text().contains(&expected),
        "the refusal does not say {expected:?}: {:?} {}",
        r.header("www-authenticate"),
        r.text()
    );
}

#[test]
fn the_token_helper_reports_its_failures_on_stderr() {
    let helper = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/claude/token-helper.sh");
    let dir = temp_dir();
    let out = Command::new("sh")
        .arg(&helper)
        .env("CLIMBING_HOST", HOST_BIN)
        .env_remove("SPIN_VARIABLE_JWT_HS256_SECRET")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no secret to sign with"), "{err}");

    // With a store that serve made, it prints the headers Claude Code expects.
    let store = dir.path().join(".climbing-mcp/kv.db");
    let host = common::Host::builder().sqlite(&store).start();
    let out = Command::new("sh")
        .arg(&helper)
        .env("CLIMBING_HOST", HOST_BIN)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let headers: Value = serde_json::from_slice(&out.stdout).unwrap();
    let token = headers["Authorization"]
        .as_str()
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap();
    call(&format!("{}/mcp", host.url()), token, "ping", json!({}));
}

/// The friction points real clients hit, each refused or answered clearly.
#[test]
fn ambiguous_crags_inverted_ranges_and_parent_areas() {
    let host = host_builder().start();
    let region = ok_tool(
        &host,
        "create_area",
        json!({"name": "Smith Rock", "kind": "region"}),
    );
    let rid = region["id"].as_str().unwrap();
    let crag = ok_tool(
        &host,
        "create_area",
        json!({"name": "Main Smith Rock Area", "kind": "crag", "parent_id": rid}),
    );
    let other = ok_tool(
        &host,
        "create_area",
        json!({"name": "Smith Rock Boulders", "kind": "crag", "parent_id": rid}),
    );
    for (crag, name) in [(&crag, "Chain Reaction"), (&other, "Problem")] {
        ok_tool(
            &host,
            "create_climb",
            json!({"name": name, "area_id": crag["id"], "grades": {"yds": "5.10c"}, "disciplines": ["sport"]}),
        );
    }

    // A parent area lists the climbs below it.
    let listed = ok_tool(&host, "list_climbs", json!({"area_id": rid}));
    assert_eq!(listed["items"].as_array().unwrap().len(), 2, "{listed}");

    // Inverted and contradictory arguments are refused with the fix.
    let refused = call_tool(
        &host,
        "list_climbs",
        json!({"area_id": rid, "min_grade": "5.11a", "max_grade": "5.10a"}),
    );
    assert_eq!(refused["isError"], true, "{refused}");
    assert!(refused.to_string().contains("swap them"), "{refused}");
    let refused = call_tool(
        &host,
        "list_climbs",
        json!({"area_id": rid, "discipline": "boulder", "min_grade": "5.10a"}),
    );
    assert_eq!(refused["isError"], true, "{refused}");
    assert!(refused.to_string().contains("boulder grades"), "{refused}");

    // The prompt takes the exact name; a partial one that fits several lists them.
    let get = |crag: &str| {
        common::mcp::post_rpc(
            &host,
            &common::mcp::bearer(common::mcp::ALL),
            &[],
            &rpc(
                1,
                "prompts/get",
                json!({"name": "plan_crag_day", "arguments": {"crag": crag}}),
            ),
        )
        .json()
    };
    let exact = get("smith rock");
    assert!(
        exact["result"]["messages"][0]["content"]["text"]
            .as_str()
            .unwrap()
            .contains(&format!("area id {rid}")),
        "{exact}"
    );
    let unknown = get("rock smith main boulders");
    assert!(
        unknown["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("no area named")),
        "{unknown}"
    );
    let ambiguous = get("smith");
    let message = ambiguous["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("matches 3 areas") && message.contains("Main Smith Rock Area"),
        "{ambiguous}"
    );
    assert_eq!(ambiguous["error"]["code"], -32602);

    // search_climbs says it matches climb names, not places.
    let tools = common::mcp::post_rpc(
        &host,
        &common::mcp::bearer(common::mcp::ALL),
        &[],
        &rpc(1, "tools/list", json!({})),
    )
    .json();
    let search = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "search_climbs")
        .unwrap()
        .to_string();
    assert!(search.contains("does not match area names"), "{search}");
}
