//! The memory tier's budget: what an entry costs, where the budget ends, and
//! that removed or vanished entries leave it.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::{Counting, cache_with, get, key, put};
use larder_core::cache::{Cache, Config, PutOptions};
use larder_core::{ManualClock, block_on};

/// The memory bytes of one entry, put alone into a fresh cache.
fn cost(payload: &[u8], opts: &PutOptions) -> u64 {
    let (c, _) = cache_with(Config::default());
    put(&c, &key(1), payload, opts);
    let s = block_on(c.stats()).unwrap();
    assert_eq!(s.memory_entries, 1);
    s.memory_bytes
}

#[test]
fn an_entry_costs_every_byte_of_its_payload_meta_and_tags() {
    let base = cost(&[0; 100], &PutOptions::new());
    assert!(base > 100, "{base}");
    assert_eq!(cost(&[0; 350], &PutOptions::new()), base + 250);
    let meta = PutOptions::new().meta(vec![1; 40]);
    assert_eq!(cost(&[0; 100], &meta), base + 40);
    let tags = PutOptions::new().tag("abc").tag("de");
    assert_eq!(cost(&[0; 100], &tags), base + 5);
}

#[test]
fn entries_that_exactly_fill_the_budget_all_stay() {
    let one = cost(&[0; 100], &PutOptions::new());
    let (c, _) = cache_with(Config::default().memory_bytes(2 * one));
    put(&c, &key(1), &[1; 100], &PutOptions::new());
    put(&c, &key(2), &[2; 100], &PutOptions::new());
    let s = block_on(c.stats()).unwrap();
    assert_eq!(
        (s.memory_entries, s.memory_bytes, s.spills),
        (2, 2 * one, 0)
    );
    put(&c, &key(3), &[3; 100], &PutOptions::new());
    let s = block_on(c.stats()).unwrap();
    assert_eq!(
        (s.memory_entries, s.memory_bytes, s.spills),
        (2, 2 * one, 1)
    );
    assert!(
        c.get_cached(&key(1)).is_none(),
        "the least recently used spilled"
    );

    // One entry as large as the whole budget is kept; one byte larger is not.
    let (c, _) = cache_with(Config::default().memory_bytes(one));
    put(&c, &key(1), &[1; 100], &PutOptions::new());
    assert!(c.get_cached(&key(1)).is_some());
    let (c, _) = cache_with(Config::default().memory_bytes(one - 1));
    put(&c, &key(1), &[1; 100], &PutOptions::new());
    let s = block_on(c.stats()).unwrap();
    assert_eq!((s.memory_entries, s.memory_bytes, s.spills), (0, 0, 0));
    assert_eq!(
        get(&c, &key(1)).as_deref(),
        Some(&[1; 100][..]),
        "from the store"
    );
}

#[test]
fn a_removed_entry_frees_its_memory() {
    let one = cost(&[0; 100], &PutOptions::new());
    let (c, _) = cache_with(Config::default());
    put(&c, &key(1), &[1; 100], &PutOptions::new());
    put(&c, &key(2), &[2; 100], &PutOptions::new());
    assert_eq!(block_on(c.stats()).unwrap().memory_bytes, 2 * one);
    assert!(block_on(c.remove(&key(1))).unwrap());
    let s = block_on(c.stats()).unwrap();
    assert_eq!((s.memory_entries, s.memory_bytes), (1, one));
    assert!(block_on(c.remove(&key(2))).unwrap());
    let s = block_on(c.stats()).unwrap();
    assert_eq!((s.memory_entries, s.memory_bytes), (0, 0));
}

#[test]
fn an_entry_another_process_removed_leaves_memory_when_the_store_is_re_listed() {
    let store = Arc::new(Counting {
        shared: true,
        ..Counting::default()
    });
    let clock = ManualClock::new(1_000_000);
    let c = Cache::with_clock(store.clone(), clock.clone(), Config::default()).unwrap();
    let other = Cache::with_clock(store.clone(), clock, Config::default()).unwrap();
    put(&c, &key(1), b"one", &PutOptions::new());
    put(&c, &key(2), b"two", &PutOptions::new());
    assert!(block_on(other.remove(&key(1))).unwrap());
    // A prune re-lists a shared store.
    block_on(c.prune()).unwrap();
    assert!(c.get_cached(&key(1)).is_none(), "not served from memory");
    assert_eq!(get(&c, &key(1)), None);
    assert_eq!(get(&c, &key(2)).as_deref(), Some(&b"two"[..]));
    assert_eq!(block_on(c.stats()).unwrap().memory_entries, 1);
}
