//! `cargo xtask setup`: install what the other tasks need, idempotently.
//!
//! Setup is a list of [`Step`]s. Each says when it applies at all (most tools
//! are only needed once the crate that uses them exists), how to check that it
//! is already done, and how to do it. A step that is done or does not apply
//! costs one quick check, so running setup again is cheap.

use std::path::Path;
use std::process::Command;

use crate::cmd::{self, Ctx};

/// The cross-compilation targets CI builds larder-core for.
pub const TARGETS: [&str; 2] = ["wasm32-unknown-unknown", "thumbv7em-none-eabihf"];

/// Deno comes from the npm registry: the `deno` package carries the binary.
pub const DENO_PACKAGE: &str = "deno@2.9.6";
/// Where setup installs Deno: `<target dir>/tools/deno`, beside every other
/// build output (so a `CARGO_TARGET_DIR` elsewhere keeps the checkout clean).
pub fn deno_prefix(ctx: &Ctx) -> std::path::PathBuf {
    ctx.target_dir().join("tools").join("deno")
}

/// The Deno binary setup installs.
pub fn deno_bin(ctx: &Ctx) -> std::path::PathBuf {
    deno_prefix(ctx)
        .join("node_modules")
        .join(".bin")
        .join("deno")
}

/// The toolchain the fuzz smoke test prefers (cargo-fuzz needs nightly's sanitizers).
pub const NIGHTLY: &str = "nightly";

/// What happens when a step's install fails.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OnFailure {
    /// Setup fails.
    Fail,
    /// Setup warns and carries on; the explanation says what degrades.
    Warn(&'static str),
}

/// One thing setup makes sure of.
struct Step {
    name: &'static str,
    /// Whether the step is needed in this checkout; `Err` says why not.
    applies: fn(&Ctx) -> Result<(), String>,
    /// Whether it is done already.
    done: fn(&Ctx) -> bool,
    /// Do it. Each command it runs is echoed.
    install: fn(&Ctx) -> Result<(), String>,
    on_failure: OnFailure,
}

fn steps() -> Vec<Step> {
    vec![
        Step {
            name: "rust targets",
            applies: always,
            done: targets_installed,
            install: |ctx| cmd::run(ctx.rustup().args(["target", "add"]).args(TARGETS)),
            on_failure: OnFailure::Fail,
        },
        Step {
            name: "rustfmt and clippy",
            applies: always,
            done: |ctx| {
                cmd::succeeds(ctx.cargo().args(["fmt", "--version"]))
                    && cmd::succeeds(ctx.cargo().args(["clippy", "--version"]))
            },
            install: |ctx| cmd::run(ctx.rustup().args(["component", "add", "rustfmt", "clippy"])),
            on_failure: OnFailure::Fail,
        },
        Step {
            name: "nightly toolchain",
            applies: always,
            done: |ctx| nightly_installed(ctx),
            install: |ctx| {
                cmd::run(ctx.rustup().args([
                    "toolchain",
                    "install",
                    NIGHTLY,
                    "--profile",
                    "minimal",
                ]))
            },
            on_failure: OnFailure::Warn(
                "the fuzz smoke test will use stable with RUSTC_BOOTSTRAP=1",
            ),
        },
        Step {
            name: "miri",
            applies: always,
            done: miri_installed,
            install: |ctx| {
                add_nightly_components(ctx, &["miri", "rust-src"])?;
                // Builds Miri's standard library once, so the stage does not.
                cmd::run(ctx.cargo_on(NIGHTLY).args(["miri", "setup"]))
            },
            on_failure: OnFailure::Warn("the miri stage will fail"),
        },
        Step {
            // The npm package's wasm rebuilds std from it (xtask/src/npm.rs).
            name: "nightly rust-src",
            applies: always,
            done: nightly_std_src,
            install: |ctx| add_nightly_components(ctx, &["rust-src"]),
            on_failure: OnFailure::Warn(
                "the npm package's wasm will be built on stable, about 15 KB gzipped larger",
            ),
        },
        Step {
            name: "cargo-fuzz",
            applies: always,
            done: |ctx| cmd::succeeds(ctx.cargo().args(["fuzz", "--version"])),
            install: |ctx| cargo_install(ctx, &["cargo-fuzz"]),
            on_failure: OnFailure::Fail,
        },
        Step {
            name: "wasm-bindgen-cli",
            applies: |ctx| locked_wasm_bindgen(ctx).map(drop),
            done: wasm_bindgen_cli_matches,
            install: install_wasm_bindgen_cli,
            on_failure: OnFailure::Fail,
        },
        Step {
            name: "chromium and chromedriver",
            applies: |ctx| {
                exists_any(
                    ctx,
                    &[
                        "bindings/wasm",
                        "backends/indexeddb",
                        "backends/opfs",
                        "www",
                    ],
                )
            },
            done: |_| {
                Path::new("/usr/bin/chromium").exists()
                    && Path::new("/usr/bin/chromedriver").exists()
            },
            install: |ctx| apt_install(ctx, &["chromium", "chromium-driver"]),
            on_failure: OnFailure::Fail,
        },
        Step {
            name: "redis-server",
            applies: |ctx| exists_any(ctx, &["backends/redis"]),
            done: |_| cmd::succeeds(Command::new("redis-server").arg("--version")),
            install: |ctx| apt_install(ctx, &["redis-server"]),
            on_failure: OnFailure::Fail,
        },
        Step {
            name: "node and npm",
            applies: |ctx| exists_any(ctx, &["bindings/wasm", "backends/nodefs", "www"]),
            done: |_| {
                cmd::succeeds(Command::new("node").arg("--version"))
                    && cmd::succeeds(Command::new("npm").arg("--version"))
            },
            install: |ctx| apt_install(ctx, &["nodejs", "npm"]),
            on_failure: OnFailure::Fail,
        },
        Step {
            name: "deno",
            applies: |ctx| exists_any(ctx, &["backends/nodefs", "bindings/wasm"]),
            done: |ctx| cmd::succeeds(Command::new(deno_bin(ctx)).arg("--version")),
            install: |ctx| {
                let prefix = deno_prefix(ctx);
                cmd::run(
                    Command::new("npm")
                        .args(["install", "--no-save", "--prefix"])
                        .arg(&prefix)
                        .arg(DENO_PACKAGE),
                )
            },
            on_failure: OnFailure::Fail,
        },
        Step {
            name: "npm packages",
            applies: |ctx| {
                if npm_projects(ctx).is_empty() {
                    Err(
                        "no package.json in bindings/wasm/npm/test, bindings/wasm/bench or www"
                            .into(),
                    )
                } else {
                    Ok(())
                }
            },
            done: |ctx| {
                npm_projects(ctx)
                    .iter()
                    .all(|dir| dir.join("node_modules").is_dir())
            },
            install: install_npm_packages,
            on_failure: OnFailure::Fail,
        },
    ]
}

/// Runs every step that applies and is not done yet.
pub fn run(ctx: &Ctx) -> Result<(), String> {
    println!("xtask setup: checking {} steps", steps().len());
    for step in steps() {
        if let Err(why) = (step.applies)(ctx) {
            println!("setup: {:<26} skipped ({why})", step.name);
            continue;
        }
        if (step.done)(ctx) {
            println!("setup: {:<26} ok", step.name);
            continue;
        }
        println!("setup: {:<26} missing, installing", step.name);
        match ((step.install)(ctx), step.on_failure) {
            (Ok(()), _) if (step.done)(ctx) => println!("setup: {:<26} installed", step.name),
            (Ok(()), OnFailure::Fail) => {
                return Err(format!(
                    "{}: installed, but the check still fails",
                    step.name
                ));
            }
            (Ok(()), OnFailure::Warn(degrades)) => {
                println!(
                    "setup: warning: {}: check still fails after install; {degrades}",
                    step.name
                )
            }
            (Err(e), OnFailure::Fail) => return Err(format!("{}: {e}", step.name)),
            (Err(e), OnFailure::Warn(degrades)) => {
                println!("setup: warning: {}: {e}; {degrades}", step.name)
            }
        }
    }
    Ok(())
}

fn always(_: &Ctx) -> Result<(), String> {
    Ok(())
}

fn exists_any(ctx: &Ctx, dirs: &[&str]) -> Result<(), String> {
    if dirs.iter().any(|d| ctx.path(d).exists()) {
        Ok(())
    } else {
        Err(format!("none of {} exists yet", dirs.join(", ")))
    }
}

fn targets_installed(ctx: &Ctx) -> bool {
    let Some(list) = cmd::output_of(ctx.rustup().args(["target", "list", "--installed"])) else {
        return false;
    };
    TARGETS.iter().all(|t| list.lines().any(|l| l.trim() == *t))
}

/// Whether a nightly toolchain is installed and runs.
pub fn nightly_installed(ctx: &Ctx) -> bool {
    cmd::succeeds(ctx.cargo_on(NIGHTLY).arg("--version"))
}

/// `rustup component add` of `components` to the nightly toolchain.
fn add_nightly_components(ctx: &Ctx, components: &[&str]) -> Result<(), String> {
    cmd::run(
        ctx.rustup()
            .args(["component", "add", "--toolchain", NIGHTLY])
            .args(components),
    )
}

/// Whether nightly can rebuild the standard library (`-Zbuild-std`): the
/// toolchain and its rust-src component are installed.
pub fn nightly_std_src(ctx: &Ctx) -> bool {
    cmd::output_of(
        ctx.rustup()
            .args(["component", "list", "--toolchain", NIGHTLY, "--installed"]),
    )
    .is_some_and(|list| list.lines().any(|l| l.trim().starts_with("rust-src")))
}

/// Whether Miri runs on the nightly toolchain.
pub fn miri_installed(ctx: &Ctx) -> bool {
    cmd::succeeds(ctx.cargo_on(NIGHTLY).args(["miri", "--version"]))
}

/// The version of `name` in `Cargo.lock` text, if the lock file has that package.
///
/// If several versions are locked (it happens with semver-incompatible
/// duplicates) the first one is returned.
pub fn locked_version(lock: &str, name: &str) -> Option<String> {
    let mut in_package = false;
    let mut found_name = false;
    for line in lock.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[[package]]";
            found_name = false;
            continue;
        }
        if !in_package {
            continue;
        }
        if let Some(value) = toml_string(line, "name") {
            found_name = value == name;
        } else if let Some(value) = toml_string(line, "version")
            && found_name
        {
            return Some(value.to_string());
        }
    }
    None
}

/// The value of a `key = "value"` line, for the simple lines Cargo.lock is made of.
pub(crate) fn toml_string<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = line
        .strip_prefix(key)?
        .trim_start()
        .strip_prefix('=')?
        .trim();
    rest.strip_prefix('"')?.strip_suffix('"')
}

/// The wasm-bindgen version in Cargo.lock; `Err` when no crate depends on it yet.
fn locked_wasm_bindgen(ctx: &Ctx) -> Result<String, String> {
    let lock_path = ctx.path("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path)
        .map_err(|e| format!("cannot read {}: {e}", lock_path.display()))?;
    locked_version(&lock, "wasm-bindgen").ok_or_else(|| "Cargo.lock has no wasm-bindgen".into())
}

/// The installed wasm-bindgen CLI must be the exact version of the locked crate:
/// the generated JS glue and the wasm side refuse to work together otherwise.
fn wasm_bindgen_cli_matches(ctx: &Ctx) -> bool {
    let Ok(want) = locked_wasm_bindgen(ctx) else {
        return false;
    };
    cmd::output_of(Command::new("wasm-bindgen").arg("--version"))
        .is_some_and(|out| out.split_whitespace().nth(1) == Some(want.as_str()))
}

fn install_wasm_bindgen_cli(ctx: &Ctx) -> Result<(), String> {
    let version = format!("={}", locked_wasm_bindgen(ctx)?);
    cargo_install(ctx, &["wasm-bindgen-cli", "--force", "--version", &version])
}

/// `cargo install ARGS --locked`, the reproducible build; if the published
/// lock file names a dependency version the registry no longer serves (seen
/// with wasm-bindgen-cli 0.2.130), `cargo install ARGS` without it.
fn cargo_install(ctx: &Ctx, args: &[&str]) -> Result<(), String> {
    let locked = cmd::run(ctx.cargo().arg("install").args(args).arg("--locked"));
    match locked {
        Ok(()) => Ok(()),
        Err(e) => {
            println!("xtask setup: {e}; retrying without --locked");
            cmd::run(ctx.cargo().arg("install").args(args))
        }
    }
}

/// `apt-get install -y PACKAGES`, after one `apt-get update` per run.
fn apt_install(ctx: &Ctx, packages: &[&str]) -> Result<(), String> {
    if !ctx.apt_updated.get() {
        cmd::run(ctx.privileged("apt-get").arg("update"))?;
        ctx.apt_updated.set(true);
    }
    cmd::run(
        ctx.privileged("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "--no-install-recommends"])
            .args(packages),
    )
}

/// The directories holding a package.json whose dependencies the tests need.
fn npm_projects(ctx: &Ctx) -> Vec<std::path::PathBuf> {
    ["bindings/wasm/npm/test", "bindings/wasm/bench", "www"]
        .iter()
        .map(|d| ctx.path(d))
        .filter(|d| d.join("package.json").is_file())
        .collect()
}

fn install_npm_packages(ctx: &Ctx) -> Result<(), String> {
    for dir in npm_projects(ctx) {
        // `npm ci` installs exactly the lock file; without one, `npm install` creates it.
        let verb = if dir.join("package-lock.json").is_file() {
            "ci"
        } else {
            "install"
        };
        cmd::run(Command::new("npm").arg(verb).current_dir(&dir))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"
version = 4

[[package]]
name = "wasm-bindgen-macro"
version = "0.2.99"

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = [
 "cfg-if",
]

[metadata]
version = "9.9.9"
"#;

    #[test]
    fn finds_locked_versions() {
        assert_eq!(
            locked_version(LOCK, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(
            locked_version(LOCK, "wasm-bindgen-macro").as_deref(),
            Some("0.2.99")
        );
        assert_eq!(locked_version(LOCK, "cfg-if"), None);
        assert_eq!(locked_version("", "wasm-bindgen"), None);
    }

    #[test]
    fn version_after_name_only() {
        let lock = "[[package]]\nversion = \"1.0.0\"\nname = \"a\"\n\n[[package]]\nname = \"b\"\n";
        assert_eq!(locked_version(lock, "a"), None);
    }
}
