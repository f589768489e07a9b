//! `MemoryStore`: a [`Store`] in process memory, for tests, wasm without
//! storage, and as the model every other backend is checked against.

use alloc::boxed::Box;
use alloc::vec::Vec;

use async_trait::async_trait;

use crate::error::Result;
use crate::key::KeyHash;
use crate::lru::KeyMap;
use crate::store::{Capabilities, EntryMeta, PutItem, Store};
use crate::sync::Lock;

/// A [`Store`] that keeps frames in a hash map.
///
/// ```
/// use larder_core::{block_on, EntryMeta, KeyHash, MemoryStore, Store};
/// let store = MemoryStore::new();
/// let meta = EntryMeta { key: KeyHash(1), size: 3, ..Default::default() };
/// block_on(store.put(&meta, b"abc")).unwrap();
/// assert_eq!(block_on(store.get(KeyHash(1))).unwrap().as_deref(), Some(&b"abc"[..]));
/// ```
#[derive(Default)]
pub struct MemoryStore {
    entries: Lock<KeyMap<(EntryMeta, Vec<u8>)>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    /// Number of entries held.
    pub fn len(&self) -> usize {
        self.entries.lock().len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Replace an entry's stored bytes as-is (for corruption tests).
    pub fn overwrite_raw(&self, key: KeyHash, bytes: Vec<u8>) -> bool {
        match self.entries.lock().get_mut(&key) {
            Some(e) => {
                e.1 = bytes;
                true
            }
            None => false,
        }
    }
}

impl<T: Default> Default for Lock<T> {
    fn default() -> Self {
        Lock::new(T::default())
    }
}

#[cfg_attr(all(not(target_arch = "wasm32"), feature = "std"), async_trait)]
#[cfg_attr(any(target_arch = "wasm32", not(feature = "std")), async_trait(?Send))]
impl Store for MemoryStore {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            persistent_recency: true,
            native_batch: true,
            ..Capabilities::default()
        }
    }

    async fn get(&self, key: KeyHash) -> Result<Option<Vec<u8>>> {
        Ok(self.entries.lock().get(&key).map(|e| e.1.clone()))
    }

    async fn put(&self, meta: &EntryMeta, frame: &[u8]) -> Result<()> {
        self.entries
            .lock()
            .insert(meta.key, (meta.clone(), frame.to_vec()));
        Ok(())
    }

    async fn delete(&self, key: KeyHash) -> Result<bool> {
        Ok(self.entries.lock().remove(&key).is_some())
    }

    async fn list(&self) -> Result<Vec<EntryMeta>> {
        Ok(self.entries.lock().values().map(|e| e.0.clone()).collect())
    }

    async fn touch_many(&self, touches: &[(KeyHash, u64)]) -> Result<()> {
        let mut map = self.entries.lock();
        for (k, at) in touches {
            if let Some(e) = map.get_mut(k) {
                e.0.last_access_ms = e.0.last_access_ms.max(*at);
            }
        }
        Ok(())
    }

    async fn put_many(&self, items: &[PutItem]) -> Result<()> {
        let mut map = self.entries.lock();
        for it in items {
            map.insert(it.meta.key, (it.meta.clone(), it.frame.clone()));
        }
        Ok(())
    }

    async fn clear(&self) -> Result<()> {
        self.entries.lock().clear();
        Ok(())
    }
}
