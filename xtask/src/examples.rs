//! The `examples` stage: every memoization example of the `larder` crate, run
//! as a user would, in a private cache directory, with its output checked.

use crate::cmd::{self, Ctx};

struct Example {
    name: &'static str,
    /// Cargo features it needs.
    features: &'static str,
    /// Lines, or parts of lines, its output must contain.
    expect: &'static [&'static str],
}

const EXAMPLES: [Example; 4] = [
    Example {
        name: "memoize",
        features: "",
        expect: &[
            "miss: computed",
            "hit:  the same",
            "(verbose is not part of the key)",
            "report again: from the cache (0 computation)",
            "after forgetting last_digits: the report was recomputed (1 report, 1 sieve)",
            "refresh: recomputed and stored",
            "stats: ",
        ],
    },
    Example {
        name: "memoize_async",
        features: "tokio",
        expect: &[
            "10 concurrent callers got 1.09 after 1 fetch",
            "stale: 1.09 returned in",
            "fresh: 1.1 after the refresh (2 fetches in all)",
            "expired: 1.11 fetched again by the caller",
        ],
    },
    Example {
        name: "warm",
        features: "",
        expect: &[
            "]  32/64",
            "[##############################]  64/64",
            "first warm: 64 tiles, 64 computed, 0 already cached, 0 failed",
            "second warm: 64 tiles, 0 computed, 64 already cached, 0 failed",
            "tile (3, 1, 1): 9216 bytes from the cache",
        ],
    },
    Example {
        name: "content_keys",
        features: "",
        expect: &[
            "notes.txt: 4 words, computed",
            "moved file: 4 words, from the cache",
            "edited file: 5 words, computed",
            "src tree: 4 lines of Rust, computed",
            "copied tree: 4 lines of Rust, from the cache",
            "edited tree: 6 lines of Rust, computed",
        ],
    },
];

pub fn run(ctx: &Ctx) -> Result<(), String> {
    let dir = ctx.path("target").join("examples-cache");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    for ex in &EXAMPLES {
        let mut c = ctx.cargo();
        c.args(["run", "-p", "larder", "--example", ex.name]);
        if !ex.features.is_empty() {
            c.args(["--features", ex.features]);
        }
        let out = cmd::capture(c.env("LARDER_DIR", &dir))?;
        print!("{out}");
        if let Some(missing) = ex.expect.iter().find(|want| !out.contains(**want)) {
            return Err(format!(
                "the {} example's output lacks {missing:?}",
                ex.name
            ));
        }
    }
    Ok(())
}
