//! A read of the store racing a write or a delete on another thread: what
//! the read found must not come back into the index or the memory tier once
//! the write or the delete has gone past it.
#![allow(clippy::unwrap_used)]

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use larder_core::cache::{Cache, Config, PutOptions};
use larder_core::{
    Capabilities, EntryMeta, Key, KeyHash, ManualClock, MemoryStore, Result, Store, block_on,
};

/// A [`MemoryStore`] whose next `get`, once armed, says it has read (the
/// bytes in hand) and waits to be let go before it returns them.
#[derive(Default)]
struct Gated {
    inner: MemoryStore,
    gate: Mutex<Option<(Sender<()>, Receiver<()>)>>,
}

impl Gated {
    /// Arm the gate: returns (read done, let go).
    fn arm(&self) -> (Receiver<()>, Sender<()>) {
        let (done_tx, done_rx) = channel();
        let (go_tx, go_rx) = channel();
        *self.gate.lock().unwrap() = Some((done_tx, go_rx));
        (done_rx, go_tx)
    }
}

#[async_trait]
impl Store for Gated {
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    async fn get(&self, key: KeyHash) -> Result<Option<Vec<u8>>> {
        let bytes = self.inner.get(key).await?;
        let gate = self.gate.lock().unwrap().take();
        if let Some((done, go)) = gate {
            done.send(()).unwrap();
            go.recv().unwrap();
        }
        Ok(bytes)
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

fn key() -> Key {
    Key::new("races", &1).unwrap()
}

type Shared = Cache<Arc<Gated>, ManualClock>;

fn cache(store: &Arc<Gated>, config: Config) -> Shared {
    Cache::with_clock(store.clone(), ManualClock::new(0), config).unwrap()
}

/// Run a `get` on another thread until it has read the store, then `meanwhile`,
/// then let the get finish; returns what it got.
fn racing_get(c: &Shared, store: &Gated, meanwhile: impl FnOnce()) -> Option<Vec<u8>> {
    let (done, go) = store.arm();
    std::thread::scope(|s| {
        let reader = s.spawn(|| {
            block_on(c.get(&key()))
                .unwrap()
                .map(|e| e.payload().to_vec())
        });
        done.recv().unwrap();
        meanwhile();
        go.send(()).unwrap();
        reader.join().unwrap()
    })
}

#[test]
fn a_read_racing_a_remove_does_not_bring_the_entry_back() {
    let store = Arc::new(Gated::default());
    let c = cache(&store, Config::default().memory_bytes(0));
    block_on(c.put(&key(), b"v1".to_vec(), &PutOptions::new())).unwrap();
    let got = racing_get(&c, &store, || {
        assert!(block_on(c.remove(&key())).unwrap());
    });
    assert_eq!(got.as_deref(), Some(&b"v1"[..]), "read before the remove");
    assert_eq!(
        block_on(c.stats()).unwrap().entries,
        0,
        "no entry left indexed"
    );
    assert!(block_on(c.get(&key())).unwrap().is_none());
}

#[test]
fn a_read_racing_a_put_does_not_cache_the_older_value() {
    let store = Arc::new(Gated::default());
    // Another process writes v1; this cache has not seen it.
    block_on(cache(&store, Config::default()).put(&key(), b"v1".to_vec(), &PutOptions::new()))
        .unwrap();
    let c = cache(&store, Config::default());
    let got = racing_get(&c, &store, || {
        block_on(c.put(&key(), b"v2".to_vec(), &PutOptions::new())).unwrap();
    });
    assert_eq!(got.as_deref(), Some(&b"v1"[..]), "read before the put");
    let cached = c.get_cached(&key()).map(|e| e.payload().to_vec());
    assert_eq!(cached.as_deref(), Some(&b"v2"[..]), "the memory tier");
    let now = block_on(c.get(&key()))
        .unwrap()
        .map(|e| e.payload().to_vec());
    assert_eq!(now.as_deref(), Some(&b"v2"[..]));
}
