//! Batch reads and writes: one store call for many keys, which backends with
//! transactions (IndexedDB) turn into one transaction.

use alloc::sync::Arc;
use alloc::vec::Vec;

use super::{Cache, Entry, Lookup, MemFound, PutOptions};
use crate::clock::Clock;
use crate::error::{Error, ErrorKind, Result};
use crate::key::{Key, KeyHash};
use crate::lru::KeyMap;
use crate::store::{MaybeSend, PutBatch, PutItem, Store};

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
        let seen = self.state.lock().changes;
        let found = self.store.get_many(&hashes).await?;
        for (&i, bytes) in missing.iter().zip(found) {
            match self.accept(&keys[i], bytes, now, seen).await {
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
        let mut items = items.into_iter();
        self.put_many_from(move || items.next().map(Ok), opts).await
    }

    /// [`put_many`](Cache::put_many) for entries that `next` makes one by
    /// one (`None` once there are no more), as the store writes the ones made
    /// before: a store that writes a batch in one transaction (IndexedDB)
    /// starts on its first part while the rest is made. An error from `next`
    /// fails the call, and nothing is written, as for a bad entry.
    ///
    /// `next` runs before any wait of the call's, unless the cache must first
    /// list the store to keep its limits: then it makes every entry first.
    /// Either way a caller's values are read before the call first waits.
    pub async fn put_many_from<F>(&self, next: F, opts: &PutOptions) -> Result<()>
    where
        F: FnMut() -> Option<Result<(Key, Vec<u8>)>> + MaybeSend,
    {
        self.check_options(opts)?;
        let mut batch = Framing {
            cache: self,
            opts,
            next,
            now: self.clock.now_ms(),
            exhausted: false,
            items: Vec::new(),
            entries: Vec::new(),
        };
        if self.must_list_first() {
            while batch.make(usize::MAX)? > 0 {}
        }
        self.sync_for_limits().await?;
        let mut first = self.store.put_batch(&mut batch).await;
        // A store that writes only whole batches, and a retry after a full
        // quota, write the whole batch: every entry made and checked first.
        let kind = first.as_ref().err().map(Error::kind);
        let unsupported = kind == Some(ErrorKind::Unsupported);
        if unsupported || kind == Some(ErrorKind::StorageFull) {
            while batch.make(usize::MAX)? > 0 {}
        }
        let Framing { items, entries, .. } = batch;
        let Some(it) = items.first() else {
            return if unsupported { Ok(()) } else { first };
        };
        let context = it.meta.namespace.clone();
        if unsupported {
            first = self.put_frames(&items).await;
        }
        self.stored(&context, first, &items, entries).await
    }
}

/// The entries of a [`Cache::put_many_from`], framed as they are made.
struct Framing<'c, S, C, F> {
    cache: &'c Cache<S, C>,
    opts: &'c PutOptions,
    next: F,
    /// When the call was made: every entry of the batch is made then.
    now: u64,
    exhausted: bool,
    items: Vec<PutItem>,
    entries: Vec<Arc<Entry>>,
}

impl<S, C, F> Framing<'_, S, C, F>
where
    S: Store,
    C: Clock,
    F: FnMut() -> Option<Result<(Key, Vec<u8>)>> + MaybeSend,
{
    fn push(&mut self, key: &Key, payload: Vec<u8>) -> Result<()> {
        let entry: Arc<Entry> = self
            .cache
            .new_entry(key, payload.into(), self.opts, self.opts.cost_us, self.now)
            .map_err(|_| Error::invalid("put_many", "too many dependencies"))?;
        self.items.push(self.cache.frame_entry(key, &entry)?);
        self.entries.push(entry);
        Ok(())
    }

    /// Once every entry is made: keep each key's last entry, and check the
    /// batch against the limits.
    fn finish(&mut self) -> Result<()> {
        let mut last: KeyMap<u32> = KeyMap::default();
        for (i, it) in self.items.iter().enumerate() {
            last.insert(it.meta.key, i as u32);
        }
        if last.len() < self.items.len() {
            // Move each key's last entry forward, in order, over the others.
            let mut kept = 0;
            for i in 0..self.items.len() {
                if last.get(&self.items[i].meta.key) == Some(&(i as u32)) {
                    self.items.swap(kept, i);
                    self.entries.swap(kept, i);
                    kept += 1;
                }
            }
            self.items.truncate(kept);
            self.entries.truncate(kept);
        }
        let total: u64 = self.items.iter().map(|it| it.meta.size).sum();
        let config = &self.cache.config;
        if let Some(max) = config.max_bytes {
            if total > max {
                return Err(Error::new(
                    ErrorKind::TooLarge,
                    "put_many",
                    alloc::format!("the batch takes {total} bytes; the cache holds {max}"),
                ));
            }
        }
        if let Some(max) = config.max_entries {
            if self.items.len() as u64 > max {
                return Err(Error::new(
                    ErrorKind::TooLarge,
                    "put_many",
                    alloc::format!(
                        "the batch has {} entries; the cache holds {max}",
                        self.items.len()
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl<S, C, F> PutBatch for Framing<'_, S, C, F>
where
    S: Store,
    C: Clock,
    F: FnMut() -> Option<Result<(Key, Vec<u8>)>> + MaybeSend,
{
    fn make(&mut self, n: usize) -> Result<usize> {
        let from = self.items.len();
        while !self.exhausted && self.items.len() - from < n {
            match (self.next)() {
                Some(made) => {
                    let (key, payload) = made?;
                    self.push(&key, payload)?;
                }
                None => self.exhausted = true,
            }
        }
        let made = self.items.len() - from;
        if made == 0 {
            self.finish()?;
        }
        Ok(made)
    }

    fn items(&self) -> &[PutItem] {
        &self.items
    }
}
