//! Test helpers: a store wrapper that counts calls and can claim to be shared,
//! and an observer that records events.
#![allow(dead_code, clippy::unwrap_used)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll};

use async_trait::async_trait;
use larder_core::cache::{Cache, Config, Event, Observer, PutOptions, Tier};
use larder_core::store::PutItem;
use larder_core::{
    Capabilities, EntryMeta, Key, KeyHash, ManualClock, MemoryStore, Result, Store, block_on,
};

/// Wraps a [`MemoryStore`], counting calls.
#[derive(Default)]
pub struct Counting {
    pub inner: MemoryStore,
    pub shared: bool,
    pub gets: AtomicUsize,
    pub puts: AtomicUsize,
    pub lists: AtomicUsize,
    pub touch_calls: AtomicUsize,
    pub touched: AtomicUsize,
    pub get_many_calls: AtomicUsize,
    pub put_many_calls: AtomicUsize,
    /// While set, `touch_many` waits (for tests that poll by hand).
    pub stall_touches: AtomicBool,
    /// While set, `list` waits after reading the store.
    pub stall_lists: AtomicBool,
    /// Damaged entries the store says it found and removed by itself
    /// (`take_corrupt` hands them over once).
    pub found_corrupt: AtomicU64,
}

impl Counting {
    pub fn n(c: &AtomicUsize) -> usize {
        c.load(SeqCst)
    }
}

#[async_trait]
impl Store for Counting {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            shared: self.shared,
            ..self.inner.capabilities()
        }
    }
    async fn get(&self, key: KeyHash) -> Result<Option<Vec<u8>>> {
        self.gets.fetch_add(1, SeqCst);
        self.inner.get(key).await
    }
    async fn put(&self, meta: &EntryMeta, frame: &[u8]) -> Result<()> {
        self.puts.fetch_add(1, SeqCst);
        self.inner.put(meta, frame).await
    }
    async fn delete(&self, key: KeyHash) -> Result<bool> {
        self.inner.delete(key).await
    }
    async fn list(&self) -> Result<Vec<EntryMeta>> {
        self.lists.fetch_add(1, SeqCst);
        let listed = self.inner.list().await;
        Stalled(&self.stall_lists).await;
        listed
    }
    async fn get_many(&self, keys: &[KeyHash]) -> Result<Vec<Option<Vec<u8>>>> {
        self.get_many_calls.fetch_add(1, SeqCst);
        self.inner.get_many(keys).await
    }
    async fn put_many(&self, items: &[PutItem]) -> Result<()> {
        self.put_many_calls.fetch_add(1, SeqCst);
        self.inner.put_many(items).await
    }
    async fn touch_many(&self, t: &[(KeyHash, u64)]) -> Result<()> {
        Stalled(&self.stall_touches).await;
        self.touch_calls.fetch_add(1, SeqCst);
        self.touched.fetch_add(t.len(), SeqCst);
        self.inner.touch_many(t).await
    }
    fn take_corrupt(&self) -> u64 {
        self.found_corrupt.swap(0, SeqCst)
    }
    // The store's own clear, not the default's listing: a clear while
    // `stall_lists` holds a listing must not wait on it.
    async fn clear(&self) -> Result<()> {
        self.inner.clear().await
    }
}

/// Pending while its flag is set.
struct Stalled<'a>(&'a AtomicBool);

impl Future for Stalled<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.load(SeqCst) {
            cx.waker().wake_by_ref();
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}

/// Records where hits came from and what was evicted.
#[derive(Default, Clone)]
pub struct Recorder(pub std::sync::Arc<Mutex<Vec<String>>>);

impl Recorder {
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl Observer for Recorder {
    fn event(&self, e: &Event<'_>) {
        let s = match e {
            Event::Hit {
                tier: Tier::Memory, ..
            } => "hit:memory".to_string(),
            Event::Hit {
                tier: Tier::Store, ..
            } => "hit:store".to_string(),
            Event::Hit {
                tier: Tier::Flight, ..
            } => "hit:flight".to_string(),
            Event::Miss { .. } => "miss".to_string(),
            Event::Evicted { .. } => "evicted".to_string(),
            Event::Corrupt { .. } => "corrupt".to_string(),
            Event::Error { error } => format!("error:{error}"),
            _ => "other".to_string(),
        };
        self.0.lock().unwrap().push(s);
    }
}

/// Incompressible bytes (xorshift64), so that lz4 cannot shrink them.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A [`MemoryStore`] with a byte quota, as browser storage has: a put past it
/// fails with `StorageFull`. `evict_when_full` is its capability flag. With
/// `frees_late`, deleted bytes still count until one more put has been
/// refused, as Chromium's IndexedDB sometimes counts them.
pub struct Quota {
    pub inner: MemoryStore,
    pub capacity: u64,
    pub evict_when_full: bool,
    pub frees_late: bool,
    /// Bytes deleted but still counted (`frees_late`).
    pub ghost: std::sync::Mutex<u64>,
}

impl Quota {
    pub fn new(capacity: u64, evict_when_full: bool, frees_late: bool) -> Self {
        Quota {
            inner: MemoryStore::new(),
            capacity,
            evict_when_full,
            frees_late,
            ghost: std::sync::Mutex::new(0),
        }
    }
}

#[async_trait]
impl Store for Quota {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            evict_when_full: self.evict_when_full,
            ..self.inner.capabilities()
        }
    }
    async fn get(&self, key: KeyHash) -> Result<Option<Vec<u8>>> {
        self.inner.get(key).await
    }
    async fn put(&self, meta: &EntryMeta, frame: &[u8]) -> Result<()> {
        let used: u64 = self
            .inner
            .list()
            .await?
            .iter()
            .filter(|m| m.key != meta.key)
            .map(|m| m.size)
            .sum();
        let ghost = std::mem::take(&mut *self.ghost.lock().unwrap());
        if used + ghost + frame.len() as u64 > self.capacity {
            let msg = "the quota is exceeded";
            return Err(larder_core::Error::new(
                larder_core::ErrorKind::StorageFull,
                "put",
                msg,
            ));
        }
        self.inner.put(meta, frame).await
    }
    async fn delete(&self, key: KeyHash) -> Result<bool> {
        if self.frees_late {
            let size = self
                .inner
                .list()
                .await?
                .iter()
                .find(|m| m.key == key)
                .map_or(0, |m| m.size);
            *self.ghost.lock().unwrap() += size;
        }
        self.inner.delete(key).await
    }
    async fn list(&self) -> Result<Vec<EntryMeta>> {
        self.inner.list().await
    }
    async fn touch_many(&self, t: &[(KeyHash, u64)]) -> Result<()> {
        self.inner.touch_many(t).await
    }
}

/// A cache over a memory store, on a manual clock.
pub type TestCache<S = MemoryStore> = Cache<S, ManualClock>;

/// A cache with `config` over a new memory store, and its clock (at 1,000,000 ms).
pub fn cache_with(config: Config) -> (TestCache, ManualClock) {
    let clock = ManualClock::new(1_000_000);
    (
        Cache::with_clock(MemoryStore::new(), clock.clone(), config).unwrap(),
        clock,
    )
}

/// The params of [`key`].
#[derive(serde::Serialize)]
pub struct P {
    pub n: u32,
}

/// The key of `{ n }` in namespace "test".
pub fn key(n: u32) -> Key {
    Key::new("test", &P { n }).unwrap()
}

/// Put `v` under `k`, which must succeed.
pub fn put(c: &TestCache<impl Store>, k: &Key, v: &[u8], o: &PutOptions) {
    block_on(c.put(k, v.to_vec(), o)).unwrap();
}

/// The payload stored under `k`, if any.
pub fn get(c: &TestCache<impl Store>, k: &Key) -> Option<Vec<u8>> {
    block_on(c.get(k)).unwrap().map(|e| e.payload().to_vec())
}
