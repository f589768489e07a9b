//! Helpers shared by the reliability tests (`tests/tests/reliability_*.rs`): a
//! seeded random source, the one right value of every key, the figures line the
//! tests print, and looks into a cache directory that do not go through larder.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use larder_core::layout;

use crate::fixtures::payload;

/// The environment variable that replays a run: its value is the seed a test printed.
pub const SEED_ENV: &str = "LARDER_SEED";

/// xorshift64*: small, fast and good enough to pick keys, sizes and damage.
/// Every test prints its seed so that a failure can be replayed exactly.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator starting from `seed` (0 is replaced: xorshift would stay at 0).
    pub fn new(seed: u64) -> Self {
        Rng(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    /// The generator for `test`: from `$LARDER_SEED` if set, else from the clock.
    /// Prints `reliability: test=<test> seed=<seed>` (set `LARDER_SEED` to replay).
    pub fn for_test(test: &str) -> Self {
        let seed = match std::env::var(SEED_ENV) {
            Ok(s) => s
                .trim()
                .parse()
                .unwrap_or_else(|_| panic!("{SEED_ENV} must be a u64, got {s:?}")),
            Err(_) => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64),
        };
        println!("reliability: test={test} seed={seed} (replay with {SEED_ENV}={seed})");
        Rng::new(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A number in `0..n` as a `usize`.
    pub fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// True `percent` times in 100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The one right value of key `k`: 8 to `max_len + 7` bytes derived from `k`
/// alone, starting with `k` itself so that no two keys share a value. Every
/// fourth key's value repeats a short pattern, so its entry is lz4-compressed.
pub fn value(k: u64, max_len: usize) -> Vec<u8> {
    let len = 8 + (k.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 11) as usize % max_len.max(1);
    let mut v = k.to_le_bytes().to_vec();
    if k % 4 == 0 {
        let pattern = payload(k as u32, 16);
        v.extend(pattern.iter().cycle().take(len - 8));
    } else {
        v.extend(payload((k ^ (k >> 32)) as u32, len - 8));
    }
    v
}

/// [`value`] of keys `0..n`, computed once: tests compare many reads with them.
pub fn values(n: u64, max_len: usize) -> Vec<Vec<u8>> {
    (0..n).map(|k| value(k, max_len)).collect()
}

/// Print the figures of a run as one greppable line:
/// `reliability: test=<test> name=value ...`.
pub fn figures(test: &str, pairs: &[(&str, &dyn Display)]) {
    let mut line = format!("reliability: test={test}");
    for (name, v) in pairs {
        line.push_str(&format!(" {name}={v}"));
    }
    println!("{line}");
}

/// The versioned directory of the cache rooted at `root`.
pub fn layout_dir(root: &Path) -> PathBuf {
    root.join(layout::LAYOUT_DIR)
}

/// Names of the temp files in the cache rooted at `root` (none if `tmp/` is missing).
pub fn temp_files(root: &Path) -> Vec<String> {
    let Ok(dir) = fs::read_dir(layout_dir(root).join(layout::TMP_DIR)) else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

/// Temp files in the cache rooted at `root` written by process `pid`.
pub fn temp_files_of(root: &Path, pid: u32) -> Vec<String> {
    temp_files(root)
        .into_iter()
        .filter(|n| layout::temp_pid(n) == Some(pid))
        .collect()
}

/// Every entry file under the cache rooted at `root`, with its length: what
/// the cache occupies on disk, read without larder.
pub fn entry_files(root: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    let entries = layout_dir(root).join(layout::ENTRIES_DIR);
    for shard in fs::read_dir(entries).into_iter().flatten().flatten() {
        for e in fs::read_dir(shard.path()).into_iter().flatten().flatten() {
            if let Ok(md) = fs::symlink_metadata(e.path()) {
                out.push((e.path(), md.len()));
            }
        }
    }
    out
}

/// What sits at one path of a [`tree`]: its kind and, for files, length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// A directory.
    Dir,
    /// A regular file of this many bytes.
    File(u64),
    /// A symbolic link to this target.
    Link(PathBuf),
    /// Anything else (FIFO, socket, device).
    Other,
}

/// Everything under `dir` (not following links), by path relative to `dir`.
pub fn tree(dir: &Path) -> BTreeMap<PathBuf, Node> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Node>) {
        let Ok(iter) = fs::read_dir(dir) else { return };
        for e in iter.flatten() {
            let path = e.path();
            let Ok(md) = fs::symlink_metadata(&path) else {
                continue;
            };
            let rel = path.strip_prefix(base).unwrap_or(&path).to_path_buf();
            let node = if md.is_dir() {
                walk(base, &path, out);
                Node::Dir
            } else if md.is_file() {
                Node::File(md.len())
            } else if md.file_type().is_symlink() {
                Node::Link(fs::read_link(&path).unwrap_or_default())
            } else {
                Node::Other
            };
            out.insert(rel, node);
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_deterministic_distinct_and_bounded() {
        assert_eq!(value(7, 100), value(7, 100));
        assert_ne!(value(7, 100), value(8, 100));
        for k in 0..1000 {
            let n = value(k, 100).len();
            assert!((8..108).contains(&n), "key {k}: {n} bytes");
        }
    }

    #[test]
    fn the_rng_replays_from_its_seed() {
        let (mut a, mut b) = (Rng::new(42), Rng::new(42));
        let xs: Vec<u64> = (0..10).map(|_| a.below(1000)).collect();
        let ys: Vec<u64> = (0..10).map(|_| b.below(1000)).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().any(|&x| x != xs[0]), "not constant: {xs:?}");
    }
}
