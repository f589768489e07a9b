//! Threads sharing one `Cache`: its shared state (index, memory tier,
//! in-flight computations, counters) stays consistent and every value read is
//! right. Small enough for Miri (the `miri` stage of `cargo xtask test`),
//! which checks the unsafe code underneath (std's mutex and thread parking,
//! hashbrown, xxhash, lz4) for undefined behaviour and data races.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use larder_core::cache::{Cache, Config, PutOptions};
use larder_core::{Key, ManualClock, MemoryStore, block_on};

const THREADS: u32 = 4;
const ROUNDS: u32 = 16;
const KEYS: u32 = 6;
const MAX_ENTRIES: u64 = 4;

fn key(k: u32) -> Key {
    Key::new("concurrency", &k).unwrap()
}

/// Key `k`'s value; the longer ones compress.
fn value(k: u32) -> Vec<u8> {
    format!("value of {k};")
        .repeat(1 + 4 * k as usize)
        .into_bytes()
}

#[test]
fn threads_sharing_one_cache_read_only_right_values() {
    let config = Config::default().max_entries(MAX_ENTRIES).memory_bytes(512);
    let cache = Cache::with_clock(MemoryStore::new(), ManualClock::new(0), config).unwrap();
    let cache = Arc::new(cache);
    let (computed, checked) = (AtomicUsize::new(0), AtomicUsize::new(0));
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (cache, computed, checked) = (&cache, &computed, &checked);
            s.spawn(move || {
                let opts = PutOptions::new();
                for r in 0..ROUNDS {
                    let k = (t * 7 + r) % KEYS;
                    let got = match r % 4 {
                        0 => {
                            block_on(cache.put(&key(k), value(k), &opts)).unwrap();
                            None
                        }
                        1 => block_on(cache.get(&key(k))).unwrap(),
                        2 => Some(
                            block_on(cache.get_or_compute(&key(k), &opts, || async {
                                computed.fetch_add(1, SeqCst);
                                Ok(value(k))
                            }))
                            .unwrap(),
                        ),
                        _ if r % 8 == 3 => {
                            block_on(cache.remove(&key(k))).unwrap();
                            None
                        }
                        _ => cache.get_cached(&key(k)),
                    };
                    if let Some(e) = got {
                        assert_eq!(e.payload(), value(k), "thread {t}, round {r}, key {k}");
                        checked.fetch_add(1, SeqCst);
                    }
                }
            });
        }
    });
    assert!(checked.load(SeqCst) > 0 && computed.load(SeqCst) > 0);
    let s = block_on(cache.stats()).unwrap();
    assert!(s.entries <= MAX_ENTRIES, "{s:?}");
    assert_eq!((s.errors, s.corrupt), (0, 0));
    for k in 0..KEYS {
        if let Some(e) = block_on(cache.get(&key(k))).unwrap() {
            assert_eq!(e.payload(), value(k), "key {k} after the threads");
        }
    }
}
