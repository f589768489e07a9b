//! `cargo xtask bench --js`: the JavaScript benchmarks (bindings/wasm/bench):
//! the npm package, packed and installed from its tarball, side by side with
//! cacache and lru-cache in Node, idb-keyval in Chromium, JSON and
//! structuredClone everywhere (also in Deno). Their tables replace the
//! section between [`BEGIN`] and [`END`] in docs/BENCHMARKS.md; the criterion
//! report (`cargo xtask bench`) keeps that section when it rewrites the file.

use std::fs;
use std::process::Command;

use crate::cmd::{self, Ctx};
use crate::{npm, setup};

pub const BEGIN: &str = "<!-- JS benchmarks: begin (written by `cargo xtask bench --js`) -->";
pub const END: &str = "<!-- JS benchmarks: end -->";

const REPORT: &str = "docs/BENCHMARKS.md";
const BENCH_DIR: &str = "bindings/wasm/bench";

pub fn run(ctx: &Ctx) -> Result<(), String> {
    // Deno, Chromium, the wasm target and nightly (for the package's wasm)
    // come from setup, which `cargo xtask test` runs too: a fresh clone that
    // runs the benchmarks first has none of them.
    setup::run(ctx)?;
    let pkg = npm::build(ctx)?;
    npm::print_sizes(&pkg);
    // setup installed this directory's npm packages (idb-keyval, cacache, …).
    let dir = ctx.path(BENCH_DIR);
    cmd::run(
        Command::new("npm")
            .args(["install", "--no-save"])
            .arg(&pkg.tarball)
            .current_dir(&dir),
    )?;
    let out = ctx.target_dir().join("bench-js.md");
    cmd::run(
        Command::new("node")
            .arg("run.mjs")
            .arg(&out)
            .arg("--deno")
            .arg(setup::deno_bin(ctx))
            .current_dir(&dir),
    )?;
    let tables = fs::read_to_string(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut section = String::from("## JavaScript (Node, Chromium, Deno)\n\n");
    section.push_str(&tables);
    section.push_str("\n### .wasm size (`cargo xtask npm`, `gzip -9`)\n\n");
    section.push_str("| build | raw | gzipped |\n|---|---:|---:|\n");
    for (name, raw, gz) in &pkg.sizes {
        section.push_str(&format!("| {name} | {raw} B | {gz} B |\n"));
    }
    section.push_str(&size_target(&pkg.sizes));
    let path = ctx.path(REPORT);
    let doc = fs::read_to_string(&path).unwrap_or_default();
    fs::write(&path, splice(&doc, &section))
        .map_err(|e| format!("write {}: {e}", path.display()))?;
    println!("xtask bench --js: wrote {}", path.display());
    Ok(())
}

/// Issue 3's size target: every build's .wasm at most this many bytes gzipped.
const MAX_GZIPPED: u64 = 150_000;

/// The size target judged on each build, as a paragraph.
fn size_target(sizes: &[(&str, u64, u64)]) -> String {
    let builds: Vec<String> = sizes
        .iter()
        .map(|(name, _, gz)| {
            let verdict = if *gz <= MAX_GZIPPED { "met" } else { "not met" };
            format!("{name} {:.1} KB ({verdict})", *gz as f64 / 1000.0)
        })
        .collect();
    format!(
        "\nTarget (issue 3): at most {} KB gzipped: {}.\n",
        MAX_GZIPPED / 1000,
        builds.join(", ")
    )
}

/// `doc` with its JS section replaced by `section` (appended when it has none).
pub fn splice(doc: &str, section: &str) -> String {
    let block = format!("{BEGIN}\n{}\n{END}", section.trim_end());
    match (doc.find(BEGIN), doc.find(END)) {
        (Some(b), Some(e)) if b < e => {
            format!("{}{block}{}", &doc[..b], &doc[e + END.len()..])
        }
        _ => format!("{}\n\n{block}\n", doc.trim_end()),
    }
}

/// The JS section of `old` (markers included), to carry over into a rewrite.
pub fn section_of(old: &str) -> Option<&str> {
    let b = old.find(BEGIN)?;
    let e = old[b..].find(END)? + b;
    Some(&old[b..e + END.len()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_target_judges_each_build() {
        let line = size_target(&[("node", 1, 138_787), ("web", 1, 175_528)]);
        assert!(line.contains("node 138.8 KB (met)"), "{line}");
        assert!(line.contains("web 175.5 KB (not met)"), "{line}");
    }

    #[test]
    fn splice_replaces_or_appends_and_round_trips() {
        let first = splice("# Benchmarks\n\nrust tables\n", "## JS\none");
        assert!(first.starts_with("# Benchmarks\n\nrust tables\n\n"));
        assert!(first.contains(&format!("{BEGIN}\n## JS\none\n{END}")));
        let second = splice(&first, "## JS\ntwo");
        assert_eq!(second.matches(BEGIN).count(), 1);
        assert!(second.contains("two") && !second.contains("one"));
        assert_eq!(
            section_of(&second),
            Some(&second[second.find(BEGIN).unwrap()..second.find(END).unwrap() + END.len()])
        );
        assert_eq!(section_of("no markers"), None);
    }
}
