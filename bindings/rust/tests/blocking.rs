//! The blocking API's maintenance calls on a real directory: prune, clear,
//! and the async handle sharing the same cache.
#![allow(clippy::unwrap_used)]

use larder::{ManualClock, PutOptions, blocking};

fn on_disk(clock: &ManualClock) -> (tempfile::TempDir, blocking::Cache) {
    let dir = tempfile::tempdir().unwrap();
    let cache = larder::Cache::builder()
        .dir(dir.path())
        .clock(clock.clone())
        .open()
        .unwrap()
        .blocking();
    (dir, cache)
}

#[test]
fn prune_removes_the_expired_entries_and_says_how_many() {
    let clock = ManualClock::new(1_000);
    let (_dir, cache) = on_disk(&clock);
    let short = PutOptions::new().ttl_ms(10);
    cache.put_with("ns", &1, &"a", &short).unwrap();
    cache.put_with("ns", &2, &"b", &short).unwrap();
    cache.put("ns", &3, &"kept").unwrap();
    assert_eq!(cache.prune().unwrap(), 0, "nothing expired yet");
    clock.advance_ms(10);
    assert_eq!(cache.prune().unwrap(), 2);
    assert_eq!(cache.stats().unwrap().entries, 1);
    assert_eq!(cache.prune().unwrap(), 0, "already gone");
}

#[test]
fn clear_empties_the_cache_seen_by_both_handles() {
    let clock = ManualClock::new(0);
    let (_dir, cache) = on_disk(&clock);
    cache.put("ns", &1, &7u8).unwrap();
    let handle = cache.r#async();
    assert_eq!(
        larder::block_on(handle.get::<_, u8>("ns", &1)).unwrap(),
        Some(7)
    );
    cache.clear().unwrap();
    assert_eq!(cache.stats().unwrap().entries, 0);
    assert_eq!(
        larder::block_on(handle.get::<_, u8>("ns", &1)).unwrap(),
        None
    );
}
