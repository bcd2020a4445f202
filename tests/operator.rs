//! The operator's commands end to end: the status page in a real headless browser,
//! `import` of the demo data, of a climbs CSV and of a Mountain Project tick
//! export, `export` (JSON lines), `doctor` on a clean and on a damaged store, and
//! `token list`/`token revoke` against a running server.

mod common;

use common::mcp::{call_tool, host_builder, post_rpc, rpc, RESOURCE, SECRET};
use common::{temp_dir, Host, HOST_BIN};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `climbing-host ARGS` in `cwd`, without the test environment's SPIN_VARIABLE_*
/// and CLIMBING_TOKEN.
fn host_cmd(args: &[&str], cwd: &Path) -> Output {
    let mut cmd = Command::new(HOST_BIN);
    cmd.args(args).current_dir(cwd);
    for (name, _) in std::env::vars() {
        if name.starts_with("SPIN_VARIABLE_") || name == "CLIMBING_TOKEN" {
            cmd.env_remove(name);
        }
    }
    cmd.output().expect("running climbing-host")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs a command that must succeed; returns its stdout.
fn ok(args: &[&str], cwd: &Path) -> String {
    let out = host_cmd(args, cwd);
    assert!(
        out.status.success(),
        "climbing-host {args:?} failed ({:?})\nstdout:\n{}\nstderr:\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn demo_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/demo.json")
}

/// Areas and climbs in an OpenBeta-shaped tree.
fn count_tree(nodes: &[Value]) -> (usize, usize) {
    let (mut areas, mut climbs) = (0, 0);
    for n in nodes {
        areas += 1;
        climbs += n["climbs"].as_array().map_or(0, Vec::len);
        let (a, c) = count_tree(n["children"].as_array().map_or(&[][..], Vec::as_slice));
        areas += a;
        climbs += c;
    }
    (areas, climbs)
}

/// `export` of the store in `dir`, parsed: every line one JSON object with a type.
fn export(dir: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["export", "--store", "kv.db"];
    args.extend_from_slice(extra);
    let out = ok(&args, dir);
    out.lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("export line is not JSON ({e}): {line}"));
            assert!(v["type"].is_string(), "no type: {line}");
            v
        })
        .collect()
}

fn of_type<'a>(lines: &'a [Value], t: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["type"] == t).collect()
}

#[test]
fn status_page_renders_in_a_headless_browser() {
    let chromium = common::deps::chromium();
    let host = Host::start();
    let profile = temp_dir();
    let url = format!("{}/", host.url());
    let mut child = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--dump-dom", &url])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting chromium");
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish loading {url} in 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    let dom = text(&out.stdout);
    assert!(
        out.status.success() && dom.contains("<html"),
        "chromium failed ({:?}):\n{dom}\n{}",
        out.status,
        text(&out.stderr)
    );
    // The DOM as the browser built it: a title and heading, and how to connect.
    assert!(dom.contains("<title>Climbing MCP</title>"), "{dom}");
    assert!(dom.contains("<h1>Climbing MCP</h1>"), "{dom}");
    let mcp_url = format!("{}/mcp", host.url());
    assert!(
        dom.contains(&format!("<code id=\"mcp-url\">{mcp_url}</code>")),
        "the endpoint: {dom}"
    );
    assert!(
        dom.contains(&format!(
            "claude mcp add --transport http climbing {mcp_url}"
        )),
        "how to connect Claude Code: {dom}"
    );
    for version in [
        "2024-11-05",
        "2025-03-26",
        "2025-06-18",
        "2025-11-25",
        "2026-07-28",
    ] {
        assert!(dom.contains(version), "no {version}: {dom}");
    }
    // Served without a token, and no token or secret in it.
    assert!(!dom.contains("Bearer ey"), "{dom}");
}

#[test]
fn demo_data_imports_exports_and_survives_doctor() {
    let dir = temp_dir();
    let d = dir.path();
    let demo = demo_file();
    let demo_arg = demo.to_str().unwrap();
    let tree: Value = serde_json::from_str(&std::fs::read_to_string(&demo).unwrap()).unwrap();
    let (areas, climbs) = count_tree(tree.as_array().unwrap());
    assert!(
        (10..=100).contains(&areas) && (100..=400).contains(&climbs),
        "the demo should stay small: {areas} areas, {climbs} climbs"
    );

    // A dry run reads and counts, and writes nothing.
    let out = ok(&["import", demo_arg, "--store", "kv.db", "--dry-run"], d);
    assert!(
        out.contains(&format!("{areas} areas and {climbs} climbs to import")),
        "{out}"
    );
    assert!(!d.join("kv.db").exists());

    let out = ok(&["import", demo_arg, "--store", "kv.db"], d);
    assert!(
        out.contains(&format!(
            "created {areas} areas and {climbs} climbs; 0 areas and 0 climbs were already there; 0 skipped"
        )),
        "{out}"
    );
    // Again: everything is already there.
    let out = ok(&["import", demo_arg, "--store", "kv.db"], d);
    assert!(
        out.contains(&format!(
            "created 0 areas and 0 climbs; {areas} areas and {climbs} climbs were already there"
        )),
        "{out}"
    );

    let lines = export(d, &[]);
    assert_eq!(lines[0]["type"], "export", "{}", lines[0]);
    assert_eq!(of_type(&lines, "area").len(), areas);
    assert_eq!(of_type(&lines, "climb").len(), climbs);
    let smith = of_type(&lines, "area")
        .into_iter()
        .find(|a| a["name"] == "Smith Rock")
        .expect("Smith Rock exported");
    assert_eq!(smith["kind"], "area");
    let top: Vec<_> = of_type(&lines, "area")
        .into_iter()
        .filter(|a| a.get("parent_id").is_none())
        .collect();
    assert!(top.iter().all(|a| a["kind"] == "country"), "{top:?}");
    let chain = of_type(&lines, "climb")
        .into_iter()
        .find(|c| c["name"] == "Monkey Space")
        .expect("Monkey Space exported");
    assert_eq!(chain["grades"]["yds"], "5.11b");
    // Export to a file says the same.
    ok(&["export", "--store", "kv.db", "-o", "out.jsonl"], d);
    let file = std::fs::read_to_string(d.join("out.jsonl")).unwrap();
    assert_eq!(file.lines().count(), lines.len());

    // A clean store: no problems, exit 0.
    let out = ok(&["doctor", "--store", "kv.db"], d);
    assert!(
        out.contains(&format!("checked {areas} areas"))
            && out.contains("0 dangling, 0 misplaced")
            && out.contains("no problems found"),
        "{out}"
    );

    // Damage it while no host runs: delete one climb's record, leaving its index
    // entry behind, as a crash between the two writes of a delete would.
    let victim = of_type(&lines, "climb")[7]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let db = rusqlite::Connection::open(d.join("kv.db")).unwrap();
    let deleted = db
        .execute(
            "DELETE FROM spin_key_value WHERE store = 'default' AND key = ?1",
            [format!("c/{victim}")],
        )
        .unwrap();
    assert_eq!(deleted, 1, "no record c/{victim}");
    drop(db);

    let out = host_cmd(&["doctor", "--store", "kv.db"], d);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(
        stdout.contains("1 dangling, 0 misplaced") && stdout.contains("doctor --fix"),
        "{stdout}"
    );
    let out = ok(&["doctor", "--store", "kv.db", "--fix"], d);
    assert!(out.contains("removed 1 bad index entry"), "{out}");
    let out = ok(&["doctor", "--store", "kv.db"], d);
    assert!(out.contains("no problems found"), "{out}");
    let after = export(d, &[]);
    assert_eq!(of_type(&after, "climb").len(), climbs - 1);
}

#[test]
fn csv_climbs_and_mountain_project_ticks() {
    let dir = temp_dir();
    let d = dir.path();
    std::fs::write(
        d.join("crags.csv"),
        "country,region,crag,sector,name,yds,french,vscale,disciplines,length_m,bolts,lat,lng\n\
         France,Provence,Céüse,Biographie,Biographie,,9a+,,sport,35,14,44.5,5.9\n\
         France,Provence,Céüse,Biographie,Berlin,,8c,,sport,30,,,\n\
         France,Provence,Céüse,Cascade,Blocage,,6b+,,sport;trad,,,,\n\
         France,Provence,Céüse,Cascade,Nonsense,,9z,,sport,,,,\n\
         France,,Fontainebleau,,La Marie-Rose,,,V2,boulder,,,,\n\
         ,,,,Nowhere,5.9,,,trad,,,,\n",
    )
    .unwrap();
    let out = ok(&["import", "crags.csv", "--store", "kv.db"], d);
    // France, Provence, Céüse, Biographie, Cascade, Fontainebleau.
    assert!(
        out.contains("created 6 areas and 4 climbs") && out.contains("2 skipped"),
        "{out}"
    );
    assert!(out.contains("Nonsense") && out.contains("9z"), "{out}");
    assert!(out.contains("Nowhere") && out.contains("no area"), "{out}");

    // Ticks: one on a climb that exists (matched by name and location), two on a
    // route that does not (created once under "Imported"), a boulder, and bad rows.
    std::fs::write(
        d.join("ticks.csv"),
        "Date,Route,Rating,Notes,URL,Pitches,Location,Avg Stars,Your Stars,Style,Lead Style,Route Type,Your Rating,Length,Rating Code\n\
         2024-07-01,Biographie,5.15a,\"Finally, after years\",https://example.invalid/1,1,France > Provence > Céüse > Biographie,4,4,Lead,Redpoint,Sport,,115,9000\n\
         2024-06-02,Monkey Face,5.7 PG13,,https://example.invalid/2,6,Oregon > Central Oregon > Smith Rock > Monkey Face,3,-1,Follow,,\"Trad, Aid\",,350,1500\n\
         2024-06-03,Monkey Face,5.7 PG13,,https://example.invalid/2,6,Oregon > Central Oregon > Smith Rock > Monkey Face,3,-1,Lead,Fell/Hung,\"Trad, Aid\",,350,1500\n\
         2024-05-04,La Marie-Rose,V2,,https://example.invalid/3,1,France > Fontainebleau,3,2,Flash,,Boulder,,,\n\
         2024-05-05,Some Ice,WI4,,https://example.invalid/4,1,Canada > Somewhere,3,2,Lead,Onsight,Ice,,,\n\
         yesterday,Biographie,5.15a,,https://example.invalid/1,1,France > Provence > Céüse > Biographie,4,4,Lead,Onsight,Sport,,,\n",
    )
    .unwrap();
    let out = ok(
        &[
            "import",
            "ticks.csv",
            "--store",
            "kv.db",
            "--subject",
            "alice",
        ],
        d,
    );
    assert!(
        out.contains("logbook of alice")
            && out.contains("logged 4 ticks (2 on climbs found by name and location)")
            && out.contains("created 1 climbs and 2 areas under \"Imported\"")
            && out.contains("2 skipped"),
        "{out}"
    );
    assert!(out.contains("Some Ice") && out.contains("WI4"), "{out}");
    assert!(out.contains("YYYY-MM-DD"), "{out}");
    // Again: nothing new.
    let out = ok(
        &[
            "import",
            "ticks.csv",
            "--store",
            "kv.db",
            "--subject",
            "alice",
        ],
        d,
    );
    assert!(
        out.contains("logged 0 ticks") && out.contains("4 were already logged"),
        "{out}"
    );

    let lines = export(d, &["--subject", "alice"]);
    let ticks = of_type(&lines, "tick");
    assert_eq!(ticks.len(), 4, "{ticks:?}");
    let styles: Vec<(String, String)> = ticks
        .iter()
        .map(|t| {
            (
                t["style"].as_str().unwrap().to_owned(),
                t["attempt"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for pair in [
        ("lead", "redpoint"),
        ("follow", "send"),
        ("lead", "attempt"),
        ("boulder", "flash"),
    ] {
        assert!(
            styles.contains(&(pair.0.to_owned(), pair.1.to_owned())),
            "{pair:?} not in {styles:?}"
        );
    }
    let bio = ticks.iter().find(|t| t["name"] == "Biographie").unwrap();
    assert_eq!(bio["stars"], 4);
    assert_eq!(bio["notes"], "Finally, after years");
    // The route that was not found lives under Imported > its location.
    let imported = of_type(&lines, "area")
        .into_iter()
        .find(|a| a["name"] == "Imported")
        .expect("the Imported region");
    assert_eq!(imported["kind"], "region");
    let monkey = of_type(&lines, "climb")
        .into_iter()
        .find(|c| c["name"] == "Monkey Face")
        .expect("the created climb");
    assert_eq!(monkey["grades"]["yds"], "5.7");
    assert_eq!(monkey["safety"], "PG13");
    assert_eq!(monkey["pitches"], 6);
    assert_eq!(monkey["disciplines"], json!(["trad", "aid"]));
    // Another climber's export holds no ticks.
    assert!(of_type(&export(d, &[]), "tick").is_empty());
}

#[test]
fn token_list_and_revoke_on_a_running_server() {
    let dir = temp_dir();
    let d = dir.path();
    let host = host_builder().sqlite(d.join("kv.db")).start();
    std::fs::write(d.join("secret"), SECRET).unwrap();
    let url = format!("{}/mcp", host.url());
    let conn = [
        "--url",
        url.as_str(),
        "--secret-file",
        "secret",
        "--audience",
        RESOURCE,
    ];
    let with = |args: &[&str]| -> Vec<String> {
        args.iter()
            .chain(conn.iter())
            .map(|s| (*s).to_owned())
            .collect()
    };
    let run = |args: Vec<String>| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        ok(&refs, d)
    };

    let issued = call_tool(
        &host,
        "issue_token",
        json!({"subject": "ci-importer", "scopes": ["climb:read", "climb:write"], "description": "nightly import"}),
    );
    let info = &issued["structuredContent"]["info"];
    let id = info["id"].as_str().unwrap().to_owned();
    let token = issued["structuredContent"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let bearer = format!("Bearer {token}");
    assert_eq!(
        post_rpc(&host, &bearer, &[], &rpc(1, "tools/list", json!({}))).status,
        200
    );

    let table = run(with(&["token", "list"]));
    let row = table
        .lines()
        .find(|l| l.starts_with(&id))
        .unwrap_or_else(|| panic!("{id} not listed:\n{table}"));
    assert!(
        row.contains("ci-importer")
            && row.contains("climb:read climb:write")
            && row.contains("left")
            && row.contains("nightly import"),
        "{row}"
    );
    let json_lines = run(with(&["token", "list", "--json"]));
    let listed: Vec<Value> = json_lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], id.as_str());

    let out = run(with(&["token", "revoke", &id]));
    assert!(
        out.contains(&format!("revoked {id} (subject ci-importer")),
        "{out}"
    );
    assert_eq!(
        post_rpc(&host, &bearer, &[], &rpc(2, "tools/list", json!({}))).status,
        401
    );
    let table = run(with(&["token", "list"]));
    assert!(
        table
            .lines()
            .any(|l| l.starts_with(&id) && l.contains("revoked")),
        "{table}"
    );

    // The other commands work against a running server too.
    let demo = demo_file();
    let tree: Value = serde_json::from_str(&std::fs::read_to_string(&demo).unwrap()).unwrap();
    let (areas, climbs) = count_tree(tree.as_array().unwrap());
    let out = run(with(&["import", demo.to_str().unwrap()]));
    assert!(
        out.contains(&format!("created {areas} areas and {climbs} climbs")),
        "{out}"
    );
    let out = run(with(&["doctor"]));
    assert!(out.contains("no problems found"), "{out}");

    // A wrong secret: a clear refusal, not a crash.
    std::fs::write(d.join("wrong"), "another-secret-0123456789").unwrap();
    let out = host_cmd(
        &[
            "token",
            "list",
            "--url",
            &url,
            "--secret-file",
            "wrong",
            "--audience",
            RESOURCE,
        ],
        d,
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("401"), "{}", text(&out.stderr));
}
