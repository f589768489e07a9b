//! The cache's bookkeeping over the memory store with a manual clock: the
//! index it adopts reads into, recency written back, re-listing a shared
//! store, a full quota's evictions, and what `contains`, `prune` and a write
//! count as expired.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::{Counting, cache_with, get, key, noise, put};
use larder_core::cache::{Cache, Config, PutOptions};
use larder_core::{Error, ErrorKind, ManualClock, MemoryStore, Store, block_on, frame};

#[test]
fn the_cache_reports_its_configuration() {
    let (c, _) = cache_with(Config::default().max_entries(7).max_bytes(9_000));
    assert_eq!(c.config().max_entries, Some(7));
    assert_eq!(c.config().max_bytes, Some(9_000));
}

#[test]
fn an_entry_another_cache_wrote_is_adopted_into_the_index_when_read() {
    let store = Arc::new(MemoryStore::new());
    let clock = ManualClock::new(1_000_000);
    let cfg = Config::default().memory_bytes(0);
    let a = Cache::with_clock(store.clone(), clock.clone(), cfg.clone()).unwrap();
    assert_eq!(
        block_on(a.stats()).unwrap().entries,
        0,
        "a's index is loaded"
    );
    let b = Cache::with_clock(store.clone(), clock, cfg).unwrap();
    put(&b, &key(1), b"from b", &PutOptions::new());
    assert_eq!(get(&a, &key(1)).as_deref(), Some(&b"from b"[..]));
    let size = block_on(store.list()).unwrap()[0].size;
    let s = block_on(a.stats()).unwrap();
    assert_eq!(
        (s.entries, s.store_bytes),
        (1, size),
        "a counts what it read"
    );
}

#[test]
fn a_flush_with_nothing_pending_calls_no_store() {
    let c = Cache::with_clock(Counting::default(), ManualClock::new(0), Config::default()).unwrap();
    put(&c, &key(1), b"v", &PutOptions::new());
    block_on(c.flush()).unwrap();
    assert_eq!(Counting::n(&c.store().touch_calls), 0);
}

#[test]
fn a_pending_read_is_not_due_before_the_interval_or_the_batch() {
    let clock = ManualClock::new(0);
    let cfg = Config {
        touch_interval_ms: 600_000,
        background_write_back: true,
        ..Config::default()
    };
    let c = Cache::with_clock(MemoryStore::new(), clock.clone(), cfg).unwrap();
    put(&c, &key(1), b"v", &PutOptions::new());
    clock.advance_ms(61_000);
    assert!(get(&c, &key(1)).is_some(), "queues its access");
    assert!(
        !c.write_back_due(),
        "one pending read, well within the interval"
    );
    clock.advance_ms(600_000);
    assert!(c.write_back_due(), "and due once the interval has passed");
}

/// A [`MemoryStore`] whose `touch_many` (`get` too, with `gets`) fails with `kind`.
struct Fails {
    inner: MemoryStore,
    kind: ErrorKind,
    gets: bool,
}

impl Fails {
    fn touches(kind: ErrorKind) -> Fails {
        Fails {
            inner: MemoryStore::new(),
            kind,
            gets: false,
        }
    }

    fn refused<T>(&self, op: &'static str) -> larder_core::Result<T> {
        Err(Error::new(self.kind, op, "refused"))
    }
}

#[async_trait::async_trait]
impl Store for Fails {
    fn capabilities(&self) -> larder_core::Capabilities {
        self.inner.capabilities()
    }
    async fn get(&self, key: larder_core::KeyHash) -> larder_core::Result<Option<Vec<u8>>> {
        if self.gets {
            return self.refused("get");
        }
        self.inner.get(key).await
    }
    async fn put(&self, meta: &larder_core::EntryMeta, frame: &[u8]) -> larder_core::Result<()> {
        self.inner.put(meta, frame).await
    }
    async fn delete(&self, key: larder_core::KeyHash) -> larder_core::Result<bool> {
        self.inner.delete(key).await
    }
    async fn list(&self) -> larder_core::Result<Vec<larder_core::EntryMeta>> {
        self.inner.list().await
    }
    async fn touch_many(&self, _: &[(larder_core::KeyHash, u64)]) -> larder_core::Result<()> {
        self.refused("touch_many")
    }
}

#[test]
fn a_flush_ignores_a_store_without_recency_and_reports_other_failures() {
    for (kind, fails) in [(ErrorKind::Unsupported, false), (ErrorKind::Storage, true)] {
        let clock = ManualClock::new(0);
        let store = Fails::touches(kind);
        // The read leaves its access pending, for the flush below to write.
        let cfg = Config {
            touch_interval_ms: 600_000,
            ..Config::default()
        };
        let c = Cache::with_clock(store, clock.clone(), cfg).unwrap();
        put(&c, &key(1), b"v", &PutOptions::new());
        clock.advance_ms(61_000);
        get(&c, &key(1));
        let flushed = block_on(c.flush());
        assert_eq!(flushed.is_err(), fails, "{kind:?}: {flushed:?}");
        if let Err(e) = flushed {
            assert_eq!(e.kind(), kind);
        }
    }
}

#[test]
fn a_shared_store_is_re_listed_at_most_once_per_resync_interval() {
    // From the epoch and from a clock far from it: the interval counts from
    // the listing.
    for start in [0, 1_700_000_000_000] {
        let clock = ManualClock::new(start);
        let store = Counting {
            shared: true,
            ..Counting::default()
        };
        let cfg = Config::default().max_entries(2);
        let c = Cache::with_clock(store, clock.clone(), cfg.clone()).unwrap();
        for n in 0..6 {
            put(&c, &key(n), b"v", &PutOptions::new());
            clock.advance_ms(cfg.resync_interval_ms / 10);
        }
        assert!(block_on(c.remove(&key(5))).unwrap());
        assert_eq!(
            Counting::n(&c.store().lists),
            1,
            "the first write lists; the evictions and the removal within the interval do not"
        );
        clock.advance_ms(cfg.resync_interval_ms);
        put(&c, &key(9), b"v", &PutOptions::new());
        assert_eq!(
            Counting::n(&c.store().lists),
            1,
            "not over the limit: no re-list"
        );
        put(&c, &key(10), b"v", &PutOptions::new());
        assert_eq!(
            Counting::n(&c.store().lists),
            2,
            "over it, once the interval has passed"
        );
    }
}

#[test]
fn a_read_after_a_finished_delete_is_kept_in_memory_and_the_index() {
    let store = Arc::new(MemoryStore::new());
    let clock = ManualClock::new(1_000_000);
    let a = Cache::with_clock(store.clone(), clock.clone(), Config::default()).unwrap();
    let b = Cache::with_clock(store.clone(), clock, Config::default()).unwrap();
    put(&a, &key(1), b"one", &PutOptions::new());
    assert!(block_on(a.remove(&key(1))).unwrap());
    put(&b, &key(2), b"two", &PutOptions::new());
    assert_eq!(get(&a, &key(2)).as_deref(), Some(&b"two"[..]));
    let s = block_on(a.stats()).unwrap();
    assert_eq!(
        (s.entries, s.memory_entries),
        (1, 1),
        "the delete is over: nothing raced the read"
    );
}

#[test]
fn enforce_limits_costs_nothing_without_limits() {
    let store = Counting {
        shared: true,
        ..Counting::default()
    };
    let c = Cache::with_clock(store, ManualClock::new(0), Config::default()).unwrap();
    put(&c, &key(1), b"v", &PutOptions::new());
    assert_eq!(block_on(c.enforce_limits()).unwrap(), 0);
    assert_eq!(Counting::n(&c.store().lists), 0, "no listing");
}

#[test]
fn a_full_quota_evicts_only_twice_what_is_written() {
    let clock = ManualClock::new(0);
    let store = common::Quota::new(5_000, true, false);
    let c = Cache::with_clock(store, clock.clone(), Config::default()).unwrap();
    for n in 0..4 {
        put(&c, &key(n), &noise(1_000, n.into()), &PutOptions::new());
        clock.advance_ms(1);
    }
    let sizes: Vec<u64> = block_on(c.store().inner.list())
        .unwrap()
        .iter()
        .map(|m| m.size)
        .collect();
    assert!(
        sizes.iter().all(|&s| s == sizes[0] && s > 1_000),
        "{sizes:?}"
    );
    // A fifth does not fit: room for two is made, exactly, and no more.
    put(&c, &key(4), &noise(1_000, 4), &PutOptions::new());
    let s = block_on(c.stats()).unwrap();
    assert_eq!((s.evictions, s.entries), (2, 3));
    for n in 2..5 {
        assert!(get(&c, &key(n)).is_some(), "key {n} stays");
    }
}

#[test]
fn larders_own_tags_count_toward_the_tag_limit() {
    let (c, _) = cache_with(Config::default());
    let tagged = |n: usize| {
        (0..n).fold(
            PutOptions::new()
                .ttl_ms(1_000)
                .stale_while_revalidate_ms(1_000),
            |o, i| o.tag(format!("t{i}")),
        )
    };
    // The user's tags and the grace period's own: the most an entry holds.
    put(&c, &key(1), b"v", &tagged(frame::MAX_TAGS - 1));
    assert!(get(&c, &key(1)).is_some());
    // One more is refused before anything is written.
    let e = block_on(c.put(&key(2), b"v".to_vec(), &tagged(frame::MAX_TAGS))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.message().contains("more than the 256"), "{e}");
    assert_eq!(c.store().len(), 1);
}

#[test]
fn an_entry_of_exactly_max_bytes_fits() {
    let (sizing, _) = cache_with(Config::default());
    put(&sizing, &key(1), &noise(500, 1), &PutOptions::new());
    let size = block_on(sizing.store().list()).unwrap()[0].size;
    let (c, _) = cache_with(Config::default().max_bytes(size));
    put(&c, &key(1), &noise(500, 1), &PutOptions::new());
    let s = block_on(c.stats()).unwrap();
    assert_eq!((s.entries, s.store_bytes), (1, size));
}

#[test]
fn a_full_quota_makes_room_for_twice_the_write_and_says_what_it_evicted() {
    let clock = ManualClock::new(0);
    let store = common::Quota::new(5_000, true, false);
    let c = Cache::with_clock(store, clock.clone(), Config::default()).unwrap();
    for n in 0..8 {
        put(&c, &key(n), &noise(400, n.into()), &PutOptions::new());
        clock.advance_ms(1);
    }
    let small = block_on(c.store().inner.list()).unwrap()[0].size;
    assert_eq!(
        block_on(c.stats()).unwrap().evictions,
        0,
        "{small} bytes each"
    );
    put(&c, &key(8), &noise(1_000, 8), &PutOptions::new());
    let listed = block_on(c.store().inner.list()).unwrap();
    let big = listed.iter().find(|m| m.key == key(8).hash()).unwrap().size;
    // The fewest least recently used small entries that free twice the write.
    let want = (2 * big).div_ceil(small);
    let s = block_on(c.stats()).unwrap();
    assert_eq!((s.evictions, s.entries), (want, 9 - want));
    // Too large even for an empty store: everything goes, and the error says so.
    let e = block_on(c.put(&key(99), noise(6_000, 9), &PutOptions::new())).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::StorageFull);
    let evicted = format!("after evicting {} entries", 9 - want);
    assert!(e.message().contains(&evicted), "{e}");
}

#[test]
fn expired_entries_a_write_removes_are_counted() {
    let (c, clock) = cache_with(Config::default());
    for n in 0..3 {
        put(&c, &key(n), b"v", &PutOptions::new().ttl_ms(100));
    }
    clock.advance_ms(100);
    put(&c, &key(9), b"a write", &PutOptions::new());
    let s = block_on(c.stats()).unwrap();
    assert_eq!((s.expired, s.entries), (3, 1));
}

#[test]
fn a_read_after_a_write_that_evicted_is_kept_in_memory_and_the_index() {
    let store = Arc::new(MemoryStore::new());
    let clock = ManualClock::new(1_000_000);
    let a = Cache::with_clock(
        store.clone(),
        clock.clone(),
        Config::default().max_entries(3),
    );
    let a = a.unwrap();
    let b = Cache::with_clock(store.clone(), clock, Config::default()).unwrap();
    for n in 1..=4 {
        put(&a, &key(n), b"v", &PutOptions::new());
    }
    assert_eq!(block_on(a.stats()).unwrap().evictions, 1);
    put(&b, &key(5), b"five", &PutOptions::new());
    assert_eq!(get(&a, &key(5)).as_deref(), Some(&b"five"[..]));
    let s = block_on(a.stats()).unwrap();
    assert_eq!(
        (s.entries, s.memory_entries),
        (4, 4),
        "the eviction's delete is over: nothing raced the read"
    );
}

#[test]
fn contains_answers_from_the_memory_tier_without_the_store() {
    let c = Cache::with_clock(Counting::default(), ManualClock::new(0), Config::default()).unwrap();
    put(&c, &key(1), b"v", &PutOptions::new());
    assert!(block_on(c.contains(&key(1))).unwrap());
    assert_eq!(Counting::n(&c.store().gets), 0, "no store read");
}

#[test]
fn contains_is_false_for_an_expired_entry_in_memory_and_a_corrupt_one_in_the_store() {
    let (c, clock) = cache_with(Config::default());
    put(&c, &key(1), b"v", &PutOptions::new().ttl_ms(100));
    clock.advance_ms(100);
    assert!(!block_on(c.contains(&key(1))).unwrap(), "expired");
    // Read from the store: a damaged frame is no entry, not an error.
    let (c, _) = cache_with(Config::default().memory_bytes(0));
    put(&c, &key(2), b"v", &PutOptions::new());
    assert!(
        c.store()
            .overwrite_raw(key(2).hash(), b"not a frame".to_vec())
    );
    assert!(!block_on(c.contains(&key(2))).unwrap(), "corrupt");
    // From the store too: fresh until its ttl, then neither stale nor expired counts.
    let (c, clock) = cache_with(Config::default().memory_bytes(0));
    let swr = PutOptions::new().ttl_ms(100).stale_while_revalidate_ms(100);
    put(&c, &key(3), b"v", &swr);
    put(&c, &key(4), b"v", &PutOptions::new().ttl_ms(100));
    clock.advance_ms(99);
    assert!(block_on(c.contains(&key(3))).unwrap() && block_on(c.contains(&key(4))).unwrap());
    clock.advance_ms(1);
    assert!(!block_on(c.contains(&key(3))).unwrap(), "stale");
    assert!(!block_on(c.contains(&key(4))).unwrap(), "expired");
}

#[test]
fn prune_counts_what_it_removed_as_expired() {
    let (c, clock) = cache_with(Config::default());
    for n in 0..3 {
        put(&c, &key(n), b"v", &PutOptions::new().ttl_ms(100));
    }
    clock.advance_ms(100);
    assert_eq!(block_on(c.prune()).unwrap(), 3);
    assert_eq!(block_on(c.stats()).unwrap().expired, 3);
}

#[test]
fn contains_says_false_for_a_corrupt_read_and_passes_other_store_errors_on() {
    for (kind, errs) in [(ErrorKind::Corrupt, false), (ErrorKind::Storage, true)] {
        let store = Fails {
            gets: true,
            ..Fails::touches(kind)
        };
        let c = Cache::with_clock(
            store,
            ManualClock::new(0),
            Config::default().memory_bytes(0),
        );
        let got = block_on(c.unwrap().contains(&key(1)));
        if errs {
            assert_eq!(got.unwrap_err().kind(), kind);
        } else {
            assert!(!got.unwrap(), "a corrupt entry is not there");
        }
    }
}
