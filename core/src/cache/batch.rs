//! Batch reads and writes: one store call for many keys, which backends with
//! transactions (IndexedDB) turn into one transaction.

use alloc::sync::Arc;
use alloc::vec::Vec;

use super::{Cache, Entry, Lookup, MemFound, PutOptions};
use crate::clock::Clock;
use crate::error::{Error, ErrorKind, Result};
use crate::key::{Key, KeyHash};
use crate::lru::KeyMap;
use crate::store::Store;

impl<S: Store, C: Clock> Cache<S, C> {
    /// [`get`](Cache::get) for several keys, in order: memory-tier hits are
    /// served at once and the rest is read from the store in one batch call.
    ///
    /// ```
    /// use larder_core::{block_on, Cache, Config, Key, ManualClock, MemoryStore, PutOptions};
    /// let cache = Cache::with_clock(MemoryStore::new(), ManualClock::new(0), Config::default()).unwrap();
    /// let (a, b) = (Key::new("ns", &1).unwrap(), Key::new("ns", &2).unwrap());
    /// block_on(cache.put(&a, b"one".to_vec(), &PutOptions::new())).unwrap();
    /// let got = block_on(cache.get_many(&[a, b])).unwrap();
    /// assert_eq!(got[0].as_ref().unwrap().payload(), b"one");
    /// assert!(got[1].is_none());
    /// ```
    pub async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Arc<Entry>>>> {
        let now = self.clock.now_ms();
        let mut out: Vec<Option<Arc<Entry>>> = Vec::with_capacity(keys.len());
        let mut flush = false;
        let mut missing: Vec<usize> = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            match self.memory_hit(key, now) {
                Some(MemFound::Fresh(e, due)) => {
                    self.emit(super::Event::Hit {
                        key: key.hash(),
                        tier: super::Tier::Memory,
                    });
                    flush |= due;
                    out.push(Some(e));
                }
                // A stale value is not served by a plain get: read the store.
                Some(MemFound::Stale(_)) | None => {
                    missing.push(i);
                    out.push(None);
                }
            }
        }
        if flush {
            self.write_back().await;
        }
        if missing.is_empty() {
            return Ok(out);
        }
        let hashes: Vec<KeyHash> = missing.iter().map(|&i| keys[i].hash()).collect();
        let found = self.store.get_many(&hashes).await?;
        for (&i, bytes) in missing.iter().zip(found) {
            match self.accept(&keys[i], bytes, now).await {
                Lookup::Hit(e) => out[i] = Some(e),
                Lookup::Miss | Lookup::Stale(_) => self.miss(keys[i].hash()),
            }
        }
        Ok(out)
    }

    /// [`put`](Cache::put) for several entries with the same options, in one
    /// store call, then one enforcement of the limits. A key given twice keeps
    /// its last payload.
    ///
    /// Every entry is checked before anything is written: bad options, an
    /// entry too large for the cache, or a batch that alone exceeds
    /// `max_bytes` or `max_entries` fail the call and change nothing.
    ///
    /// ```
    /// use larder_core::{block_on, Cache, Config, Key, ManualClock, MemoryStore, PutOptions};
    /// let cache = Cache::with_clock(MemoryStore::new(), ManualClock::new(0), Config::default()).unwrap();
    /// let items: Vec<_> = (0..3).map(|n| (Key::new("ns", &n).unwrap(), vec![n as u8])).collect();
    /// block_on(cache.put_many(items, &PutOptions::new())).unwrap();
    /// assert_eq!(block_on(cache.stats()).unwrap().entries, 3);
    /// ```
    pub async fn put_many(&self, items: Vec<(Key, Vec<u8>)>, opts: &PutOptions) -> Result<()> {
        let mut items = items;
        // Keep the last payload of a repeated key.
        let mut seen: KeyMap<()> = KeyMap::default();
        let mut unique = Vec::with_capacity(items.len());
        while let Some((key, payload)) = items.pop() {
            if seen.insert(key.hash(), ()).is_none() {
                unique.push((key, payload));
            }
        }
        unique.reverse();
        let Some(context) = unique
            .first()
            .map(|(k, _)| alloc::string::String::from(k.namespace()))
        else {
            return Ok(());
        };
        self.check_options(opts)?;
        let mut framed = Vec::with_capacity(unique.len());
        let mut total: u64 = 0;
        for (key, payload) in unique {
            let entry: Arc<Entry> = self
                .new_entry(&key, payload.into(), opts, opts.cost_us)
                .map_err(|_| Error::invalid("put_many", "too many dependencies"))?;
            let item = self.frame_entry(&key, &entry)?;
            total = total.saturating_add(item.meta.size);
            framed.push((item, entry));
        }
        if let Some(max) = self.config.max_bytes {
            if total > max {
                return Err(Error::new(
                    ErrorKind::TooLarge,
                    "put_many",
                    alloc::format!("the batch takes {total} bytes; the cache holds {max}"),
                ));
            }
        }
        if let Some(max) = self.config.max_entries {
            if framed.len() as u64 > max {
                return Err(Error::new(
                    ErrorKind::TooLarge,
                    "put_many",
                    alloc::format!(
                        "the batch has {} entries; the cache holds {max}",
                        framed.len()
                    ),
                ));
            }
        }
        self.write_frames(&context, framed).await
    }
}
