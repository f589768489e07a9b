//! Cache behaviour over the memory store with a manual clock.
#![allow(clippy::unwrap_used)]

mod common;

use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll, Waker};

use common::{Counting, P, Recorder, TestCache, cache_with, get, key, noise, put};
use larder_core::cache::{Cache, Config, Filter, PutOptions};
use larder_core::{Canon, Error, ErrorKind, Key, ManualClock, MemoryStore, Store, block_on, frame};

#[test]
fn put_get_and_hit_rate() {
    let (c, _) = cache_with(Config::default());
    assert_eq!(get(&c, &key(1)), None);
    put(&c, &key(1), b"one", &PutOptions::new());
    assert_eq!(get(&c, &key(1)).as_deref(), Some(&b"one"[..]));
    assert_eq!(get(&c, &key(2)), None);
    let s = block_on(c.stats()).unwrap();
    assert_eq!((s.hits, s.misses, s.entries), (1, 2, 1));
    assert!((s.hit_rate - 1.0 / 3.0).abs() < 1e-9);
}

#[test]
fn ttl_per_cache_and_per_entry() {
    let (c, clock) = cache_with(Config::default().default_ttl_ms(1_000));
    put(&c, &key(1), b"default ttl", &PutOptions::new());
    put(&c, &key(2), b"long ttl", &PutOptions::new().ttl_ms(10_000));
    clock.advance_ms(999);
    assert!(get(&c, &key(1)).is_some());
    clock.advance_ms(1);
    assert_eq!(get(&c, &key(1)), None, "expired entries are never returned");
    assert!(get(&c, &key(2)).is_some());
    assert_eq!(c.store().len(), 1, "the expired entry is removed on read");
    assert_eq!(block_on(c.stats()).unwrap().expired, 1);
    let e = block_on(c.put(&key(3), vec![], &PutOptions::new().ttl_ms(0))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

#[test]
fn prune_removes_expired_and_writes_remove_some() {
    let (c, clock) = cache_with(Config::default());
    for n in 0..10 {
        put(&c, &key(n), b"v", &PutOptions::new().ttl_ms(100));
    }
    put(&c, &key(99), b"keeps", &PutOptions::new());
    clock.advance_ms(100);
    assert_eq!(block_on(c.prune()).unwrap(), 10);
    assert_eq!(c.store().len(), 1);
    for n in 0..5 {
        put(&c, &key(n), b"v", &PutOptions::new().ttl_ms(100));
    }
    clock.advance_ms(200);
    put(&c, &key(50), b"a write", &PutOptions::new());
    assert_eq!(
        c.store().len(),
        2,
        "the write path removed the expired entries"
    );
}

#[test]
fn lru_eviction_by_entries_respects_recency() {
    let (c, _) = cache_with(Config::default().max_entries(2).memory_bytes(0));
    put(&c, &key(1), b"a", &PutOptions::new());
    put(&c, &key(2), b"b", &PutOptions::new());
    assert!(get(&c, &key(1)).is_some()); // 1 is now more recent than 2
    put(&c, &key(3), b"c", &PutOptions::new());
    assert!(get(&c, &key(2)).is_none(), "least recently used goes first");
    assert!(get(&c, &key(1)).is_some() && get(&c, &key(3)).is_some());
    let s = block_on(c.stats()).unwrap();
    assert_eq!((s.evictions, s.entries), (1, 2));
}

#[test]
fn byte_limit_is_enforced_on_every_write() {
    let (c, _) = cache_with(Config::default().max_bytes(4_000));
    for n in 0..50 {
        put(&c, &key(n), &noise(300, n.into()), &PutOptions::new());
        let s = block_on(c.stats()).unwrap();
        assert!(
            s.store_bytes <= 4_000,
            "{} bytes after write {n}",
            s.store_bytes
        );
    }
    let listed: u64 = block_on(c.store().list())
        .unwrap()
        .iter()
        .map(|m| m.size)
        .sum();
    assert!(listed <= 4_000);
    assert!(block_on(c.stats()).unwrap().evictions > 30);
}

#[test]
fn oversized_value_is_rejected_and_changes_nothing() {
    let (c, _) = cache_with(Config::default().max_bytes(1_000));
    put(&c, &key(1), b"small", &PutOptions::new());
    let e = block_on(c.put(&key(2), noise(5_000, 2), &PutOptions::new())).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooLarge);
    assert!(e.to_string().contains("holds 1000"), "{e}");
    assert_eq!(c.store().len(), 1);
    assert_eq!(get(&c, &key(1)).as_deref(), Some(&b"small"[..]));
}

#[test]
fn memory_tier_serves_spills_and_promotes() {
    let rec = Recorder::default();
    let clock = ManualClock::new(0);
    // Budget for roughly two 1 KiB entries.
    let cfg = Config::default().memory_bytes(2_500);
    let c = Cache::with_clock(MemoryStore::new(), clock, cfg)
        .unwrap()
        .with_observer(rec.clone());
    put(&c, &key(1), &[1; 1024], &PutOptions::new());
    put(&c, &key(2), &[2; 1024], &PutOptions::new());
    put(&c, &key(3), &[3; 1024], &PutOptions::new());
    rec.take();
    get(&c, &key(3));
    get(&c, &key(1));
    get(&c, &key(1));
    assert_eq!(rec.take(), ["hit:memory", "hit:store", "hit:memory"]);
    let s = block_on(c.stats()).unwrap();
    assert!(s.spills >= 2, "spills: {}", s.spills);
    assert!(s.memory_bytes <= 2_500 && s.memory_entries == 2);
    assert_eq!(s.entries, 3, "spilled entries stay in the store");
}

#[test]
fn corrupt_entries_are_misses_removed_and_counted() {
    let rec = Recorder::default();
    let (c, _) = cache_with(Config::default().memory_bytes(0));
    let c = c.with_observer(rec.clone());
    put(&c, &key(1), b"value", &PutOptions::new());
    let h = key(1).hash();
    let mut damaged = block_on(c.store().get(h)).unwrap().unwrap();
    let last = damaged.len() - 1;
    damaged[last] ^= 0x40;
    assert!(c.store().overwrite_raw(h, damaged));
    rec.take();
    assert_eq!(get(&c, &key(1)), None);
    assert_eq!(rec.take(), ["corrupt", "miss"]);
    assert_eq!(c.store().len(), 0, "the corrupt entry is removed");
    assert_eq!(block_on(c.stats()).unwrap().corrupt, 1);
    assert!(!c.store().overwrite_raw(h, b"x".to_vec()));
}

#[test]
fn an_entry_of_another_key_under_this_keys_hash_is_a_corrupt_miss() {
    let (c, _) = cache_with(Config::default().memory_bytes(0));
    put(&c, &key(2), b"other key's value", &PutOptions::new());
    // Plant key 2's valid frame where key 1's hash points (a swapped file).
    let frame2 = block_on(c.store().get(key(2).hash())).unwrap().unwrap();
    let meta = larder_core::EntryMeta {
        key: key(1).hash(),
        ..Default::default()
    };
    block_on(c.store().put(&meta, &frame2)).unwrap();
    assert!(!block_on(c.contains(&key(1))).unwrap());
    assert_eq!(get(&c, &key(1)), None);
    assert_eq!(block_on(c.stats()).unwrap().corrupt, 1, "counted as damage");
    assert_eq!(
        block_on(c.store().get(key(1).hash())).unwrap(),
        None,
        "and removed"
    );
    assert_eq!(get(&c, &key(2)).as_deref(), Some(&b"other key's value"[..]));
}

#[test]
fn get_or_compute_runs_once_across_threads() {
    let (c, _) = cache_with(Config::default());
    let c = Arc::new(c);
    let runs = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(std::sync::Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (c, runs, barrier) = (c.clone(), runs.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                block_on(c.get_or_compute(&key(7), &PutOptions::new(), || async {
                    runs.fetch_add(1, SeqCst);
                    // Hold the flight open so the other threads join it.
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    Ok(b"computed".to_vec())
                }))
                .unwrap()
                .payload()
                .to_vec()
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), b"computed");
    }
    assert_eq!(runs.load(SeqCst), 1);
    let s = block_on(c.stats()).unwrap();
    assert_eq!((s.misses, s.hits), (1, 7));
}

#[test]
fn failed_computation_reaches_the_caller_and_caches_nothing() {
    let (c, _) = cache_with(Config::default());
    let r = block_on(c.get_or_compute(&key(1), &PutOptions::new(), || async {
        Err(Error::new(ErrorKind::Compute, "compute", "boom"))
    }));
    assert_eq!(r.unwrap_err().message(), "boom");
    assert_eq!(c.store().len(), 0);
    let r = block_on(c.get_or_compute(&key(1), &PutOptions::new(), || async { Ok(vec![1]) }));
    assert_eq!(r.unwrap().payload(), [1]);
}

#[test]
fn a_cancelled_leader_hands_over_to_a_waiter() {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};
    let (c, _) = cache_with(Config::default());
    let k = key(1);
    let mut cx = Context::from_waker(Waker::noop());
    let opts = PutOptions::new();
    let mut leader = Box::pin(c.get_or_compute(&k, &opts, || {
        std::future::pending::<larder_core::Result<Vec<u8>>>()
    }));
    assert!(leader.as_mut().poll(&mut cx).is_pending());
    let mut waiter = pin!(c.get_or_compute(&k, &opts, || async { Ok(b"w".to_vec()) }));
    assert!(
        waiter.as_mut().poll(&mut cx).is_pending(),
        "waits on the leader"
    );
    drop(leader);
    match waiter.as_mut().poll(&mut cx) {
        Poll::Ready(r) => assert_eq!(r.unwrap().payload(), b"w"),
        Poll::Pending => panic!("the waiter should have taken over"),
    }
}

#[test]
fn time_saved_adds_the_compute_cost_of_each_hit() {
    let (c, clock) = cache_with(Config::default());
    let cl = clock.clone();
    block_on(
        c.get_or_compute(&key(1), &PutOptions::new(), || async move {
            cl.advance_ms(250);
            Ok(vec![0])
        }),
    )
    .unwrap();
    get(&c, &key(1));
    get(&c, &key(1));
    assert_eq!(block_on(c.stats()).unwrap().time_saved_us, 500_000);
}

#[test]
fn invalidation_by_key_tag_and_namespace() {
    let (c, _) = cache_with(Config::default());
    let other = Key::new("other", &P { n: 1 }).unwrap();
    put(&c, &key(1), b"1", &PutOptions::new().tag("red"));
    put(&c, &key(2), b"2", &PutOptions::new().tag("red").tag("blue"));
    put(&c, &key(3), b"3", &PutOptions::new().tag("blue"));
    put(&c, &other, b"o", &PutOptions::new().tag("red"));
    assert!(block_on(c.contains(&key(3))).unwrap());
    assert!(block_on(c.remove(&key(3))).unwrap());
    assert!(!block_on(c.contains(&key(3))).unwrap());
    assert!(!block_on(c.remove(&key(3))).unwrap());
    assert_eq!(block_on(c.invalidate_tag("blue")).unwrap(), 1);
    assert!(get(&c, &key(2)).is_none() && get(&c, &key(1)).is_some());
    assert_eq!(block_on(c.invalidate_namespace("test")).unwrap(), 1);
    assert!(get(&c, &key(1)).is_none());
    assert!(get(&c, &other).is_some());
    block_on(c.clear()).unwrap();
    assert!(get(&c, &other).is_none());
    assert_eq!(block_on(c.stats()).unwrap().entries, 0);
}

#[test]
fn entries_lists_readable_params_and_filters() {
    let (c, clock) = cache_with(Config::default());
    put(
        &c,
        &key(1),
        b"1",
        &PutOptions::new()
            .tag("t")
            .meta(b"m".to_vec())
            .ttl_ms(60_000),
    );
    clock.advance_ms(10);
    put(
        &c,
        &Key::new("other", &[("s", "x")]).unwrap(),
        b"2",
        &PutOptions::new(),
    );
    let all = block_on(c.entries(&Filter::default())).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].namespace, "other", "most recent first");
    let tagged = block_on(c.entries(&Filter {
        tag: Some("t".into()),
        ..Filter::default()
    }));
    let tagged = tagged.unwrap();
    assert_eq!(tagged.len(), 1);
    let e = &tagged[0];
    assert_eq!(
        (e.namespace.as_str(), e.meta.as_slice()),
        ("test", &b"m"[..])
    );
    assert_eq!(e.expires_ms, Some(e.created_ms + 60_000));
    let expected = Canon::Map(vec![(Canon::Str("n".into()), Canon::Int(1))]);
    assert_eq!(e.params.as_ref(), Some(&expected));
    let ns = Filter {
        namespace: Some("other".into()),
        ..Filter::default()
    };
    let in_ns = block_on(c.entries(&ns)).unwrap();
    assert_eq!(
        in_ns
            .iter()
            .map(|e| e.namespace.as_str())
            .collect::<Vec<_>>(),
        ["other"]
    );
}

#[test]
fn recency_is_written_back_in_batches_not_per_read() {
    let clock = ManualClock::new(0);
    // Only the batch size triggers a write-back here.
    let cfg = Config {
        touch_interval_ms: 600_000,
        ..Config::default()
    };
    let c = Cache::with_clock(Counting::default(), clock.clone(), cfg).unwrap();
    let touched = |c: &TestCache<Counting>| Counting::n(&c.store().touched);
    put(&c, &key(1), b"v", &PutOptions::new());
    for _ in 0..100 {
        get(&c, &key(1));
    }
    assert_eq!(touched(&c), 0, "the write itself recorded the access");
    clock.advance_ms(61_000);
    get(&c, &key(1));
    assert_eq!(
        Counting::n(&c.store().touch_calls),
        0,
        "one pending read waits for a batch"
    );
    for n in 0..300 {
        put(&c, &key(n + 10), b"v", &PutOptions::new());
    }
    clock.advance_ms(61_000);
    for n in 0..300 {
        get(&c, &key(n + 10));
    }
    assert_eq!(
        Counting::n(&c.store().touch_calls),
        1,
        "the 256th pending read flushes"
    );
    assert_eq!(touched(&c), 256);
    // Reading the same keys again within the granularity queues nothing more.
    for n in 0..300 {
        get(&c, &key(n + 10));
    }
    block_on(c.flush()).unwrap();
    assert_eq!(touched(&c), 256 + 45, "only the 45 still pending");
    // Once the granularity has passed, a read is written back again.
    clock.advance_ms(61_000);
    get(&c, &key(10));
    block_on(c.flush()).unwrap();
    assert_eq!(touched(&c), 256 + 45 + 1);
}

#[test]
fn background_write_back_leaves_the_due_flush_to_the_caller() {
    // Reads from the store (no memory tier), then from the memory tier.
    for memory_bytes in [0, Config::default().memory_bytes] {
        let clock = ManualClock::new(0);
        let cfg = Config {
            memory_bytes,
            background_write_back: true,
            ..Config::default()
        };
        let c = Cache::with_clock(Counting::default(), clock.clone(), cfg).unwrap();
        let calls = |c: &TestCache<Counting>| Counting::n(&c.store().touch_calls);
        put(&c, &key(1), b"v", &PutOptions::new());
        clock.advance_ms(61_000);
        // Pending, and past the interval since the cache started: due.
        assert!(get(&c, &key(1)).is_some());
        assert!(c.write_back_due(), "the read left its write-back due");
        assert_eq!(calls(&c), 0, "the read did not write it back itself");
        block_on(c.flush_quietly());
        assert_eq!(calls(&c), 1);
        assert_eq!(Counting::n(&c.store().touched), 1);
        assert!(!c.write_back_due(), "nothing pending after the flush");
        // A batch read leaves it to the caller too.
        clock.advance_ms(61_000);
        let many = block_on(c.get_many(&[key(1)])).unwrap();
        assert!(many[0].is_some());
        assert!(c.write_back_due());
        assert_eq!(calls(&c), 1);
    }
}

#[test]
fn a_flush_waits_for_the_one_in_flight() {
    let clock = ManualClock::new(0);
    // The read below leaves its access pending, for the flushes to write.
    let cfg = Config {
        touch_interval_ms: 600_000,
        ..Config::default()
    };
    let c = Cache::with_clock(Counting::default(), clock.clone(), cfg).unwrap();
    put(&c, &key(1), b"v", &PutOptions::new());
    clock.advance_ms(61_000);
    get(&c, &key(1));
    c.store().stall_touches.store(true, SeqCst);
    let mut cx = Context::from_waker(Waker::noop());
    let mut first = pin!(c.flush());
    assert!(first.as_mut().poll(&mut cx).is_pending(), "its write waits");
    // Nothing is left to write, yet the second waits: after it, the first
    // one's times are in the store.
    let mut second = pin!(c.flush());
    assert!(second.as_mut().poll(&mut cx).is_pending());
    c.store().stall_touches.store(false, SeqCst);
    assert!(
        second.as_mut().poll(&mut cx).is_pending(),
        "still the first's turn"
    );
    assert!(matches!(first.as_mut().poll(&mut cx), Poll::Ready(Ok(()))));
    assert!(matches!(second.as_mut().poll(&mut cx), Poll::Ready(Ok(()))));
    assert_eq!(Counting::n(&c.store().touched), 1);
}

#[test]
fn an_entry_removed_during_a_listing_stays_removed() {
    let store = Arc::new(Counting::default());
    let clock = ManualClock::new(0);
    let writer = Cache::with_clock(store.clone(), clock.clone(), Config::default()).unwrap();
    put(&writer, &key(1), b"one", &PutOptions::new());
    put(&writer, &key(2), b"two", &PutOptions::new());
    // Key 1's frame is damaged, so that a read removes it.
    let damaged = block_on(store.list()).unwrap();
    let m = damaged.iter().find(|m| m.key == key(1).hash()).unwrap();
    block_on(store.put(m, b"not a frame")).unwrap();
    let c = Cache::with_clock(store.clone(), clock, Config::default()).unwrap();
    // The first listing of `c`'s index reads the store, then waits; meanwhile
    // a read of key 1 removes the entry the listing read.
    store.stall_lists.store(true, SeqCst);
    let mut cx = Context::from_waker(Waker::noop());
    let mut prune = pin!(c.prune());
    assert!(prune.as_mut().poll(&mut cx).is_pending());
    assert_eq!(get(&c, &key(1)), None);
    store.stall_lists.store(false, SeqCst);
    assert!(matches!(prune.as_mut().poll(&mut cx), Poll::Ready(Ok(0))));
    let s = block_on(c.stats()).unwrap();
    let left = block_on(store.list()).unwrap();
    assert_eq!((s.entries, s.store_bytes), (1, left[0].size), "no phantom");
}

#[test]
fn the_index_loads_lazily_once() {
    let c = Cache::with_clock(
        Counting::default(),
        ManualClock::new(0),
        Config::default().max_entries(100),
    )
    .unwrap();
    get(&c, &key(1));
    assert_eq!(Counting::n(&c.store().lists), 0, "a read needs no listing");
    put(&c, &key(1), b"v", &PutOptions::new());
    put(&c, &key(2), b"v", &PutOptions::new());
    block_on(c.stats()).unwrap();
    assert_eq!(
        Counting::n(&c.store().lists),
        1,
        "limits load the index once"
    );
}

#[test]
fn enforce_limits_holds_the_limit_for_writers_that_never_saw_each_other() {
    let shared = Arc::new(Counting {
        shared: true,
        ..Counting::default()
    });
    let config = Config::default().max_bytes(4_000).memory_bytes(0);
    let open = || Cache::with_clock(shared.clone(), ManualClock::new(0), config.clone()).unwrap();
    let (a, b) = (open(), open());
    // Both load their (empty) index first; then each stays within the limit alone.
    put(&a, &key(0), &[0; 100], &PutOptions::new());
    put(&b, &key(100), &[0; 100], &PutOptions::new());
    for n in 1..10 {
        put(&a, &key(n), &noise(300, n.into()), &PutOptions::new());
        put(
            &b,
            &key(100 + n),
            &noise(300, (100 + n).into()),
            &PutOptions::new(),
        );
    }
    let on_store = || -> u64 {
        block_on(shared.inner.list())
            .unwrap()
            .iter()
            .map(|m| m.size)
            .sum()
    };
    assert!(
        on_store() > 4_000,
        "together over the limit: {}",
        on_store()
    );
    let lists = Counting::n(&shared.lists);
    assert!(block_on(a.enforce_limits()).unwrap() > 0);
    assert!(on_store() <= 4_000, "{} bytes after enforcing", on_store());
    assert_eq!(Counting::n(&shared.lists), lists + 1, "one listing");
    assert_eq!(
        block_on(a.enforce_limits()).unwrap(),
        0,
        "nothing written since"
    );
    assert_eq!(Counting::n(&shared.lists), lists + 1, "and nothing listed");
    // What is left is still served, and right.
    for n in (0..10).chain(100..110) {
        if let Some(v) = get(&b, &key(n)) {
            assert!(v == [0; 100] || v == noise(300, n.into()), "key {n}");
        }
    }
    // Not shared, or no limit: nothing to do.
    let (c, _) = cache_with(Config::default().max_bytes(10));
    assert_eq!(block_on(c.enforce_limits()).unwrap(), 0);
}

#[test]
fn shared_stores_resync_before_invalidating() {
    let shared = Arc::new(Counting {
        shared: true,
        ..Counting::default()
    });
    let a = Cache::with_clock(shared.clone(), ManualClock::new(0), Config::default());
    let b = Cache::with_clock(shared.clone(), ManualClock::new(0), Config::default());
    let (a, b) = (a.unwrap(), b.unwrap());
    put(&a, &key(1), b"a", &PutOptions::new().tag("x"));
    block_on(a.stats()).unwrap(); // a's index is loaded now
    put(&b, &key(2), b"b", &PutOptions::new().tag("x"));
    assert_eq!(
        block_on(a.invalidate_tag("x")).unwrap(),
        2,
        "sees b's entry too"
    );
    assert!(block_on(shared.inner.get(key(2).hash())).unwrap().is_none());
}

#[test]
fn decoding_a_stored_frame_matches_what_was_put() {
    let (c, _) = cache_with(Config::default());
    put(&c, &key(1), &[9; 4096], &PutOptions::new().tag("z"));
    let bytes = block_on(c.store().get(key(1).hash())).unwrap().unwrap();
    let (h, payload) = frame::decode(&bytes).unwrap();
    assert!(h.compressed && payload == [9; 4096] && h.tags == ["z"]);
}

#[test]
fn bad_config_is_rejected() {
    let r = Cache::with_clock(
        MemoryStore::new(),
        ManualClock::new(0),
        Config::default().max_bytes(0),
    );
    assert_eq!(r.err().map(|e| e.kind()), Some(ErrorKind::InvalidInput));
}

#[test]
fn a_full_quota_evicts_and_retries_then_gives_a_typed_error() {
    use common::Quota;
    let quota = |evict| Quota::new(5_000, evict, false);
    let c = Cache::with_clock(quota(true), ManualClock::new(0), Config::default()).unwrap();
    for n in 0..8 {
        put(&c, &key(n), &noise(1_000, n.into()), &PutOptions::new());
    }
    let s = block_on(c.stats()).unwrap();
    assert!(s.evictions >= 3, "{s:?}");
    assert!(
        get(&c, &key(0)).is_none(),
        "the least recently used went first"
    );
    assert!(get(&c, &key(7)).is_some());
    let e = block_on(c.put(&key(99), noise(6_000, 9), &PutOptions::new())).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::StorageFull);
    assert!(e.message().contains("after evicting"), "{e}");

    // Without the capability a full store is an error at once, and nothing is evicted.
    let c = Cache::with_clock(quota(false), ManualClock::new(0), Config::default()).unwrap();
    for n in 0..4 {
        put(&c, &key(n), &noise(1_000, n.into()), &PutOptions::new());
    }
    let e = block_on(c.put(&key(5), noise(2_000, 5), &PutOptions::new())).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::StorageFull);
    assert_eq!(c.store().inner.len(), 4);
}

#[test]
fn a_quota_that_frees_late_is_retried_until_the_write_fits() {
    // Found in Chromium (npm browser quota check): the first retry after an
    // eviction that freed enough can still be refused. Evicting more and
    // retrying again must get the write in.
    let store = common::Quota::new(5_000, true, true);
    let c = Cache::with_clock(store, ManualClock::new(0), Config::default()).unwrap();
    for n in 0..12 {
        put(&c, &key(n), &noise(1_000, n.into()), &PutOptions::new());
        assert!(get(&c, &key(n)).is_some(), "write {n}");
    }
    let s = block_on(c.stats()).unwrap();
    assert!(s.evictions >= 7, "{s:?}");
    // Too large even for an empty store: evicts everything, then a typed error.
    let e = block_on(c.put(&key(99), noise(6_000, 9), &PutOptions::new())).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::StorageFull);
    assert!(e.message().contains("after evicting"), "{e}");
    assert_eq!(c.store().inner.len(), 0);
}

#[test]
fn a_read_before_the_index_loads_counts_for_recency() {
    // Found by the web demo's e2e test: reopen a cache, read A before anything
    // lists the store, then write C over the limit: B, not A, must go.
    let store = Arc::new(MemoryStore::new());
    let clock = ManualClock::new(1_000_000);
    let first = Cache::with_clock(store.clone(), clock.clone(), Config::default()).unwrap();
    put(&first, &key(1), b"A", &PutOptions::new());
    clock.advance_ms(10);
    put(&first, &key(2), b"B", &PutOptions::new());
    block_on(first.flush()).unwrap();
    drop(first);

    clock.advance_ms(10);
    let second = Cache::with_clock(store, clock.clone(), Config::default().max_entries(2)).unwrap();
    assert_eq!(get(&second, &key(1)).as_deref(), Some(&b"A"[..]));
    clock.advance_ms(10);
    put(&second, &key(3), b"C", &PutOptions::new());
    assert!(get(&second, &key(1)).is_some(), "A was just read");
    assert_eq!(get(&second, &key(2)), None, "B is the least recently used");
    assert!(get(&second, &key(3)).is_some());
}
