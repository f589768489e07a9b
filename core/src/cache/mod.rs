//! [`Cache`]: keys in, verified values out, with TTL, LRU limits, a memory
//! tier and single-flight computation over any [`Store`].

mod admin;
mod batch;
mod compute;
mod evict;
pub(crate) mod reserved;
mod types;
mod write;

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;

pub use compute::{Refresh, Served};
pub use reserved::PREFIX as RESERVED_TAG_PREFIX;
pub use types::{
    Computed, Config, Entry, EntryInfo, Event, Filter, Observer, PutOptions, Stats, Tier,
};

use crate::clock::Clock;
use crate::error::{Error, ErrorKind, Result};
use crate::flight::Flights;
use crate::frame;
use crate::key::{Key, KeyHash};
use crate::lru::KeyMap;
use crate::policy::{Index, MemTier};
use crate::store::{Capabilities, EntryMeta, Store};
use crate::sync::{Gate, Lock};

/// Entries expired before `now` that a single write also removes.
const EXPIRED_PER_WRITE: usize = 64;
/// Keys whose last queued access is remembered (see `State::queued`).
const MAX_QUEUED: usize = 1 << 16;

fn count_hit(st: &mut State, e: &Entry) {
    st.stats.hits += 1;
    st.stats.time_saved_us += e.cost_us;
}

#[derive(Default)]
struct Counters {
    hits: u64,
    misses: u64,
    evictions: u64,
    spills: u64,
    expired: u64,
    stale: u64,
    corrupt: u64,
    errors: u64,
    time_saved_us: u64,
}

struct State {
    index: Index,
    mem: MemTier,
    stats: Counters,
    /// Reads not yet written back to the store, key → access time.
    touches: KeyMap<u64>,
    /// When each recently read key last had its access queued for write-back,
    /// so that a key is written back at most once per `recency_granularity_ms`.
    queued: KeyMap<u64>,
    last_flush_ms: u64,
    /// Written to the store since the last [`Cache::enforce_limits`].
    wrote: bool,
    /// Bumped by every write this cache records and every delete it finishes:
    /// a read that saw another value arrive while it read the store keeps
    /// what it read out of the index and the memory tier ([`Cache::accept`]).
    changes: u64,
    /// Deletes begun (entries taken out of the index) and not yet finished
    /// in the store: until they are, a read may still find their entries
    /// there, and must not bring them back ([`Deleting`]).
    deleting: u32,
}

/// A cache over a [`Store`] `S`, reading time from a [`Clock`] `C`.
///
/// ```
/// use larder_core::{block_on, cache::{Cache, Config, PutOptions}, Key, ManualClock, MemoryStore};
/// let cache = Cache::with_clock(MemoryStore::new(), ManualClock::new(0), Config::default()).unwrap();
/// let key = Key::new("square", &[("n", 12)]).unwrap();
/// block_on(async {
///     let v = cache.get_or_compute(&key, &PutOptions::new(), || async { Ok(b"144".to_vec()) }).await;
///     assert_eq!(v.unwrap().payload(), b"144");
///     assert_eq!(cache.get(&key).await.unwrap().unwrap().payload(), b"144");
///     assert_eq!(cache.stats().await.unwrap().hits, 1);
/// });
/// ```
pub struct Cache<S, C> {
    store: S,
    clock: C,
    config: Config,
    caps: Capabilities,
    state: Lock<State>,
    flights: Flights,
    /// Keys whose stale entry some caller holds the [`Refresh`] of.
    refreshing: Arc<Lock<KeyMap<()>>>,
    observer: Option<Box<dyn Observer>>,
    /// Held by the flush writing recency back, so that a flush waits for one
    /// in flight (a read's, in the background) and what it returns after, a
    /// listing say, sees those times.
    flushing: Gate,
}

enum Lookup {
    Hit(Arc<Entry>),
    /// Past its freshness, within its grace period: only stale-while-revalidate
    /// readers take it; to everyone else it is a miss.
    Stale(Arc<Entry>),
    Miss,
}

fn is_expired(expires_ms: Option<u64>, now_ms: u64) -> bool {
    expires_ms.is_some_and(|t| t <= now_ms)
}

fn is_fresh(e: &Entry, now_ms: u64) -> bool {
    e.fresh_until_ms.is_none_or(|t| now_ms < t)
}

#[cfg(all(feature = "std", not(target_arch = "wasm32")))]
impl<S: Store> Cache<S, crate::clock::SystemClock> {
    /// A cache over `store` on the system clock.
    pub fn new(store: S, config: Config) -> Result<Self> {
        Cache::with_clock(store, crate::clock::SystemClock, config)
    }
}

impl<S: Store, C: Clock> Cache<S, C> {
    /// A cache over `store` reading time from `clock`.
    pub fn with_clock(store: S, clock: C, config: Config) -> Result<Self> {
        config.validate()?;
        let state = State {
            index: Index::default(),
            mem: MemTier::new(config.memory_bytes),
            stats: Counters::default(),
            touches: KeyMap::default(),
            queued: KeyMap::default(),
            last_flush_ms: clock.now_ms(),
            wrote: false,
            changes: 0,
            deleting: 0,
        };
        Ok(Cache {
            caps: store.capabilities(),
            store,
            clock,
            config,
            state: Lock::new(state),
            flights: Flights::default(),
            refreshing: Arc::default(),
            observer: None,
            flushing: Gate::default(),
        })
    }

    /// Send [`Event`]s to `observer`.
    #[must_use]
    pub fn with_observer(mut self, observer: impl Observer + 'static) -> Self {
        self.observer = Some(Box::new(observer));
        self
    }

    /// The store underneath.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    fn emit(&self, event: Event<'_>) {
        if let Some(o) = &self.observer {
            o.event(&event);
        }
    }

    fn absorb(&self, error: &Error) {
        self.state.lock().stats.errors += 1;
        self.emit(Event::Error { error });
    }

    /// The value under `key`, or `None` if absent, expired or corrupt.
    pub async fn get(&self, key: &Key) -> Result<Option<Arc<Entry>>> {
        match self.lookup(key).await? {
            Lookup::Hit(e) => Ok(Some(e)),
            Lookup::Stale(_) | Lookup::Miss => {
                self.miss(key.hash());
                Ok(None)
            }
        }
    }

    /// The value under `key` if the memory tier holds it, without waiting on
    /// anything: for synchronous callers, who fall back to [`get`](Cache::get)
    /// on `None`. A hit is counted and its access recorded (written back by the
    /// next async call or [`flush`](Cache::flush)); a `None` counts nothing.
    ///
    /// ```
    /// use larder_core::{block_on, Cache, Config, Key, ManualClock, MemoryStore, PutOptions};
    /// let cache = Cache::with_clock(MemoryStore::new(), ManualClock::new(0), Config::default()).unwrap();
    /// let key = Key::new("ns", &1).unwrap();
    /// assert!(cache.get_cached(&key).is_none());
    /// block_on(cache.put(&key, b"v".to_vec(), &PutOptions::new())).unwrap();
    /// assert_eq!(cache.get_cached(&key).unwrap().payload(), b"v");
    /// ```
    pub fn get_cached(&self, key: &Key) -> Option<Arc<Entry>> {
        let MemFound::Fresh(e, _) = self.memory_hit(key, self.clock.now_ms())? else {
            return None;
        };
        self.emit(Event::Hit {
            key: key.hash(),
            tier: Tier::Memory,
        });
        Some(e)
    }

    /// A hit served by another caller's computation (lookups count their own).
    fn flight_hit(&self, key: KeyHash, e: Arc<Entry>) -> Arc<Entry> {
        count_hit(&mut self.state.lock(), &e);
        self.emit(Event::Hit {
            key,
            tier: Tier::Flight,
        });
        e
    }

    fn miss(&self, key: KeyHash) {
        self.state.lock().stats.misses += 1;
        self.emit(Event::Miss { key });
    }

    /// Find `key` in memory, then in the store; verifies, expires, promotes,
    /// and counts a hit (a miss, or serving a stale entry, is the caller's to count).
    async fn lookup(&self, key: &Key) -> Result<Lookup> {
        let h = key.hash();
        let now = self.clock.now_ms();
        match self.memory_hit(key, now) {
            Some(MemFound::Fresh(e, flush)) => {
                self.emit(Event::Hit {
                    key: h,
                    tier: Tier::Memory,
                });
                if flush {
                    self.write_back().await;
                }
                return Ok(Lookup::Hit(e));
            }
            Some(MemFound::Stale(e)) => return Ok(Lookup::Stale(e)),
            None => {}
        }
        let seen = self.state.lock().changes;
        let bytes = self.store.get(h).await?;
        Ok(self.accept(key, bytes, now, seen).await)
    }

    /// Verify the stored `bytes` of `key` (`None`: the store has none), read
    /// when the state's `changes` were `seen`, and promote and count a hit; a
    /// corrupt or expired frame is discarded. If another write or a delete
    /// came while the store was read, what was read is returned but not
    /// kept: the index and the memory tier already hold what came after.
    async fn accept(&self, key: &Key, bytes: Option<Vec<u8>>, now: u64, seen: u64) -> Lookup {
        let h = key.hash();
        let Some(bytes) = bytes else {
            let mut st = self.state.lock();
            if settled(&st, seen) {
                st.index.remove(&h);
            }
            return Lookup::Miss;
        };
        // A valid frame of another key under this key's name (a swapped or
        // copied file) is as damaged as a torn one: its verified hash is not `h`.
        let decoded = frame::decode_owned(bytes).and_then(|d| {
            if d.0.key == h {
                Ok(d)
            } else {
                Err(Error::corrupt(
                    "decode frame",
                    "the entry belongs to another key",
                ))
            }
        });
        let (header, data, start) = match decoded {
            Ok(decoded) => decoded,
            Err(error) => {
                self.state.lock().stats.corrupt += 1;
                self.emit(Event::Corrupt {
                    key: h,
                    error: &error,
                });
                self.discard(h).await;
                return Lookup::Miss;
            }
        };
        if header.key_bytes != key.bytes() {
            // Another key with the same 128-bit hash (a true collision): a miss,
            // and that key's valid entry stays.
            return Lookup::Miss;
        }
        if is_expired(header.expires_ms, now) {
            self.state.lock().stats.expired += 1;
            self.discard(h).await;
            return Lookup::Miss;
        }
        let (size, namespace) = (header.frame_len(), header.namespace);
        let stored_tags = header.tags;
        let tags = reserved::split(stored_tags.clone());
        let entry = Arc::new(Entry {
            data,
            start,
            codec: header.codec,
            created_ms: header.created_ms,
            expires_ms: header.expires_ms,
            tags: tags.user,
            fresh_until_ms: tags.fresh_until_ms,
            depends_on: tags.depends_on,
            meta: header.meta,
            cost_us: header.cost_us,
            key_bytes: header.key_bytes,
        });
        let fresh = is_fresh(&entry, now);
        let flush = {
            let mut st = self.state.lock();
            let settled = settled(&st, seen);
            if settled {
                st.stats.spills += st.mem.insert(h, entry.clone());
            }
            if settled && !st.index.contains(&h) {
                // Not listed yet (the index loads lazily), or written by
                // another process since we listed: adopt it. Its access time
                // is left unrecorded so that this read is queued for the store
                // below; else a listing would bring back the older one.
                st.index.insert(&EntryMeta {
                    key: h,
                    size,
                    created_ms: entry.created_ms,
                    expires_ms: entry.expires_ms,
                    last_access_ms: 0,
                    namespace,
                    tags: stored_tags,
                    cost_us: entry.cost_us,
                });
            }
            if !fresh {
                return Lookup::Stale(entry);
            }
            count_hit(&mut st, &entry);
            self.accessed(&mut st, h, now)
        };
        self.emit(Event::Hit {
            key: h,
            tier: Tier::Store,
        });
        if flush {
            self.write_back().await;
        }
        Lookup::Hit(entry)
    }

    /// A live memory-tier entry for `key`: a fresh one counted as a hit, with
    /// whether recency is due to be flushed, or a stale one, not counted. One
    /// lock for all of it: this is the hot path.
    fn memory_hit(&self, key: &Key, now: u64) -> Option<MemFound> {
        let h = key.hash();
        let mut st = self.state.lock();
        let e = st.mem.get(&h)?;
        if is_expired(e.expires_ms, now) {
            st.mem.remove(&h);
            return None;
        }
        if e.key_bytes != key.bytes() {
            return None;
        }
        if !is_fresh(&e, now) {
            return Some(MemFound::Stale(e));
        }
        count_hit(&mut st, &e);
        let flush = self.accessed(&mut st, h, now);
        Some(MemFound::Fresh(e, flush))
    }

    /// Record a read of `h`: move it to the front of the index, and queue it
    /// for the store's recency at most once per `recency_granularity_ms`
    /// (the index entry remembers when; keys the index does not hold use the
    /// `queued` map). Returns whether a write-back is due.
    fn accessed(&self, st: &mut State, h: KeyHash, now: u64) -> bool {
        let granularity = self.config.recency_granularity_ms;
        let due = |t: u64| now.saturating_sub(t) >= granularity;
        let State {
            index,
            queued,
            touches,
            ..
        } = st;
        let record = match index.touch(&h) {
            Some(e) => {
                let record = due(e.queued_ms);
                if record {
                    e.queued_ms = now;
                }
                record
            }
            None => {
                let record = queued.get(&h).is_none_or(|&t| due(t));
                if record {
                    if queued.len() >= MAX_QUEUED {
                        // Forgetting only means some keys are written back once more.
                        queued.clear();
                    }
                    queued.insert(h, now);
                }
                record
            }
        };
        if record {
            touches.insert(h, now);
        }
        self.flush_due(st, now)
    }

    /// Remove a dead entry everywhere; a failure to delete is absorbed.
    async fn discard(&self, h: KeyHash) {
        let _deleting = Deleting::begin(&self.state);
        {
            let mut st = self.state.lock();
            st.index.remove(&h);
            st.mem.remove(&h);
        }
        if let Err(e) = self.store.delete(h).await {
            self.absorb(&e);
        }
    }

    fn flush_due(&self, st: &State, now: u64) -> bool {
        st.touches.len() >= self.config.touch_batch
            || (!st.touches.is_empty()
                && now.saturating_sub(st.last_flush_ms) >= self.config.touch_interval_ms)
    }

    /// Write pending recency to the store now (normally batched).
    pub async fn flush(&self) -> Result<()> {
        let _pass = self.flushing.enter().await;
        let batch: Vec<(KeyHash, u64)> = {
            let mut st = self.state.lock();
            st.last_flush_ms = self.clock.now_ms();
            st.touches.drain().collect()
        };
        if batch.is_empty() || !self.caps.persistent_recency {
            return Ok(());
        }
        match self.store.touch_many(&batch).await {
            Err(e) if e.kind() == ErrorKind::Unsupported => Ok(()),
            other => other,
        }
    }

    /// Whether pending recency is due to be written back: with
    /// [`Config::background_write_back`], the caller's cue to run
    /// [`flush`](Cache::flush) after a read.
    pub fn write_back_due(&self) -> bool {
        let st = self.state.lock();
        // No read has queued recency since the last write-back: nothing is
        // due, and no need to read the clock (in a browser, a call out of wasm).
        !st.touches.is_empty() && self.flush_due(&st, self.clock.now_ms())
    }

    /// A read's due write-back: done now, or left to the caller (see
    /// [`Config::background_write_back`]).
    async fn write_back(&self) {
        if !self.config.background_write_back {
            self.flush_quietly().await;
        }
    }

    /// [`flush`](Cache::flush) with no one to hand an error to (a write-back
    /// in the background): a failure is counted in `stats().errors` and
    /// reported to the observer instead.
    pub async fn flush_quietly(&self) {
        if let Err(e) = self.flush().await {
            self.absorb(&e);
        }
    }

    fn resync_due(&self, now: u64) -> bool {
        let st = self.state.lock();
        self.caps.shared
            && now.saturating_sub(st.index.last_sync_ms) >= self.config.resync_interval_ms
    }

    /// Load the index on first use; with `refresh`, re-list a shared store.
    async fn sync_index(&self, refresh: bool) -> Result<()> {
        let since = {
            let mut st = self.state.lock();
            if st.index.loaded && !(refresh && self.caps.shared) {
                return Ok(());
            }
            st.index.begin_listing()
        };
        let listing = Listing(Some(&self.state));
        self.flush_quietly().await;
        let listed = self.store.list().await?;
        let now = self.clock.now_ms();
        let mut st = self.state.lock();
        listing.done();
        let State { index, mem, .. } = &mut *st;
        index.replace(listed, since, now);
        mem.retain(|k, _| index.contains(k));
        Ok(())
    }
}

/// Whether nothing was written or deleted since a read of the store began
/// when the state's `changes` were `seen`, and no delete is under way.
fn settled(st: &State, seen: u64) -> bool {
    st.changes == seen && st.deleting == 0
}

/// A listing of the index in progress: ended by `replace` once it is
/// `done`, or here if it fails or its future is dropped.
struct Listing<'a>(Option<&'a Lock<State>>);

impl Listing<'_> {
    fn done(mut self) {
        self.0 = None;
    }
}

impl Drop for Listing<'_> {
    fn drop(&mut self) {
        if let Some(state) = self.0 {
            state.lock().index.end_listing();
        }
    }
}

/// A delete of entries from the store under way: made before they leave the
/// index, so that a read racing it does not adopt what it finds in the store
/// before the delete reaches it; ended here, even if the delete fails or its
/// future is dropped.
struct Deleting<'a>(&'a Lock<State>);

impl<'a> Deleting<'a> {
    fn begin(state: &'a Lock<State>) -> Self {
        state.lock().deleting += 1;
        Deleting(state)
    }

    /// The delete whose `deleting` count the caller has just raised, under
    /// the lock it took the entries out of the index with.
    fn begun(state: &'a Lock<State>) -> Self {
        Deleting(state)
    }
}

impl Drop for Deleting<'_> {
    fn drop(&mut self) {
        let mut st = self.0.lock();
        st.deleting -= 1;
        st.changes += 1;
    }
}

/// What the memory tier holds for a key.
enum MemFound {
    Fresh(Arc<Entry>, bool),
    Stale(Arc<Entry>),
}
