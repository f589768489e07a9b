//! Batch reads and writes: one store call each, the same results as single
//! calls, and a bad batch changes nothing.
#![allow(clippy::unwrap_used)]

mod common;

use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll, Waker};

use common::{Counting, noise};
use larder_core::cache::{Cache, Config, PutOptions};
use larder_core::{ErrorKind, Key, ManualClock, MemoryStore, Store, block_on};

fn key(n: u32) -> Key {
    Key::new("batch", &[("n", n)]).unwrap()
}

fn items(range: std::ops::Range<u32>) -> Vec<(Key, Vec<u8>)> {
    range.map(|n| (key(n), n.to_le_bytes().to_vec())).collect()
}

fn cache<S: Store>(store: S, config: Config) -> Cache<S, ManualClock> {
    Cache::with_clock(store, ManualClock::new(1_000_000), config).unwrap()
}

fn payloads<S: Store>(c: &Cache<S, ManualClock>, keys: &[Key]) -> Vec<Option<Vec<u8>>> {
    block_on(c.get_many(keys))
        .unwrap()
        .into_iter()
        .map(|e| e.map(|e| e.payload().to_vec()))
        .collect()
}

#[test]
fn put_many_and_get_many_are_one_store_call_each() {
    let c = cache(Counting::default(), Config::default().memory_bytes(0));
    block_on(c.put_many(items(0..100), &PutOptions::new())).unwrap();
    assert_eq!(Counting::n(&c.store().put_many_calls), 1);
    assert_eq!(Counting::n(&c.store().puts), 0, "no single puts");
    let keys: Vec<Key> = (0..120).map(key).collect();
    let got = payloads(&c, &keys);
    assert_eq!(Counting::n(&c.store().get_many_calls), 1);
    assert_eq!(Counting::n(&c.store().gets), 0, "no single gets");
    for (n, v) in got.iter().enumerate() {
        let want = (n < 100).then(|| (n as u32).to_le_bytes().to_vec());
        assert_eq!(v, &want, "key {n}");
    }
    let s = block_on(c.stats()).unwrap();
    assert_eq!((s.hits, s.misses, s.entries), (100, 20, 100));
}

#[test]
fn get_many_serves_memory_hits_without_the_store() {
    let c = cache(Counting::default(), Config::default());
    block_on(c.put_many(items(0..10), &PutOptions::new())).unwrap();
    let keys: Vec<Key> = (0..10).map(key).collect();
    assert!(payloads(&c, &keys).iter().all(Option::is_some));
    assert_eq!(Counting::n(&c.store().get_many_calls), 0);
}

/// With or without a limit: with `max_entries(2)`, the batch of three pairs
/// over two keys is exactly at the limit (a key given twice counts once).
#[test]
fn a_repeated_key_keeps_its_last_payload() {
    for config in [Config::default(), Config::default().max_entries(2)] {
        let c = cache(MemoryStore::new(), config);
        let batch = vec![
            (key(1), b"first".to_vec()),
            (key(2), b"two".to_vec()),
            (key(1), b"last".to_vec()),
        ];
        block_on(c.put_many(batch, &PutOptions::new())).unwrap();
        assert_eq!(
            payloads(&c, &[key(1), key(2)]),
            [Some(b"last".to_vec()), Some(b"two".to_vec())]
        );
        let s = block_on(c.stats()).unwrap();
        assert_eq!((s.entries, s.evictions), (2, 0));
    }
}

#[test]
fn a_bad_batch_changes_nothing() {
    let c = cache(MemoryStore::new(), Config::default().max_bytes(4_000));
    block_on(c.put_many(items(0..3), &PutOptions::new())).unwrap();
    let before = c.store().len();

    let e = block_on(c.put_many(items(10..20), &PutOptions::new().ttl_ms(0))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let mut huge = items(20..22);
    huge.push((key(22), noise(10_000, 22)));
    let e = block_on(c.put_many(huge, &PutOptions::new())).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooLarge);
    // Each entry fits, the batch does not.
    let big: Vec<(Key, Vec<u8>)> = (30..40)
        .map(|n| (key(n), noise(1_000, u64::from(n))))
        .collect();
    let e = block_on(c.put_many(big, &PutOptions::new())).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooLarge);
    assert!(e.to_string().contains("the batch takes"), "{e}");

    assert_eq!(c.store().len(), before);
    let keys: Vec<Key> = (0..3).chain(10..40).map(key).collect();
    let got = payloads(&c, &keys);
    assert_eq!(got.iter().filter(|v| v.is_some()).count(), 3);
}

#[test]
fn a_batch_evicts_older_entries_never_its_own() {
    let c = cache(MemoryStore::new(), Config::default().max_entries(5));
    block_on(c.put_many(items(0..5), &PutOptions::new())).unwrap();
    block_on(c.put_many(items(5..8), &PutOptions::new())).unwrap();
    let keys: Vec<Key> = (0..8).map(key).collect();
    let present: Vec<bool> = payloads(&c, &keys).iter().map(Option::is_some).collect();
    assert_eq!(present, [false, false, false, true, true, true, true, true]);
    let s = block_on(c.stats()).unwrap();
    assert_eq!((s.entries, s.evictions), (5, 3));
}

#[test]
fn get_many_counts_a_corrupt_entry_as_a_miss() {
    let c = cache(MemoryStore::new(), Config::default().memory_bytes(0));
    block_on(c.put_many(items(0..3), &PutOptions::new())).unwrap();
    let h = key(1).hash();
    let mut damaged = block_on(c.store().get(h)).unwrap().unwrap();
    damaged[40] ^= 1;
    assert!(c.store().overwrite_raw(h, damaged));
    let got = payloads(&c, &[key(0), key(1), key(2)]);
    assert_eq!(
        got.iter().map(Option::is_some).collect::<Vec<_>>(),
        [true, false, true]
    );
    let s = block_on(c.stats()).unwrap();
    assert_eq!((s.corrupt, s.misses, s.entries), (1, 1, 2));
}

#[test]
fn an_empty_batch_is_a_no_op() {
    let c = cache(Counting::default(), Config::default());
    block_on(c.put_many(Vec::new(), &PutOptions::new())).unwrap();
    assert!(block_on(c.get_many(&[])).unwrap().is_empty());
    assert_eq!(Counting::n(&c.store().put_many_calls), 0);
}

#[test]
fn get_many_writes_back_recency_when_due() {
    let clock = ManualClock::new(0);
    let c = Cache::with_clock(Counting::default(), clock.clone(), Config::default()).unwrap();
    block_on(c.put_many(items(0..2), &PutOptions::new())).unwrap();
    // Past the recency granularity and the touch interval: the memory hits
    // queue their accesses, and the batch writes them back.
    clock.advance_ms(61_000);
    assert!(payloads(&c, &[key(0), key(1)]).iter().all(Option::is_some));
    assert_eq!(Counting::n(&c.store().touch_calls), 1);
    assert_eq!(Counting::n(&c.store().touched), 2);
}

#[test]
fn with_limits_a_batch_is_made_and_checked_before_the_store_is_listed() {
    let c = cache(Counting::default(), Config::default().max_entries(2));
    let e = block_on(c.put_many(items(0..3), &PutOptions::new())).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooLarge);
    assert_eq!(
        Counting::n(&c.store().lists),
        0,
        "refused before the store is listed"
    );
    // A good batch: every entry is made before the listing waits.
    c.store().stall_lists.store(true, SeqCst);
    let made = AtomicUsize::new(0);
    let mut todo = items(0..2).into_iter();
    let next = || {
        let item = todo.next()?;
        made.fetch_add(1, SeqCst);
        Some(Ok(item))
    };
    let opts = PutOptions::new();
    let mut put = pin!(c.put_many_from(next, &opts));
    let mut cx = Context::from_waker(Waker::noop());
    assert!(put.as_mut().poll(&mut cx).is_pending(), "the listing waits");
    assert_eq!(made.load(SeqCst), 2, "both entries were made first");
    c.store().stall_lists.store(false, SeqCst);
    assert!(matches!(put.as_mut().poll(&mut cx), Poll::Ready(Ok(()))));
    assert_eq!(block_on(c.stats()).unwrap().entries, 2);
}

#[test]
fn a_batch_of_exactly_max_bytes_fits() {
    let sizing = cache(MemoryStore::new(), Config::default());
    block_on(sizing.put_many(items(0..2), &PutOptions::new())).unwrap();
    let total: u64 = block_on(sizing.store().list())
        .unwrap()
        .iter()
        .map(|m| m.size)
        .sum();
    let c = cache(MemoryStore::new(), Config::default().max_bytes(total));
    block_on(c.put_many(items(0..2), &PutOptions::new())).unwrap();
    let s = block_on(c.stats()).unwrap();
    assert_eq!((s.entries, s.store_bytes, s.evictions), (2, total, 0));
}
