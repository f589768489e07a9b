//! Warming: the options entries are stored with, the total when the iterator
//! cannot say, and failures of async warming.
#![allow(clippy::unwrap_used)]

use larder::{Cache, PutOptions, Warm};

fn on_disk() -> (tempfile::TempDir, Cache) {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::builder().dir(dir.path()).open().unwrap();
    (dir, cache)
}

#[test]
fn warmed_entries_carry_the_given_tags() {
    let (_dir, cache) = on_disk();
    let cache = cache.blocking();
    let warm = Warm::new().options(PutOptions::new().tag("nightly"));
    let done = cache.warm("sq", 1..=3u64, warm, |n| n * n).unwrap();
    assert_eq!(done.computed, 3);
    // Only entries stored with the tag are dropped by it.
    assert_eq!(cache.invalidate_tag("nightly").unwrap(), 3);
    assert_eq!(cache.get::<_, u64>("sq", &2u64).unwrap(), None);
}

#[test]
fn the_total_is_known_only_when_the_iterator_knows_it() {
    let cache = Cache::builder().in_memory().open().unwrap().blocking();
    // A filter can only bound its length: (0, Some(10)).
    let odd = (0..10u64).filter(|n| n % 2 == 1);
    let done = cache.warm("odd", odd, Warm::new(), |n| *n).unwrap();
    assert_eq!((done.done, done.total), (5, None));
    let exact = cache.warm("one", vec![7u64], Warm::new(), |n| *n).unwrap();
    assert_eq!(exact.total, Some(1));
}

#[tokio::test]
async fn async_warm_counts_failures_and_stores_nothing_for_them() {
    let cache = Cache::builder().in_memory().open().unwrap();
    let seen = std::sync::Mutex::new(Vec::new());
    let warm = Warm::new()
        .concurrency(2)
        .on_progress(|p| seen.lock().unwrap().push((p.done, p.failed)));
    let done = cache
        .try_warm("parse", vec!["1", "x", "3", "y"], warm, |s| {
            let s = *s;
            async move { s.parse::<u32>().map_err(|e| format!("{s:?}: {e}")) }
        })
        .await
        .unwrap();
    assert_eq!(
        (
            done.done,
            done.total,
            done.cached,
            done.computed,
            done.failed
        ),
        (4, Some(4), 0, 2, 2)
    );
    assert!(done.first_error.unwrap().contains("invalid digit"));
    assert_eq!(seen.into_inner().unwrap().last(), Some(&(4, 2)));
    assert_eq!(cache.get::<_, u32>("parse", &"3").await.unwrap(), Some(3));
    assert_eq!(cache.get::<_, u32>("parse", &"x").await.unwrap(), None);
    // Warming again skips what is cached and retries what failed.
    let again = cache
        .try_warm("parse", vec!["1", "x"], Warm::new(), |s| {
            let s = *s;
            async move { s.parse::<u32>().map_err(|e| e.to_string()) }
        })
        .await
        .unwrap();
    assert_eq!((again.cached, again.failed), (1, 1));
}
