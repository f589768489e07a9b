//! A memoized stale-while-revalidate function computing a missing entry
//! shares one computation; when it fails, the waiters get its failure rather
//! than each running the function themselves.
#![allow(clippy::unwrap_used)]

use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use larder::Cache;

const CALLERS: usize = 4;

static CACHE: LazyLock<Cache> = LazyLock::new(|| Cache::builder().in_memory().open().unwrap());
static RUNS: AtomicUsize = AtomicUsize::new(0);

/// Block until `n` callers wait on the running computation.
fn hold_until_waiting(n: usize) {
    let waiting = || {
        let computing = CACHE.core().computing();
        computing.iter().map(|(_, n)| *n).max().unwrap_or(0)
    };
    while waiting() < n {
        std::thread::yield_now();
    }
}

#[larder::memoize(cache = &*CACHE, ttl = "1m", stale_while_revalidate = "1h")]
fn lookup(name: String) -> Result<u32, String> {
    // The first run fails only once the others wait on it.
    if RUNS.fetch_add(1, SeqCst) == 0 {
        hold_until_waiting(CALLERS - 1);
    }
    Err(format!("no {name} upstream"))
}

#[test]
fn waiters_get_the_failure_of_the_one_computation() {
    let outcomes: Vec<Result<u32, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..CALLERS)
            .map(|_| s.spawn(|| lookup("feed".into())))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(RUNS.load(SeqCst), 1, "one computation for all callers");
    for o in &outcomes {
        let e = o.as_ref().unwrap_err();
        assert!(e.contains("no feed upstream"), "{e}");
    }
    assert_eq!(CACHE.blocking().stats().unwrap().entries, 0);
}
