//! `cargo xtask demo`: the `demo` example of the `larder` crate, optimized;
//! `cargo xtask demo --web`: the web demo in `www/`, served on 127.0.0.1.

use std::process::Command;

use crate::cmd::{self, Ctx};
use crate::npm;

/// `cargo run --release -p larder --example demo -- ARGS`; a leading `--` in ARGS is dropped.
/// With `--web` first: [`web`].
pub fn run(args: &[String]) -> Result<(), String> {
    let args = match args.first() {
        Some(first) if first == "--" => &args[1..],
        Some(first) if first == "--web" => return web(&args[1..]),
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

/// Build the npm package, install its tarball into `www/` as a user would,
/// and run `node www/server.mjs ARGS` (`--port N`; it checks them), which
/// prints the page's URL and serves until Ctrl-C.
fn web(args: &[String]) -> Result<(), String> {
    let ctx = Ctx::new();
    let www = ctx.path("www");
    let pkg = npm::build(&ctx)?;
    npm::install_into(&www, &pkg.tarball)?;
    cmd::run(
        Command::new("node")
            .arg(www.join("server.mjs"))
            .args(args)
            .current_dir(&www),
    )
}
