//! Four processes share one cache directory through the whole `larder` stack
//! (index, eviction, memory tier, recency write-back) under a byte limit small
//! enough that eviction runs all the time: no wrong value, no error. The test
//! binary runs itself as the children.
#![allow(clippy::unwrap_used)]

use std::env;
use std::path::Path;

const ROLE: &str = "LARDER_MP_CHILD";
const DIR: &str = "LARDER_MP_DIR";
const CHILDREN: u64 = 4;
const KEYS: u64 = 300;
const CALLS: u64 = 1_500;
const LIMIT: u64 = 256 * 1024;

/// The one right value for key `k`: 1 to 8 KiB of bytes derived from `k`.
fn value(k: u64) -> Vec<u8> {
    larder_tests::fixtures::payload(k as u32, 1024 * (1 + k as usize % 8))
}

fn child(id: u64, dir: &Path) {
    let cache = larder::Cache::builder()
        .dir(dir)
        .max_bytes(LIMIT)
        .memory_bytes("64KiB")
        .open()
        .unwrap()
        .blocking();
    let mut x = id + 1;
    for call in 0..CALLS {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let k = (x >> 33) % KEYS;
        match call % 10 {
            0 => {
                cache.remove("mp", &k).unwrap();
            }
            1 => {
                if let Some(v) = cache.get::<_, Vec<u8>>("mp", &k).unwrap() {
                    assert_eq!(v, value(k), "child {id}: a read of key {k} is wrong");
                }
            }
            _ => {
                let v: Vec<u8> = cache.get_or_compute("mp", &k, || value(k)).unwrap();
                assert_eq!(v, value(k), "child {id}: key {k} returned a wrong value");
            }
        }
    }
    let s = cache.stats().unwrap();
    assert_eq!((s.errors, s.corrupt), (0, 0), "child {id}: {s:?}");
    assert!(
        s.evictions > 0,
        "child {id}: the limit never evicted: {s:?}"
    );
    println!(
        "child {id}: {} hits, {} misses, {} evictions",
        s.hits, s.misses, s.evictions
    );
}

/// The child's entry point; a no-op unless the parent test set the role.
#[test]
fn child_role() {
    if let (Ok(role), Ok(dir)) = (env::var(ROLE), env::var(DIR)) {
        child(role.parse().unwrap(), Path::new(&dir));
    }
}

#[test]
fn four_processes_share_a_cache_under_constant_eviction() {
    if env::var(ROLE).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    larder_tests::processes::run_children(
        "child_role",
        ROLE,
        CHILDREN,
        &[(DIR, dir.path().as_os_str())],
    );
    // Every entry left behind is intact and holds its key's value.
    let cache = larder::Cache::builder()
        .dir(dir.path())
        .memory_bytes(0u64)
        .open()
        .unwrap();
    let cache = cache.blocking();
    for k in 0..KEYS {
        if let Some(v) = cache.get::<_, Vec<u8>>("mp", &k).unwrap() {
            assert_eq!(v, value(k), "key {k} is wrong after the run");
        }
    }
    assert_eq!(cache.stats().unwrap().corrupt, 0);
    let tmp = dir.path().join("larder-v1/tmp");
    assert_eq!(
        std::fs::read_dir(tmp).unwrap().count(),
        0,
        "temp files left behind"
    );
}
