//! The values that go in and out of a [`Cache`](super::Cache).

use alloc::string::String;
use alloc::vec::Vec;

use crate::error::{Error, Result};
use crate::frame::codec;
use crate::key::{Canon, KeyHash};
use crate::store::{MaybeSend, MaybeSync};

/// Limits and tuning. `Default` is unlimited, no TTL, a 32 MiB memory tier.
///
/// ```
/// use larder_core::cache::Config;
/// let c = Config::default().max_bytes(1 << 30).max_entries(10_000).default_ttl_ms(60_000);
/// assert_eq!(c.max_bytes, Some(1 << 30));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Evict least recently used entries past this many store bytes.
    pub max_bytes: Option<u64>,
    /// Evict least recently used entries past this many entries.
    pub max_entries: Option<u64>,
    /// TTL for entries put without one.
    pub default_ttl_ms: Option<u64>,
    /// Grace period after the TTL for entries put without one of their own:
    /// see [`PutOptions::stale_while_revalidate_ms`].
    pub default_stale_ms: Option<u64>,
    /// Byte budget of the in-memory tier (0 disables it).
    pub memory_bytes: u64,
    /// A key's last access is written back to the store at most once per this
    /// many ms: recency for eviction need not be finer, and hot keys then cost
    /// no I/O at all.
    pub recency_granularity_ms: u64,
    /// Write recency back once this many reads are pending...
    pub touch_batch: usize,
    /// ...or once this long has passed since the last write-back.
    pub touch_interval_ms: u64,
    /// Reads leave a due write-back of recency to the caller instead of
    /// awaiting it before they return: the caller checks
    /// [`write_back_due`](super::Cache::write_back_due) after a read and runs
    /// [`flush`](super::Cache::flush) in the background (the wasm bindings
    /// spawn it), so that no read waits on a write. Off by default: the core
    /// has no executor to run it on.
    pub background_write_back: bool,
    /// On a shared store, re-list the store before evicting if the index is
    /// older than this (listing costs about 9 µs an entry on a filesystem).
    pub resync_interval_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_bytes: None,
            max_entries: None,
            default_ttl_ms: None,
            default_stale_ms: None,
            memory_bytes: 32 << 20,
            recency_granularity_ms: 60_000,
            touch_batch: 256,
            touch_interval_ms: 1_000,
            background_write_back: false,
            resync_interval_ms: 30_000,
        }
    }
}

impl Config {
    /// Set [`Config::max_bytes`].
    #[must_use]
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = Some(bytes);
        self
    }

    /// Set [`Config::max_entries`].
    #[must_use]
    pub fn max_entries(mut self, n: u64) -> Self {
        self.max_entries = Some(n);
        self
    }

    /// Set [`Config::default_ttl_ms`].
    #[must_use]
    pub fn default_ttl_ms(mut self, ms: u64) -> Self {
        self.default_ttl_ms = Some(ms);
        self
    }

    /// Set [`Config::default_stale_ms`].
    #[must_use]
    pub fn default_stale_ms(mut self, ms: u64) -> Self {
        self.default_stale_ms = Some(ms);
        self
    }

    /// Set [`Config::memory_bytes`].
    #[must_use]
    pub fn memory_bytes(mut self, bytes: u64) -> Self {
        self.memory_bytes = bytes;
        self
    }

    /// Check the values make sense together.
    pub fn validate(&self) -> Result<()> {
        if self.max_bytes == Some(0) || self.max_entries == Some(0) {
            return Err(Error::invalid(
                "configure cache",
                "limits must be greater than zero",
            ));
        }
        if self.default_ttl_ms == Some(0) {
            return Err(Error::invalid(
                "configure cache",
                "a ttl must be greater than zero",
            ));
        }
        if self.default_stale_ms == Some(0) {
            return Err(Error::invalid(
                "configure cache",
                "a stale-while-revalidate period must be greater than zero",
            ));
        }
        Ok(())
    }
}

/// How to store one value.
///
/// ```
/// use larder_core::cache::PutOptions;
/// let o = PutOptions::new().ttl_ms(5_000).tag("reports").meta(b"v2".to_vec());
/// assert_eq!(o.tags, vec!["reports".to_string()]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PutOptions {
    /// Overrides the cache's default TTL.
    pub ttl_ms: Option<u64>,
    /// Tags for [`invalidate_tag`](super::Cache::invalidate_tag).
    pub tags: Vec<String>,
    /// Opaque user metadata, returned by `get` and `entries`.
    pub meta: Vec<u8>,
    /// How the payload encodes the value (see [`codec`]).
    pub codec: u8,
    /// Compute cost in µs to credit on hits (set by `get_or_compute` itself).
    pub cost_us: u64,
    /// Grace period after the TTL during which the entry is stale but may
    /// still be served by [`get_stale`](super::Cache::get_stale) while one
    /// caller refreshes it. Needs a TTL (this entry's or the cache's).
    pub stale_ms: Option<u64>,
    /// Entries this one was computed from: invalidating any of them (by
    /// `remove`, `invalidate_tag` or `invalidate_namespace`) removes this one
    /// too, transitively. To depend on a tag, carry it.
    pub depends_on: Vec<KeyHash>,
}

impl PutOptions {
    /// Defaults: cache TTL, no tags, no metadata, raw bytes.
    pub fn new() -> Self {
        PutOptions {
            codec: codec::BYTES,
            ..PutOptions::default()
        }
    }

    /// Expire this entry after `ms`.
    #[must_use]
    pub fn ttl_ms(mut self, ms: u64) -> Self {
        self.ttl_ms = Some(ms);
        self
    }

    /// Expire this entry after `ttl` (whole milliseconds).
    #[must_use]
    pub fn ttl(self, ttl: core::time::Duration) -> Self {
        self.ttl_ms(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX))
    }

    /// Add a tag.
    #[must_use]
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// Keep serving the entry for `ms` after its TTL while it is refreshed
    /// (stale-while-revalidate); see [`PutOptions::stale_ms`].
    #[must_use]
    pub fn stale_while_revalidate_ms(mut self, ms: u64) -> Self {
        self.stale_ms = Some(ms);
        self
    }

    /// Record that this entry depends on the entry under `key`; see
    /// [`PutOptions::depends_on`].
    ///
    /// ```
    /// use larder_core::{cache::PutOptions, Key};
    /// let user = Key::new("user", &7).unwrap();
    /// let o = PutOptions::new().depends_on(user.hash());
    /// assert_eq!(o.depends_on, vec![user.hash()]);
    /// ```
    #[must_use]
    pub fn depends_on(mut self, key: KeyHash) -> Self {
        self.depends_on.push(key);
        self
    }

    /// Attach user metadata.
    #[must_use]
    pub fn meta(mut self, meta: Vec<u8>) -> Self {
        self.meta = meta;
        self
    }

    /// Declare the payload's codec.
    #[must_use]
    pub fn codec(mut self, codec: u8) -> Self {
        self.codec = codec;
        self
    }
}

/// A cached value and what was stored with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Holds the value's bytes from `start` on (a read frame keeps its header
    /// in front rather than copying the payload out).
    pub(crate) data: Vec<u8>,
    pub(crate) start: usize,
    /// How the payload encodes the value.
    pub codec: u8,
    /// When it was written, ms since the epoch.
    pub created_ms: u64,
    /// When it expires, ms since the epoch.
    pub expires_ms: Option<u64>,
    /// Its tags (the user's; larder's reserved tags are decoded into the
    /// fields below).
    pub tags: Vec<String>,
    /// Until when it is fresh, ms since the epoch, when it was stored with a
    /// stale-while-revalidate grace period; between this and `expires_ms` it
    /// is stale.
    pub fresh_until_ms: Option<u64>,
    /// The entries it depends on.
    pub depends_on: Vec<KeyHash>,
    /// Its user metadata.
    pub meta: Vec<u8>,
    /// What computing it cost, µs.
    pub cost_us: u64,
    /// Canonical key bytes, compared on every hit so a hash collision is a miss.
    pub(crate) key_bytes: Vec<u8>,
}

impl Entry {
    /// The value's bytes (decompressed).
    ///
    /// ```
    /// use larder_core::{block_on, Cache, Config, Key, ManualClock, MemoryStore, PutOptions};
    /// let cache = Cache::with_clock(MemoryStore::new(), ManualClock::new(0), Config::default()).unwrap();
    /// let key = Key::new("ns", &1).unwrap();
    /// block_on(cache.put(&key, b"bytes".to_vec(), &PutOptions::new())).unwrap();
    /// assert_eq!(block_on(cache.get(&key)).unwrap().unwrap().payload(), b"bytes");
    /// ```
    pub fn payload(&self) -> &[u8] {
        self.data.get(self.start..).unwrap_or_default()
    }
}

/// Counters and sizes. Counters are per `Cache` instance since it was opened.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that found nothing usable.
    pub misses: u64,
    /// `hits / (hits + misses)`, 0 when there were none.
    pub hit_rate: f64,
    /// Entries removed to respect the limits.
    pub evictions: u64,
    /// Entries moved out of the memory tier (they stay in the store).
    pub spills: u64,
    /// Entries found or pruned past their expiry.
    pub expired: u64,
    /// Hits that served a stale entry while it was refreshed (also in `hits`).
    pub stale: u64,
    /// Entries that failed verification and were removed.
    pub corrupt: u64,
    /// Storage errors absorbed (a failed write-back or eviction, a failed
    /// read inside `get_or_compute`), reported to the observer.
    pub errors: u64,
    /// Entries in the store.
    pub entries: u64,
    /// Bytes in the store.
    pub store_bytes: u64,
    /// Entries in the memory tier.
    pub memory_entries: u64,
    /// Bytes in the memory tier.
    pub memory_bytes: u64,
    /// Sum of the compute cost of every hit, µs.
    pub time_saved_us: u64,
}

/// What [`entries`](super::Cache::entries) reports about one entry.
#[derive(Clone, Debug, PartialEq)]
pub struct EntryInfo {
    /// Key hash.
    pub key: KeyHash,
    /// Namespace.
    pub namespace: String,
    /// Key version.
    pub version: u32,
    /// The parameters, decoded (None if the stored key could not be decoded).
    pub params: Option<Canon>,
    /// Bytes in the store.
    pub size: u64,
    /// Written, ms since the epoch.
    pub created_ms: u64,
    /// Last recorded access, ms since the epoch.
    pub last_access_ms: u64,
    /// Expiry, ms since the epoch.
    pub expires_ms: Option<u64>,
    /// Tags (the user's).
    pub tags: Vec<String>,
    /// End of freshness, for entries stored with a stale-while-revalidate grace period.
    pub fresh_until_ms: Option<u64>,
    /// The entries it depends on.
    pub depends_on: Vec<KeyHash>,
    /// User metadata.
    pub meta: Vec<u8>,
}

/// Which entries [`entries`](super::Cache::entries) lists.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this namespace.
    pub namespace: Option<String>,
    /// Only entries carrying this tag.
    pub tag: Option<String>,
}

/// Where a hit was served from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// The in-process memory tier.
    Memory,
    /// The persistent store.
    Store,
    /// Another caller's concurrent computation of the same key.
    Flight,
}

/// Something worth logging; see [`Observer`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A lookup hit.
    Hit {
        /// The key.
        key: KeyHash,
        /// Where from.
        tier: Tier,
    },
    /// A lookup missed.
    Miss {
        /// The key.
        key: KeyHash,
    },
    /// An entry was evicted to respect the limits.
    Evicted {
        /// The key.
        key: KeyHash,
        /// Its size.
        bytes: u64,
    },
    /// A stored entry failed verification and was removed.
    Corrupt {
        /// The key.
        key: KeyHash,
        /// Why.
        error: &'a Error,
    },
    /// A storage error the cache absorbed.
    Error {
        /// The error.
        error: &'a Error,
    },
    /// A stale entry was served; `refresh` says whether this caller was handed
    /// the refresh (one caller per key at a time is).
    Stale {
        /// The key.
        key: KeyHash,
        /// Whether this caller refreshes it.
        refresh: bool,
    },
}

/// What a computation hands to [`get_or_compute`](super::Cache::get_or_compute):
/// the value's bytes, and entries it was computed from (found at run time, on
/// top of [`PutOptions::depends_on`]). A plain `Vec<u8>` converts into one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Computed {
    /// The value's bytes.
    pub payload: Vec<u8>,
    /// Entries the value was computed from.
    pub depends_on: Vec<KeyHash>,
}

impl From<Vec<u8>> for Computed {
    fn from(payload: Vec<u8>) -> Self {
        Computed {
            payload,
            depends_on: Vec::new(),
        }
    }
}

/// Receives [`Event`]s (the `larder` crate forwards them to `tracing`).
pub trait Observer: MaybeSend + MaybeSync {
    /// Called synchronously, outside any lock; keep it cheap.
    fn event(&self, event: &Event<'_>);
}
