//! Stale-while-revalidate through the facade and `#[memoize]`, on a manual
//! clock: a stale value is returned at once and refreshed once, in the
//! background.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, LazyLock, Mutex};

use larder::{Cache, ManualClock, PutOptions, Task};

const MINUTE: u64 = 60_000;

fn opts() -> PutOptions {
    PutOptions::new()
        .ttl_ms(MINUTE)
        .stale_while_revalidate_ms(60 * MINUTE)
}

/// A cache whose spawner keeps the refresh tasks for the test to run.
fn held() -> (Cache, ManualClock, Arc<Mutex<Vec<Task>>>) {
    let clock = ManualClock::new(1_000_000);
    let tasks = Arc::new(Mutex::new(Vec::new()));
    let keep = tasks.clone();
    let cache = Cache::builder()
        .in_memory()
        .clock(clock.clone())
        .spawner(move |t| keep.lock().unwrap().push(t))
        .open()
        .unwrap();
    (cache, clock, tasks)
}

fn counted(
    runs: &Arc<AtomicUsize>,
    value: u32,
) -> impl FnOnce() -> std::future::Ready<Result<u32, larder::Error>> + Send + 'static {
    let runs = runs.clone();
    move || {
        runs.fetch_add(1, SeqCst);
        std::future::ready(Ok(value))
    }
}

#[tokio::test]
async fn stale_values_come_back_at_once_and_are_refreshed_once() {
    let (cache, clock, tasks) = held();
    let runs = Arc::new(AtomicUsize::new(0));
    let o = opts();
    let get = |v| cache.get_or_revalidate("feed", &1, &o, counted(&runs, v));
    assert_eq!(get(1).await.unwrap(), 1);
    clock.advance_ms(MINUTE - 1);
    assert_eq!(get(2).await.unwrap(), 1, "still fresh");
    assert!(tasks.lock().unwrap().is_empty());

    clock.advance_ms(1); // stale now
    for v in 2..7 {
        assert_eq!(get(v).await.unwrap(), 1, "stale, served at once");
    }
    assert_eq!(runs.load(SeqCst), 1, "nothing computed in the callers");
    let pending: Vec<Task> = std::mem::take(&mut *tasks.lock().unwrap());
    assert_eq!(pending.len(), 1, "one refresh for five stale reads");
    assert_eq!(cache.core().stats().await.unwrap().stale, 5);
    for t in pending {
        t.await;
    }
    assert_eq!(runs.load(SeqCst), 2);
    assert_eq!(get(9).await.unwrap(), 2, "the refreshed value, fresh again");
    // A plain read sees it too, and never a stale value.
    clock.advance_ms(MINUTE);
    assert_eq!(cache.get::<_, u32>("feed", &1).await.unwrap(), None);
}

#[tokio::test]
async fn past_the_grace_period_the_caller_computes() {
    let (cache, clock, tasks) = held();
    let runs = Arc::new(AtomicUsize::new(0));
    let o = opts();
    let get = |v| cache.get_or_revalidate("feed", &1, &o, counted(&runs, v));
    assert_eq!(get(1).await.unwrap(), 1);
    clock.advance_ms(61 * MINUTE);
    assert_eq!(get(2).await.unwrap(), 2);
    assert!(tasks.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_stale_value_and_the_next_reader_retries() {
    let (cache, clock, tasks) = held();
    let ok = |v: u32| move || async move { Ok::<u32, larder::Error>(v) };
    let fail = || async { Err::<u32, larder::Error>(larder::Error::invalid("fetch", "offline")) };
    assert_eq!(
        cache
            .get_or_revalidate("f", &1, &opts(), ok(1))
            .await
            .unwrap(),
        1
    );
    clock.advance_ms(2 * MINUTE);
    assert_eq!(
        cache
            .get_or_revalidate("f", &1, &opts(), fail)
            .await
            .unwrap(),
        1
    );
    let failing = tasks.lock().unwrap().pop().unwrap();
    failing.await;
    assert_eq!(
        cache
            .get_or_revalidate("f", &1, &opts(), ok(3))
            .await
            .unwrap(),
        1
    );
    let retry = tasks
        .lock()
        .unwrap()
        .pop()
        .expect("the next reader refreshes");
    retry.await;
    assert_eq!(
        cache
            .get_or_revalidate("f", &1, &opts(), ok(4))
            .await
            .unwrap(),
        3
    );
}

#[test]
fn the_default_spawner_refreshes_on_a_thread_and_can_be_waited_for() {
    let clock = ManualClock::new(0);
    let cache = Cache::builder()
        .in_memory()
        .clock(clock.clone())
        .open()
        .unwrap();
    let v = |n: u32| move || async move { Ok::<u32, larder::Error>(n) };
    let get = |n| larder::block_on(cache.get_or_revalidate("t", &(), &opts(), v(n)));
    assert_eq!(get(1).unwrap(), 1);
    clock.advance_ms(2 * MINUTE);
    assert_eq!(get(2).unwrap(), 1);
    larder::block_on(cache.wait_for_refreshes());
    assert_eq!(get(3).unwrap(), 2);
}

#[test]
fn the_blocking_api_refreshes_on_a_thread() {
    let clock = ManualClock::new(0);
    let cache = Cache::builder()
        .in_memory()
        .clock(clock.clone())
        .stale_while_revalidate("1h")
        .open()
        .unwrap()
        .blocking();
    let o = PutOptions::new().ttl_ms(MINUTE); // the grace period comes from the builder
    let main = std::thread::current().id();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let get = |n: u32| {
        let seen = seen.clone();
        cache.get_or_revalidate("b", &(), &o, move || {
            seen.lock().unwrap().push(std::thread::current().id());
            Ok::<u32, larder::Error>(n)
        })
    };
    assert_eq!(get(1).unwrap(), 1);
    clock.advance_ms(2 * MINUTE);
    assert_eq!(get(2).unwrap(), 1);
    cache.wait_for_refreshes();
    assert_eq!(get(3).unwrap(), 2);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0], main);
    assert_ne!(seen[1], main, "the refresh ran on another thread");
}

static CLOCK: LazyLock<ManualClock> = LazyLock::new(|| ManualClock::new(0));
static TASKS: LazyLock<Mutex<Vec<Task>>> = LazyLock::new(Mutex::default);
static MEMO: LazyLock<Cache> = LazyLock::new(|| {
    Cache::builder()
        .in_memory()
        .clock(CLOCK.clone())
        .spawner(|t| TASKS.lock().unwrap().push(t))
        .open()
        .unwrap()
});
static PRICE: AtomicUsize = AtomicUsize::new(100);
static VERSION: AtomicUsize = AtomicUsize::new(1);

#[larder::memoize(cache = &*MEMO, ttl = "1m", stale_while_revalidate = "1h")]
async fn price(item: String) -> usize {
    PRICE.fetch_add(1, SeqCst) + item.len()
}

#[larder::memoize(cache = &*MEMO, ttl = "1m", stale_while_revalidate = "1h")]
fn config_version(name: String) -> Result<String, larder::Error> {
    Ok(format!("{name}@{}", VERSION.fetch_add(1, SeqCst)))
}

#[tokio::test]
async fn memoized_functions_serve_stale_and_refresh_behind() {
    assert_eq!(price("ab".into()).await, 102);
    assert_eq!(config_version("app".into()).unwrap(), "app@1");
    CLOCK.advance_ms(2 * MINUTE);
    assert_eq!(price("ab".into()).await, 102, "stale");
    assert_eq!(config_version("app".into()).unwrap(), "app@1", "stale");
    let async_refreshes: Vec<Task> = std::mem::take(&mut *TASKS.lock().unwrap());
    assert_eq!(
        async_refreshes.len(),
        1,
        "the sync function refreshes on a thread"
    );
    for t in async_refreshes {
        t.await;
    }
    MEMO.wait_for_refreshes().await;
    assert_eq!(price("ab".into()).await, 103);
    assert_eq!(config_version("app".into()).unwrap(), "app@2");
    // The refresh companion recomputes now, whatever the freshness.
    assert_eq!(price_refresh("ab".into()).await, 104);
}

#[cfg(feature = "tokio")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_tokio_feature_refreshes_run_on_the_callers_runtime() {
    let clock = ManualClock::new(0);
    let cache = Cache::builder()
        .in_memory()
        .clock(clock.clone())
        .open()
        .unwrap();
    let on_runtime = Arc::new(Mutex::new(Vec::new()));
    let o = opts();
    let get = |n: u32| {
        let on_runtime = on_runtime.clone();
        cache.get_or_revalidate("rt", &(), &o, move || async move {
            on_runtime
                .lock()
                .unwrap()
                .push(tokio::runtime::Handle::try_current().is_ok());
            // Only a tokio runtime can drive this.
            tokio::task::yield_now().await;
            Ok::<u32, larder::Error>(n)
        })
    };
    assert_eq!(get(1).await.unwrap(), 1);
    clock.advance_ms(2 * MINUTE);
    assert_eq!(get(2).await.unwrap(), 1);
    cache.wait_for_refreshes().await;
    assert_eq!(get(3).await.unwrap(), 2);
    assert_eq!(*on_runtime.lock().unwrap(), vec![true, true]);
}
