//! larder against its anchors, in one run: `cargo xtask bench` (or `cargo bench -p larder`).
//!
//! Every group puts larder beside the things it is compared with, on identical
//! bytes: xorshift noise, which lz4 cannot shrink, so compression never flatters
//! larder. Cache directories live under `CARGO_TARGET_TMPDIR` (inside the target
//! directory), not `/tmp`, which may be a different and slower filesystem. Files
//! are hot in the page cache: these are CPU and syscall costs, not disk latency.
//!
//! | group | rows |
//! | --- | --- |
//! | `get_hit/{1KiB,64KiB,1MiB}` | `larder` (fs store, memory tier off, prepared key, decode + checksum), `cacache` (`read_sync`), `std_fs_read` |
//! | `put/{1KiB,64KiB}` | `larder` (`put_bytes`, overwrites of 1000 keys), `cacache` (`write_sync`), `std_fs_write`, `std_fs_write_rename` |
//! | `get_or_compute_hit/1KiB` | `larder_fs` (memory tier off), `larder_memory` |
//! | `memory_hit` | `larder_prepared_key` (1000 keys), `larder_prepared_key_one_hot`, `larder_with_key_derivation`, `hashmap_clone` |
//! | `key_derivation` | `larder_key`, `serde_json_xxh3` |
//! | `open/100k` | `larder_open`, `larder_open_then_stats` (the first `stats()` lists every entry) |

use std::collections::HashMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use criterion::{
    BatchSize, BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use larder::{Cache, Key, PutOptions};
use larder_core::block_on;
use serde::Serialize;

const KIB: usize = 1024;

/// `len` bytes of xorshift64 noise; a different `seed` gives different bytes.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A fresh directory under the target directory, removed when dropped.
fn bench_dir() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir under the target dir")
}

fn size_name(size: usize) -> String {
    if size >= KIB * KIB {
        format!("{}MiB", size / (KIB * KIB))
    } else {
        format!("{}KiB", size / KIB)
    }
}

/// A larder cache on the filesystem with the memory tier off: every read is a file read.
fn fs_cache(dir: &Path) -> Cache {
    Cache::builder()
        .dir(dir)
        .memory_bytes(0u64)
        .open()
        .expect("open larder")
}

/// Cycles through `0..n`.
struct Cycle {
    i: usize,
    n: usize,
}

impl Cycle {
    fn new(n: usize) -> Self {
        Cycle { i: 0, n }
    }

    fn next(&mut self) -> usize {
        let i = self.i;
        self.i = if i + 1 == self.n { 0 } else { i + 1 };
        i
    }
}

fn get_hit(c: &mut Criterion) {
    let mut g = c.benchmark_group("get_hit");
    for (size, n) in [(KIB, 1000), (64 * KIB, 1000), (KIB * KIB, 100)] {
        let name = size_name(size);
        let (larder_dir, cacache_dir, std_dir) = (bench_dir(), bench_dir(), bench_dir());
        let cache = fs_cache(larder_dir.path());
        let mut keys = Vec::with_capacity(n);
        let mut cacache_keys = Vec::with_capacity(n);
        let mut paths = Vec::with_capacity(n);
        for i in 0..n {
            let bytes = noise(size, i as u64);
            let key = cache.key("get_hit", &(i as u64)).expect("key");
            block_on(cache.core().put(&key, bytes.clone(), &PutOptions::new())).expect("put");
            keys.push(key);
            let ck = format!("get_hit/{i}");
            cacache::write_sync(cacache_dir.path(), &ck, &bytes).expect("cacache write");
            cacache_keys.push(ck);
            let path = std_dir.path().join(i.to_string());
            std::fs::write(&path, &bytes).expect("fs write");
            paths.push(path);
        }
        let hit = block_on(cache.core().get(&keys[0])).expect("get");
        assert_eq!(hit.expect("a hit").payload(), noise(size, 0));

        g.throughput(Throughput::Bytes(size as u64));
        let mut at = Cycle::new(n);
        g.bench_function(BenchmarkId::new("larder", &name), |b| {
            b.iter(|| {
                let e = block_on(cache.core().get(&keys[at.next()])).expect("get");
                black_box(e.expect("a hit"))
            })
        });
        let mut at = Cycle::new(n);
        g.bench_function(BenchmarkId::new("cacache", &name), |b| {
            b.iter(|| {
                black_box(
                    cacache::read_sync(cacache_dir.path(), &cacache_keys[at.next()])
                        .expect("cacache read"),
                )
            })
        });
        let mut at = Cycle::new(n);
        g.bench_function(BenchmarkId::new("std_fs_read", &name), |b| {
            b.iter(|| black_box(std::fs::read(&paths[at.next()]).expect("fs read")))
        });
        let stats = block_on(cache.stats()).expect("stats");
        assert_eq!(stats.memory_entries, 0, "the memory tier must stay off");
    }
    g.finish();
}

/// A new payload for each write (so nothing can be deduplicated): `base` stamped with `n`.
fn stamped(base: &[u8], n: u64) -> Vec<u8> {
    let mut v = base.to_vec();
    v[..8].copy_from_slice(&n.to_le_bytes());
    v
}

fn put(c: &mut Criterion) {
    const KEYS: usize = 1000;
    let mut g = c.benchmark_group("put");
    for size in [KIB, 64 * KIB] {
        let name = size_name(size);
        let base = noise(size, 7);
        g.throughput(Throughput::Bytes(size as u64));

        // 1000 keys overwritten in turn; the 1 GiB default limit is never reached,
        // so nothing is evicted. The first write loads the index (done here, before
        // timing); every 5 s a write re-lists the 1000 entries (a shared directory).
        let dir = bench_dir();
        let cache = fs_cache(dir.path()).blocking();
        for i in 0..KEYS {
            cache
                .put_bytes("put", &(i as u64), base.clone(), &PutOptions::new())
                .expect("put");
        }
        let (mut at, mut n) = (Cycle::new(KEYS), 0u64);
        g.bench_function(BenchmarkId::new("larder", &name), |b| {
            b.iter_batched(
                || {
                    n += 1;
                    stamped(&base, n)
                },
                |bytes| {
                    let i = at.next() as u64;
                    cache
                        .put_bytes("put", &i, bytes, &PutOptions::new())
                        .expect("put")
                },
                BatchSize::SmallInput,
            )
        });
        drop(cache);
        drop(dir);

        // cacache keeps every payload it was given (content-addressed, no GC here),
        // and appends to the key's index bucket on each write.
        let dir = bench_dir();
        let keys: Vec<String> = (0..KEYS).map(|i| format!("put/{i}")).collect();
        for k in &keys {
            cacache::write_sync(dir.path(), k, &base).expect("cacache write");
        }
        let (mut at, mut n) = (Cycle::new(KEYS), 0u64);
        g.bench_function(BenchmarkId::new("cacache", &name), |b| {
            b.iter_batched(
                || {
                    n += 1;
                    stamped(&base, n)
                },
                |bytes| cacache::write_sync(dir.path(), &keys[at.next()], &bytes).expect("write"),
                BatchSize::SmallInput,
            )
        });
        drop(dir);

        let dir = bench_dir();
        let paths: Vec<PathBuf> = (0..KEYS).map(|i| dir.path().join(i.to_string())).collect();
        for p in &paths {
            std::fs::write(p, &base).expect("fs write");
        }
        let (mut at, mut n) = (Cycle::new(KEYS), 0u64);
        g.bench_function(BenchmarkId::new("std_fs_write", &name), |b| {
            b.iter_batched(
                || {
                    n += 1;
                    stamped(&base, n)
                },
                |bytes| std::fs::write(&paths[at.next()], &bytes).expect("fs write"),
                BatchSize::SmallInput,
            )
        });
        let tmp = dir.path().join("write.tmp");
        g.bench_function(BenchmarkId::new("std_fs_write_rename", &name), |b| {
            b.iter_batched(
                || {
                    n += 1;
                    stamped(&base, n)
                },
                |bytes| {
                    std::fs::write(&tmp, &bytes).expect("fs write");
                    std::fs::rename(&tmp, &paths[at.next()]).expect("rename")
                },
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

/// The usual put: a new key, after a miss. Every iteration writes a key never
/// written before (no file is replaced, nothing is evicted under 1 GiB).
fn put_new_key(c: &mut Criterion) {
    let mut g = c.benchmark_group("put_new_key");
    let base = noise(KIB, 11);
    g.throughput(Throughput::Bytes(KIB as u64));

    let dir = bench_dir();
    let cache = fs_cache(dir.path()).blocking();
    cache
        .put_bytes("new", &u64::MAX, base.clone(), &PutOptions::new())
        .expect("put");
    let mut n = 0u64;
    g.bench_function(BenchmarkId::new("larder", "1KiB"), |b| {
        b.iter_batched(
            || {
                n += 1;
                (n, stamped(&base, n))
            },
            |(n, bytes)| {
                cache
                    .put_bytes("new", &n, bytes, &PutOptions::new())
                    .expect("put")
            },
            BatchSize::SmallInput,
        )
    });
    drop(cache);
    drop(dir);

    let dir = bench_dir();
    let mut n = 0u64;
    g.bench_function(BenchmarkId::new("cacache", "1KiB"), |b| {
        b.iter_batched(
            || {
                n += 1;
                (format!("new/{n}"), stamped(&base, n))
            },
            |(key, bytes)| cacache::write_sync(dir.path(), &key, &bytes).expect("write"),
            BatchSize::SmallInput,
        )
    });
    drop(dir);

    let dir = bench_dir();
    let tmp = dir.path().join("write.tmp");
    let mut n = 0u64;
    g.bench_function(BenchmarkId::new("std_fs_write_rename", "1KiB"), |b| {
        b.iter_batched(
            || {
                n += 1;
                (dir.path().join(n.to_string()), stamped(&base, n))
            },
            |(path, bytes)| {
                std::fs::write(&tmp, &bytes).expect("fs write");
                std::fs::rename(&tmp, &path).expect("rename")
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

/// Small parameters, as a caller would name them.
#[derive(Serialize)]
struct Item {
    id: u64,
    kind: &'static str,
}

fn get_or_compute_hit(c: &mut Criterion) {
    const KEYS: u64 = 1000;
    let mut g = c.benchmark_group("get_or_compute_hit");
    let dir = bench_dir();
    let fs = fs_cache(&dir.path().join("fs")).blocking();
    let mem = Cache::open(dir.path().join("mem"))
        .expect("open larder")
        .blocking();
    for (func, cache) in [("larder_fs", &fs), ("larder_memory", &mem)] {
        for id in 0..KEYS {
            let item = Item { id, kind: "bench" };
            let _: Vec<u8> = cache
                .get_or_compute("goc", &item, || noise(KIB, id))
                .expect("fill");
        }
        let mut id = 0;
        g.bench_function(BenchmarkId::new(func, "1KiB"), |b| {
            b.iter(|| {
                id = (id + 1) % KEYS;
                let item = Item { id, kind: "bench" };
                let v: Vec<u8> = cache
                    .get_or_compute("goc", &item, || unreachable!("a hit never computes"))
                    .expect("hit");
                black_box(v)
            })
        });
    }
    g.finish();
}

fn memory_hit(c: &mut Criterion) {
    const KEYS: u64 = 1000;
    let mut g = c.benchmark_group("memory_hit");
    let dir = bench_dir();
    // The default 32 MiB memory tier holds all 1000 entries of 1 KiB.
    let cache = Cache::open(dir.path()).expect("open larder");
    let blocking = cache.blocking();
    let mut keys = Vec::new();
    let mut map = HashMap::new();
    for id in 0..KEYS {
        let bytes = noise(KIB, id);
        let item = Item { id, kind: "bench" };
        blocking
            .put_bytes("mem", &item, bytes.clone(), &PutOptions::new())
            .expect("put");
        let key = cache.key("mem", &item).expect("key");
        map.insert(key.hash().0, Arc::new(bytes));
        keys.push(key);
    }
    let map = Mutex::new(map);

    let mut at = Cycle::new(KEYS as usize);
    g.bench_function("larder_prepared_key", |b| {
        b.iter(|| {
            let e = block_on(cache.core().get(&keys[at.next()])).expect("get");
            black_box(e.expect("a hit"))
        })
    });
    let mut at = Cycle::new(KEYS as usize);
    g.bench_function("larder_blocking_prepared_key", |b| {
        b.iter(|| {
            black_box(
                blocking
                    .get_entry(&keys[at.next()])
                    .expect("get")
                    .expect("a hit"),
            )
        })
    });
    // One hot key.
    g.bench_function("larder_prepared_key_one_hot", |b| {
        b.iter(|| {
            let e = block_on(cache.core().get(&keys[0])).expect("get");
            black_box(e.expect("a hit"))
        })
    });
    let mut id = 0;
    g.bench_function("larder_with_key_derivation", |b| {
        b.iter(|| {
            id = (id + 1) % KEYS;
            let item = Item { id, kind: "bench" };
            black_box(blocking.get_bytes("mem", &item).expect("get").expect("hit"))
        })
    });
    let hashes: Vec<u128> = keys.iter().map(|k| k.hash().0).collect();
    let mut at = Cycle::new(KEYS as usize);
    g.bench_function("hashmap_clone", |b| {
        b.iter(|| {
            let h = hashes[at.next()];
            let guard = map.lock().expect("lock");
            black_box(guard.get(&h).cloned().expect("present"))
        })
    });
    let stats = block_on(cache.stats()).expect("stats");
    assert_eq!(stats.memory_entries, KEYS, "every entry stays in memory");
    g.finish();
}

/// The parameters of `key_derivation`.
#[derive(Serialize)]
struct Params<'a> {
    name: &'a str,
    n: u64,
    ratio: f64,
    flags: Vec<bool>,
}

fn key_derivation(c: &mut Criterion) {
    let mut g = c.benchmark_group("key_derivation");
    let p = Params {
        name: "mandelbrot",
        n: 1_000_000,
        ratio: 0.75,
        flags: vec![true, false, true],
    };
    g.bench_function("larder_key", |b| {
        b.iter(|| black_box(Key::new("render", black_box(&p)).expect("key")))
    });
    g.bench_function("serde_json_xxh3", |b| {
        b.iter(|| {
            let json = serde_json::to_vec(black_box(&p)).expect("json");
            black_box(xxhash_rust::xxh3::xxh3_128(&json))
        })
    });
    g.finish();
}

/// `target/bench-data/open-100k`: 100,000 entries of ~100 bytes, built once and
/// reused (a `complete` marker says the build finished), since writing them is slow.
fn open_100k_dir() -> PathBuf {
    const ENTRIES: u64 = 100_000;
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target dir");
    let dir = target.join("bench-data").join("open-100k");
    let marker = dir.join("complete");
    if marker.is_file() {
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("building {} ({ENTRIES} entries, once)", dir.display());
    let cache = Cache::builder()
        .dir(&dir)
        .unlimited()
        .memory_bytes(0u64)
        .open()
        .expect("open larder")
        .blocking();
    for i in 0..ENTRIES {
        cache
            .put_bytes("open", &i, noise(100, i), &PutOptions::new())
            .expect("put");
    }
    drop(cache);
    std::fs::write(&marker, b"100000 entries of 100 bytes\n").expect("marker");
    dir
}

fn open(c: &mut Criterion) {
    let dir = open_100k_dir();
    let mut g = c.benchmark_group("open");
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    g.bench_function(BenchmarkId::new("larder_open", "100k"), |b| {
        b.iter(|| black_box(Cache::open(&dir).expect("open")))
    });
    g.measurement_time(Duration::from_secs(10));
    g.bench_function(BenchmarkId::new("larder_open_then_stats", "100k"), |b| {
        b.iter(|| {
            let cache = Cache::open(&dir).expect("open");
            let stats = block_on(cache.stats()).expect("stats");
            assert_eq!(stats.entries, 100_000);
            black_box(stats)
        })
    });
    g.finish();
}

// `criterion_group!` defines an undocumented `pub fn benches`.
#[allow(missing_docs)]
mod group {
    use super::*;

    criterion_group! {
        name = benches;
        config = Criterion::default()
            .measurement_time(Duration::from_secs(3))
            .warm_up_time(Duration::from_secs(1));
        targets = put, put_new_key, get_hit, get_or_compute_hit, memory_hit, key_derivation, open
    }
}
criterion_main!(group::benches);
