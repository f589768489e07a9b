//! Test stage "www (Chromium e2e)": the web demo in `www/`, end to end in
//! Debian's Chromium. Installs the npm package's tarball into `www/` as a
//! user would (the one the npm stage just built; built here with
//! [`npm::build`] when there is none, as on a fresh clone), then runs
//! `node --test test/e2e.test.mjs` there: the page served by `www/server.mjs`
//! (what `cargo xtask demo --web` runs), driven by playwright-core, which
//! `cargo xtask setup` installs into `www/node_modules` with `npm ci`.
//! Screenshots land in `<target>/artifacts/www/`.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::cmd::{self, Ctx};
use crate::{npm, npm_test};

pub fn stage(ctx: &Ctx) -> Result<(), String> {
    let www = ctx.path("www");
    let built = npm::tarball_path(ctx)?;
    let tarball = if built.is_file() {
        println!(
            "xtask: using the package built earlier, {} (`cargo xtask npm` rebuilds it)",
            built.display()
        );
        built
    } else {
        npm::build(ctx)?.tarball
    };
    npm::install_into(&www, &tarball)?;

    let artifacts = ctx.target_dir().join("artifacts").join("www");
    remove_screenshots(&artifacts)?;
    let out = cmd::capture_shown(
        Command::new("node")
            .args(["--test", "test/e2e.test.mjs"])
            .current_dir(&www)
            .env("LARDER_WWW_ARTIFACTS", &artifacts),
    )?;
    npm_test::expect_counts(&out, "www e2e (node --test)", "# pass ", "# fail ")?;
    let shots = screenshots(&artifacts)?;
    if shots.is_empty() {
        return Err(format!(
            "the e2e tests saved no screenshot in {}",
            artifacts.display()
        ));
    }
    println!(
        "xtask: {} screenshots in {}: {}",
        shots.len(),
        artifacts.display(),
        shots.join(", ")
    );
    Ok(())
}

/// The .png files in `dir`, sorted; none if it does not exist.
fn screenshots(dir: &Path) -> Result<Vec<String>, String> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut names: Vec<String> = fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|entry| Some(entry.ok()?.file_name().to_string_lossy().into_owned()))
        .filter(|name| name.ends_with(".png"))
        .collect();
    names.sort();
    Ok(names)
}

/// Screenshots of an earlier run must not pass for this run's.
fn remove_screenshots(dir: &Path) -> Result<(), String> {
    for name in screenshots(dir)? {
        let path = dir.join(name);
        fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}
