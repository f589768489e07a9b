//! What `stats` reports beyond the cache's own counting: damage a store
//! found by itself, and the hit rate before any lookup.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::Ordering::SeqCst;

use common::{Counting, cache_with};
use larder_core::cache::{Cache, Config};
use larder_core::{ManualClock, block_on};

#[test]
fn damage_the_store_found_by_itself_adds_up_in_corrupt() {
    let c = Cache::with_clock(Counting::default(), ManualClock::new(0), Config::default()).unwrap();
    assert_eq!(block_on(c.stats()).unwrap().corrupt, 0);
    c.store().found_corrupt.store(2, SeqCst);
    assert_eq!(block_on(c.stats()).unwrap().corrupt, 2);
    c.store().found_corrupt.store(3, SeqCst);
    assert_eq!(block_on(c.stats()).unwrap().corrupt, 5);
    assert_eq!(block_on(c.stats()).unwrap().corrupt, 5, "counted once");
}

#[test]
fn the_hit_rate_is_zero_before_any_lookup() {
    let (c, _) = cache_with(Config::default());
    let s = block_on(c.stats()).unwrap();
    assert_eq!((s.hits, s.misses), (0, 0));
    assert_eq!(s.hit_rate, 0.0);
}
