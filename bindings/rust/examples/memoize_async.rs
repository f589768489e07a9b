//! An async memoized function with stale-while-revalidate: concurrent
//! callers share one fetch; past the ttl, callers get the stale value at once
//! while one refresh runs in the background on the tokio runtime.
//!
//! Run with `cargo run -p larder --features tokio --example memoize_async`.
//! (The `tokio` feature lets background refreshes run on your runtime.) The
//! cache here reads a manual clock, so the demo can move an hour ahead
//! without waiting; in a program, leave the clock out.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use larder::{Cache, ManualClock};

static CLOCK: LazyLock<ManualClock> = LazyLock::new(|| ManualClock::new(1_700_000_000_000));
static CACHE: LazyLock<Cache> = LazyLock::new(|| {
    Cache::builder()
        .in_memory()
        .clock(CLOCK.clone())
        .open()
        .expect("an in-memory cache opens")
});
static FETCHES: AtomicUsize = AtomicUsize::new(0);

/// Stands for a slow network call; each fetch sees a newer rate.
#[larder::memoize(cache = &*CACHE, ttl = "5m", stale_while_revalidate = "1h")]
async fn exchange_rate(currency: String) -> f64 {
    let n = FETCHES.fetch_add(1, Relaxed) + 1;
    tokio::time::sleep(Duration::from_millis(200)).await;
    match currency.as_str() {
        "EUR" => 1.08 + n as f64 / 100.0,
        _ => 1.0,
    }
}

#[tokio::main]
async fn main() {
    let t = Instant::now();
    let callers: Vec<_> = (0..10)
        .map(|_| tokio::spawn(exchange_rate("EUR".to_string())))
        .collect();
    let mut rates = Vec::new();
    for c in callers {
        rates.push(c.await.expect("the task ran"));
    }
    println!(
        "10 concurrent callers got {:?} after {} fetch in {:.0} ms",
        rates[0],
        FETCHES.load(Relaxed),
        t.elapsed().as_secs_f64() * 1e3
    );

    CLOCK.advance_ms(10 * 60 * 1000); // ten minutes later: past the 5 minute ttl
    let t = Instant::now();
    let stale = exchange_rate("EUR".to_string()).await;
    println!(
        "stale: {stale} returned in {:.0} µs while a refresh runs in the background",
        t.elapsed().as_secs_f64() * 1e6
    );
    CACHE.wait_for_refreshes().await;
    let fresh = exchange_rate("EUR".to_string()).await;
    println!(
        "fresh: {fresh} after the refresh ({} fetches in all)",
        FETCHES.load(Relaxed)
    );

    CLOCK.advance_ms(2 * 60 * 60 * 1000); // past the grace period too
    let t = Instant::now();
    let refetched = exchange_rate("EUR".to_string()).await;
    println!(
        "expired: {refetched} fetched again by the caller in {:.0} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
}
