//! Eviction: taking entries past the limits out of the index, making room
//! in a full quota, and the limits of a store that several processes share.

use alloc::vec::Vec;

use super::{Cache, Deleting, Event, State};
use crate::clock::Clock;
use crate::error::Result;
use crate::key::KeyHash;
use crate::store::Store;

impl<S: Store, C: Clock> Cache<S, C> {
    /// Take least recently used entries out of the index (and memory) until
    /// it is within the limits, sparing the keys `keep` holds (those just
    /// written); counts them as evictions. The caller deletes them from the store.
    pub(super) fn evict_from_index(
        &self,
        st: &mut State,
        keep: impl Fn(&KeyHash) -> bool,
    ) -> Vec<(KeyHash, u64)> {
        let (max_bytes, max_entries) = (self.config.max_bytes, self.config.max_entries);
        let mut evicted = Vec::new();
        if st.index.loaded {
            while let Some(k) = st
                .index
                .over_limit(max_bytes, max_entries)
                .filter(|k| !keep(k))
            {
                let size = st.index.remove(&k).map_or(0, |e| e.size);
                st.mem.remove(&k);
                evicted.push((k, size));
            }
        }
        st.stats.evictions += evicted.len() as u64;
        evicted
    }

    /// Report evictions to the observer; returns their keys.
    pub(super) fn emit_evicted(&self, evicted: &[(KeyHash, u64)]) -> Vec<KeyHash> {
        for (key, bytes) in evicted {
            self.emit(Event::Evicted {
                key: *key,
                bytes: *bytes,
            });
        }
        evicted.iter().map(|(k, _)| *k).collect()
    }

    /// Make the limits hold for a store other processes share, as a whole.
    /// This cache's index learns of other processes' writes only when it
    /// re-lists the store (at most once per `resync_interval_ms` while
    /// writing), so processes that each keep within the limit can together
    /// exceed it. This re-lists the store and evicts the least recently used
    /// entries past the limits. It does nothing (and costs nothing) for a
    /// store that is not shared, without limits, or if this cache wrote
    /// nothing since it last ran; `larder` runs it when a cache is dropped, so
    /// once every process has stopped, the limits hold. Returns how many
    /// entries were evicted.
    pub async fn enforce_limits(&self) -> Result<usize> {
        let limited = self.config.max_bytes.is_some() || self.config.max_entries.is_some();
        if !self.caps.shared || !limited {
            return Ok(0);
        }
        if !core::mem::take(&mut self.state.lock().wrote) {
            return Ok(0);
        }
        if let Err(e) = self.sync_index(true).await {
            self.state.lock().wrote = true;
            return Err(e);
        }
        let _deleting = Deleting::begin(&self.state);
        let evicted = self.evict_from_index(&mut self.state.lock(), |_| false);
        let keys = self.emit_evicted(&evicted);
        if !keys.is_empty() {
            self.store.delete_many(&keys).await?;
        }
        Ok(keys.len())
    }

    /// Evict least recently used entries until `bytes` are freed (or nothing
    /// is left); returns how many were evicted.
    pub(super) async fn make_room(&self, bytes: u64) -> Result<usize> {
        self.sync_index(false).await?;
        let _deleting = Deleting::begin(&self.state);
        let evicted: Vec<(KeyHash, u64)> = {
            let mut st = self.state.lock();
            let mut freed = 0;
            let mut out = Vec::new();
            while freed < bytes {
                let Some((k, _)) = st.index.lru_peek() else {
                    break;
                };
                let size = st.index.remove(&k).map_or(0, |e| e.size);
                st.mem.remove(&k);
                freed += size;
                out.push((k, size));
            }
            st.stats.evictions += out.len() as u64;
            out
        };
        let keys = self.emit_evicted(&evicted);
        if !keys.is_empty() {
            self.store.delete_many(&keys).await?;
        }
        Ok(keys.len())
    }
}
