//! `cargo xtask npm`: build the npm package `larder` into `target/npm/larder/`
//! and pack it into `target/npm/larder-<version>.tgz`.
//!
//! The package holds one wasm build per runtime family (see [`BUILDS`]), each
//! with the backends that runtime can use, the wasm-bindgen glue for it and a
//! small entry module from `bindings/wasm/npm/entry/`; package.json's
//! conditional exports send each runtime to its build. The sources are in
//! `bindings/wasm/npm/`: the package.json template, the hand-written types
//! (`larder.d.ts`, and `load.d.ts` for `larder/load`), the README for npm users.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::{self, Ctx};
use crate::setup;

/// The cargo profile of the package's wasm (root Cargo.toml), kept apart from
/// `release` so that size settings for the wasm never change native builds.
pub const PROFILE: &str = "wasm-release";

/// wasm-bindgen's target for the Node build, whose glue [`node_glue`] rewrites.
const NODE_TARGET: &str = "experimental-nodejs-module";

/// One build in the package.
pub struct Build {
    /// Its directory in the package (package.json's exports point into it).
    pub dir: &'static str,
    /// wasm-bindgen's `--target`: the kind of JS glue.
    pub target: &'static str,
    /// larder-wasm's cargo features: the backends it carries (memory is always there).
    pub features: &'static [&'static str],
    /// The entry module, from `bindings/wasm/npm/entry/`, copied to `<dir>/index.js`.
    pub entry: &'static str,
    /// The entry of `larder/load` (no top-level await), copied to `<dir>/load.js`.
    pub load_entry: &'static str,
    /// Modules the entries import, copied under their own names (and memo.js, which all import).
    pub helpers: &'static [&'static str],
    /// An entry that carries the .wasm inside the JS (as base64, in
    /// `<dir>/larder_wasm_inline.js`), copied to `<dir>/inline.js`: for
    /// bundlers that leave the .wasm file behind.
    pub inline_entry: Option<&'static str>,
}

/// The builds, as package.json's exports use them:
/// - `node`: ESM glue that reads the wasm synchronously from the package
///   directory; the filesystem backend. Also `node/inline.js` (the package's
///   `larder/inline` in Node), the same with the .wasm inside the JS, for
///   bundles for Node (see [`node_glue`]).
/// - `web`: browsers and bundlers; `--target web` glue initialised by the
///   entry with top-level await; IndexedDB. Also `web/inline.js` (the
///   package's `larder/inline`), the same with the .wasm inside the JS.
///
/// Each build also has `load.js`, the package's `larder/load`: `load()`
/// resolves to the same exports, with no top-level await (service workers).
/// - `deno`: the web glue (Deno runs it as it is) with the filesystem backend,
///   because Deno's default backend is `"fs"` and it has no IndexedDB.
pub const BUILDS: &[Build] = &[
    Build {
        dir: "node",
        target: NODE_TARGET,
        features: &["nodefs"],
        entry: "node.js",
        load_entry: "node-load.js",
        helpers: &["node-wasm.js", "node-inline-wasm.js"],
        inline_entry: Some("node-inline.js"),
    },
    Build {
        dir: "web",
        target: "web",
        features: &["indexeddb", "opfs"],
        entry: "web.js",
        load_entry: "web-load.js",
        helpers: &["wasm.js"],
        inline_entry: Some("web-inline.js"),
    },
    Build {
        dir: "deno",
        target: "web",
        features: &["nodefs"],
        entry: "web.js",
        load_entry: "web-load.js",
        helpers: &["wasm.js"],
        inline_entry: None,
    },
];

/// What [`build`] made (the unpacked package is `target/npm/larder`).
pub struct Package {
    /// The `npm pack` tarball.
    pub tarball: PathBuf,
    /// Per build: its directory, the .wasm size raw and gzipped (`gzip -9`).
    pub sizes: Vec<(&'static str, u64, u64)>,
}

pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!("`npm` takes no arguments, got {arg:?}"));
    }
    let pkg = build(&Ctx::new())?;
    print_sizes(&pkg);
    println!("xtask npm: {}", pkg.tarball.display());
    Ok(())
}

/// Build every wasm, assemble the package and pack it.
pub fn build(ctx: &Ctx) -> Result<Package, String> {
    let src = ctx.path("bindings/wasm/npm");
    let out_root = ctx.target_dir().join("npm");
    let dir = out_root.join("larder");
    if dir.exists() {
        fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let mut sizes = Vec::new();
    for b in BUILDS {
        let out = dir.join(b.dir);
        let wasm = build_wasm(ctx, b)?;
        cmd::run(
            Command::new(cmd::cargo_bin_dir().join("wasm-bindgen"))
                .args(["--target", b.target, "--no-typescript"])
                // Function names are a third of the .wasm; nobody reads them in a package.
                .args(["--remove-name-section", "--remove-producers-section"])
                .arg("--out-dir")
                .arg(&out)
                .arg(&wasm),
        )?;
        // experimental-nodejs-module writes {"type": "module"}; the package's
        // own package.json says that for every directory.
        let stray = out.join("package.json");
        if stray.exists() {
            fs::remove_file(&stray).map_err(|e| format!("{}: {e}", stray.display()))?;
        }
        let entries = src.join("entry");
        copy(&entries.join(b.entry), &out.join("index.js"))?;
        copy(&entries.join(b.load_entry), &out.join("load.js"))?;
        // What every entry imports: cache.memoize and cache.warm, in JS.
        for helper in b.helpers.iter().chain(&["memo.js"]) {
            copy(&entries.join(helper), &out.join(helper))?;
        }
        let bg = out.join("larder_wasm_bg.wasm");
        if b.target == NODE_TARGET {
            let glue = out.join("larder_wasm.js");
            write(&glue, &node_glue(&read(&glue)?)?)?;
        }
        if let Some(entry) = b.inline_entry {
            let bytes = fs::read(&bg).map_err(|e| format!("{}: {e}", bg.display()))?;
            write(&out.join("larder_wasm_inline.js"), &inline_module(&bytes))?;
            copy(&entries.join(entry), &out.join("inline.js"))?;
        }
        sizes.push((b.dir, file_len(&bg)?, gzip_len(&bg)?));
    }
    for types in ["larder.d.ts", "load.d.ts"] {
        copy(&src.join(types), &dir.join(types))?;
    }
    copy(&src.join("README.md"), &dir.join("README.md"))?;
    let version = workspace_version(ctx)?;
    let template = read(&src.join("package.template.json"))?;
    write(
        &dir.join("package.json"),
        &template.replace("@VERSION@", &version),
    )?;

    let listing = cmd::capture(
        Command::new("npm")
            .args(["pack", "--json", "--pack-destination"])
            .arg(&out_root)
            .current_dir(&dir),
    )?;
    let tarball = tarball_path(ctx)?;
    if !tarball.is_file() {
        return Err(format!(
            "npm pack did not write {}:\n{listing}",
            tarball.display()
        ));
    }
    println!(
        "xtask npm: {} files packed",
        listing.matches("\"path\"").count()
    );
    Ok(Package { tarball, sizes })
}

/// Where [`build`] puts the tarball of this workspace's version (it may not exist yet).
pub fn tarball_path(ctx: &Ctx) -> Result<PathBuf, String> {
    let version = workspace_version(ctx)?;
    Ok(ctx
        .target_dir()
        .join("npm")
        .join(format!("larder-{version}.tgz")))
}

/// Install `tarball` into the npm project `dir` as its user would, without
/// recording it in package.json or the lock file (its hash changes with every
/// build, which would break `npm ci`). Also installs the project's own
/// dependencies if they are missing.
pub fn install_into(dir: &Path, tarball: &Path) -> Result<(), String> {
    cmd::run(
        Command::new("npm")
            .args(["install", "--no-save", "--no-audit", "--no-fund"])
            .arg(tarball)
            .current_dir(dir),
    )
}

/// The size of each build's .wasm, raw and gzipped.
pub fn print_sizes(pkg: &Package) {
    println!("xtask npm: .wasm sizes (bytes):");
    println!("  {:<6} {:>9} {:>9}", "build", "raw", "gzip -9");
    for (name, raw, gz) in &pkg.sizes {
        println!("  {name:<6} {raw:>9} {gz:>9}");
    }
}

/// `cargo build` of larder-wasm for one build; the path of its .wasm.
///
/// With nightly and its rust-src (`cargo xtask setup` installs both), the
/// standard library is rebuilt for the wasm with the profile's size settings
/// and the `immediate-abort` panic strategy: a panic traps at once instead of
/// formatting a message first. The wasm already aborts on panic and has
/// nowhere to print (std's stderr is a no-op on wasm32-unknown-unknown), so
/// nothing observable changes, but the message formatting machinery leaves
/// the binary, and with `-Zlocation-detail=none` the source locations that
/// only panic messages used: the web build is 14.8 KB gzipped smaller
/// (docs/BENCHMARKS.md). std is built with its `optimize_for_size` feature:
/// smaller, simpler algorithms (2.6 KB gzipped). Among them, `sort_unstable`
/// becomes a heapsort, which may order equal elements differently; every
/// sort in the wasm is `sort_unstable` on keys where a tie is either an
/// error (duplicate map keys, equal bytes either way) or has no specified
/// order (entries with the same last-access millisecond), and `sort` stays
/// stable. Its own target directory, because the flags differ from every
/// other wasm32 build. Without nightly, stable builds it as before.
fn build_wasm(ctx: &Ctx, b: &Build) -> Result<PathBuf, String> {
    let features = b.features.join(",");
    let args = [
        "build",
        "-p",
        "larder-wasm",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        PROFILE,
        "--no-default-features",
        "--features",
        &features,
    ];
    let target_dir = if setup::nightly_std_src(ctx) {
        let dir = ctx.target_dir().join("npm-wasm");
        let mut c = ctx.cargo_on(setup::NIGHTLY);
        c.args(args)
            .args(["-Zbuild-std=std,panic_abort"])
            .args(["-Zbuild-std-features=optimize_for_size", "--target-dir"])
            .arg(&dir)
            .env(
                "RUSTFLAGS",
                "-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none",
            );
        cmd::run(&mut c)?;
        dir
    } else {
        println!(
            "xtask npm: no nightly with rust-src (`cargo xtask setup`): building the wasm \
             on stable, about 15 KB gzipped larger"
        );
        cmd::run(ctx.cargo().args(args))?;
        ctx.target_dir()
    };
    Ok(target_dir
        .join("wasm32-unknown-unknown")
        .join(PROFILE)
        .join("larder_wasm.wasm"))
}

/// `[workspace.package] version` of the root Cargo.toml.
fn workspace_version(ctx: &Ctx) -> Result<String, String> {
    let manifest = read(&ctx.path("Cargo.toml"))?;
    let mut in_section = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_section = line == "[workspace.package]";
        } else if in_section && let Some(v) = setup::toml_string(line, "version") {
            return Ok(v.to_string());
        }
    }
    Err("Cargo.toml has no [workspace.package] version".into())
}

/// How the Node glue (wasm-bindgen 0.2's `experimental-nodejs-module`) reads
/// its .wasm, which [`node_glue`] rewrites.
const NODE_GLUE_READ: &str = "const wasmUrl = new URL('larder_wasm_bg.wasm', import.meta.url);\n\
                              const wasmBytes = readFileSync(wasmUrl);\n";

/// The Node glue, rewritten to read its .wasm through `entry/node-wasm.js`:
/// there `larder/inline` may have handed over the bytes already
/// (`entry/node-inline-wasm.js`), and a missing file is an error that names
/// `larder/inline`. Fails if the glue does not read its .wasm exactly as
/// [`NODE_GLUE_READ`] says, once (another wasm-bindgen may write it otherwise).
fn node_glue(glue: &str) -> Result<String, String> {
    if glue.matches(NODE_GLUE_READ).count() != 1 {
        return Err(format!(
            "the Node glue does not read its .wasm as xtask/src/npm.rs expects, once:\n{NODE_GLUE_READ}"
        ));
    }
    let through_helper = NODE_GLUE_READ.replace("readFileSync(", "readWasm(");
    let reads = glue.replace(NODE_GLUE_READ, &through_helper);
    Ok(format!(
        "import {{ readWasm }} from \"./node-wasm.js\";\n{reads}"
    ))
}

/// The JS module `larder_wasm_inline.js`: `bytes` (a .wasm) as a base64
/// string constant, which `entry/web-inline.js` and
/// `entry/node-inline-wasm.js` decode.
fn inline_module(bytes: &[u8]) -> String {
    format!(
        "// The .wasm of this build as base64 (written by `cargo xtask npm`), for\n\
         // inline.js: bundlers copy no file for it.\n\
         export const WASM_BASE64 = \"{}\";\n",
        base64(bytes)
    )
}

/// Standard base64 with padding (RFC 4648, section 4).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn gzip_len(path: &Path) -> Result<u64, String> {
    let out = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .output()
        .map_err(|e| format!("gzip: {e}"))?;
    if !out.status.success() {
        return Err(format!("gzip -9 {} failed", path.display()));
    }
    Ok(out.stdout.len() as u64)
}

fn file_len(path: &Path) -> Result<u64, String> {
    Ok(fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len())
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    fs::copy(from, to)
        .map(drop)
        .map_err(|e| format!("copy {} to {}: {e}", from.display(), to.display()))
}

#[cfg(test)]
mod tests {
    use super::{NODE_GLUE_READ, base64, node_glue};

    #[test]
    fn node_glue_rewrites_the_read_of_the_wasm_and_nothing_else() {
        let glue =
            format!("import {{ readFileSync }} from 'node:fs';\n{NODE_GLUE_READ}const x = 1;\n");
        assert_eq!(
            node_glue(&glue).unwrap(),
            "import { readWasm } from \"./node-wasm.js\";\n\
             import { readFileSync } from 'node:fs';\n\
             const wasmUrl = new URL('larder_wasm_bg.wasm', import.meta.url);\n\
             const wasmBytes = readWasm(wasmUrl);\nconst x = 1;\n"
        );
    }

    #[test]
    fn node_glue_refuses_a_glue_it_does_not_know() {
        assert!(node_glue("const wasmBytes = readFileSync(other);\n").is_err());
        let twice = format!("{NODE_GLUE_READ}{NODE_GLUE_READ}");
        assert!(node_glue(&twice).is_err());
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        // RFC 4648, section 10.
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), want, "{input:?}");
        }
        assert_eq!(base64(&[0xff, 0xfe, 0x00]), "//4A");
    }
}
