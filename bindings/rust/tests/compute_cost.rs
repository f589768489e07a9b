//! What a computation cost is read from the cache's clock: on a manual clock,
//! the time the test moved it by while computing.
#![allow(clippy::unwrap_used)]

use larder::ManualClock;

#[test]
fn the_compute_cost_comes_from_the_manual_clock_and_is_credited_on_hits() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(5_000);
    let cache = larder::Cache::builder()
        .dir(dir.path())
        .clock(clock.clone())
        .open()
        .unwrap()
        .blocking();
    let v: u32 = cache
        .get_or_compute("slow", &1, || {
            clock.advance_ms(250); // "computing" takes 250 ms
            7
        })
        .unwrap();
    assert_eq!(v, 7);
    // Two hits save that twice.
    for _ in 0..2 {
        let hit: u32 = cache.get_or_compute("slow", &1, || 0).unwrap();
        assert_eq!(hit, 7);
    }
    assert_eq!(cache.stats().unwrap().time_saved_us, 500_000);
    let key = cache.r#async().key("slow", &1).unwrap();
    assert_eq!(cache.get_entry(&key).unwrap().unwrap().cost_us, 250_000);
}
