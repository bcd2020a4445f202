//! The first-run bootstrap of `serve`: a new SQLite store starts with the bundled demo
//! data (data/demo.json, OpenBeta facts, CC0), so the first question a README
//! reader asks has answers. `--empty` starts without it; an existing store is
//! never touched.
//!
//! The import goes through the component like every other write (the
//! `import` command: an in-process server on the same store), so the records and
//! indexes are exactly what `climbing-host import data/demo.json` makes.

use anyhow::{Context, Result};
use std::path::Path;

use crate::access::ADMIN_SUBJECT;
use crate::commands::import::{self, ImportArgs};
use crate::mcp_client::ConnArgs;
use climbing_host::service_token::random_base64url;

/// The demo dataset, embedded so an installed binary needs no checkout.
const DEMO: &[u8] = include_bytes!("../../../../data/demo.json");

/// What the demo holds, for the banner.
pub const DEMO_SUMMARY: &str = "30 areas and 263 climbs at Smith Rock and Arrow Canyon";

/// Imports the demo data into the new store `db` (which must not exist yet).
pub fn seed_demo_data(db: &Path, vars: &[(String, String)]) -> Result<()> {
    let dir = tempfile_dir()?;
    let file = dir.join("demo.json");
    std::fs::write(&file, DEMO).with_context(|| format!("cannot write {}", file.display()))?;
    let result = import::execute(ImportArgs {
        file: file.clone(),
        format: None,
        parent_id: None,
        dry_run: false,
        conn: ConnArgs {
            url: None,
            token: None,
            secret_file: None,
            audience: None,
            store: db.to_owned(),
            vars: vars.to_vec(),
            subject: ADMIN_SUBJECT.to_owned(),
        },
    });
    let _ = std::fs::remove_dir_all(&dir);
    result.context("importing the demo data into the new store (start with --empty to skip it)")
}

/// A fresh private directory under the system's temporary directory.
fn tempfile_dir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "climbing-host-demo-{}-{}",
        std::process::id(),
        random_base64url(6)?
    ));
    std::fs::create_dir(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}
