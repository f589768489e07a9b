//! Concurrency natively: many threads, and tasks of a multi-threaded tokio
//! runtime, share one `larder` cache over larder-fs (memory tier, index,
//! eviction, recency write-back, single-flight) with mixed calls under a byte
//! limit that evicts all the time. Every value read is checked; no call fails;
//! afterwards the cache is intact, within its limit, and left no temp file.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Instant;

use larder::{Filter, PutOptions};
use larder_tests::reliability::{Rng, entry_files, figures, temp_files, values};

const NS: &str = "threads";
const THREADS: usize = 16;
const CALLS: u64 = 2_000;
const TASKS: usize = 32;
const TASK_CALLS: u64 = 200;
const KEYS: u64 = 200;
/// Keys the async tasks pile onto, so that they wait on each other's computations.
const HOT: u64 = 8;
const MAX_VALUE: usize = 8 * 1024;
const LIMIT: u64 = 512 * 1024;

#[derive(Default)]
struct Tally {
    calls: u64,
    checked: u64,
    wrong: u64,
    errors: u64,
}

impl Tally {
    fn read<E: std::fmt::Display>(&mut self, got: Result<Option<Vec<u8>>, E>, right: &[u8]) {
        self.calls += 1;
        match got {
            Ok(Some(v)) => {
                self.checked += 1;
                self.wrong += u64::from(v != right);
            }
            Ok(None) => {}
            Err(e) => self.error(e),
        }
    }

    fn done<T, E: std::fmt::Display>(&mut self, r: Result<T, E>) -> Option<T> {
        self.calls += 1;
        r.map_err(|e| self.error(e)).ok()
    }

    fn error(&mut self, e: impl std::fmt::Display) {
        self.errors += 1;
        eprintln!("error: {e}");
    }

    fn add(&mut self, o: Tally) {
        self.calls += o.calls;
        self.checked += o.checked;
        self.wrong += o.wrong;
        self.errors += o.errors;
    }
}

fn worker(cache: larder::blocking::Cache, seed: u64, vals: &[Vec<u8>]) -> Tally {
    let mut rng = Rng::new(seed);
    let mut t = Tally::default();
    for _ in 0..CALLS {
        let k = rng.below(KEYS);
        let right = &vals[k as usize];
        let tag = format!("t{}", k % 8);
        match rng.below(20) {
            0 | 1 => drop(t.done(cache.remove(NS, &k))),
            2 | 3 => drop(t.done(cache.put(NS, &k, right))),
            4 => drop(t.done(cache.put_with(NS, &k, right, &PutOptions::new().tag(tag)))),
            5..=9 => t.read(cache.get::<_, Vec<u8>>(NS, &k), right),
            10..=16 => t.read(
                cache.get_or_compute(NS, &k, || right.clone()).map(Some),
                right,
            ),
            17 => drop(t.done(cache.contains(NS, &k))),
            18 => drop(t.done(cache.stats())),
            _ => match rng.below(3) {
                0 => drop(t.done(cache.invalidate_tag(&tag))),
                1 => drop(t.done(cache.flush())),
                _ => {
                    let filter = Filter {
                        namespace: Some(NS.into()),
                        tag: None,
                    };
                    if let Some(list) = t.done(cache.entries(&filter)) {
                        t.wrong += list.iter().filter(|e| e.namespace != NS).count() as u64;
                    }
                }
            },
        }
    }
    t
}

async fn task(cache: larder::Cache, seed: u64, vals: Arc<Vec<Vec<u8>>>) -> Tally {
    let mut rng = Rng::new(seed);
    let mut t = Tally::default();
    for _ in 0..TASK_CALLS {
        let k = rng.below(HOT);
        let right = &vals[k as usize];
        if rng.percent(10) {
            t.done(cache.remove(NS, &k).await);
        } else {
            let got = cache
                .get_or_compute(NS, &k, || async { right.clone() })
                .await;
            t.read(got.map(Some), right);
        }
    }
    t
}

#[test]
#[ignore = "slow in a debug build: `cargo xtask test` runs it optimized (stage reliability)"]
fn threads_and_tasks_share_one_cache_with_checked_values() {
    let mut rng = Rng::for_test("threads");
    let dir = tempfile::tempdir().unwrap();
    let cache = larder::Cache::builder()
        .dir(dir.path())
        .max_bytes(LIMIT)
        .memory_bytes("128KiB")
        .open()
        .unwrap();
    let vals = values(KEYS, MAX_VALUE);
    let started = Instant::now();
    let seeds: Vec<u64> = (0..THREADS + TASKS).map(|_| rng.next_u64()).collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    let mut total = Tally::default();
    std::thread::scope(|s| {
        let threads: Vec<_> = seeds[..THREADS]
            .iter()
            .map(|&seed| {
                let (c, vals) = (cache.blocking(), &vals);
                s.spawn(move || worker(c, seed, vals))
            })
            .collect();
        // Tasks on the runtime's worker threads, at the same time as the threads.
        let shared = Arc::new(vals.clone());
        let tasks: Vec<_> = seeds[THREADS..]
            .iter()
            .map(|&seed| rt.spawn(task(cache.clone(), seed, shared.clone())))
            .collect();
        for t in tasks {
            total.add(rt.block_on(t).unwrap());
        }
        threads
            .into_iter()
            .for_each(|h| total.add(h.join().unwrap()));
    });
    let secs = started.elapsed().as_secs_f64();

    let stats = cache.blocking().stats().unwrap();
    drop(cache);
    let files = entry_files(dir.path());
    let on_disk: u64 = files.iter().map(|(_, n)| n).sum();
    let largest = files.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let check = larder::Cache::builder()
        .dir(dir.path())
        .memory_bytes(0u64)
        .open()
        .unwrap()
        .blocking();
    let mut after = Tally::default();
    for k in 0..KEYS {
        after.read(check.get::<_, Vec<u8>>(NS, &k), &vals[k as usize]);
    }
    let temps = temp_files(dir.path());
    figures(
        "threads",
        &[
            ("threads", &THREADS),
            ("tasks", &TASKS),
            ("calls", &total.calls),
            ("checked_values", &(total.checked + after.checked)),
            ("wrong", &(total.wrong + after.wrong)),
            ("errors", &(total.errors + after.errors + stats.errors)),
            ("corrupt", &stats.corrupt),
            ("evictions", &stats.evictions),
            ("bytes_on_disk", &on_disk),
            ("limit", &LIMIT),
            ("secs", &format!("{secs:.1}")),
        ],
    );
    assert_eq!(total.wrong + after.wrong, 0, "wrong values");
    assert_eq!(total.errors + after.errors + stats.errors, 0, "errors");
    assert_eq!(stats.corrupt, 0);
    assert!(stats.evictions > 0, "the limit never evicted");
    assert!(on_disk <= LIMIT + largest, "{on_disk} bytes on disk");
    assert!(temps.is_empty(), "temp files left: {temps:?}");
}
