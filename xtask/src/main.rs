//! `cargo xtask`: larder's developer tasks, in plain Rust with no dependencies.
//!
//! ```text
//! cargo xtask setup               install the toolchains and tools the other tasks need
//! cargo xtask test [--keep-going] setup, then every check CI runs, stage by stage
//! cargo xtask bench [ARGS...]     the criterion benchmarks (ARGS go to `cargo bench`)
//! cargo xtask demo [ARGS...]      the demo example, in release mode (ARGS go to the demo)
//! ```
//!
//! `.ci/run` is `cargo xtask test`, so CI and a developer run the same thing.

mod bench;
mod cmd;
mod demo;
mod reliability;
mod setup;
mod test;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task> [args]

tasks:
  setup                install what the other tasks need (rustup targets and components,
                       nightly with Miri, cargo-fuzz, and later wasm-bindgen-cli, chromium,
                       redis, npm)
  test [--keep-going]  run setup, then every stage CI runs: fmt, clippy, tests, the
                       reliability tests optimized, Miri, no_std and wasm builds, a
                       fuzz run, bench compilation; stops at the first failure unless
                       --keep-going; --only TEXT runs the stages whose name contains TEXT.
                       LARDER_FUZZ_SECONDS sets the fuzz time (default 60 s per target),
                       LARDER_SEED replays a reliability run.
  bench [ARGS...]      cargo bench -p larder [ARGS...]; results land in target/criterion
  demo [ARGS...]       cargo run --release -p larder --example demo -- [ARGS...]
  help                 this text
";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let task = args.next();
    let rest: Vec<String> = args.collect();
    let result = match task.as_deref() {
        Some("setup") => no_args("setup", &rest).and_then(|()| setup::run(&cmd::Ctx::new())),
        Some("test") => return test::run(&rest),
        Some("bench") => bench::run(&rest),
        Some("demo") => demo::run(&rest),
        Some("help" | "-h" | "--help") => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown task {other:?}\n\n{USAGE}")),
        None => Err(format!("no task given\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn no_args(task: &str, rest: &[String]) -> Result<(), String> {
    match rest.first() {
        None => Ok(()),
        Some(arg) => Err(format!("`{task}` takes no arguments, got {arg:?}")),
    }
}
