//! Single-flight through the `larder` facade and `#[memoize]`, with real
//! threads and tokio tasks: N concurrent callers of one key run the
//! computation once; if it fails or panics, every waiter gets the failure
//! and nothing is cached.
//!
//! Each computation holds its flight open until every other caller waits on
//! it (`Cache::computing` counts them), so the tests never depend on timing.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, LazyLock};

use larder::{Cache, ErrorKind, PutOptions};

const CALLERS: usize = 8;

fn memory() -> Cache {
    Cache::builder().in_memory().open().unwrap()
}

fn waiters(cache: &Cache) -> usize {
    cache
        .core()
        .computing()
        .iter()
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0)
}

/// Block until `n` callers wait on the running computation.
fn hold_until_waiting(cache: &Cache, n: usize) {
    while waiters(cache) < n {
        std::thread::yield_now();
    }
}

async fn hold_until_waiting_async(cache: &Cache, n: usize) {
    while waiters(cache) < n {
        tokio::task::yield_now().await;
    }
}

#[test]
fn threads_share_one_computation() {
    let cache = memory();
    let runs = AtomicUsize::new(0);
    let got: Vec<u64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..CALLERS)
            .map(|_| {
                s.spawn(|| {
                    cache
                        .blocking()
                        .get_or_compute("sum", &[1u64, 2, 3], || {
                            runs.fetch_add(1, SeqCst);
                            hold_until_waiting(&cache, CALLERS - 1);
                            6
                        })
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(got, vec![6; CALLERS]);
    assert_eq!(runs.load(SeqCst), 1);
}

#[test]
fn a_panic_fails_every_waiting_thread_and_caches_nothing() {
    let cache = memory();
    let runs = AtomicUsize::new(0);
    let outcomes: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..CALLERS)
            .map(|_| {
                s.spawn(|| {
                    cache.blocking().get_or_compute("boom", &1, || -> u64 {
                        runs.fetch_add(1, SeqCst);
                        hold_until_waiting(&cache, CALLERS - 1);
                        panic!("the render blew up")
                    })
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join()).collect()
    });
    assert_eq!(runs.load(SeqCst), 1);
    let mut panicked = 0;
    for o in outcomes {
        match o {
            Err(payload) => {
                assert_eq!(payload.downcast_ref::<&str>(), Some(&"the render blew up"));
                panicked += 1;
            }
            Ok(Err(e)) => {
                assert_eq!(e.kind(), ErrorKind::Compute);
                assert!(
                    e.to_string().contains("panicked: the render blew up"),
                    "{e}"
                );
            }
            Ok(Ok(v)) => panic!("a caller got a value: {v}"),
        }
    }
    assert_eq!(panicked, 1, "the panic resumes in the caller that ran it");
    assert!(!cache.blocking().contains("boom", &1).unwrap());
}

#[derive(Debug)]
enum FetchError {
    Upstream(u16),
    Cache(String),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::Upstream(code) => write!(f, "upstream answered {code}"),
            FetchError::Cache(e) => f.write_str(e),
        }
    }
}

impl From<larder::Error> for FetchError {
    fn from(e: larder::Error) -> Self {
        FetchError::Cache(e.to_string())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_error_reaches_every_waiting_task_and_caches_nothing() {
    let cache = memory();
    let runs = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..CALLERS)
        .map(|_| {
            let (cache, runs) = (cache.clone(), runs.clone());
            tokio::spawn(async move {
                let c = cache.clone();
                cache
                    .try_get_or_compute("fetch", &"/x", &PutOptions::new(), || async move {
                        runs.fetch_add(1, SeqCst);
                        hold_until_waiting_async(&c, CALLERS - 1).await;
                        Err::<u32, _>(FetchError::Upstream(503))
                    })
                    .await
            })
        })
        .collect();
    let mut own = 0;
    for t in tasks {
        match t.await.unwrap().unwrap_err() {
            FetchError::Upstream(503) => own += 1,
            FetchError::Cache(msg) => assert!(msg.contains("upstream answered 503"), "{msg}"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(runs.load(SeqCst), 1);
    assert_eq!(own, 1, "the task that ran it gets its own error value");
    assert!(!cache.contains("fetch", &"/x").await.unwrap());
    // And the next call computes again.
    let v = cache
        .try_get_or_compute("fetch", &"/x", &PutOptions::new(), || async {
            Ok::<u32, FetchError>(1)
        })
        .await;
    assert_eq!(v.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tasks_share_one_computation() {
    let cache = memory();
    let runs = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..CALLERS)
        .map(|_| {
            let (cache, runs) = (cache.clone(), runs.clone());
            tokio::spawn(async move {
                let c = cache.clone();
                cache
                    .get_or_compute("task", &1, || async move {
                        runs.fetch_add(1, SeqCst);
                        hold_until_waiting_async(&c, CALLERS - 1).await;
                        String::from("once")
                    })
                    .await
                    .unwrap()
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), "once");
    }
    assert_eq!(runs.load(SeqCst), 1);
}

#[test]
fn a_computation_asking_for_its_own_key_fails_instead_of_waiting_forever() {
    let cache = memory().blocking();
    let r = cache.get_or_compute("self", &1, || {
        let inner = cache.get_or_compute("self", &1, || 1u32);
        inner.map_err(|e| e.to_string())
    });
    let inner = r.unwrap().unwrap_err();
    assert!(inner.contains("asks for its own key"), "{inner}");
}

static MEMO: LazyLock<Cache> = LazyLock::new(memory);
static MEMO_RUNS: AtomicUsize = AtomicUsize::new(0);

#[larder::memoize(cache = &*MEMO)]
fn explode(n: u32) -> u32 {
    MEMO_RUNS.fetch_add(1, SeqCst);
    hold_until_waiting(&MEMO, CALLERS - 1);
    panic!("explode({n})")
}

#[test]
fn waiters_of_a_memoized_function_that_panics_panic_too() {
    let outcomes: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..CALLERS).map(|_| s.spawn(|| explode(4))).collect();
        handles.into_iter().map(|h| h.join().unwrap_err()).collect()
    });
    assert_eq!(MEMO_RUNS.load(SeqCst), 1);
    let messages: Vec<String> = outcomes
        .iter()
        .map(|p| {
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap()
        })
        .collect();
    assert_eq!(messages.iter().filter(|m| *m == "explode(4)").count(), 1);
    let waiter = messages.iter().find(|m| *m != "explode(4)").unwrap();
    assert!(
        waiter.contains("memoized `explode` failed in another caller")
            && waiter.contains("panicked: explode(4)"),
        "{waiter}"
    );
    assert_eq!(MEMO.blocking().stats().unwrap().entries, 0);
}

static MEMO_RESULT: LazyLock<Cache> = LazyLock::new(memory);
static RESULT_RUNS: AtomicUsize = AtomicUsize::new(0);

#[larder::memoize(cache = &*MEMO_RESULT)]
fn lookup(name: String) -> Result<u32, FetchError> {
    RESULT_RUNS.fetch_add(1, SeqCst);
    hold_until_waiting(&MEMO_RESULT, CALLERS - 1);
    Err(FetchError::Upstream(name.len() as u16))
}

#[test]
fn waiters_of_a_memoized_function_that_fails_get_the_error() {
    let outcomes: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..CALLERS)
            .map(|_| s.spawn(|| lookup("abc".into())))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(RESULT_RUNS.load(SeqCst), 1);
    let own = outcomes
        .iter()
        .filter(|o| matches!(o, Err(FetchError::Upstream(3))))
        .count();
    assert_eq!(own, 1);
    for o in &outcomes {
        if let Err(FetchError::Cache(m)) = o {
            assert!(m.contains("upstream answered 3"), "{m}");
        }
    }
    assert_eq!(MEMO_RESULT.blocking().stats().unwrap().entries, 0);
}
