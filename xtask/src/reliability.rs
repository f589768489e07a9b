//! The native reliability stages of `cargo xtask test`: the reliability tests
//! of larder-tests in an optimized build, and the core's shared state under Miri.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::cmd::{self, Ctx};
use crate::setup;
use crate::test::{StageResult, ran};

/// Prefix of the line each reliability test prints its figures on.
const FIGURES: &str = "reliability: ";

/// `tests/tests/reliability_*.rs` optimized (the `reliability` profile of the
/// workspace: opt-level 2 without LTO, so it builds in half a release build's
/// time), the slow ones `cargo test` skips in debug builds included (kill -9,
/// corruption, processes, threads). Their figures lines are repeated at the
/// end, for docs/RELIABILITY.md.
pub fn reliability(ctx: &Ctx) -> StageResult {
    let mut c = ctx.cargo();
    c.args(["test", "--profile", "reliability", "-p", "larder-tests"])
        .args(["--test", "reliability_*"])
        .args(["--", "--include-ignored", "--nocapture"]);
    let figures = run_collecting(&mut c, FIGURES)?;
    println!("\nreliability figures (docs/RELIABILITY.md):");
    for line in &figures {
        println!("  {line}");
    }
    if figures.is_empty() {
        return Err("no reliability test printed its figures".into());
    }
    ran(Ok(()))
}

/// Echo and run `c`, passing its output through, and return the stdout lines
/// that contain `marker` (from the marker on).
fn run_collecting(c: &mut Command, marker: &str) -> Result<Vec<String>, String> {
    let shown = cmd::display(c);
    println!("$ {shown}");
    let mut child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start `{shown}`: {e}"))?;
    let mut found = Vec::new();
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines() {
            let line = line.map_err(|e| format!("reading `{shown}`: {e}"))?;
            println!("{line}");
            if let Some(at) = line.find(marker) {
                found.push(line[at..].to_string());
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for `{shown}`: {e}"))?;
    if status.success() {
        Ok(found)
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// The core's threaded tests under Miri, which checks the unsafe code beneath
/// its shared state (std's mutex and parking, hashbrown, xxhash, lz4) for
/// undefined behaviour and data races: core/tests/concurrency.rs and the
/// single-flight tests, each under four thread schedules. A few minutes at most.
pub fn miri(ctx: &Ctx) -> StageResult {
    if !setup::miri_installed(ctx) {
        return Err(format!(
            "Miri is not installed for the {} toolchain (`cargo xtask setup` installs it)",
            setup::NIGHTLY
        ));
    }
    let miri_test = || {
        let mut c = ctx.cargo_on(setup::NIGHTLY);
        // Four thread schedules each: data races show in some, not all.
        c.args(["miri", "test", "-p", "larder-core"])
            .env("MIRIFLAGS", "-Zmiri-many-seeds=0..4");
        c
    };
    cmd::run(miri_test().args(["--test", "concurrency"]))?;
    ran(cmd::run(miri_test().args([
        "--test",
        "cache",
        "--",
        "get_or_compute_runs_once_across_threads",
        "a_cancelled_leader_hands_over_to_a_waiter",
    ])))
}
