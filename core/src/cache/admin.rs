//! Invalidation, pruning, stats and listing.

use alloc::vec::Vec;

use super::{Cache, Deleting, EntryInfo, Filter, Stats, is_expired, reserved};
use crate::clock::Clock;
use crate::error::Result;
use crate::key::{Key, KeyHash};
use crate::store::Store;

impl<S: Store, C: Clock> Cache<S, C> {
    /// Whether a fresh entry exists under `key` (a stale one does not count).
    /// Reads only the header where the store allows; does not count as a hit
    /// or miss, nor as an access.
    pub async fn contains(&self, key: &Key) -> Result<bool> {
        let h = key.hash();
        let now = self.clock.now_ms();
        if let Some(e) = self.state.lock().mem.peek(&h) {
            if e.key_bytes == key.bytes() && !is_expired(e.expires_ms, now) {
                return Ok(super::is_fresh(e, now));
            }
        }
        Ok(match self.store.get_header(h).await {
            Ok(Some(hd)) => {
                let fresh_until = reserved::split(hd.tags).fresh_until_ms;
                hd.key_bytes == key.bytes()
                    && !is_expired(hd.expires_ms, now)
                    && fresh_until.is_none_or(|t| now < t)
            }
            Ok(None) => false,
            Err(e) if e.kind() == crate::ErrorKind::Corrupt => false,
            Err(e) => return Err(e),
        })
    }

    /// Remove the entry under `key`, and every entry that depends on it
    /// (transitively); `true` if the store had the entry itself.
    ///
    /// Dependents are found in the index. On a store shared with other
    /// processes, the index is re-listed first when it is older than
    /// [`Config::resync_interval_ms`](super::Config::resync_interval_ms), so a
    /// dependent another process wrote since then may stay; the invalidations
    /// by tag and namespace always re-list.
    pub async fn remove(&self, key: &Key) -> Result<bool> {
        let h = key.hash();
        self.sync_index(false).await?;
        if self.resync_due(self.clock.now_ms()) {
            self.sync_index(true).await?;
        }
        let _deleting = Deleting::begin(&self.state);
        let dependents = self.state.lock().index.dependents(&[h]);
        // Dependents first: a crash in between leaves a superfluous root, never
        // a dependent that outlived what it was computed from.
        self.remove_keys(&dependents).await?;
        {
            let mut st = self.state.lock();
            st.index.remove(&h);
            st.mem.remove(&h);
            st.touches.remove(&h);
        }
        self.store.delete(h).await
    }

    /// Remove every entry carrying `tag`, and every entry that depends on
    /// one of them (transitively); returns how many were removed in all.
    pub async fn invalidate_tag(&self, tag: &str) -> Result<usize> {
        self.sync_index(true).await?;
        let keys = self
            .state
            .lock()
            .index
            .keys_where(|e| e.tags.iter().any(|t| t == tag));
        self.remove_with_dependents(&keys).await
    }

    /// Remove every entry of `namespace` (all versions), and every entry that
    /// depends on one of them (transitively); returns how many in all.
    pub async fn invalidate_namespace(&self, namespace: &str) -> Result<usize> {
        self.sync_index(true).await?;
        let keys = self
            .state
            .lock()
            .index
            .keys_where(|e| &*e.namespace == namespace);
        self.remove_with_dependents(&keys).await
    }

    async fn remove_with_dependents(&self, keys: &[KeyHash]) -> Result<usize> {
        let dependents = self.state.lock().index.dependents(keys);
        let n = self.remove_keys(&dependents).await?;
        Ok(n + self.remove_keys(keys).await?)
    }

    /// Remove every expired entry; returns how many.
    pub async fn prune(&self) -> Result<usize> {
        self.sync_index(true).await?;
        let now = self.clock.now_ms();
        let keys = self.state.lock().index.expired(now, usize::MAX);
        let n = self.remove_keys(&keys).await?;
        self.state.lock().stats.expired += keys.len() as u64;
        Ok(n)
    }

    async fn remove_keys(&self, keys: &[KeyHash]) -> Result<usize> {
        let _deleting = Deleting::begin(&self.state);
        {
            let mut st = self.state.lock();
            for k in keys {
                st.index.remove(k);
                st.mem.remove(k);
                st.touches.remove(k);
            }
        }
        if keys.is_empty() {
            Ok(0)
        } else {
            self.store.delete_many(keys).await
        }
    }

    /// Remove everything.
    pub async fn clear(&self) -> Result<()> {
        let _deleting = Deleting::begin(&self.state);
        self.store.clear().await?;
        let mut st = self.state.lock();
        st.index.clear();
        st.mem.clear();
        st.touches.clear();
        st.queued.clear();
        Ok(())
    }

    /// Counters and sizes. Loads the index on first use.
    pub async fn stats(&self) -> Result<Stats> {
        self.sync_index(false).await?;
        let found_by_store = self.store.take_corrupt();
        let mut st = self.state.lock();
        st.stats.corrupt += found_by_store;
        let c = &st.stats;
        let lookups = c.hits + c.misses;
        Ok(Stats {
            hits: c.hits,
            misses: c.misses,
            hit_rate: if lookups == 0 {
                0.0
            } else {
                c.hits as f64 / lookups as f64
            },
            evictions: c.evictions,
            spills: c.spills,
            expired: c.expired,
            stale: c.stale,
            corrupt: c.corrupt,
            errors: c.errors,
            entries: st.index.len() as u64,
            store_bytes: st.index.bytes(),
            memory_entries: st.mem.len() as u64,
            memory_bytes: st.mem.bytes(),
            time_saved_us: c.time_saved_us,
        })
    }

    /// Every entry in the store matching `filter`, most recently used first,
    /// read fresh from the store (headers only where the store allows).
    pub async fn entries(&self, filter: &Filter) -> Result<Vec<EntryInfo>> {
        self.flush_quietly().await;
        let mut listed = self.store.list().await?;
        listed.retain(|m| {
            filter
                .namespace
                .as_ref()
                .is_none_or(|ns| &m.namespace == ns)
                && filter.tag.as_ref().is_none_or(|t| m.tags.contains(t))
        });
        listed.sort_unstable_by_key(|m| core::cmp::Reverse(m.last_access_ms));
        let mut out = Vec::with_capacity(listed.len());
        for m in listed {
            let Ok(Some(h)) = self.store.get_header(m.key).await else {
                continue;
            };
            let key = Key::from_bytes(&h.key_bytes).ok();
            let tags = reserved::split(m.tags);
            out.push(EntryInfo {
                key: m.key,
                namespace: m.namespace,
                version: key.as_ref().map_or(0, Key::version),
                params: key.and_then(|k| k.params().ok()),
                size: m.size,
                created_ms: m.created_ms,
                last_access_ms: m.last_access_ms,
                expires_ms: m.expires_ms,
                tags: tags.user,
                fresh_until_ms: tags.fresh_until_ms,
                depends_on: tags.depends_on,
                meta: h.meta,
            });
        }
        Ok(out)
    }
}
