//! `cargo xtask demo`: the `demo` example of the `larder` crate, optimized.

use crate::cmd::{self, Ctx};

/// `cargo run --release -p larder --example demo -- ARGS`; a leading `--` in ARGS is dropped.
pub fn run(args: &[String]) -> Result<(), String> {
    let args = match args.first() {
        Some(first) if first == "--" => &args[1..],
        _ => args,
    };
    let ctx = Ctx::new();
    let mut c = ctx.cargo();
    c.args(["run", "--release", "-p", "larder", "--example", "demo"]);
    if !args.is_empty() {
        c.arg("--").args(args);
    }
    cmd::run(&mut c)
}
