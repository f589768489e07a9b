//! A memoized function whose key cannot be built (a content path that cannot
//! be read) runs uncached, with or without stale-while-revalidate, rather
//! than failing.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use larder::Cache;

static CACHE: LazyLock<Cache> = LazyLock::new(|| Cache::builder().in_memory().open().unwrap());
static SIZE_RUNS: AtomicUsize = AtomicUsize::new(0);
static LEN_RUNS: AtomicUsize = AtomicUsize::new(0);

#[larder::memoize(cache = &*CACHE, ttl = "1m", stale_while_revalidate = "1h", content = [input])]
async fn size(input: PathBuf) -> u64 {
    SIZE_RUNS.fetch_add(1, SeqCst);
    std::fs::metadata(&input).map_or(0, |m| m.len())
}

#[larder::memoize(cache = &*CACHE, ttl = "1m", stale_while_revalidate = "1h", content = [input])]
fn line_count(input: PathBuf) -> Result<usize, larder::Error> {
    LEN_RUNS.fetch_add(1, SeqCst);
    Ok(std::fs::read_to_string(&input).map_or(0, |s| s.lines().count()))
}

#[tokio::test]
async fn stale_while_revalidate_functions_run_uncached_when_the_key_fails() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    assert_eq!(size(missing.clone()).await, 0);
    assert_eq!(size(missing.clone()).await, 0);
    assert_eq!(SIZE_RUNS.load(SeqCst), 2, "ran each time, uncached");
    // A readable file is cached as usual.
    let file = dir.path().join("f");
    std::fs::write(&file, "abc").unwrap();
    assert_eq!(size(file.clone()).await, 3);
    assert_eq!(size(file.clone()).await, 3);
    assert_eq!(SIZE_RUNS.load(SeqCst), 3);
}

#[test]
fn fallible_stale_while_revalidate_functions_run_uncached_when_the_key_fails() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    assert_eq!(line_count(missing.clone()).unwrap(), 0);
    assert_eq!(line_count(missing.clone()).unwrap(), 0);
    assert_eq!(LEN_RUNS.load(SeqCst), 2);
    let file = dir.path().join("f");
    std::fs::write(&file, "a\nb\n").unwrap();
    assert_eq!(line_count(file.clone()).unwrap(), 2);
    assert_eq!(line_count(file.clone()).unwrap(), 2);
    assert_eq!(LEN_RUNS.load(SeqCst), 3);
}
