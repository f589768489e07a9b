//! Many processes: eight processes share one cache directory through the whole
//! `larder` stack (index, eviction, memory tier, recency write-back) under a
//! byte limit small enough that eviction runs all the time. No process sees a
//! wrong value or an error, and once they have all stopped the entries on disk
//! fit the limit to within one entry's size, read without larder. Two
//! workloads: mixed gets, puts, removes and computes on shared keys; and each
//! process writing keys of its own that fit the limit alone but not together
//! (no process ever sees another's entries, so only re-listing can tell).
//! The test binary runs itself as the children.
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::env;
use std::path::Path;
use std::time::Instant;

use larder_tests::reliability::{Rng, entry_files, figures, temp_files, values};

const ROLE: &str = "LARDER_MP_CHILD";
const DIR: &str = "LARDER_MP_DIR";
const SEED: &str = "LARDER_MP_SEED";
/// `mixed` or `disjoint`.
const MODE: &str = "LARDER_MP_MODE";
const NS: &str = "mp";
const CHILDREN: u64 = 8;
const KEYS: u64 = 400;
const CALLS: u64 = 2_000;
/// Values average 4 KiB: the 400 keys would take 1.6 MB, six times the limit.
const MAX_VALUE: usize = 8 * 1024;
const LIMIT: u64 = 256 * 1024;
/// Keys each process writes in the disjoint workload: about 200 KiB, under the limit.
const OWN_KEYS: u64 = 50;

fn open(dir: &Path, memory: &str) -> larder::blocking::Cache {
    larder::Cache::builder()
        .dir(dir)
        .max_bytes(LIMIT)
        .memory_bytes(memory)
        .open()
        .unwrap()
        .blocking()
}

/// Mixed calls on keys every process uses; returns how many reads were wrong.
fn mixed(cache: &larder::blocking::Cache, seed: u64) -> u64 {
    let vals = values(KEYS, MAX_VALUE);
    let mut rng = Rng::new(seed);
    let mut wrong = 0;
    for _ in 0..CALLS {
        let k = rng.below(KEYS);
        let right = &vals[k as usize];
        let got = match rng.below(10) {
            0 => {
                cache.remove(NS, &k).unwrap();
                None
            }
            1 => {
                cache.put(NS, &k, right).unwrap();
                None
            }
            2 | 3 => cache.get::<_, Vec<u8>>(NS, &k).unwrap(),
            _ => Some(cache.get_or_compute(NS, &k, || right.clone()).unwrap()),
        };
        wrong += u64::from(got.is_some_and(|v| &v != right));
    }
    wrong
}

/// Writes keys `id * OWN_KEYS ..` only, each read back at once.
fn disjoint(cache: &larder::blocking::Cache, id: u64) -> u64 {
    let vals = values(CHILDREN * OWN_KEYS, MAX_VALUE);
    let mut wrong = 0;
    for k in id * OWN_KEYS..(id + 1) * OWN_KEYS {
        let right = &vals[k as usize];
        let v: Vec<u8> = cache.get_or_compute(NS, &k, || right.clone()).unwrap();
        wrong += u64::from(&v != right);
    }
    wrong
}

fn child(id: u64, dir: &Path, seed: u64, mode: &str) {
    let cache = open(dir, "64KiB");
    let wrong = match mode {
        "mixed" => mixed(&cache, seed),
        _ => disjoint(&cache, id),
    };
    let s = cache.stats().unwrap();
    // One line per child for the parent to add up.
    println!(
        "mp-child id={id} wrong={wrong} errors={} corrupt={} hits={} misses={} evictions={}",
        s.errors, s.corrupt, s.hits, s.misses, s.evictions
    );
    assert_eq!((wrong, s.errors, s.corrupt), (0, 0, 0), "child {id}: {s:?}");
    if mode == "mixed" {
        assert!(
            s.evictions > 0,
            "child {id}: the limit never evicted: {s:?}"
        );
    }
}

/// The child's entry point; a no-op unless the parent test set the role.
#[test]
fn child_role() {
    if let (Ok(role), Ok(dir), Ok(seed), Ok(mode)) = (
        env::var(ROLE),
        env::var(DIR),
        env::var(SEED),
        env::var(MODE),
    ) {
        child(
            role.parse().unwrap(),
            Path::new(&dir),
            seed.parse().unwrap(),
            &mode,
        );
    }
}

/// The sum of field `name` over the children's `mp-child` lines.
fn total(outputs: &[String], name: &str) -> u64 {
    let prefix = format!("{name}=");
    outputs
        .iter()
        .flat_map(|o| o.lines())
        // The test harness may print `test child_role ... ` in front.
        .filter_map(|l| l.split_once("mp-child ").map(|(_, fields)| fields))
        .flat_map(|l| l.split(' '))
        .filter_map(|f| f.strip_prefix(&prefix))
        .map(|v| v.parse::<u64>().unwrap())
        .sum()
}

/// Run the children in `mode`, then check the directory they leave behind.
fn run(mode: &str) {
    let seed = Rng::for_test(&format!("processes_{mode}"))
        .next_u64()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let outputs = larder_tests::processes::run_children(
        "child_role",
        ROLE,
        CHILDREN,
        &[
            (DIR, dir.path().as_os_str()),
            (SEED, seed.as_ref()),
            (MODE, mode.as_ref()),
        ],
    );
    let secs = started.elapsed().as_secs_f64();
    let reported = outputs.iter().filter(|o| o.contains("mp-child ")).count() as u64;
    assert_eq!(reported, CHILDREN, "every child reports its figures");

    // On disk, read without larder: the limit holds to within one entry.
    let files = entry_files(dir.path());
    let on_disk: u64 = files.iter().map(|(_, n)| n).sum();
    let largest = files.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let over = on_disk.saturating_sub(LIMIT);

    // Every entry left is intact and holds its key's value.
    let cache = open(dir.path(), "0");
    let vals = values(KEYS.max(CHILDREN * OWN_KEYS), MAX_VALUE);
    let mut wrong = 0;
    for (k, right) in vals.iter().enumerate() {
        if let Some(v) = cache.get::<_, Vec<u8>>(NS, &(k as u64)).unwrap() {
            wrong += u64::from(&v != right);
        }
    }
    let s = cache.stats().unwrap();
    let temps = temp_files(dir.path());
    figures(
        &format!("processes_{mode}"),
        &[
            ("processes", &CHILDREN),
            (
                "calls",
                &(total(&outputs, "hits") + total(&outputs, "misses")),
            ),
            ("wrong", &(total(&outputs, "wrong") + wrong)),
            ("errors", &total(&outputs, "errors")),
            ("corrupt", &(total(&outputs, "corrupt") + s.corrupt)),
            ("evictions", &total(&outputs, "evictions")),
            ("limit", &LIMIT),
            ("bytes_on_disk", &on_disk),
            ("entries_on_disk", &files.len()),
            ("bytes_over_limit", &over),
            ("largest_entry", &largest),
            ("secs", &format!("{secs:.1}")),
        ],
    );
    assert_eq!(wrong, 0, "entries left behind hold wrong values");
    assert!(
        over <= largest,
        "{on_disk} bytes on disk: more than one entry ({largest} bytes) over the limit of {LIMIT}"
    );
    assert_eq!((s.store_bytes, s.entries), (on_disk, files.len() as u64));
    assert_eq!(s.corrupt, 0);
    assert!(temps.is_empty(), "temp files left behind: {temps:?}");
}

#[test]
#[ignore = "slow in a debug build: `cargo xtask test` runs it optimized (stage reliability)"]
fn eight_processes_share_a_cache_under_constant_eviction_and_keep_the_limit() {
    if env::var(ROLE).is_err() {
        run("mixed");
    }
}

#[test]
fn eight_processes_writing_their_own_keys_keep_the_limit_together() {
    if env::var(ROLE).is_err() {
        run("disjoint");
    }
}
