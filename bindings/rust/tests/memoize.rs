//! `#[larder::memoize]` end to end.
#![allow(clippy::unwrap_used)]

use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use serde::{Deserialize, Serialize};

static CACHE: LazyLock<larder::Cache> =
    LazyLock::new(|| larder::Cache::builder().in_memory().open().unwrap());

static RUNS: AtomicUsize = AtomicUsize::new(0);

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Out {
    n: u64,
}

#[larder::memoize(cache = &*CACHE, ttl = "1h", tags = ["t"], ignore = [verbose])]
fn square(n: u64, verbose: bool) -> Out {
    if verbose {
        eprintln!("square {n}");
    }
    RUNS.fetch_add(1, SeqCst);
    Out { n: n * n }
}

#[test]
fn basics() {
    assert_eq!(square(3, true), Out { n: 9 });
    assert_eq!(square(3, false), Out { n: 9 });
    assert_eq!(RUNS.load(SeqCst), 1);
    assert!(square_forget(3, false).unwrap());
    assert_eq!(square_refresh(3, false), Out { n: 9 });
    assert_eq!(RUNS.load(SeqCst), 2);
}
