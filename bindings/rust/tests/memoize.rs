//! `#[larder::memoize]` end to end: options, companions, methods, async,
//! `Result`, dependencies between memoized functions.
#![allow(clippy::unwrap_used)]

use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use larder::{Cache, ErrorKind, Filter, ManualClock};
use serde::{Deserialize, Serialize};

fn memory() -> Cache {
    Cache::builder().in_memory().open().unwrap()
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Out {
    n: u64,
}

static BASIC: LazyLock<Cache> = LazyLock::new(memory);
static SQUARES: AtomicUsize = AtomicUsize::new(0);

#[larder::memoize(cache = &*BASIC, tags = ["squares"], ignore = [verbose])]
fn square(n: u64, verbose: bool) -> Out {
    if verbose {
        eprintln!("square {n}");
    }
    SQUARES.fetch_add(1, SeqCst);
    Out { n: n * n }
}

#[test]
fn calls_hit_ignored_arguments_do_not_count_and_companions_work() {
    assert_eq!(square(3, true), Out { n: 9 });
    assert_eq!(square(3, false), Out { n: 9 }, "verbose is not in the key");
    assert_eq!(square(4, false), Out { n: 16 });
    assert_eq!(SQUARES.load(SeqCst), 2);
    assert!(square_forget(3, false).unwrap());
    assert!(!square_forget(3, false).unwrap());
    assert_eq!(square(3, false), Out { n: 9 });
    assert_eq!(SQUARES.load(SeqCst), 3);
    assert_eq!(square_refresh(3, false), Out { n: 9 });
    assert_eq!(SQUARES.load(SeqCst), 4, "refresh recomputes");
    assert_eq!(square(3, false), Out { n: 9 });
    assert_eq!(SQUARES.load(SeqCst), 4);

    // The key is the map of the arguments, in the default namespace, with the code hash.
    let list = BASIC.blocking().entries(&Filter::default()).unwrap();
    let params = |e: &larder::EntryInfo| e.params.as_ref().unwrap().to_string();
    let e = list
        .iter()
        .find(|e| params(e).starts_with(r#"{"n": 4, "$code": ""#));
    let e = e.unwrap_or_else(|| panic!("no entry for n = 4 with a code hash: {list:?}"));
    assert_eq!(e.namespace, "memoize::square");
    assert_eq!(e.tags, vec!["squares".to_string()]);
    assert_eq!(BASIC.blocking().invalidate_tag("squares").unwrap(), 2);
}

static CLOCK: LazyLock<ManualClock> = LazyLock::new(|| ManualClock::new(1_000_000));
static TIMED: LazyLock<Cache> = LazyLock::new(|| {
    Cache::builder()
        .in_memory()
        .clock(CLOCK.clone())
        .open()
        .unwrap()
});
static TIMED_RUNS: AtomicUsize = AtomicUsize::new(0);

#[larder::memoize(cache = &*TIMED, ttl = "90s", namespace = "rates", version = 3, code_hash = false)]
fn rate(currency: String) -> f64 {
    TIMED_RUNS.fetch_add(1, SeqCst);
    currency.len() as f64
}

#[test]
fn ttl_namespace_version_and_no_code_hash() {
    assert_eq!(rate("EUR".into()), 3.0);
    CLOCK.advance_ms(89_000);
    assert_eq!(rate("EUR".into()), 3.0);
    assert_eq!(TIMED_RUNS.load(SeqCst), 1);
    CLOCK.advance_ms(1_000);
    assert_eq!(rate("EUR".into()), 3.0);
    assert_eq!(TIMED_RUNS.load(SeqCst), 2, "expired after 90 s");
    // Without a code hash the key is exactly the arguments' map: plain calls find it.
    #[derive(Serialize)]
    struct Args {
        currency: &'static str,
    }
    let v: Option<f64> = TIMED
        .blocking()
        .get(("rates", 3), &Args { currency: "EUR" })
        .unwrap();
    assert_eq!(v, Some(3.0));
}

static KEYED: LazyLock<Cache> = LazyLock::new(memory);

struct Account {
    id: u32,
    name: String,
    calls: AtomicUsize,
}

impl Account {
    #[larder::memoize(cache = &*KEYED, key = self.id)]
    fn balance(&self) -> i64 {
        self.calls.fetch_add(1, SeqCst);
        i64::from(self.id) * 100
    }

    #[larder::memoize(cache = &*KEYED, tags = [format!("account:{}", self.id)])]
    fn greeting(&self, polite: bool) -> String {
        self.calls.fetch_add(1, SeqCst);
        format!("{} {}", if polite { "Dear" } else { "Hi" }, self.name)
    }
}

#[test]
fn methods_key_on_arguments_or_a_given_key_not_on_self() {
    let a = Account {
        id: 7,
        name: "Ada".into(),
        calls: AtomicUsize::new(0),
    };
    let same_id = Account {
        id: 7,
        name: "Bob".into(),
        calls: AtomicUsize::new(0),
    };
    assert_eq!(a.balance(), 700);
    assert_eq!(same_id.balance(), 700, "keyed by id alone");
    assert_eq!(same_id.calls.load(SeqCst), 0);
    assert_eq!(a.greeting(true), "Dear Ada");
    // The receiver is not part of the key (its type is): same arguments, same entry.
    assert_eq!(same_id.greeting(true), "Dear Ada");
    assert_eq!(same_id.greeting(false), "Hi Bob");
    assert!(a.balance_forget().unwrap());
    // Runtime tags name the account.
    assert_eq!(KEYED.blocking().invalidate_tag("account:7").unwrap(), 2);
}

static ASYNC: LazyLock<Cache> = LazyLock::new(memory);
static ASYNC_RUNS: AtomicUsize = AtomicUsize::new(0);

#[larder::memoize(cache = &*ASYNC)]
async fn fetch(id: u32, lang: &str) -> String {
    ASYNC_RUNS.fetch_add(1, SeqCst);
    tokio::task::yield_now().await;
    format!("{lang}:{id}")
}

#[tokio::test]
async fn async_functions_and_their_companions() {
    assert_eq!(fetch(1, "en").await, "en:1");
    assert_eq!(fetch(1, "en").await, "en:1");
    assert_eq!(fetch(1, "fr").await, "fr:1");
    assert_eq!(ASYNC_RUNS.load(SeqCst), 2);
    assert_eq!(fetch_refresh(1, "en").await, "en:1");
    assert_eq!(ASYNC_RUNS.load(SeqCst), 3);
    assert!(fetch_forget(1, "en").await.unwrap());
    assert!(!fetch_forget(1, "en").await.unwrap());
}

static RESULTS: LazyLock<Cache> = LazyLock::new(memory);
static PARSES: AtomicUsize = AtomicUsize::new(0);

#[larder::memoize(cache = &*RESULTS)]
fn parse(text: &str) -> Result<u32, larder::Error> {
    PARSES.fetch_add(1, SeqCst);
    text.parse::<u32>()
        .map_err(|e| larder::Error::invalid("parse", e.to_string()))
}

#[larder::memoize(cache = &*RESULTS, cache_err = true)]
fn parse_all(text: &str) -> Result<u32, String> {
    PARSES.fetch_add(1, SeqCst);
    text.parse::<u32>().map_err(|e| e.to_string())
}

#[larder::memoize(cache = &*RESULTS)]
fn read_len(path: std::path::PathBuf) -> std::io::Result<u64> {
    Ok(std::fs::metadata(path)?.len())
}

#[test]
fn results_cache_ok_values_only_unless_told() {
    assert_eq!(parse("12").unwrap(), 12);
    assert_eq!(parse("12").unwrap(), 12);
    assert_eq!(PARSES.load(SeqCst), 1);
    let e = parse("x").unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::InvalidInput,
        "the function's own error"
    );
    parse("x").unwrap_err();
    assert_eq!(PARSES.load(SeqCst), 3, "errors are not cached");

    PARSES.store(0, SeqCst);
    assert!(parse_all("y").is_err());
    assert!(parse_all("y").is_err());
    assert_eq!(PARSES.load(SeqCst), 1, "cache_err caches the error too");

    // io::Result works: io::Error takes larder errors.
    assert!(read_len("/nonexistent/larder".into()).is_err());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f"), b"four").unwrap();
    assert_eq!(read_len(dir.path().join("f")).unwrap(), 4);
}

static DEPS: LazyLock<Cache> = LazyLock::new(memory);
static USER_RUNS: AtomicUsize = AtomicUsize::new(0);
static REPORT_RUNS: AtomicUsize = AtomicUsize::new(0);

#[larder::memoize(cache = &*DEPS)]
fn user_name(id: u32) -> String {
    USER_RUNS.fetch_add(1, SeqCst);
    format!("user{id}")
}

#[larder::memoize(cache = &*DEPS)]
fn report(id: u32) -> String {
    REPORT_RUNS.fetch_add(1, SeqCst);
    format!("report for {}", user_name(id))
}

#[larder::memoize(cache = &*DEPS)]
fn summary() -> String {
    format!("{} / {}", report(1), report(2))
}

#[test]
fn a_value_depends_on_the_memoized_calls_it_made() {
    assert_eq!(summary(), "report for user1 / report for user2");
    assert_eq!((USER_RUNS.load(SeqCst), REPORT_RUNS.load(SeqCst)), (2, 2));
    // Forgetting user 1 takes report(1) and the summary with it, not report(2).
    assert!(user_name_forget(1).unwrap());
    assert_eq!(summary(), "report for user1 / report for user2");
    assert_eq!((USER_RUNS.load(SeqCst), REPORT_RUNS.load(SeqCst)), (3, 3));
}

static FIB: LazyLock<Cache> = LazyLock::new(memory);
static FIB_RUNS: AtomicUsize = AtomicUsize::new(0);

#[larder::memoize(cache = &*FIB)]
fn fib(n: u64) -> u64 {
    FIB_RUNS.fetch_add(1, SeqCst);
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

static REENTERED: AtomicUsize = AtomicUsize::new(0);

/// Calls itself once with the same argument.
#[larder::memoize(cache = &*FIB)]
fn reenter(n: u64) -> u64 {
    if REENTERED.fetch_add(1, SeqCst) == 0 {
        reenter(n) + 1
    } else {
        n
    }
}

#[test]
fn recursion_is_memoized_and_a_self_call_does_not_wait_for_itself() {
    // Each level of memoized recursion takes about 40 KiB of stack in a debug
    // build (4 KiB optimized): give the 81 levels room.
    let fib80 = std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(|| fib(80))
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(fib80, 23_416_728_348_467_685);
    assert_eq!(FIB_RUNS.load(SeqCst), 81, "each n computed once");
    // The inner call with the outer's own key runs uncached, rather than
    // waiting forever for the outer computation to finish.
    assert_eq!(reenter(5), 6);
    assert_eq!(reenter(5), 6);
    assert_eq!(REENTERED.load(SeqCst), 2);
}

static CODE: LazyLock<Cache> = LazyLock::new(memory);

#[larder::memoize(cache = &*CODE, namespace = "shared_ns")]
fn version_a(x: u32) -> u32 {
    x + 1
}

#[larder::memoize(cache = &*CODE, namespace = "shared_ns")]
fn version_b(x: u32) -> u32 {
    x + 2
}

#[test]
fn the_code_hash_tells_two_bodies_apart() {
    // Same namespace and arguments, different bodies: different keys.
    assert_eq!(version_a(1), 2);
    assert_eq!(version_b(1), 3);
    let filter = Filter {
        namespace: Some("shared_ns".into()),
        ..Filter::default()
    };
    assert_eq!(CODE.blocking().entries(&filter).unwrap().len(), 2);
}

#[larder::memoize(cache = &*CODE)]
fn generic_len<T: Serialize + AsRef<[u8]>>(items: Vec<T>, scale: usize) -> usize {
    items.iter().map(|i| i.as_ref().len()).sum::<usize>() * scale
}

#[larder::memoize(cache = CODE.blocking())]
fn with_mut_arg(mut n: u32) -> u32 {
    n += 1;
    n
}

#[test]
fn generics_mut_arguments_and_owned_cache_handles() {
    assert_eq!(generic_len(vec!["ab", "c"], 2), 6);
    assert_eq!(generic_len(vec![vec![1u8, 2]], 1), 2);
    assert_eq!(with_mut_arg(1), 2);
    assert_eq!(with_mut_arg(1), 2);
}
