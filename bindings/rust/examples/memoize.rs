//! `#[larder::memoize]` basics: a slow function cached on disk, an argument
//! left out of the key, a function that depends on another, forgetting and
//! refreshing.
//!
//! Run with `cargo run --release -p larder --example memoize`. The cache lives
//! in `$LARDER_DIR`, or `larder` in the platform cache directory, so a second
//! run (another process) finds what the first computed.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// How many primes below a limit end in each digit.
#[derive(Serialize, Deserialize, Debug)]
struct LastDigits {
    counts: [u32; 10],
}

static SIEVES: AtomicUsize = AtomicUsize::new(0);
static REPORTS: AtomicUsize = AtomicUsize::new(0);

/// Deliberately slow: a sieve of Eratosthenes. `verbose` only prints, so it
/// is left out of the key.
#[larder::memoize(ttl = "7d", tags = ["primes"], ignore = [verbose])]
fn last_digits(limit: usize, verbose: bool) -> LastDigits {
    SIEVES.fetch_add(1, Relaxed);
    if verbose {
        println!("  (sieving below {limit})");
    }
    let mut composite = vec![false; limit];
    let mut counts = [0u32; 10];
    for n in 2..limit {
        if !composite[n] {
            counts[n % 10] += 1;
            for m in (n * n..limit).step_by(n) {
                composite[m] = true;
            }
        }
    }
    LastDigits { counts }
}

/// Computed from `last_digits`: forgetting that entry removes this one too.
#[larder::memoize(ttl = "7d")]
fn report(limit: usize) -> String {
    REPORTS.fetch_add(1, Relaxed);
    let d = last_digits(limit, false);
    let total: u32 = d.counts.iter().sum();
    format!(
        "{total} primes below {limit}; ending in 1, 3, 7, 9: {:?}",
        [d.counts[1], d.counts[3], d.counts[7], d.counts[9]]
    )
}

fn took(t: Instant) -> String {
    let s = t.elapsed().as_secs_f64();
    if s >= 1e-3 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.0} µs", s * 1e6)
    }
}

fn main() -> Result<(), larder::Error> {
    const LIMIT: usize = 2_000_000;
    // Start cold, so every run shows a miss and then a hit.
    last_digits_forget(LIMIT, false)?;

    let t = Instant::now();
    let first = last_digits(LIMIT, true);
    println!("miss: computed {:?} in {}", first.counts, took(t));
    let t = Instant::now();
    let again = last_digits(LIMIT, false);
    println!(
        "hit:  the same {:?} in {} (verbose is not part of the key)",
        again.counts,
        took(t)
    );

    println!("report: {}", report(LIMIT));
    let before = REPORTS.load(Relaxed);
    report(LIMIT);
    println!(
        "report again: from the cache ({} computation)",
        REPORTS.load(Relaxed) - before
    );

    // Forgetting the entry the report was computed from removes the report too.
    last_digits_forget(LIMIT, false)?;
    let before = (SIEVES.load(Relaxed), REPORTS.load(Relaxed));
    report(LIMIT);
    println!(
        "after forgetting last_digits: the report was recomputed ({} report, {} sieve)",
        REPORTS.load(Relaxed) - before.1,
        SIEVES.load(Relaxed) - before.0
    );

    let t = Instant::now();
    last_digits_refresh(LIMIT, false);
    println!(
        "refresh: recomputed and stored in {} (the report computed from the old value went)",
        took(t)
    );

    let cache = larder::memo::default_cache()?;
    let s = cache.blocking().stats()?;
    println!(
        "stats: {} hits, {} misses, {} entries, {} saved by hits",
        s.hits,
        s.misses,
        s.entries,
        larder::units::format_duration_ms(s.time_saved_us / 1000)
    );
    Ok(())
}
