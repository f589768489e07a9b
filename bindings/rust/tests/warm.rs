//! Warming: bounded concurrency, progress, skipping what is cached, failures;
//! the options entries are stored with, and the total when the iterator cannot
//! say.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Barrier, Mutex};

use larder::{Cache, Progress, PutOptions, Warm};

fn memory() -> Cache {
    Cache::builder().in_memory().open().unwrap()
}

/// Counts computations in flight and the most seen at once.
#[derive(Default)]
struct Gauge {
    now: AtomicUsize,
    max: AtomicUsize,
}

impl Gauge {
    fn enter(&self) {
        let n = self.now.fetch_add(1, SeqCst) + 1;
        self.max.fetch_max(n, SeqCst);
    }
    fn leave(&self) {
        self.now.fetch_sub(1, SeqCst);
    }
}

#[test]
fn blocking_warm_runs_n_at_once_reports_progress_and_skips_cached() {
    let cache = memory().blocking();
    cache.put("sq", &5u64, &25u64).unwrap(); // already there
    let gauge = Gauge::default();
    let first_three = Barrier::new(3);
    let seen = Mutex::new(Vec::new());
    let warm = Warm::new()
        .concurrency(3)
        .on_progress(|p: &Progress| seen.lock().unwrap().push((p.done, p.total)));
    let done = cache
        .warm("sq", 0..20u64, warm, |n| {
            gauge.enter();
            if *n < 3 {
                // The first three run at once, on three threads, or this never returns.
                first_three.wait();
            }
            gauge.leave();
            n * n
        })
        .unwrap();
    assert_eq!(
        (done.done, done.cached, done.computed, done.failed),
        (20, 1, 19, 0)
    );
    assert_eq!(done.total, Some(20));
    assert_eq!(gauge.max.load(SeqCst), 3, "never more than the concurrency");
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.len(), 20);
    assert!(
        seen.iter()
            .enumerate()
            .all(|(i, (d, t))| *d == i + 1 && *t == Some(20))
    );
    assert_eq!(cache.get::<_, u64>("sq", &19u64).unwrap(), Some(361));
    // A second warm finds everything cached.
    let again = cache.warm("sq", 0..20u64, Warm::new(), |n| n * n).unwrap();
    assert_eq!((again.cached, again.computed), (20, 0));
}

#[test]
fn failures_and_panics_are_counted_and_the_rest_go_on() {
    let cache = memory().blocking();
    let done = cache
        .try_warm(
            "parse",
            vec!["1", "x", "3", "boom"],
            Warm::new().concurrency(2),
            |s| {
                if *s == "boom" {
                    panic!("cannot parse {s}");
                }
                s.parse::<u32>().map_err(|e| format!("{s:?}: {e}"))
            },
        )
        .unwrap();
    assert_eq!((done.done, done.computed, done.failed), (4, 2, 2));
    let first = done.first_error.unwrap();
    assert!(
        first.contains("invalid digit") || first.contains("panicked"),
        "{first}"
    );
    assert_eq!(cache.get::<_, u32>("parse", &"3").unwrap(), Some(3));
    assert_eq!(cache.get::<_, u32>("parse", &"x").unwrap(), None);
    assert_eq!(cache.get::<_, u32>("parse", &"boom").unwrap(), None);
}

#[tokio::test]
async fn async_warm_keeps_n_futures_in_flight_on_one_task() {
    let cache = memory();
    let gauge = Gauge::default();
    let mut progress = Vec::new();
    let warm = Warm::new()
        .concurrency(4)
        .on_progress(|p| progress.push(p.done));
    let done = cache
        .warm("cube", (0..10u64).collect::<Vec<_>>(), warm, |n| {
            let (n, gauge) = (*n, &gauge);
            async move {
                gauge.enter();
                // Wait until four run at once (or, at the end, all that are left).
                while gauge.now.load(SeqCst) < 4.min(10 - n as usize) {
                    tokio::task::yield_now().await;
                }
                tokio::task::yield_now().await;
                gauge.leave();
                n * n * n
            }
        })
        .await
        .unwrap();
    assert_eq!((done.done, done.computed), (10, 10));
    assert_eq!(gauge.max.load(SeqCst), 4);
    assert_eq!(progress, (1..=10).collect::<Vec<_>>());
    assert_eq!(cache.get::<_, u64>("cube", &9u64).await.unwrap(), Some(729));
}

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
