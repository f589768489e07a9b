//! Dependencies through the facade on a real directory, within one process
//! and across processes sharing it. The test binary runs itself as the
//! child that writes the entries.
#![allow(clippy::unwrap_used)]

use std::env;
use std::path::Path;

use larder::{Cache, PutOptions};

const ROLE: &str = "LARDER_DEPS_CHILD";
const DIR: &str = "LARDER_DEPS_DIR";

/// `report(id)` is computed from `user(id)` (tagged "users"), and `summary`
/// from `report(1)`: nested `get_or_compute` calls record the dependencies.
fn summary(cache: &larder::blocking::Cache) -> String {
    cache
        .get_or_compute("summary", &(), || {
            let report: String = cache
                .get_or_compute("report", &1, || {
                    let opts = PutOptions::new().tag("users");
                    let name: String = cache
                        .try_get_or_compute("user", &1, &opts, || {
                            Ok::<_, larder::Error>("ada".to_string())
                        })
                        .unwrap();
                    format!("report on {name}")
                })
                .unwrap();
            format!("summary of {report}")
        })
        .unwrap()
}

fn count(cache: &larder::blocking::Cache) -> u64 {
    cache.stats().unwrap().entries
}

#[test]
fn nested_computations_depend_on_what_they_read() {
    let dir = tempfile::tempdir().unwrap();
    let cache = larder::blocking::Cache::open(dir.path()).unwrap();
    assert_eq!(summary(&cache), "summary of report on ada");
    assert_eq!(count(&cache), 3);
    // Removing the report takes the summary, not the user.
    assert!(cache.remove("report", &1).unwrap());
    assert!(!cache.contains("summary", &()).unwrap());
    assert!(cache.contains("user", &1).unwrap());
    summary(&cache);
    // Invalidating the tag takes all three, transitively.
    assert_eq!(cache.invalidate_tag("users").unwrap(), 3);
    assert_eq!(count(&cache), 0);
}

/// The child's entry point; a no-op unless the parent test set the role.
#[test]
fn child_role() {
    if let (Ok(_), Ok(dir)) = (env::var(ROLE), env::var(DIR)) {
        let cache = larder::blocking::Cache::open(Path::new(&dir)).unwrap();
        assert_eq!(summary(&cache), "summary of report on ada");
    }
}

fn run_child(dir: &Path) {
    larder_tests::processes::run_children("child_role", ROLE, 1, &[(DIR, dir.as_os_str())]);
}

#[test]
fn dependencies_written_by_another_process_are_honoured() {
    if env::var(ROLE).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // This process lists the directory (loading its index) before the child writes.
    let here = Cache::open(dir.path()).unwrap().blocking();
    assert_eq!(count(&here), 0);
    run_child(dir.path());
    // Invalidation by tag re-lists the directory: it finds the child's entries
    // and what depends on them.
    assert_eq!(here.invalidate_tag("users").unwrap(), 3);

    run_child(dir.path());
    // A process that opens the directory afterwards finds the dependents of
    // what it removes by key.
    let later = Cache::open(dir.path()).unwrap().blocking();
    assert!(later.remove("user", &1).unwrap());
    let fresh = Cache::builder()
        .dir(dir.path())
        .memory_bytes(0u64)
        .open()
        .unwrap()
        .blocking();
    assert_eq!(count(&fresh), 0, "report and summary went with the user");
}
