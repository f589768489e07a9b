//! Computing: what a computation cost, read from the cache's clock; and paths
//! that take a turn: an entry that no longer decodes as the asked type, and a
//! panic while warming on one task.
#![allow(clippy::unwrap_used)]

use larder::{Cache, ManualClock, Warm};

fn on_disk() -> (tempfile::TempDir, Cache) {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::builder().dir(dir.path()).open().unwrap();
    (dir, cache)
}

#[test]
fn an_entry_that_no_longer_decodes_is_computed_again_and_replaced() {
    let (_dir, cache) = on_disk();
    let cache = cache.blocking();
    // Raw bytes where a typed value is now expected.
    let raw = b"forty-two".to_vec();
    cache
        .put_bytes("answer", &1, raw, &Default::default())
        .unwrap();
    assert!(cache.get::<_, u32>("answer", &1).is_err());
    let v: u32 = cache.get_or_compute("answer", &1, || 42).unwrap();
    assert_eq!(v, 42);
    assert_eq!(cache.get::<_, u32>("answer", &1).unwrap(), Some(42));
}

#[tokio::test]
async fn a_panic_while_warming_on_one_task_is_counted_and_the_rest_go_on() {
    let (_dir, cache) = on_disk();
    let done = cache
        .warm("sq", vec![1u64, 2, 3], Warm::new().concurrency(1), |n| {
            let n = *n;
            async move {
                assert!(n != 2, "two is unlucky");
                n * n
            }
        })
        .await
        .unwrap();
    assert_eq!((done.done, done.computed, done.failed), (3, 2, 1));
    let why = done.first_error.unwrap();
    assert!(
        why.contains("panicked") && why.contains("two is unlucky"),
        "{why}"
    );
    assert_eq!(cache.get::<_, u64>("sq", &3u64).await.unwrap(), Some(9));
    assert_eq!(cache.get::<_, u64>("sq", &2u64).await.unwrap(), None);
}

#[test]
fn the_compute_cost_comes_from_the_manual_clock_and_is_credited_on_hits() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(5_000);
    let cache = Cache::builder()
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
