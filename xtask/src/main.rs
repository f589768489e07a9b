//! `cargo xtask`: larder's developer tasks, in plain Rust with no dependencies.
//!
//! ```text
//! cargo xtask setup               install the toolchains and tools the other tasks need
//! cargo xtask test [--keep-going] [--only STAGE]
//!                                 setup, then every check CI runs, stage by stage
//! cargo xtask bench [ARGS...]     the criterion benchmarks (ARGS go to `cargo bench`)
//! cargo xtask demo [ARGS...]      the demo example, in release mode (ARGS go to the demo)
//! cargo xtask demo --web [--port N]
//!                                 the web demo (www/) on http://127.0.0.1:8787/ until Ctrl-C
//! cargo xtask npm                 build and pack the npm package (target/npm/larder-<version>.tgz)
//! ```
//!
//! `.ci/run` is `cargo xtask test`, so CI and a developer run the same thing.

mod bench;
mod bench_js;
mod cmd;
mod demo;
mod examples;
mod npm;
mod npm_test;
mod proxy;
mod reliability;
mod setup;
mod test;
mod www_test;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task> [args]

tasks:
  setup                install what the other tasks need (rustup targets and components,
                       nightly with Miri, cargo-fuzz, wasm-bindgen-cli, chromium, deno, npm)
  test [--keep-going]  run setup, then every stage CI runs: fmt, clippy, tests, the
                       reliability tests optimized, the demo and the memoization examples, Miri, no_std and wasm builds, the wasm
                       crates' tests, the npm package in Node, Deno and Chromium, the web
                       demo in Chromium, a fuzz run, bench compilation; stops at the first
                       failure unless --keep-going.
                       --only TEXT runs only the stages whose name contains TEXT.
                       LARDER_FUZZ_SECONDS sets the fuzz time (default 60 s per target),
                       LARDER_SEED replays a reliability run.
  bench [ARGS...]      cargo bench -p larder [ARGS...]; results land in target/criterion
                       and their tables in docs/BENCHMARKS.md
  bench --js           the JS benchmarks (bindings/wasm/bench) in Node, Chromium and Deno,
                       against cacache, lru-cache, idb-keyval, JSON and structuredClone;
                       their section of docs/BENCHMARKS.md is rewritten
  demo [ARGS...]       cargo run --release -p larder --example demo -- [ARGS...]
  demo --web [--port N]
                       build the npm package, install it into www/ and serve the web demo on
                       http://127.0.0.1:8787/ (or port N) until Ctrl-C
  npm                  build the npm package `larder` (a wasm build each for Node, Deno and
                       the web) into target/npm/larder, pack it into target/npm/larder-<version>.tgz,
                       and print each .wasm's size, raw and gzipped
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
        Some("npm") => npm::run(&rest),
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
