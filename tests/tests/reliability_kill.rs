//! Kill -9: writer processes on one fs cache (the `larder` crate over larder-fs)
//! are SIGKILLed at random points. After each kill the cache opens, every get
//! returns the right value or a miss, and no temp file of the killed writer
//! survives the next open. The writers are this test binary running
//! `writer_role`.
//!
//! Other runtimes plug in at [`Writer`]: a writer is any command that opens
//! the cache directory `$LARDER_KILL_DIR`, prints `processes::READY`, then
//! loops over keys `0..KEYS` of namespace `kill` writing and checking
//! `reliability::value(k, MAX_VALUE)` until it is killed. The Node writer on
//! larder-nodefs runs where the npm package is installed instead:
//! `bindings/wasm/npm/test/kill.js`, the same test in Node (stage "npm package").
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::env;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use larder_tests::processes::{self, Running};
use larder_tests::reliability::{Rng, figures, layout_dir, temp_files, temp_files_of, values};

const ROLE: &str = "LARDER_KILL_WRITER";
const DIR: &str = "LARDER_KILL_DIR";
const SEED: &str = "LARDER_KILL_SEED";
const NS: &str = "kill";
const KEYS: u64 = 64;
const MAX_VALUE: usize = 128 * 1024;
/// Small enough that writers evict (delete files) as well as write them.
const LIMIT: &str = "2MiB";
/// Writers alive at once.
const WRITERS: usize = 3;
const KILLS: u64 = 210;
/// A kill lands this long (at most) after the writer was ready or the last kill.
const MAX_DELAY_MS: u64 = 25;

fn open(dir: &Path, memory: &str) -> larder::blocking::Cache {
    larder::Cache::builder()
        .dir(dir)
        .max_bytes(LIMIT)
        .memory_bytes(memory)
        .open()
        .unwrap()
        .blocking()
}

/// One writer's loop: mixed puts, removes, reads and computes on shared keys,
/// each read checked, until it is killed (or its parent test is gone).
fn writer(dir: &Path, seed: u64) {
    let parent = std::os::unix::process::parent_id();
    let cache = open(dir, "256KiB");
    let vals = values(KEYS, MAX_VALUE);
    processes::announce_ready();
    let mut rng = Rng::new(seed);
    while !processes::parent_gone(parent) {
        let k = rng.below(KEYS);
        let right = &vals[k as usize];
        match rng.below(10) {
            0 => {
                cache.remove(NS, &k).unwrap();
            }
            1 | 2 => cache.put(NS, &k, right).unwrap(),
            3 | 4 => {
                if let Some(v) = cache.get::<_, Vec<u8>>(NS, &k).unwrap() {
                    assert!(&v == right, "writer read a wrong value of {k}");
                }
            }
            _ => {
                let v: Vec<u8> = cache.get_or_compute(NS, &k, || right.clone()).unwrap();
                assert!(&v == right, "writer got a wrong value of {k}");
            }
        }
    }
}

/// The child's entry point; a no-op unless the parent test set the role.
#[test]
fn writer_role() {
    if let (Ok(_), Ok(dir), Ok(seed)) = (env::var(ROLE), env::var(DIR), env::var(SEED)) {
        writer(Path::new(&dir), seed.parse().unwrap());
    }
}

/// Where writers come from; see the module docs for adding a runtime.
enum Writer {
    /// This test binary, through the `larder` crate.
    Native,
}

impl Writer {
    fn spawn(&self, dir: &Path, logs: &Path, n: u64, seed: u64) -> Running {
        match self {
            Writer::Native => {
                let seed = seed.to_string();
                let cmd = processes::child_command(
                    "writer_role",
                    ROLE,
                    n,
                    &[(DIR, dir.as_os_str()), (SEED, seed.as_ref())],
                );
                processes::spawn_ready(cmd, &logs.join(format!("writer-{n}.log")))
            }
        }
    }
}

#[derive(Default)]
struct Tally {
    kills: u64,
    /// Kills after which the victim's temp file was found: it died mid-write.
    mid_write: u64,
    hits: u64,
    misses: u64,
    wrong: u64,
    corrupt: u64,
    errors: u64,
    first_wrong: Option<String>,
}

/// Open the cache after writer `killed` died and check everything in it.
fn check(dir: &Path, killed: Option<u32>, vals: &[Vec<u8>], t: &mut Tally) {
    let cache = open(dir, "0");
    if let Some(pid) = killed {
        let left = temp_files_of(dir, pid);
        assert!(
            left.is_empty(),
            "temps of killed writer {pid} survived the next open: {left:?}"
        );
    }
    for k in 0..KEYS {
        match cache.get::<_, Vec<u8>>(NS, &k) {
            Ok(Some(v)) if v == vals[k as usize] => t.hits += 1,
            Ok(Some(v)) => {
                t.wrong += 1;
                let what = format!("key {k} after kill {}: {} bytes", t.kills, v.len());
                t.first_wrong.get_or_insert(what);
            }
            Ok(None) => t.misses += 1,
            Err(e) => {
                t.errors += 1;
                eprintln!("key {k} after kill {}: {e}", t.kills);
            }
        }
    }
    let s = cache.stats().unwrap();
    t.corrupt += s.corrupt;
    t.errors += s.errors;
}

#[test]
#[ignore = "slow in a debug build: `cargo xtask test` runs it optimized (stage reliability)"]
fn writers_killed_at_random_points_leave_a_cache_that_opens_and_is_right() {
    if env::var(ROLE).is_ok() {
        return;
    }
    let mut rng = Rng::for_test("kill");
    let vals = values(KEYS, MAX_VALUE);
    let dir = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let kind = Writer::Native;
    let mut spawned = 0;
    let mut spawn = |rng: &mut Rng| {
        spawned += 1;
        kind.spawn(dir.path(), logs.path(), spawned, rng.next_u64())
    };
    let mut writers: Vec<Running> = (0..WRITERS).map(|_| spawn(&mut rng)).collect();
    let mut t = Tally::default();
    while t.kills < KILLS {
        std::thread::sleep(Duration::from_millis(rng.below(MAX_DELAY_MS + 1)));
        let victim = writers.swap_remove(rng.index(WRITERS));
        let pid = victim.kill9();
        t.kills += 1;
        let left = temp_files_of(dir.path(), pid);
        if !left.is_empty() {
            t.mid_write += 1;
        }
        for name in left {
            // A temp holds a value before the rename makes it an entry: as private.
            match std::fs::metadata(layout_dir(dir.path()).join("tmp").join(&name)) {
                Ok(md) => assert_eq!(md.permissions().mode() & 0o777, 0o600, "temp {name}"),
                // A live writer's listing cleaned it up already.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => panic!("temp {name}: {e}"),
            }
        }
        check(dir.path(), Some(pid), &vals, &mut t);
        writers.push(spawn(&mut rng));
    }
    for w in writers.drain(..) {
        w.kill9();
        t.kills += 1;
    }
    check(dir.path(), None, &vals, &mut t);
    let left = temp_files(dir.path());
    figures(
        "kill",
        &[
            ("writers", &WRITERS),
            ("kills", &t.kills),
            ("mid_write", &t.mid_write),
            ("checked_gets", &(t.hits + t.misses + t.wrong)),
            ("hits", &t.hits),
            ("misses", &t.misses),
            ("wrong", &t.wrong),
            ("corrupt", &t.corrupt),
            ("errors", &t.errors),
            ("temps_left", &left.len()),
            ("secs", &format!("{:.1}", started.elapsed().as_secs_f64())),
        ],
    );
    assert_eq!(t.wrong, 0, "wrong values; first: {:?}", t.first_wrong);
    assert_eq!(t.errors, 0, "errors while checking");
    assert_eq!(
        t.corrupt, 0,
        "a kill left a damaged entry (writes are atomic)"
    );
    assert!(left.is_empty(), "temps left behind: {left:?}");
    assert!(
        t.hits > 0,
        "the checks never saw an entry: the writers did not write"
    );
}
