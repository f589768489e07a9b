//! The async storage contract every backend implements.
//!
//! A store keeps opaque entry frames by [`KeyHash`] plus small per-entry metadata
//! ([`EntryMeta`]) that can be listed without reading payloads. Futures are `Send`
//! on native targets and not on wasm32, where IndexedDB and friends are `!Send`.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use async_trait::async_trait;

use crate::error::{Error, ErrorKind, Result};
use crate::frame::{self, FrameHeader, HeaderRead};
use crate::key::KeyHash;
use crate::lru::KeyMap;

cfg_if::cfg_if! {
    // Single-threaded builds (wasm32, or no std and so no real mutex) drop the bounds.
    if #[cfg(any(target_arch = "wasm32", not(feature = "std")))] {
        /// `Send` natively, nothing on wasm32 (whose JS handles are single-threaded).
        pub trait MaybeSend {}
        impl<T: ?Sized> MaybeSend for T {}
        /// `Sync` natively, nothing on wasm32.
        pub trait MaybeSync {}
        impl<T: ?Sized> MaybeSync for T {}
    } else {
        /// `Send` natively, nothing on wasm32 (whose JS handles are single-threaded).
        pub trait MaybeSend: Send {}
        impl<T: ?Sized + Send> MaybeSend for T {}
        /// `Sync` natively, nothing on wasm32.
        pub trait MaybeSync: Sync {}
        impl<T: ?Sized + Sync> MaybeSync for T {}
    }
}

/// Metadata a store can list without reading payloads.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct EntryMeta {
    /// The entry's key hash.
    pub key: KeyHash,
    /// Bytes the store spends on the entry (the frame length).
    pub size: u64,
    /// When the entry was written, ms since the Unix epoch.
    pub created_ms: u64,
    /// When it expires, ms since the Unix epoch; `None` never.
    pub expires_ms: Option<u64>,
    /// Last recorded access, ms since the Unix epoch (written back in batches).
    pub last_access_ms: u64,
    /// The key's namespace.
    pub namespace: String,
    /// Tags for group invalidation.
    pub tags: Vec<String>,
    /// How long the value took to compute, in µs (for "time saved" stats).
    pub cost_us: u64,
}

/// What a backend does by itself, so the core knows what it must do for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// Entries survive the process (false for the memory store).
    pub persistent: bool,
    /// Other processes or machines may write the same store concurrently, so
    /// the in-process index can go stale and must re-sync.
    pub shared: bool,
    /// The backend expires entries by itself (e.g. Redis `PX`).
    pub native_ttl: bool,
    /// Batch calls are cheaper than loops of single calls.
    pub native_batch: bool,
    /// `touch_many` persists recency (otherwise recency lives only in the process).
    pub persistent_recency: bool,
    /// "Full" ([`ErrorKind::StorageFull`]) means a quota the cache should make
    /// room in: the cache evicts least recently used entries and retries the
    /// write, evicting more while the store stays full and entries remain
    /// (browser storage). Without it, a full store is an error.
    pub evict_when_full: bool,
}

/// One entry to write: its metadata and its encoded frame.
#[derive(Clone, Debug)]
pub struct PutItem {
    /// Metadata; `meta.key` is where the frame is stored.
    pub meta: EntryMeta,
    /// The complete encoded frame.
    pub frame: Vec<u8>,
}

/// A batch whose entries are made while a store writes it
/// ([`Store::put_batch`]): making an entry (its key, its value's encoding,
/// its frame) then overlaps with the store writing the entries made before.
pub trait PutBatch: MaybeSend {
    /// Make up to `n` more entries, appended to [`items`](PutBatch::items),
    /// and say how many. 0 means every entry is made and the batch has been
    /// checked whole; `items` then holds each key once, its last entry. An
    /// error means the batch must not be written, not even in part.
    fn make(&mut self, n: usize) -> Result<usize>;

    /// The entries made so far, in order. Until `make` returns 0, a key may
    /// come more than once: its last entry is the one to keep.
    fn items(&self) -> &[PutItem];
}

/// The latest time of each key in a [`Store::touch_many`] batch, which may
/// name a key more than once: recency only moves forward.
pub fn latest_touches(touches: &[(KeyHash, u64)]) -> KeyMap<u64> {
    let mut latest = KeyMap::with_capacity_and_hasher(touches.len(), Default::default());
    for &(k, at) in touches {
        let e = latest.entry(k).or_insert(at);
        *e = (*e).max(at);
    }
    latest
}

/// Async storage of entry frames. See the module docs.
///
/// Required: `get`, `put`, `delete`, `list`. Batch calls loop by default;
/// `touch_many` and `put_batch` default to [`ErrorKind::Unsupported`] and
/// `clear` to list-and-delete.
///
/// Implementations outside this crate pick the attribute by target:
/// `#[cfg_attr(not(target_arch = "wasm32"), async_trait)]` and
/// `#[cfg_attr(target_arch = "wasm32", async_trait(?Send))]`.
#[cfg_attr(all(not(target_arch = "wasm32"), feature = "std"), async_trait)]
#[cfg_attr(any(target_arch = "wasm32", not(feature = "std")), async_trait(?Send))]
pub trait Store: MaybeSend + MaybeSync {
    /// What this backend does by itself.
    fn capabilities(&self) -> Capabilities;

    /// How many damaged entries the store found and removed by itself (while
    /// listing or reading) since the last call. The cache adds them to its
    /// `corrupt` count.
    fn take_corrupt(&self) -> u64 {
        0
    }

    /// The frame stored under `key`, or `None`.
    async fn get(&self, key: KeyHash) -> Result<Option<Vec<u8>>>;

    /// Store `frame` under `meta.key`, replacing any previous frame atomically:
    /// a concurrent reader sees the old frame or the new one, never a mix.
    async fn put(&self, meta: &EntryMeta, frame: &[u8]) -> Result<()>;

    /// Remove `key`; `true` if it was there.
    async fn delete(&self, key: KeyHash) -> Result<bool>;

    /// Metadata of every entry, without payloads. Entries that cannot be read
    /// back are left out (and may be removed).
    async fn list(&self) -> Result<Vec<EntryMeta>>;

    /// The verified header of the entry under `key`. Backends that can read a
    /// prefix (files) override this to skip the payload.
    async fn get_header(&self, key: KeyHash) -> Result<Option<FrameHeader>> {
        match self.get(key).await? {
            None => Ok(None),
            Some(bytes) => match frame::decode_header(&bytes)? {
                HeaderRead::Complete(h) => Ok(Some(h)),
                HeaderRead::NeedBytes(_) => Err(Error::corrupt("read header", "truncated frame")),
            },
        }
    }

    /// Record last-access times in one go. The core batches reads into these calls.
    async fn touch_many(&self, touches: &[(KeyHash, u64)]) -> Result<()> {
        let _ = touches;
        Err(Error::new(
            ErrorKind::Unsupported,
            "touch_many",
            "this store does not keep recency",
        ))
    }

    /// `get` for several keys; results in the same order.
    async fn get_many(&self, keys: &[KeyHash]) -> Result<Vec<Option<Vec<u8>>>> {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            out.push(self.get(*k).await?);
        }
        Ok(out)
    }

    /// `put` for several entries.
    async fn put_many(&self, items: &[PutItem]) -> Result<()> {
        for it in items {
            self.put(&it.meta, &it.frame).await?;
        }
        Ok(())
    }

    /// `put_many` for a batch made as it is written: all of it or, if
    /// `batch` fails to make an entry or the write fails, none. Stores that
    /// write a batch in one transaction (IndexedDB) write each part as it is
    /// made. Others leave this [`ErrorKind::Unsupported`] (the default)
    /// without asking `batch` for anything: the core then makes the whole
    /// batch and calls `put_many`.
    async fn put_batch(&self, batch: &mut dyn PutBatch) -> Result<()> {
        let _ = batch;
        Err(Error::new(
            ErrorKind::Unsupported,
            "put_batch",
            "this store writes a batch once it is whole",
        ))
    }

    /// `delete` for several keys; how many were there.
    async fn delete_many(&self, keys: &[KeyHash]) -> Result<usize> {
        let mut n = 0;
        for k in keys {
            if self.delete(*k).await? {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Remove every entry.
    async fn clear(&self) -> Result<()> {
        let keys: Vec<KeyHash> = self.list().await?.into_iter().map(|m| m.key).collect();
        self.delete_many(&keys).await.map(|_| ())
    }
}

macro_rules! forward_store {
    ($ptr:ident) => {
        #[cfg_attr(all(not(target_arch = "wasm32"), feature = "std"), async_trait)]
        #[cfg_attr(any(target_arch = "wasm32", not(feature = "std")), async_trait(?Send))]
        impl<T: Store + ?Sized> Store for ptr::$ptr<T> {
            fn capabilities(&self) -> Capabilities {
                (**self).capabilities()
            }
            fn take_corrupt(&self) -> u64 {
                (**self).take_corrupt()
            }
            async fn get(&self, key: KeyHash) -> Result<Option<Vec<u8>>> {
                (**self).get(key).await
            }
            async fn put(&self, meta: &EntryMeta, frame: &[u8]) -> Result<()> {
                (**self).put(meta, frame).await
            }
            async fn delete(&self, key: KeyHash) -> Result<bool> {
                (**self).delete(key).await
            }
            async fn list(&self) -> Result<Vec<EntryMeta>> {
                (**self).list().await
            }
            async fn get_header(&self, key: KeyHash) -> Result<Option<FrameHeader>> {
                (**self).get_header(key).await
            }
            async fn touch_many(&self, touches: &[(KeyHash, u64)]) -> Result<()> {
                (**self).touch_many(touches).await
            }
            async fn get_many(&self, keys: &[KeyHash]) -> Result<Vec<Option<Vec<u8>>>> {
                (**self).get_many(keys).await
            }
            async fn put_many(&self, items: &[PutItem]) -> Result<()> {
                (**self).put_many(items).await
            }
            async fn put_batch(&self, batch: &mut dyn PutBatch) -> Result<()> {
                (**self).put_batch(batch).await
            }
            async fn delete_many(&self, keys: &[KeyHash]) -> Result<usize> {
                (**self).delete_many(keys).await
            }
            async fn clear(&self) -> Result<()> {
                (**self).clear().await
            }
        }
    };
}

// `Box<dyn Store>` and `Arc<S>` are stores too.
mod ptr {
    pub(super) use alloc::boxed::Box;
    pub(super) use alloc::sync::Arc;
}
forward_store!(Box);
forward_store!(Arc);

#[cfg(test)]
mod tests {
    use super::latest_touches;
    use crate::key::KeyHash;

    #[test]
    fn latest_touches_keeps_each_keys_latest_time() {
        let (a, b) = (KeyHash(1), KeyHash(2));
        let latest = latest_touches(&[(a, 5), (b, 3), (a, 9), (a, 7), (b, 3)]);
        assert_eq!(latest.len(), 2);
        assert_eq!(latest[&a], 9);
        assert_eq!(latest[&b], 3);
        assert!(latest_touches(&[]).is_empty());
    }
}
