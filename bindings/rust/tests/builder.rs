//! The builder: settings survive being chained in any order, and its debug
//! form shows them.
#![allow(clippy::unwrap_used)]

use larder::Cache;

#[test]
fn fsync_keeps_the_directory_and_limits_set_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::builder()
        .dir(dir.path())
        .max_entries(2)
        .fsync(true)
        .open()
        .unwrap()
        .blocking();
    for n in 0..3u32 {
        cache.put("ns", &n, &n).unwrap();
    }
    assert_eq!(cache.stats().unwrap().entries, 2, "the entry limit held");
    cache.flush().unwrap();
    // Entries landed in the given directory, and survive reopening it.
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_some());
    let again = Cache::builder().dir(dir.path()).open().unwrap().blocking();
    assert_eq!(again.get::<_, u32>("ns", &2u32).unwrap(), Some(2));
}

#[test]
fn the_debug_form_shows_the_settings() {
    let clock = larder::ManualClock::new(0);
    let b = Cache::builder()
        .in_memory()
        .max_entries(5)
        .clock(clock)
        .spawner(|_| {});
    let shown = format!("{b:?}");
    for part in [
        "in_memory: true",
        "max_entries: Some(5)",
        "manual_clock: true",
        "spawner: true",
    ] {
        assert!(shown.contains(part), "{part} in {shown}");
    }
}
