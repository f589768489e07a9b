//! What `stats` reports beyond the cache's own counting: damage a store
//! found by itself, and the hit rate before any lookup.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

use async_trait::async_trait;
use common::cache_with;
use larder_core::cache::{Cache, Config};
use larder_core::{
    Capabilities, EntryMeta, KeyHash, ManualClock, MemoryStore, Result, Store, block_on,
};

/// A [`MemoryStore`] that says it found and removed `found` damaged entries.
#[derive(Default)]
struct SelfHealing {
    inner: MemoryStore,
    found: AtomicU64,
}

#[async_trait]
impl Store for SelfHealing {
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    fn take_corrupt(&self) -> u64 {
        self.found.swap(0, SeqCst)
    }
    async fn get(&self, key: KeyHash) -> Result<Option<Vec<u8>>> {
        self.inner.get(key).await
    }
    async fn put(&self, meta: &EntryMeta, frame: &[u8]) -> Result<()> {
        self.inner.put(meta, frame).await
    }
    async fn delete(&self, key: KeyHash) -> Result<bool> {
        self.inner.delete(key).await
    }
    async fn list(&self) -> Result<Vec<EntryMeta>> {
        self.inner.list().await
    }
}

#[test]
fn damage_the_store_found_by_itself_adds_up_in_corrupt() {
    let c = Cache::with_clock(
        SelfHealing::default(),
        ManualClock::new(0),
        Config::default(),
    )
    .unwrap();
    assert_eq!(block_on(c.stats()).unwrap().corrupt, 0);
    c.store().found.store(2, SeqCst);
    assert_eq!(block_on(c.stats()).unwrap().corrupt, 2);
    c.store().found.store(3, SeqCst);
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
