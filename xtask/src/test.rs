//! `cargo xtask test`: setup, then every stage CI runs, in order, with a banner
//! and a time for each. The last line is `xtask: N passed, M failed`, a form CI
//! parsers read; the exit status is non-zero when anything failed.

use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use crate::cmd::{self, Ctx};
use crate::reliability::{miri, reliability};
use crate::{examples, npm_test, proxy, setup, www_test};

/// Fuzz time per target when `LARDER_FUZZ_SECONDS` is unset: the issue's
/// "bounded minute each" for the frame and key decoders.
const DEFAULT_FUZZ_SECONDS: u64 = 60;

/// How a stage that did not fail ended.
pub(crate) enum Done {
    Ran,
    /// Nothing to do in this checkout (why). Counted as passed.
    Skipped(String),
}

pub(crate) type StageResult = Result<Done, String>;

struct Stage {
    name: &'static str,
    run: fn(&Ctx) -> StageResult,
}

const STAGES: [Stage; 15] = [
    Stage {
        name: "fmt",
        run: fmt,
    },
    Stage {
        name: "clippy",
        run: clippy,
    },
    Stage {
        name: "test",
        run: test,
    },
    Stage {
        name: "reliability (native)",
        run: reliability,
    },
    Stage {
        name: "miri (core)",
        run: miri,
    },
    Stage {
        name: "demo",
        run: demo,
    },
    Stage {
        name: "examples",
        run: |ctx| ran(examples::run(ctx)),
    },
    Stage {
        name: "no_std build (thumbv7em)",
        run: no_std,
    },
    Stage {
        name: "wasm32 build",
        run: wasm32,
    },
    Stage {
        name: "docs",
        run: docs,
    },
    Stage {
        name: "wasm (Node, Deno, Chromium)",
        run: wasm_stores,
    },
    Stage {
        name: "npm package (Node, Deno, Chromium)",
        run: npm_package,
    },
    Stage {
        name: "www (Chromium e2e)",
        run: www,
    },
    Stage {
        name: "fuzz smoke",
        run: fuzz,
    },
    Stage {
        name: "bench build",
        run: bench_build,
    },
];

pub fn run(args: &[String]) -> ExitCode {
    let mut keep_going = false;
    let mut only: Option<&str> = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--keep-going" | "-k" => keep_going = true,
            "--only" => only = args.next().map(String::as_str),
            other => {
                eprintln!(
                    "xtask: error: unknown option {other:?} for `test` (try --keep-going, --only STAGE)"
                );
                return ExitCode::FAILURE;
            }
        }
    }
    // `--only TEXT`: the stages whose name contains TEXT, for working on one.
    let stages: Vec<&Stage> = STAGES
        .iter()
        .filter(|s| only.is_none_or(|o| s.name.contains(o)))
        .collect();
    if stages.is_empty() {
        let names: Vec<&str> = STAGES.iter().map(|s| s.name).collect();
        eprintln!(
            "xtask: error: no stage matches {:?}; stages: {}",
            only.unwrap_or_default(),
            names.join(", ")
        );
        return ExitCode::FAILURE;
    }
    let ctx = Ctx::new();
    let started = Instant::now();

    banner("setup");
    if let Err(e) = setup::run(&ctx) {
        eprintln!("xtask test: setup failed: {e}");
        println!("xtask: 0 passed, 1 failed");
        return ExitCode::FAILURE;
    }

    let total = stages.len();
    let mut results: Vec<(&str, Duration, Result<Done, String>)> = Vec::new();
    for (i, stage) in stages.iter().enumerate() {
        let title = format!("[{}/{total}] {}", i + 1, stage.name);
        banner(&title);
        let t = Instant::now();
        let result = (stage.run)(&ctx);
        let took = t.elapsed();
        match &result {
            Ok(Done::Ran) => println!("xtask test {title}: ok ({})", secs(took)),
            Ok(Done::Skipped(why)) => println!("xtask test {title}: skipped: {why}"),
            Err(e) => eprintln!("xtask test {title}: FAILED ({}): {e}", secs(took)),
        }
        let failed = result.is_err();
        results.push((stage.name, took, result));
        if failed && !keep_going {
            break;
        }
    }

    println!();
    println!("xtask test summary ({} in all):", secs(started.elapsed()));
    for (name, took, result) in &results {
        let (status, note) = match result {
            Ok(Done::Ran) => ("ok", String::new()),
            Ok(Done::Skipped(why)) => ("skipped", format!("  ({why})")),
            Err(_) => ("FAILED", String::new()),
        };
        println!("  {status:<8} {name:<26} {:>8}{note}", secs(*took));
    }
    for stage in &stages[results.len()..] {
        println!("  {:<8} {:<26} {:>8}", "not run", stage.name, "-");
    }
    let failed = results.iter().filter(|(_, _, r)| r.is_err()).count();
    let passed = results.len() - failed;
    println!("xtask: {passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn banner(title: &str) {
    let rule = "=".repeat(72);
    println!("\n{rule}\nxtask test {title}\n{rule}");
}

fn secs(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

pub(crate) fn ran(result: Result<(), String>) -> StageResult {
    result.map(|()| Done::Ran)
}

fn fmt(ctx: &Ctx) -> StageResult {
    ran(cmd::run(ctx.cargo().args(["fmt", "--all", "--check"])))
}

fn clippy(ctx: &Ctx) -> StageResult {
    cmd::run(ctx.cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    // The code behind larder's optional tokio feature.
    ran(cmd::run(ctx.cargo().args([
        "clippy",
        "-p",
        "larder",
        "--features",
        "tokio",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])))
}

/// The API docs as `cargo doc` writes them, every rustdoc warning an error (a
/// broken intra-doc link above all): the workspace natively, then the core and
/// the [`WASM_CRATES`] for wasm32, where the wasm-only ones have their items.
fn docs(ctx: &Ctx) -> StageResult {
    let doc = || {
        let mut c = ctx.cargo();
        c.env("RUSTDOCFLAGS", "-D warnings")
            .args(["doc", "--no-deps"]);
        c
    };
    cmd::run(doc().arg("--workspace"))?;
    let mut wasm = doc();
    wasm.args(["--target", "wasm32-unknown-unknown", "-p", "larder-core"]);
    for name in wasm_crates(ctx) {
        wasm.args(["-p", name]);
    }
    ran(cmd::run(&mut wasm))
}

/// Unit, integration and doc tests of every workspace member (the
/// `#[memoize]` compile-fail tests among them), then the `larder` tests that
/// need its optional `tokio` feature.
fn test(ctx: &Ctx) -> StageResult {
    cmd::run(ctx.cargo().args(["test", "--workspace"]))?;
    ran(cmd::run(ctx.cargo().args([
        "test",
        "-p",
        "larder",
        "--features",
        "tokio",
        "--test",
        "swr",
    ])))
}

/// The README's demo, as written, in a private cache directory: it must show a
/// miss, then hits from memory and from disk.
fn demo(ctx: &Ctx) -> StageResult {
    let dir = ctx.path("target").join("demo-cache");
    let out = cmd::capture(
        ctx.cargo()
            .args(["run", "-p", "larder", "--example", "demo"])
            .env("LARDER_DIR", &dir),
    )?;
    print!("{out}");
    for want in [
        "miss: rendered",
        "from memory in",
        "from disk in",
        "stats: ",
    ] {
        if !out.contains(want) {
            return Err(format!("the demo's output lacks {want:?}"));
        }
    }
    Ok(Done::Ran)
}

/// The crates that only run in wasm, with their directories.
const WASM_CRATES: [(&str, &str); 4] = [
    ("larder-wasm", "bindings/wasm"),
    ("larder-nodefs", "backends/nodefs"),
    ("larder-indexeddb", "backends/indexeddb"),
    ("larder-opfs", "backends/opfs"),
];

/// The names of the [`WASM_CRATES`] this checkout has.
fn wasm_crates(ctx: &Ctx) -> Vec<&'static str> {
    WASM_CRATES
        .into_iter()
        .filter(|(_, dir)| ctx.path(dir).is_dir())
        .map(|(name, _)| name)
        .collect()
}

/// The wasm32 crates: clippy for the wasm target, then their test suites
/// where each runs: the JS bindings in Node and Deno (their IndexedDB tests
/// in headless Chromium); larder-nodefs (the store
/// conformance suite among its tests) in Node and in Deno plus the
/// cross-runtime check with native larder-fs; larder-indexeddb in headless
/// Chromium.
fn wasm_stores(ctx: &Ctx) -> StageResult {
    let crates = wasm_crates(ctx);
    if crates.is_empty() {
        return Ok(Done::Skipped("no wasm32 store crates".into()));
    }
    let mut clippy = ctx.cargo();
    clippy.args([
        "clippy",
        "--target",
        "wasm32-unknown-unknown",
        "--all-targets",
    ]);
    for c in &crates {
        clippy.args(["-p", c]);
    }
    cmd::run(clippy.args(["--", "-D", "warnings"]))?;
    let runner = cmd::cargo_bin_dir().join("wasm-bindgen-test-runner");
    let wasm_test = |krate: &str| {
        let mut c = ctx.cargo();
        c.args(["test", "-p", krate, "--target", "wasm32-unknown-unknown"])
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", &runner)
            // The tests set LARDER_DIR themselves where they want it.
            .env_remove("LARDER_DIR");
        c
    };
    // The same tests in Deno: wasm-bindgen-test-runner starts `deno`, here
    // backends/nodefs/deno-shim, which runs the real one with the rights a
    // store needs.
    let shim_path = std::env::join_paths(
        std::iter::once(ctx.path("backends/nodefs/deno-shim")).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )),
    )
    .map_err(|e| e.to_string())?;
    let deno_test = |krate: &str| {
        let mut c = wasm_test(krate);
        c.env("WASM_BINDGEN_USE_DENO", "1")
            .env("LARDER_DENO", setup::deno_bin(ctx))
            .env("PATH", &shim_path);
        c
    };
    // Chromium reaches the runner's server through a proxy of ours: see
    // proxy.rs for the hang it prevents.
    let proxy = proxy::start().map_err(|e| format!("starting the test proxy: {e}"))?;
    // chromedriver and Chromium leave a profile directory or two in TMPDIR
    // after each test binary (tens of MB each): keep them under target, and
    // remove them once every browser run has passed.
    let chromium_tmp = ctx.target_dir().join("tmp").join("chromium");
    let _ = std::fs::remove_dir_all(&chromium_tmp);
    std::fs::create_dir_all(&chromium_tmp)
        .map_err(|e| format!("{}: {e}", chromium_tmp.display()))?;
    let chromium_test = |krate: &str| -> Result<Command, String> {
        let dir = WASM_CRATES
            .iter()
            .find(|(name, _)| *name == krate)
            .map(|(_, dir)| *dir)
            .ok_or_else(|| format!("{krate} is not one of WASM_CRATES"))?;
        let own = ctx.path(dir).join("webdriver.json");
        let text = std::fs::read_to_string(&own).map_err(|e| format!("{}: {e}", own.display()))?;
        let text = proxy::with_chromium_args(&text, &proxy::chromium_args(proxy))
            .ok_or_else(|| format!("{}: no \"args\": [ to add the proxy to", own.display()))?;
        let out = ctx
            .target_dir()
            .join("xtask")
            .join(format!("webdriver-{krate}.json"));
        std::fs::create_dir_all(out.parent().unwrap_or(&out)).map_err(|e| e.to_string())?;
        std::fs::write(&out, text).map_err(|e| format!("{}: {e}", out.display()))?;
        let mut c = wasm_test(krate);
        // The runner gives a whole test binary 20 s in the browser by default
        // and then reports "Failed to detect test as having been run" (and
        // chromedriver 5 s to start): the IndexedDB suite takes 7-10 s here,
        // so a slower or busier machine failed it now and then. A hang still
        // fails, later.
        c.env("CHROMEDRIVER", "/usr/bin/chromedriver")
            .env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", out)
            .env("WASM_BINDGEN_TEST_TIMEOUT", "300")
            .env("WASM_BINDGEN_TEST_DRIVER_TIMEOUT", "30")
            .env("TMPDIR", &chromium_tmp);
        Ok(c)
    };
    if crates.contains(&"larder-wasm") {
        // The JS API, the JS key mapping against tests/vectors/keys.json, the
        // JS value codec and the "fs" backend, in Node; tests/browser.rs (the
        // "indexeddb" and "opfs" backends) and tests/worker.rs ("opfs" in a
        // dedicated worker) in headless Chromium.
        cmd::run(&mut chromium_test("larder-wasm")?)?;
        // The Node tests again in Deno, whose globals differ (Float16Array,
        // for one, which Node 20 lacks).
        let mut deno = deno_test("larder-wasm");
        for t in [
            "values",
            "value_paths",
            "keys",
            "batch",
            "promises",
            "cache",
        ] {
            deno.args(["--test", t]);
        }
        cmd::run(&mut deno)?;
    }
    if crates.contains(&"larder-nodefs") {
        cmd::run(&mut wasm_test("larder-nodefs"))?;
        cmd::run(&mut deno_test("larder-nodefs"))?;
        let path = std::env::join_paths(std::iter::once(cmd::cargo_bin_dir()).chain(
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
        ))
        .map_err(|e| e.to_string())?;
        cmd::run(
            std::process::Command::new("bash")
                .arg(ctx.path("backends/nodefs/cross_runtime.sh"))
                .env("PATH", path),
        )?;
    }
    if crates.contains(&"larder-indexeddb") {
        cmd::run(&mut chromium_test("larder-indexeddb")?)?;
    }
    if crates.contains(&"larder-opfs") {
        // tests/worker.rs in a dedicated worker (sync access handles),
        // tests/main_thread.rs on a page (the async API). Each binary runs the
        // conformance suite, whose 10,000 one-file-per-entry writes take a
        // minute or two in Chromium: past the runner's 20 s default.
        cmd::run(chromium_test("larder-opfs")?.env("WASM_BINDGEN_TEST_TIMEOUT", "900"))?;
    }
    let _ = std::fs::remove_dir_all(&chromium_tmp);
    Ok(Done::Ran)
}

/// The npm package, packed and installed into a fresh project, used from
/// Node, Deno and Chromium, and sharing a directory with native Rust
/// (xtask/src/npm_test.rs).
fn npm_package(ctx: &Ctx) -> StageResult {
    if !ctx.path("bindings/wasm/npm").is_dir() {
        return Ok(Done::Skipped("bindings/wasm/npm does not exist".into()));
    }
    ran(npm_test::stage(ctx))
}

/// The web demo in www/, end to end in Chromium (xtask/src/www_test.rs).
fn www(ctx: &Ctx) -> StageResult {
    if !ctx.path("www/package.json").is_file() {
        return Ok(Done::Skipped("www/package.json does not exist".into()));
    }
    ran(www_test::stage(ctx))
}

/// larder-core must build without std or an allocator-providing OS: a bare-metal target proves it.
fn no_std(ctx: &Ctx) -> StageResult {
    ran(cmd::run(ctx.cargo().args([
        "build",
        "-p",
        "larder-core",
        "--no-default-features",
        "--target",
        "thumbv7em-none-eabihf",
    ])))
}

fn wasm32(ctx: &Ctx) -> StageResult {
    let build = || {
        let mut c = ctx.cargo();
        c.args([
            "build",
            "-p",
            "larder-core",
            "--target",
            "wasm32-unknown-unknown",
        ]);
        c
    };
    cmd::run(&mut build())?;
    ran(cmd::run(build().arg("--no-default-features")))
}

/// Each target of core/fuzz for `LARDER_FUZZ_SECONDS` (default 60): a smoke test
/// that the targets build and do not crash at once, not a fuzzing campaign.
fn fuzz(ctx: &Ctx) -> StageResult {
    let crate_dir = ctx.path("core");
    if !crate_dir.join("fuzz").join("Cargo.toml").is_file() {
        return Ok(Done::Skipped("core/fuzz does not exist".into()));
    }
    let seconds = fuzz_seconds()?;
    let nightly = setup::nightly_installed(ctx);
    let cargo_fuzz = || {
        let mut c = if nightly {
            ctx.cargo_on(setup::NIGHTLY)
        } else {
            // cargo-fuzz needs unstable flags; without nightly, unlock them on stable.
            let mut c = ctx.cargo();
            c.env("RUSTC_BOOTSTRAP", "1");
            c
        };
        c.arg("fuzz").current_dir(&crate_dir);
        c
    };
    if !nightly {
        println!("xtask: no nightly toolchain, fuzzing on stable with RUSTC_BOOTSTRAP=1");
    }
    let listed = cmd::capture(cargo_fuzz().arg("list"))?;
    let targets: Vec<&str> = listed
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if targets.is_empty() {
        return Ok(Done::Skipped("core/fuzz has no fuzz targets".into()));
    }
    println!("xtask: fuzzing {} for {seconds}s each", targets.join(", "));
    for target in targets {
        // New inputs go to corpus/<target> (ignored by git); committed seeds
        // in seeds/<target> (valid inputs that pass the checksums) are read too.
        let corpus = crate_dir.join("fuzz").join("corpus").join(target);
        std::fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
        let seeds = crate_dir.join("fuzz").join("seeds").join(target);
        let mut run = cargo_fuzz();
        run.args(["run", target]).arg(&corpus);
        if seeds.is_dir() {
            run.arg(&seeds);
        }
        cmd::run(run.arg("--").arg(format!("-max_total_time={seconds}")))?;
    }
    Ok(Done::Ran)
}

fn fuzz_seconds() -> Result<u64, String> {
    match std::env::var("LARDER_FUZZ_SECONDS") {
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_FUZZ_SECONDS),
        Err(e) => Err(format!("LARDER_FUZZ_SECONDS: {e}")),
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!(
                "LARDER_FUZZ_SECONDS must be a whole number of seconds > 0, got {v:?}"
            )),
        },
    }
}

/// Benches are not run in CI, only compiled (and the JS ones parsed), so
/// they cannot rot unnoticed.
fn bench_build(ctx: &Ctx) -> StageResult {
    cmd::run(ctx.cargo().args(["bench", "--no-run"]))?;
    let js = ctx.path("bindings/wasm/bench");
    let mut scripts: Vec<_> = std::fs::read_dir(&js)
        .map_err(|e| format!("{}: {e}", js.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "mjs"))
        .collect();
    scripts.sort();
    for script in scripts {
        cmd::run(
            std::process::Command::new("node")
                .arg("--check")
                .arg(&script),
        )?;
    }
    Ok(Done::Ran)
}
