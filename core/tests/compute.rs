//! Single-flight failures, stale-while-revalidate and dependencies, over the
//! memory store with a manual clock.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier};

use common::{Counting, Recorder};
use larder_core::cache::{Cache, Computed, Config, Filter, PutOptions, Served};
use larder_core::{ErrorKind, Key, KeyHash, ManualClock, MemoryStore, Store, block_on, frame};

type TestCache<S = MemoryStore> = Cache<S, ManualClock>;

fn cache() -> (TestCache, ManualClock) {
    let clock = ManualClock::new(1_000_000);
    let c = Cache::with_clock(MemoryStore::new(), clock.clone(), Config::default()).unwrap();
    (c, clock)
}

fn key(n: u32) -> Key {
    Key::new("test", &n).unwrap()
}

fn put(c: &TestCache<impl Store>, k: &Key, v: &[u8], o: &PutOptions) {
    block_on(c.put(k, v.to_vec(), o)).unwrap();
}

fn get(c: &TestCache<impl Store>, k: &Key) -> Option<Vec<u8>> {
    block_on(c.get(k)).unwrap().map(|e| e.payload().to_vec())
}

#[test]
fn a_panicking_leader_fails_every_waiter_and_stores_nothing() {
    let (c, _) = cache();
    let c = Arc::new(c);
    let runs = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(6));
    let threads: Vec<_> = (0..6)
        .map(|_| {
            let (c, runs, barrier) = (c.clone(), runs.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                block_on(c.get_or_compute(&key(1), &PutOptions::new(), || async {
                    runs.fetch_add(1, SeqCst);
                    // Hold the flight open so the other threads join it.
                    std::thread::sleep(std::time::Duration::from_millis(100));
                    panic!("the computation blew up");
                }))
                .map(|e| e.payload().to_vec())
            })
        })
        .collect();
    let mut panicked = 0;
    let mut errors = 0;
    for t in threads {
        match t.join() {
            Err(_) => panicked += 1,
            Ok(Err(e)) => {
                assert_eq!(e.kind(), ErrorKind::Compute);
                assert!(e.message().contains("panicked"), "{e}");
                errors += 1;
            }
            Ok(Ok(v)) => panic!("a waiter got a value: {v:?}"),
        }
    }
    assert_eq!(runs.load(SeqCst), 1, "the waiters did not run it again");
    assert_eq!((panicked, errors), (1, 5));
    assert_eq!(c.store().len(), 0, "nothing was stored");
    // The key is usable afterwards.
    let v = block_on(c.get_or_compute(&key(1), &PutOptions::new(), || async { Ok(vec![1]) }));
    assert_eq!(v.unwrap().payload(), [1]);
}

#[test]
fn stale_entries_are_served_once_refreshed_and_missed_by_plain_reads() {
    let (c, clock) = cache();
    let c = c.with_observer(Recorder::default());
    let k = key(1);
    let opts = PutOptions::new()
        .ttl_ms(1_000)
        .stale_while_revalidate_ms(10_000);
    put(&c, &k, b"v1", &opts);
    let e = block_on(c.get(&k)).unwrap().unwrap();
    assert_eq!(
        (e.fresh_until_ms, e.expires_ms),
        (Some(1_001_000), Some(1_011_000))
    );
    assert!(e.tags.is_empty(), "reserved tags are not user tags");
    assert!(matches!(
        block_on(c.get_stale(&k)).unwrap(),
        Some(Served::Fresh(_))
    ));

    clock.advance_ms(1_000); // fresh no more, within the grace period
    assert_eq!(
        get(&c, &k),
        None,
        "a plain read never returns a stale value"
    );
    assert!(!block_on(c.contains(&k)).unwrap());
    let Some(Served::Stale {
        entry,
        refresh: Some(refresh),
    }) = block_on(c.get_stale(&k)).unwrap()
    else {
        panic!("expected a stale entry with the refresh")
    };
    assert_eq!(entry.payload(), b"v1");
    for _ in 0..3 {
        match block_on(c.get_stale(&k)).unwrap() {
            Some(Served::Stale {
                entry,
                refresh: None,
            }) => assert_eq!(entry.payload(), b"v1"),
            other => panic!("expected stale without the refresh, got {other:?}"),
        }
    }
    // The holder of the refresh recomputes; everyone else kept the stale value.
    let runs = AtomicUsize::new(0);
    let v = block_on(c.recompute(&k, &opts, || async {
        runs.fetch_add(1, SeqCst);
        Ok(Computed::from(b"v2".to_vec()))
    }));
    assert_eq!(v.unwrap().payload(), b"v2");
    drop(refresh);
    assert!(
        matches!(block_on(c.get_stale(&k)).unwrap(), Some(Served::Fresh(e)) if e.payload() == b"v2")
    );
    assert_eq!(runs.load(SeqCst), 1);
    let s = block_on(c.stats()).unwrap();
    assert_eq!(s.stale, 4);

    // Past the grace period too: nothing to serve, and the entry goes.
    clock.advance_ms(11_000);
    assert!(block_on(c.get_stale(&k)).unwrap().is_none());
    assert_eq!(c.store().len(), 0);
}

#[test]
fn a_dropped_refresh_can_be_claimed_again() {
    let (c, clock) = cache();
    let k = key(1);
    let opts = PutOptions::new()
        .ttl_ms(10)
        .stale_while_revalidate_ms(1_000);
    put(&c, &k, b"v", &opts);
    clock.advance_ms(20);
    let first = block_on(c.get_stale(&k)).unwrap();
    assert!(matches!(
        first,
        Some(Served::Stale {
            refresh: Some(_),
            ..
        })
    ));
    drop(first); // e.g. the refresh could not be spawned
    assert!(matches!(
        block_on(c.get_stale(&k)).unwrap(),
        Some(Served::Stale {
            refresh: Some(_),
            ..
        })
    ));
}

#[test]
fn a_grace_period_keeps_the_entry_through_prune_and_needs_a_ttl() {
    let (c, clock) = cache();
    put(
        &c,
        &key(1),
        b"v",
        &PutOptions::new()
            .ttl_ms(10)
            .stale_while_revalidate_ms(1_000),
    );
    put(&c, &key(2), b"v", &PutOptions::new().ttl_ms(10));
    clock.advance_ms(500);
    assert_eq!(
        block_on(c.prune()).unwrap(),
        1,
        "only the entry without grace"
    );
    assert_eq!(c.store().len(), 1);
    let no_ttl = block_on(c.put(
        &key(3),
        b"v".to_vec(),
        &PutOptions::new().stale_while_revalidate_ms(1_000),
    ));
    assert_eq!(no_ttl.unwrap_err().kind(), ErrorKind::InvalidInput);
    let zero = PutOptions::new().ttl_ms(5).stale_while_revalidate_ms(0);
    assert!(block_on(c.put(&key(3), vec![], &zero)).is_err());
    // A cache-wide grace period applies to entries with a ttl.
    let clock = ManualClock::new(0);
    let config = Config::default().default_ttl_ms(10).default_stale_ms(100);
    let c = Cache::with_clock(MemoryStore::new(), clock.clone(), config).unwrap();
    put(&c, &key(1), b"v", &PutOptions::new());
    clock.advance_ms(50);
    assert!(matches!(
        block_on(c.get_stale(&key(1))).unwrap(),
        Some(Served::Stale { .. })
    ));
}

#[test]
fn reserved_tags_are_refused_from_users() {
    let (c, _) = cache();
    let r = block_on(c.put(&key(1), vec![], &PutOptions::new().tag("larder:dep:x")));
    let e = r.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("reserved"), "{e}");
    assert_eq!(c.store().len(), 0);
    let runs = AtomicUsize::new(0);
    let r = block_on(
        c.get_or_compute(&key(1), &PutOptions::new().tag("larder:x"), || async {
            runs.fetch_add(1, SeqCst);
            Ok(vec![])
        }),
    );
    assert!(r.is_err());
    assert_eq!(runs.load(SeqCst), 0, "bad options fail before computing");
}

fn dep(k: &Key) -> PutOptions {
    PutOptions::new().depends_on(k.hash())
}

#[test]
fn removing_an_entry_removes_its_dependents_transitively() {
    let (c, _) = cache();
    let (a, b, d, x) = (key(1), key(2), key(3), key(4));
    put(&c, &a, b"a", &PutOptions::new());
    put(&c, &b, b"b", &dep(&a)); // b <- a
    put(&c, &d, b"d", &dep(&b)); // d <- b <- a
    put(&c, &x, b"x", &PutOptions::new());
    let e = block_on(c.get(&d)).unwrap().unwrap();
    assert_eq!(e.depends_on, vec![b.hash()]);
    assert!(block_on(c.remove(&a)).unwrap());
    assert_eq!((get(&c, &a), get(&c, &b), get(&c, &d)), (None, None, None));
    assert_eq!(get(&c, &x).as_deref(), Some(&b"x"[..]));
    assert_eq!(c.store().len(), 1);
}

#[test]
fn dependency_cycles_end() {
    let (c, _) = cache();
    let (a, b) = (key(1), key(2));
    put(&c, &a, b"a", &dep(&b));
    put(&c, &b, b"b", &dep(&a));
    put(&c, &key(3), b"self", &dep(&key(3)));
    assert!(block_on(c.remove(&a)).unwrap());
    assert_eq!(c.store().len(), 1);
}

#[test]
fn invalidating_a_tag_or_namespace_takes_the_dependents() {
    let (c, _) = cache();
    let user = Key::new("user", &7).unwrap();
    let other = Key::new("user", &8).unwrap();
    let report = Key::new("report", &7).unwrap();
    let summary = Key::new("summary", &()).unwrap();
    put(&c, &user, b"u", &PutOptions::new().tag("users"));
    put(&c, &other, b"o", &PutOptions::new());
    put(&c, &report, b"r", &dep(&user));
    put(&c, &summary, b"s", &dep(&report));
    assert_eq!(block_on(c.invalidate_tag("users")).unwrap(), 3);
    assert_eq!(c.store().len(), 1);
    put(&c, &user, b"u", &PutOptions::new());
    put(&c, &report, b"r", &dep(&user).depends_on(other.hash()));
    assert_eq!(block_on(c.invalidate_namespace("user")).unwrap(), 3);
    assert_eq!(c.store().len(), 0);
    // Listing shows what an entry depends on, apart from its tags.
    put(&c, &report, b"r", &dep(&user).tag("t"));
    let list = block_on(c.entries(&Filter::default())).unwrap();
    assert_eq!(list[0].tags, vec!["t".to_string()]);
    assert_eq!(list[0].depends_on, vec![user.hash()]);
}

#[test]
fn a_computation_names_what_it_read() {
    let (c, _) = cache();
    let (a, b) = (key(1), key(2));
    put(&c, &a, b"a", &PutOptions::new());
    let v = block_on(c.get_or_compute_with(&b, &PutOptions::new(), || async {
        Ok(Computed {
            payload: b"b".to_vec(),
            depends_on: vec![a.hash(), a.hash(), b.hash()],
        })
    }));
    assert_eq!(
        v.unwrap().depends_on,
        vec![a.hash()],
        "deduplicated, never itself"
    );
    block_on(c.remove(&a)).unwrap();
    assert_eq!(get(&c, &b), None);
}

#[test]
fn too_many_dependencies_return_the_value_but_store_nothing() {
    let (c, _) = cache();
    let c = c.with_observer(Recorder::default());
    let deps: Vec<KeyHash> = (0..frame::MAX_TAGS as u128 + 1).map(KeyHash).collect();
    let v = block_on(
        c.get_or_compute_with(&key(1), &PutOptions::new(), || async {
            Ok(Computed {
                payload: b"v".to_vec(),
                depends_on: deps,
            })
        }),
    );
    assert_eq!(v.unwrap().payload(), b"v");
    assert_eq!(c.store().len(), 0);
    assert_eq!(block_on(c.stats()).unwrap().errors, 1);
    // Explicit dependencies past the limit are bad input, refused up front.
    let mut opts = PutOptions::new();
    opts.depends_on = (0..frame::MAX_TAGS as u128 + 1).map(KeyHash).collect();
    assert!(block_on(c.put(&key(2), vec![], &opts)).is_err());
}

#[test]
fn another_process_sees_dependencies_through_the_shared_store() {
    let shared = Arc::new(Counting {
        shared: true,
        ..Counting::default()
    });
    let a = Cache::with_clock(shared.clone(), ManualClock::new(0), Config::default()).unwrap();
    let b = Cache::with_clock(shared.clone(), ManualClock::new(0), Config::default()).unwrap();
    let (root, child) = (key(1), key(2));
    put(&a, &root, b"r", &PutOptions::new().tag("t"));
    block_on(a.stats()).unwrap(); // a's index is loaded, without the child
    put(&b, &child, b"c", &dep(&root));
    assert_eq!(block_on(a.invalidate_tag("t")).unwrap(), 2);
    assert_eq!(shared.inner.len(), 0);
}

#[test]
fn the_refresh_names_its_key_and_served_gives_the_entry_either_way() {
    let (c, clock) = cache();
    let k = key(1);
    let opts = PutOptions::new()
        .ttl_ms(10)
        .stale_while_revalidate_ms(1_000);
    put(&c, &k, b"v", &opts);
    let fresh = block_on(c.get_stale(&k)).unwrap().unwrap();
    assert_eq!(fresh.entry().payload(), b"v");
    clock.advance_ms(20);
    let stale = block_on(c.get_stale(&k)).unwrap().unwrap();
    assert_eq!(stale.entry().payload(), b"v");
    let Served::Stale {
        refresh: Some(refresh),
        ..
    } = stale
    else {
        panic!("expected the refresh")
    };
    assert_eq!(refresh.key(), k.hash());
    // Its Debug form names the key, for logs of background refreshes.
    assert!(format!("{refresh:?}").contains(&k.hash().to_hex()));
}

/// A leader whose computation of `key(1)` gives `outcome` once two waiters
/// have joined it, as `computing()` shows; returns what the leader and each
/// waiter got (payload or error message) and how many computations ran.
fn shared_by_two_waiters(
    outcome: Result<Vec<u8>, String>,
) -> (Vec<Result<Vec<u8>, String>>, usize) {
    let (c, _) = cache();
    assert_eq!(c.computing(), []);
    let runs = AtomicUsize::new(0);
    // The leader waits until `go` is dropped.
    let (go, wait) = std::sync::mpsc::channel::<()>();
    let wait = std::sync::Mutex::new(wait);
    let run = |leader: bool| {
        let r = block_on(c.get_or_compute(&key(1), &PutOptions::new(), || async {
            runs.fetch_add(1, SeqCst);
            if !leader {
                return Ok(b"a waiter's own".to_vec());
            }
            // Held open until the waiters are seen (or the test failed).
            let _ = wait.lock().unwrap().recv();
            outcome
                .clone()
                .map_err(|m| larder_core::Error::new(ErrorKind::Compute, "test", m))
        }));
        r.map(|e| e.payload().to_vec())
            .map_err(|e| e.message().to_string())
    };
    let got = std::thread::scope(|s| {
        // Waits (10 s at most) until `computing()` says `want`.
        let until = |want: &[(KeyHash, usize)]| {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while c.computing() != want {
                let now = c.computing();
                assert!(
                    std::time::Instant::now() < deadline,
                    "computing() says {now:?}"
                );
                std::thread::yield_now();
            }
        };
        let leader = s.spawn(|| run(true));
        until(&[(key(1).hash(), 0)]);
        let waiters: Vec<_> = (0..2).map(|_| s.spawn(|| run(false))).collect();
        until(&[(key(1).hash(), 2)]);
        drop(go);
        let mut got = vec![leader.join().unwrap()];
        got.extend(waiters.into_iter().map(|w| w.join().unwrap()));
        got
    });
    assert_eq!(c.computing(), [], "none left running");
    (got, runs.load(SeqCst))
}

#[test]
fn computing_lists_each_running_computation_with_its_waiters() {
    let (got, runs) = shared_by_two_waiters(Ok(b"leader".to_vec()));
    assert_eq!(got, vec![Ok(b"leader".to_vec()); 3]);
    assert_eq!(runs, 1);
}

#[test]
fn a_failed_computation_reaches_every_waiter_and_runs_once() {
    let (got, runs) = shared_by_two_waiters(Err("no value".to_string()));
    assert_eq!(got, vec![Err("no value".to_string()); 3]);
    assert_eq!(runs, 1, "the waiters did not compute it again");
}
