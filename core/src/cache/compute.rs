//! Computing values: single-flight [`get_or_compute`](Cache::get_or_compute),
//! forced [`recompute`](Cache::recompute), and stale-while-revalidate reads
//! ([`get_stale`](Cache::get_stale)) that hand one caller per key a
//! [`Refresh`]. The core never spawns anything: whoever holds the `Refresh`
//! (the `larder` facade, the JS bindings) decides where the refresh runs, so
//! the core stays free of any runtime.

use alloc::format;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::future::Future;

use super::{Cache, Computed, Entry, Event, Lookup, PutOptions, count_hit};
use crate::clock::Clock;
use crate::error::{Error, ErrorKind, Result};
use crate::flight::{Join, Leader};
use crate::key::{Key, KeyHash};
use crate::lru::KeyMap;
use crate::store::Store;
use crate::sync::Lock;

/// What [`Cache::get_stale`] found.
#[derive(Debug)]
pub enum Served {
    /// A fresh entry.
    Fresh(Arc<Entry>),
    /// An entry past its freshness but within its grace period. `refresh` is
    /// `Some` for exactly one caller per key at a time: that caller should
    /// recompute the value (in the background) with [`Cache::recompute`]
    /// and drop the `Refresh` when done.
    Stale {
        /// The stale entry, to serve now.
        entry: Arc<Entry>,
        /// The duty to refresh it, if this caller has it.
        refresh: Option<Refresh>,
    },
}

impl Served {
    /// The entry, fresh or stale.
    pub fn entry(&self) -> &Arc<Entry> {
        match self {
            Served::Fresh(e) | Served::Stale { entry: e, .. } => e,
        }
    }
}

/// The claim on refreshing one stale key. While it lives, other readers of
/// the stale entry are served without being asked to refresh; dropping it
/// (after the refresh, or if the refresh could not run) lets the next reader
/// of a still-stale entry claim it again. `Send` natively, and `'static`, so
/// it can move into a background task.
pub struct Refresh {
    key: KeyHash,
    pending: Arc<Lock<KeyMap<()>>>,
}

impl Refresh {
    /// The key to refresh.
    pub fn key(&self) -> KeyHash {
        self.key
    }
}

impl fmt::Debug for Refresh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Refresh").field("key", &self.key).finish()
    }
}

impl Drop for Refresh {
    fn drop(&mut self) {
        self.pending.lock().remove(&self.key);
    }
}

impl<S: Store, C: Clock> Cache<S, C> {
    /// The value under `key`, computing and storing it on a miss (a stale
    /// entry is a miss here). Concurrent callers of one key share one
    /// computation. A failed computation is returned to every caller waiting
    /// on it and nothing is stored; so is a panic in it (natively), as an
    /// [`ErrorKind::Compute`] error. Storage errors are absorbed (reported
    /// to the observer) so the value is still returned.
    ///
    /// Options are checked before the computation runs.
    pub async fn get_or_compute<F, Fut>(
        &self,
        key: &Key,
        opts: &PutOptions,
        compute: F,
    ) -> Result<Arc<Entry>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<u8>>>,
    {
        let compute = || async { compute().await.map(Computed::from) };
        self.get_or_compute_with(key, opts, compute).await
    }

    /// [`get_or_compute`](Cache::get_or_compute) for a computation that also
    /// names entries it was computed from (see [`Computed`]).
    pub async fn get_or_compute_with<F, Fut>(
        &self,
        key: &Key,
        opts: &PutOptions,
        compute: F,
    ) -> Result<Arc<Entry>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Computed>>,
    {
        self.check_options(opts)?;
        let h = key.hash();
        let mut compute = Some(compute);
        loop {
            match self.lookup(key).await {
                Ok(Lookup::Hit(e)) => return Ok(e),
                Ok(Lookup::Stale(_) | Lookup::Miss) => {}
                Err(e) => self.absorb(&e),
            }
            let leader = match self.flights.join(h) {
                Join::Waiter(wait) => match wait.await {
                    Some(Ok(e)) => return Ok(self.flight_hit(h, e)),
                    Some(Err(e)) => return Err(e),
                    None => continue, // the leader gave up; try again
                },
                Join::Leader(l) => l,
            };
            // Filled between our lookup and taking the lead?
            if let Ok(Lookup::Hit(e)) = self.lookup(key).await {
                leader.publish(Ok(e.clone()));
                return Ok(e);
            }
            self.miss(h);
            let Some(f) = compute.take() else {
                return Err(lost());
            };
            return self.lead(leader, key, opts, f).await;
        }
    }

    /// Compute the value under `key` now and store it, whether or not an
    /// entry exists: a forced refresh, or the refresh a [`Refresh`] asks for.
    /// If a computation of `key` is already running, wait for its result
    /// instead of computing again; callers of `get_or_compute` that arrive
    /// meanwhile wait for this one.
    pub async fn recompute<F, Fut>(
        &self,
        key: &Key,
        opts: &PutOptions,
        compute: F,
    ) -> Result<Arc<Entry>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Computed>>,
    {
        self.check_options(opts)?;
        let mut compute = Some(compute);
        loop {
            match self.flights.join(key.hash()) {
                Join::Waiter(wait) => match wait.await {
                    Some(result) => return result,
                    None => continue,
                },
                Join::Leader(l) => {
                    let f = compute.take().ok_or_else(lost)?;
                    return self.lead(l, key, opts, f).await;
                }
            }
        }
    }

    /// Run the computation as the key's leader, store its value, and hand the
    /// result to every waiter.
    async fn lead<F, Fut>(
        &self,
        leader: Leader<'_>,
        key: &Key,
        opts: &PutOptions,
        compute: F,
    ) -> Result<Arc<Entry>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Computed>>,
    {
        let start = self.clock.now_us();
        let result = compute().await;
        let cost = self.clock.now_us().saturating_sub(start);
        let now = self.clock.now_ms();
        let result = match result {
            Ok(r) => Ok(match self.new_entry(key, r, opts, cost, now) {
                Ok(entry) => {
                    if let Err(e) = self.write(key, &entry).await {
                        self.absorb(&e);
                    }
                    entry
                }
                Err(entry) => {
                    let why = format!(
                        "the value depends on {} entries, more than an entry can record; \
                         it is returned but not stored",
                        entry.depends_on.len()
                    );
                    let e = Error::invalid("get_or_compute", why).with_context(key.namespace());
                    self.absorb(&e);
                    entry
                }
            }),
            Err(e) => Err(e),
        };
        leader.publish(result.clone());
        result
    }

    /// The value under `key` for a stale-while-revalidate reader: fresh, or
    /// stale within its grace period (counted as a hit and in `stale`), or
    /// `None` when there is nothing servable. A `None` is not counted as a
    /// miss: the `get_or_compute` that follows counts it.
    ///
    /// ```
    /// use larder_core::{block_on, Cache, Config, Key, ManualClock, MemoryStore, PutOptions, Served};
    /// let clock = ManualClock::new(0);
    /// let cache = Cache::with_clock(MemoryStore::new(), clock.clone(), Config::default()).unwrap();
    /// let key = Key::new("feed", &1).unwrap();
    /// let opts = PutOptions::new().ttl_ms(1_000).stale_while_revalidate_ms(60_000);
    /// block_on(async {
    ///     cache.put(&key, b"v1".to_vec(), &opts).await.unwrap();
    ///     clock.advance_ms(2_000); // past the ttl, within the grace period
    ///     let Some(Served::Stale { entry, refresh: Some(refresh) }) = cache.get_stale(&key).await.unwrap() else { panic!() };
    ///     assert_eq!(entry.payload(), b"v1");
    ///     // A second reader is served the stale value too, without the refresh.
    ///     assert!(matches!(cache.get_stale(&key).await.unwrap(), Some(Served::Stale { refresh: None, .. })));
    ///     cache.recompute(&key, &opts, || async { Ok(b"v2".to_vec().into()) }).await.unwrap();
    ///     drop(refresh);
    ///     assert_eq!(cache.get(&key).await.unwrap().unwrap().payload(), b"v2");
    /// });
    /// ```
    pub async fn get_stale(&self, key: &Key) -> Result<Option<Served>> {
        Ok(match self.lookup(key).await? {
            Lookup::Hit(e) => Some(Served::Fresh(e)),
            Lookup::Stale(entry) => {
                let h = key.hash();
                let refresh = self.claim_refresh(h);
                {
                    let mut st = self.state.lock();
                    count_hit(&mut st, &entry);
                    st.stats.stale += 1;
                }
                self.emit(Event::Stale {
                    key: h,
                    refresh: refresh.is_some(),
                });
                Some(Served::Stale { entry, refresh })
            }
            Lookup::Miss => None,
        })
    }

    /// The computations running in this process, each with how many callers
    /// wait for it (callers that started waiting; for observability and tests).
    pub fn computing(&self) -> Vec<(KeyHash, usize)> {
        self.flights.running()
    }

    fn claim_refresh(&self, key: KeyHash) -> Option<Refresh> {
        let mut pending = self.refreshing.lock();
        if pending.contains_key(&key) {
            return None;
        }
        pending.insert(key, ());
        Some(Refresh {
            key,
            pending: self.refreshing.clone(),
        })
    }
}

fn lost() -> Error {
    Error::new(ErrorKind::Compute, "get_or_compute", "computation lost")
}
