//! `#[memoize]` without `cache = ...` uses the process-wide default cache in
//! `$LARDER_DIR`: what one process computes, the next one finds; a directory
//! that cannot be used means running uncached, not failing. Each case runs
//! in a child process with its own environment.
#![allow(clippy::unwrap_used)]

use std::env;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

const ROLE: &str = "LARDER_MEMO_DEFAULT_CHILD";
const EXPECT: &str = "LARDER_MEMO_EXPECT_RUNS";

static RUNS: AtomicUsize = AtomicUsize::new(0);

#[larder::memoize(ttl = "1h")]
fn slow_square(n: u64) -> u64 {
    RUNS.fetch_add(1, SeqCst);
    n * n
}

/// The child: two calls, then check how many ran here.
#[test]
fn child_role() {
    if env::var(ROLE).is_ok() {
        assert_eq!(slow_square(21), 441);
        assert_eq!(slow_square(21), 441);
        let expect: usize = env::var(EXPECT).unwrap().parse().unwrap();
        assert_eq!(RUNS.load(SeqCst), expect);
    }
}

fn child(dir: &std::ffi::OsStr, expect: &str) {
    larder_tests::processes::run_children(
        "child_role",
        ROLE,
        1,
        &[("LARDER_DIR", dir), (EXPECT, expect.as_ref())],
    );
}

#[test]
fn the_default_cache_persists_across_processes_and_never_breaks_the_function() {
    if env::var(ROLE).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    child(dir.path().as_os_str(), "1");
    assert!(dir.path().join("larder-v1/entries").is_dir());
    child(dir.path().as_os_str(), "0"); // another process hits
    // A cache that cannot be opened: the function runs, uncached, each time.
    child("/proc/version/larder".as_ref(), "2");
}
