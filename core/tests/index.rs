//! The in-process index of the store: where its limits lie, and what a clear
//! leaves of it.
#![allow(clippy::unwrap_used)]

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll, Waker};

use common::{Counting, cache_with, get, key, noise, put};
use larder_core::cache::{Cache, Config, PutOptions};
use larder_core::{ManualClock, Store, block_on};

/// The store's size of one entry of a 300-byte payload under `key(n)`.
fn entry_size() -> u64 {
    let (sizing, _) = cache_with(Config::default());
    put(&sizing, &key(1), &noise(300, 1), &PutOptions::new());
    block_on(sizing.store().list()).unwrap()[0].size
}

#[test]
fn entries_that_exactly_fill_max_bytes_all_stay() {
    let size = entry_size();
    let (c, _) = cache_with(Config::default().max_bytes(3 * size));
    for n in 1..=3 {
        put(&c, &key(n), &noise(300, n.into()), &PutOptions::new());
    }
    let s = block_on(c.stats()).unwrap();
    assert_eq!((s.entries, s.store_bytes, s.evictions), (3, 3 * size, 0));
    // A fourth takes the least recently used out.
    put(&c, &key(4), &noise(300, 4), &PutOptions::new());
    let s = block_on(c.stats()).unwrap();
    assert_eq!((s.entries, s.store_bytes, s.evictions), (3, 3 * size, 1));
    assert_eq!(c.store().len(), 3);
}

#[test]
fn entries_that_exactly_fill_max_entries_all_stay() {
    let (c, _) = cache_with(Config::default().max_entries(3));
    for n in 1..=3 {
        put(&c, &key(n), b"v", &PutOptions::new());
    }
    let s = block_on(c.stats()).unwrap();
    assert_eq!((s.entries, s.evictions), (3, 0));
    put(&c, &key(4), b"v", &PutOptions::new());
    let s = block_on(c.stats()).unwrap();
    assert_eq!((s.entries, s.evictions), (3, 1));
}

#[test]
fn a_clear_during_a_listing_leaves_nothing_behind() {
    let store = Arc::new(Counting::default());
    let clock = ManualClock::new(0);
    let writer = Cache::with_clock(store.clone(), clock.clone(), Config::default()).unwrap();
    put(&writer, &key(1), b"one", &PutOptions::new());
    put(&writer, &key(2), b"two", &PutOptions::new());
    let c = Cache::with_clock(store.clone(), clock, Config::default()).unwrap();
    // The first listing of `c`'s index reads both entries, then waits;
    // meanwhile the cache is cleared.
    store.stall_lists.store(true, SeqCst);
    let mut cx = Context::from_waker(Waker::noop());
    let mut prune = pin!(c.prune());
    assert!(prune.as_mut().poll(&mut cx).is_pending());
    block_on(c.clear()).unwrap();
    store.stall_lists.store(false, SeqCst);
    assert!(matches!(prune.as_mut().poll(&mut cx), Poll::Ready(Ok(0))));
    let s = block_on(c.stats()).unwrap();
    assert_eq!((s.entries, s.store_bytes), (0, 0), "no phantom entries");
    assert_eq!(get(&c, &key(1)), None);
}

#[test]
fn a_cleared_cache_forgets_its_entries_and_sizes_without_re_listing() {
    let store = Counting {
        shared: true,
        ..Counting::default()
    };
    let c = Cache::with_clock(
        store,
        ManualClock::new(1_700_000_000_000),
        Config::default().max_entries(2),
    )
    .unwrap();
    put(&c, &key(1), b"one", &PutOptions::new());
    put(&c, &key(2), b"two", &PutOptions::new());
    block_on(c.clear()).unwrap();
    let lists = Counting::n(&c.store().lists);
    let s = block_on(c.stats()).unwrap();
    assert_eq!((s.entries, s.store_bytes), (0, 0));
    assert_eq!((s.memory_entries, s.memory_bytes), (0, 0));
    // Two new entries fit the limit: nothing cleared is counted against it.
    put(&c, &key(3), b"three", &PutOptions::new());
    put(&c, &key(4), b"four", &PutOptions::new());
    let s = block_on(c.stats()).unwrap();
    assert_eq!((s.entries, s.evictions), (2, 0));
    assert_eq!(c.store().inner.len(), 2);
    // The store the clear left empty needs no listing to be known, and a
    // write past the limit within the resync interval does not re-list it.
    put(&c, &key(5), b"five", &PutOptions::new());
    assert_eq!(block_on(c.stats()).unwrap().evictions, 1);
    assert_eq!(Counting::n(&c.store().lists), lists);
}
