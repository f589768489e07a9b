//! Test stage "npm package (Node, Deno, Chromium)": build and pack the package
//! ([`npm::build`]), install the tarball into a fresh temporary project (as a
//! user would: `npm install <tgz>`, offline, for the package has no runtime
//! dependencies), copy `bindings/wasm/npm/test` and `tests/vectors/keys.json`
//! into it, and run there:
//!
//! 1. tsc on `types/check.ts` with Node's and bundlers' module resolution;
//! 2. `node --test node.test.js`, then `node kill.js`: Node writers on the
//!    "fs" backend SIGKILLed at random points ([`NODE_KILLS`] kills);
//! 3. `deno test deno.test.js`;
//! 4. `node browser.js`: the page checks in headless Chromium, and IndexedDB
//!    across a reload; `node bundlers.js`: a page bundled by Vite (build and
//!    dev server), webpack 5, esbuild and Rollup, in Chromium, and bundles
//!    for Node by esbuild, run by Node;
//! 5. the cross-runtime check: native Rust writes a directory, Node then Deno
//!    read it and add to it, native Rust reads their entries back;
//! 6. the examples of `bindings/wasm/npm/examples/`, as a user runs them
//!    (`import { Cache } from "larder"`), in Node and Deno, their output checked.
//!
//! The tools (playwright-core, typescript, the bundlers) come from the test project
//! `bindings/wasm/npm/test`, which `cargo xtask setup` installs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::{self, Ctx};
use crate::{npm, setup};

/// The test files copied into the temporary project's `tests/`.
const TEST_FILES: &[&str] = &[
    "checks",
    "browser",
    "types",
    "node.test.js",
    "deno.test.js",
    "cross.js",
    "kill.js",
];

/// SIGKILLs of Node writers in `kill.js` (about a second each: a Node start
/// and a check of every key).
const NODE_KILLS: u32 = 60;

pub fn stage(ctx: &Ctx) -> Result<(), String> {
    let tools = ctx.path("bindings/wasm/npm/test");
    let pkg = npm::build(ctx)?;
    let project = TempDir::new("larder-npm-project")?;
    let root = project.path();
    install(root, &pkg.tarball)?;
    let tests = root.join("tests");
    fs::create_dir(&tests).map_err(|e| format!("{}: {e}", tests.display()))?;
    for name in TEST_FILES {
        copy_tree(&tools.join(name), &tests.join(name))?;
    }
    copy_tree(
        &ctx.path("tests/vectors/keys.json"),
        &tests.join("keys.json"),
    )?;

    let tsc = tools.join("node_modules").join(".bin").join("tsc");
    for config in ["tsconfig.node.json", "tsconfig.bundler.json"] {
        cmd::run(
            Command::new(&tsc)
                .arg("-p")
                .arg(tests.join("types").join(config)),
        )?;
    }

    let node_out =
        cmd::capture_shown(in_project("node", root).args(["--test", "tests/node.test.js"]))?;
    expect_counts(&node_out, "node --test", "# pass ", "# fail ")?;
    node_kill(root)?;

    let deno = setup::deno_bin(ctx);
    let deno_out = cmd::capture_shown(
        in_project(&deno, root)
            .args(["test", "-A", "--no-check", "tests/deno.test.js"])
            .env("NO_COLOR", "1"),
    )?;
    expect_counts(&deno_out, "deno test", "ok | ", " passed | ")?;

    let browser_out = cmd::capture_shown(
        Command::new("node")
            .arg(tools.join("browser.js"))
            .arg(root)
            .current_dir(&tools),
    )?;
    if !browser_out.contains("chromium: ") || !browser_out.contains(" passed, 0 failed") {
        return Err("the Chromium run did not report its checks".into());
    }
    bundlers(&tools, root)?;

    cross_runtime(ctx, root, &deno)?;
    examples(ctx, root, &deno)?;
    project.passed();
    npm::print_sizes(&pkg);
    Ok(())
}

/// `bundlers.js`: pages bundled by Vite, webpack, esbuild and Rollup from the
/// installed package, run in Chromium, and bundles for Node by esbuild, run
/// by Node; every case must report.
fn bundlers(tools: &Path, root: &Path) -> Result<(), String> {
    let out = cmd::capture_shown(
        Command::new("node")
            .arg(tools.join("bundlers.js"))
            .arg(root)
            .current_dir(tools),
    )?;
    if out.contains(&format!("bundlers: {BUNDLER_CASES} passed, 0 failed")) {
        Ok(())
    } else {
        Err(format!(
            "bundlers.js did not report {BUNDLER_CASES} passing cases"
        ))
    }
}

/// The cases of `bundlers.js`: 7 pages, 2 bundles for Node.
const BUNDLER_CASES: u32 = 9;

/// The project a user would have: a package.json, and the tarball installed.
fn install(root: &Path, tarball: &Path) -> Result<(), String> {
    fs::write(
        root.join("package.json"),
        "{ \"name\": \"larder-npm-test-project\", \"private\": true, \"type\": \"module\" }\n",
    )
    .map_err(|e| format!("{}: {e}", root.display()))?;
    cmd::run(
        Command::new("npm")
            .args(["install", "--offline", "--no-audit", "--no-fund"])
            .arg(tarball)
            .current_dir(root),
    )
}

/// Run in the project, without the developer's LARDER_DIR (the checks set it where they want it).
fn in_project(program: impl AsRef<std::ffi::OsStr>, root: &Path) -> Command {
    let mut c = Command::new(program);
    c.current_dir(root).env_remove("LARDER_DIR");
    c
}

/// Fail unless the runner's summary says some checks passed and none failed:
/// a suite that runs nothing must not count as passing. `passed` and `failed`
/// are the text just before each count in the summary (node: `# pass 34`,
/// `# fail 0`; deno: `ok | 34 passed | 0 failed`).
pub(crate) fn expect_counts(
    out: &str,
    what: &str,
    passed: &str,
    failed: &str,
) -> Result<(), String> {
    let count_after = |marker: &str| -> Option<u64> {
        let at = out.rfind(marker)? + marker.len();
        let digits: String = out[at..].chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    match (count_after(passed), count_after(failed)) {
        (Some(p), Some(0)) if p > 0 => {
            println!("xtask: {what}: {p} passed");
            Ok(())
        }
        _ => Err(format!(
            "{what}: no summary with passing checks and none failing"
        )),
    }
}

/// Kill -9 of Node writers on nodefs (`kill.js`, which fails on any wrong
/// value, damaged entry or leftover temp); its figures line must show the kills.
fn node_kill(root: &Path) -> Result<(), String> {
    let out = cmd::capture_shown(
        in_project("node", root)
            .arg("tests/kill.js")
            .arg(NODE_KILLS.to_string()),
    )?;
    let figures = out
        .lines()
        .find(|l| l.starts_with("reliability: test=node-kill writers="))
        .ok_or("kill.js printed no figures")?;
    if !figures.contains(" wrong=0 ") || !figures.contains(" temps_left=0 ") {
        return Err(format!("kill.js: {figures}"));
    }
    println!("xtask: node kill -9: {figures}");
    Ok(())
}

/// Rust writes, Node reads and writes, Deno reads both and writes, Rust reads
/// everything back. Each step must report what it did, or the stage fails.
fn cross_runtime(ctx: &Ctx, root: &Path, deno: &Path) -> Result<(), String> {
    let dir = root.join("cross");
    let native = |step: &str| -> Result<(), String> {
        let out = cmd::capture_shown(
            ctx.cargo()
                .args(["test", "-p", "larder", "--test", "js_cross_runtime", "--"])
                .args(["--ignored", "--exact", step])
                .env("LARDER_CROSS_DIR", &dir),
        )?;
        if out.contains(&format!("test {step} ... ok")) && out.contains("1 passed") {
            Ok(())
        } else {
            Err(format!("the native step {step} did not run"))
        }
    };
    let expect = |out: String, want: &str| -> Result<(), String> {
        if out.contains(want) {
            Ok(())
        } else {
            Err(format!("the cross-runtime output lacks {want:?}"))
        }
    };
    native("js_cross_runtime_write")?;
    let out = cmd::capture_shown(
        in_project("node", root)
            .arg("tests/cross.js")
            .arg(&dir)
            .arg("node"),
    )?;
    expect(out, "cross-runtime node: read 14 entries (Rust), wrote 13")?;
    let out = cmd::capture_shown(
        in_project(deno, root)
            .args(["run", "-A", "--no-check", "tests/cross.js"])
            .arg(&dir)
            .args(["deno", "node"]),
    )?;
    expect(
        out,
        "cross-runtime deno: read 26 entries (Rust, node), wrote 13",
    )?;
    native("js_cross_runtime_verify")?;
    println!("xtask: cross-runtime Rust -> Node -> Deno -> Rust: ok");
    Ok(())
}

/// Each example with the lines its output must contain (their results and
/// whether the function ran, the same on every run).
const EXAMPLES: &[(&str, &[&str])] = &[
    (
        "memoize.mjs",
        &[
            "countPrimes(1000000) = 78498 (computed)",
            "countPrimes(1000000) = 78498 (cached)",
            "10 concurrent calls of countPrimes(500000) = 41538, ran 1 time(s)",
            "countPrimes.refresh(1000000) = 78498 (computed)",
            "countPrimes.forget(500000) = true",
            "countPrimes(500000) = 41538 (computed)",
            "checksum of 3 Blobs, 2 distinct: ran 2 time(s)",
            "warmed: 8 computed, 0 cached, 0 failed",
        ],
    ),
    (
        "memoize.deno.js",
        &[
            "words: 7, counted 1 time(s)",
            "words of a copy: 7, counted 1 time(s)",
            "words after an edit: 6, counted 2 time(s)",
            "feed: news v1",
            "feed after its ttl: news v1 (stale, refreshing)",
            "feed refreshed: news v2",
        ],
    ),
];

/// Run the JS examples in the project (Node for `.mjs`, Deno for `.deno.js`).
fn examples(ctx: &Ctx, root: &Path, deno: &Path) -> Result<(), String> {
    let dir = root.join("examples");
    copy_tree(&ctx.path("bindings/wasm/npm/examples"), &dir)?;
    for (name, want) in EXAMPLES {
        let file = dir.join(name);
        let mut c = if name.ends_with(".deno.js") {
            let mut c = in_project(deno, root);
            c.args(["run", "-A", "--no-check"]).env("NO_COLOR", "1");
            c
        } else {
            in_project("node", root)
        };
        let out = cmd::capture_shown(c.arg(&file))?;
        for line in *want {
            if !out.lines().any(|l| l.trim_end() == *line) {
                return Err(format!("example {name}: its output lacks {line:?}"));
            }
        }
        println!("xtask: example {name}: ok");
    }
    Ok(())
}

/// Copy a file, or a directory and everything below it.
fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    let err = |e: std::io::Error| format!("copy {} to {}: {e}", from.display(), to.display());
    if from.is_dir() {
        fs::create_dir_all(to).map_err(err)?;
        for entry in fs::read_dir(from).map_err(err)? {
            let entry = entry.map_err(err)?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        fs::copy(from, to).map(drop).map_err(err)
    }
}

/// A new directory under the system temp dir. It is removed once the stage
/// has passed ([`TempDir::passed`]); after a failure it is kept, and named,
/// for a look at what happened.
struct TempDir {
    path: PathBuf,
    passed: bool,
}

impl TempDir {
    fn new(prefix: &str) -> Result<TempDir, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        fs::create_dir(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(TempDir {
            path,
            passed: false,
        })
    }

    fn path(&self) -> &Path {
        &self.path
    }

    fn passed(mut self) {
        self.passed = true;
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if self.passed {
            let _ = fs::remove_dir_all(&self.path);
        } else {
            println!(
                "xtask: kept the test project {} to look at",
                self.path.display()
            );
        }
    }
}
