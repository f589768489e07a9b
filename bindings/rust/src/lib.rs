//! # larder
//!
//! A persistent cache for the results of expensive computations. Keys come
//! from named parameters (their order never matters), values are any serde
//! type or raw bytes, and the cache keeps to a byte limit (least recently used
//! entries go first), a TTL, and a memory tier in front of the filesystem.
//!
//! ```
//! # let dir = tempfile::tempdir().unwrap();
//! # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! # rt.block_on(async {
//! use serde::Serialize;
//!
//! #[derive(Serialize)]
//! struct Params { n: u64, exact: bool }
//!
//! let cache = larder::Cache::open(dir.path())?;
//! let params = Params { n: 30, exact: true };
//! let v: u64 = cache.get_or_compute("fib", &params, || async { fib(30) }).await?;
//! let again: Option<u64> = cache.get("fib", &params).await?;
//! assert_eq!(again, Some(v));
//! # Ok::<(), larder::Error>(())
//! # }).unwrap();
//! fn fib(n: u64) -> u64 { if n < 2 { n } else { fib(n - 1) + fib(n - 2) } }
//! ```
//!
//! [`blocking::Cache`] offers the same calls for programs without an async runtime.
//!
//! ## Memoization
//!
//! [`#[memoize]`](memoize) caches a function's results, keyed by its arguments
//! (and its code), in a process-wide default cache or one you name:
//!
//! ```
//! # use std::sync::LazyLock;
//! # static CACHE: LazyLock<larder::Cache> =
//! #     LazyLock::new(|| larder::Cache::builder().in_memory().open().unwrap());
//! #[larder::memoize(cache = &*CACHE, ttl = "1h")]
//! fn word_count(text: String) -> usize {
//!     text.split_whitespace().count()
//! }
//! assert_eq!(word_count("a b c".into()), 3); // computed
//! assert_eq!(word_count("a b c".into()), 3); // from the cache
//! ```
//!
//! Around it: single-flight for threads and tasks, stale-while-revalidate
//! ([`Cache::get_or_revalidate`]), dependencies between entries, content keys
//! for files and directories ([`content`]), and warming ([`Cache::warm`]).
#![forbid(unsafe_code)]

mod args;
pub mod blocking;
mod builder;
mod clock;
mod compute;
pub mod content;
mod frames;
pub mod memo;
mod observe;
mod swr;
mod warm;

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;

pub use args::{Ns, Size, Ttl};
pub use builder::{Builder, DEFAULT_MAX_BYTES, DIR_ENV, default_dir};
pub use clock::{CacheClock, CoarseClock};
pub use larder_core::cache::{Entry, EntryInfo, Filter, PutOptions, Stats};
pub use larder_core::frame::codec;
pub use larder_core::{
    Canon, Error, ErrorKind, Key, KeyHash, ManualClock, Result, block_on, units,
};
pub use larder_fs::FsStore;
pub use larder_macros::memoize;
use serde::Serialize;
use serde::de::DeserializeOwned;
pub use swr::Task;
pub use warm::{Progress, Warm};

type CoreCache = larder_core::Cache<Box<dyn larder_core::Store>, CacheClock>;

struct Shared {
    core: CoreCache,
    spawner: swr::Spawner,
    refreshes: Arc<swr::Pending>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Recency is written back in batches; don't lose the last one.
        if let Err(e) = larder_core::block_on(self.core.flush()) {
            tracing::warn!(%e, "larder could not write back recency on close");
        }
        // Other processes may have written to the directory since this one
        // last listed it: if this one wrote too, make the limit hold for all.
        if let Err(e) = larder_core::block_on(self.core.enforce_limits()) {
            tracing::warn!(%e, "larder could not enforce the cache's limits on close");
        }
    }
}

/// A cache handle. Cheap to clone; clones share one cache. `Send + Sync`.
///
/// ```
/// fn assert_send_sync<T: Send + Sync>() {}
/// assert_send_sync::<larder::Cache>();
/// ```
#[derive(Clone)]
pub struct Cache {
    shared: Arc<Shared>,
}

fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    postcard::to_allocvec(value).map_err(|e| {
        Error::new(
            ErrorKind::Codec,
            "encode value",
            format!("the value does not serialize: {e}"),
        )
    })
}

fn decode<T: DeserializeOwned>(entry: &Entry, ns: &str) -> Result<T> {
    let wrong = |why: String| {
        Error::new(ErrorKind::Codec, "decode value", why)
            .with_context(format!("{ns} as {}", std::any::type_name::<T>()))
    };
    if entry.codec != codec::POSTCARD {
        return Err(wrong(format!(
            "the entry holds codec {} (raw bytes are 0)",
            entry.codec
        )));
    }
    postcard::from_bytes(entry.payload()).map_err(|e| wrong(format!("stored value: {e}")))
}

fn typed(opts: &PutOptions) -> PutOptions {
    PutOptions {
        codec: codec::POSTCARD,
        ..opts.clone()
    }
}

impl Cache {
    /// Open (creating if needed) a cache in `dir` with the defaults: a 1 GiB
    /// limit, no TTL, a 32 MiB memory tier.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// let cache = larder::Cache::open(dir.path()).unwrap();
    /// # drop(cache);
    /// let err = larder::Cache::open("/proc/version").err().unwrap();
    /// assert_eq!(err.kind(), larder::ErrorKind::InvalidInput);
    /// ```
    pub fn open(dir: impl AsRef<std::path::Path>) -> Result<Cache> {
        Cache::builder().dir(dir).open()
    }

    /// Open the cache in [`default_dir`] with the defaults.
    ///
    /// ```no_run
    /// let cache = larder::Cache::open_default().unwrap();
    /// ```
    pub fn open_default() -> Result<Cache> {
        Cache::builder().open()
    }

    /// Start configuring a cache.
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().max_bytes("1MB").open().unwrap();
    /// ```
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The same cache with a blocking API.
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().open().unwrap();
    /// cache.blocking().put("ns", &1, &"one").unwrap();
    /// ```
    pub fn blocking(&self) -> blocking::Cache {
        blocking::Cache {
            inner: self.clone(),
        }
    }

    /// The core cache, for key-level calls (`get`, `put` with a prepared [`Key`]).
    ///
    /// ```
    /// # larder::block_on(async {
    /// let cache = larder::Cache::builder().in_memory().open().unwrap();
    /// let key = cache.key("ns", &1).unwrap();
    /// cache.core().put(&key, b"raw".to_vec(), &Default::default()).await.unwrap();
    /// assert_eq!(cache.core().get(&key).await.unwrap().unwrap().payload(), b"raw");
    /// # });
    /// ```
    pub fn core(&self) -> &CoreCache {
        &self.shared.core
    }

    /// The key of `params` in namespace `ns`.
    ///
    /// ```
    /// #[derive(serde::Serialize)]
    /// struct Area { w: u32, h: u32 }
    /// let cache = larder::Cache::builder().in_memory().open().unwrap();
    /// let a = cache.key("area", &Area { w: 2, h: 3 }).unwrap();
    /// let b = cache.key("area", &std::collections::BTreeMap::from([("h", 3), ("w", 2)])).unwrap();
    /// assert_eq!(a.hash(), b.hash(), "a struct is the map of its fields, in any order");
    /// ```
    pub fn key<'a, P: Serialize + ?Sized>(&self, ns: impl Into<Ns<'a>>, params: &P) -> Result<Key> {
        let ns = ns.into();
        Key::with_version(ns.name, ns.version, params)
    }

    /// The value stored for `params`, decoded as `T`; `None` on a miss.
    ///
    /// ```
    /// # larder::block_on(async {
    /// let cache = larder::Cache::builder().in_memory().open().unwrap();
    /// cache.put("squares", &4, &16u32).await.unwrap();
    /// assert_eq!(cache.get::<_, u32>("squares", &4).await.unwrap(), Some(16));
    /// assert_eq!(cache.get::<_, u32>("squares", &5).await.unwrap(), None);
    /// # });
    /// ```
    pub async fn get<'a, P, T>(&self, ns: impl Into<Ns<'a>>, params: &P) -> Result<Option<T>>
    where
        P: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let ns = ns.into();
        let key = self.key(ns, params)?;
        match self.core().get(&key).await? {
            Some(e) => decode(&e, ns.name).map(Some),
            None => Ok(None),
        }
    }

    /// Store `value` for `params` with the cache's defaults.
    ///
    /// ```
    /// # larder::block_on(async {
    /// let cache = larder::Cache::builder().in_memory().open().unwrap();
    /// cache.put("greeting", &("en",), &"hello".to_string()).await.unwrap();
    /// # });
    /// ```
    pub async fn put<'a, P, T>(&self, ns: impl Into<Ns<'a>>, params: &P, value: &T) -> Result<()>
    where
        P: Serialize + ?Sized,
        T: Serialize + ?Sized,
    {
        self.put_with(ns, params, value, &PutOptions::new()).await
    }

    /// Store `value` with options: TTL, tags, metadata.
    ///
    /// ```
    /// # larder::block_on(async {
    /// use larder::PutOptions;
    /// let cache = larder::Cache::builder().in_memory().open().unwrap();
    /// let opts = PutOptions::new().ttl(std::time::Duration::from_secs(60)).tag("reports");
    /// cache.put_with("report", &2024, &vec![1, 2, 3], &opts).await.unwrap();
    /// assert_eq!(cache.invalidate_tag("reports").await.unwrap(), 1);
    /// # });
    /// ```
    pub async fn put_with<'a, P, T>(
        &self,
        ns: impl Into<Ns<'a>>,
        params: &P,
        value: &T,
        opts: &PutOptions,
    ) -> Result<()>
    where
        P: Serialize + ?Sized,
        T: Serialize + ?Sized,
    {
        let key = self.key(ns, params)?;
        self.core().put(&key, encode(value)?, &typed(opts)).await
    }

    /// The raw bytes stored for `params`.
    ///
    /// ```
    /// # larder::block_on(async {
    /// let cache = larder::Cache::builder().in_memory().open().unwrap();
    /// cache.put_bytes("blob", &1, b"\x00\x01".to_vec(), &Default::default()).await.unwrap();
    /// assert_eq!(cache.get_bytes("blob", &1).await.unwrap().unwrap(), b"\x00\x01");
    /// # });
    /// ```
    pub async fn get_bytes<'a, P>(
        &self,
        ns: impl Into<Ns<'a>>,
        params: &P,
    ) -> Result<Option<Vec<u8>>>
    where
        P: Serialize + ?Sized,
    {
        let key = self.key(ns, params)?;
        Ok(self.core().get(&key).await?.map(|e| e.payload().to_vec()))
    }

    /// Store raw bytes for `params`, as they are.
    ///
    /// ```
    /// # larder::block_on(async {
    /// let cache = larder::Cache::builder().in_memory().open().unwrap();
    /// cache.put_bytes("blob", &"a", vec![7; 100], &Default::default()).await.unwrap();
    /// # });
    /// ```
    pub async fn put_bytes<'a, P>(
        &self,
        ns: impl Into<Ns<'a>>,
        params: &P,
        bytes: Vec<u8>,
        opts: &PutOptions,
    ) -> Result<()>
    where
        P: Serialize + ?Sized,
    {
        let key = self.key(ns, params)?;
        let opts = PutOptions {
            codec: codec::BYTES,
            ..opts.clone()
        };
        self.core().put(&key, bytes, &opts).await
    }

    /// The cached value for `params`, or `compute`'s result, stored first.
    /// Concurrent callers of one key share one computation.
    ///
    /// ```
    /// # larder::block_on(async {
    /// let cache = larder::Cache::builder().in_memory().open().unwrap();
    /// let v: u64 = cache.get_or_compute("sum", &[1, 2, 3], || async { 1 + 2 + 3 }).await.unwrap();
    /// assert_eq!(v, 6);
    /// # });
    /// ```
    pub async fn get_or_compute<'a, P, T, F, Fut>(
        &self,
        ns: impl Into<Ns<'a>>,
        params: &P,
        compute: F,
    ) -> Result<T>
    where
        P: Serialize + ?Sized,
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let opts = PutOptions::new();
        self.try_get_or_compute(ns, params, &opts, || async {
            Ok::<T, Error>(compute().await)
        })
        .await
    }

    /// [`get_or_compute`](Cache::get_or_compute) for fallible computations,
    /// with options. An `Err` is returned to every concurrent caller and
    /// nothing is stored; the caller that ran the computation gets its own
    /// error value back, the others an [`ErrorKind::Compute`] error carrying
    /// its message. A panic in the computation is the same to the others (it
    /// resumes in the caller that ran it). An entry that no longer decodes as
    /// `T` (the type changed) is recomputed and replaced.
    ///
    /// The value depends on every entry its computation obtains through
    /// `get_or_compute` (or a memoized function) while it runs on this thread
    /// or task: removing one of them removes this value too. A computation
    /// that asks for its own key fails with [`ErrorKind::InvalidInput`]
    /// instead of waiting for itself.
    ///
    /// ```
    /// # larder::block_on(async {
    /// use larder::PutOptions;
    /// let cache = larder::Cache::builder().in_memory().open().unwrap();
    /// let r: Result<u32, larder::Error> = cache
    ///     .try_get_or_compute("parse", &"12", &PutOptions::new(), || async {
    ///         "12".parse::<u32>().map_err(|e| larder::Error::invalid("parse", e.to_string()))
    ///     })
    ///     .await;
    /// assert_eq!(r.unwrap(), 12);
    /// # });
    /// ```
    pub async fn try_get_or_compute<'a, P, T, E, F, Fut>(
        &self,
        ns: impl Into<Ns<'a>>,
        params: &P,
        opts: &PutOptions,
        compute: F,
    ) -> std::result::Result<T, E>
    where
        P: Serialize + ?Sized,
        T: Serialize + DeserializeOwned,
        E: From<Error> + Display,
        F: FnOnce() -> Fut,
        Fut: Future<Output = std::result::Result<T, E>>,
    {
        let ns = ns.into();
        let key = self.key(ns, params)?;
        self.compute_key(&key, ns.name, opts, compute::Mode::Get, compute)
            .await
    }

    /// Whether a fresh entry exists for `params` (no hit or miss is counted).
    ///
    /// ```
    /// # larder::block_on(async {
    /// let cache = larder::Cache::builder().in_memory().open().unwrap();
    /// cache.put("ns", &1, &()).await.unwrap();
    /// assert!(cache.contains("ns", &1).await.unwrap());
    /// # });
    /// ```
    pub async fn contains<'a, P>(&self, ns: impl Into<Ns<'a>>, params: &P) -> Result<bool>
    where
        P: Serialize + ?Sized,
    {
        let key = self.key(ns, params)?;
        self.core().contains(&key).await
    }

    /// Remove the entry for `params`, and the entries computed from it
    /// (transitively); `true` if there was one.
    ///
    /// ```
    /// # larder::block_on(async {
    /// let cache = larder::Cache::builder().in_memory().open().unwrap();
    /// cache.put("ns", &1, &()).await.unwrap();
    /// assert!(cache.remove("ns", &1).await.unwrap());
    /// assert!(!cache.remove("ns", &1).await.unwrap());
    /// # });
    /// ```
    pub async fn remove<'a, P>(&self, ns: impl Into<Ns<'a>>, params: &P) -> Result<bool>
    where
        P: Serialize + ?Sized,
    {
        let key = self.key(ns, params)?;
        self.core().remove(&key).await
    }

    /// Remove every entry tagged `tag`, and the entries computed from them;
    /// returns how many.
    ///
    /// ```
    /// # larder::block_on(async {
    /// let cache = larder::Cache::builder().in_memory().open().unwrap();
    /// cache.put_with("ns", &1, &(), &larder::PutOptions::new().tag("t")).await.unwrap();
    /// assert_eq!(cache.invalidate_tag("t").await.unwrap(), 1);
    /// # });
    /// ```
    pub async fn invalidate_tag(&self, tag: &str) -> Result<usize> {
        self.core().invalidate_tag(tag).await
    }

    /// Remove every entry of `namespace`, all versions, and the entries
    /// computed from them; returns how many.
    ///
    /// ```
    /// # larder::block_on(async {
    /// let cache = larder::Cache::builder().in_memory().open().unwrap();
    /// cache.put(("ns", 1), &1, &()).await.unwrap();
    /// cache.put(("ns", 2), &1, &()).await.unwrap();
    /// assert_eq!(cache.invalidate_namespace("ns").await.unwrap(), 2);
    /// # });
    /// ```
    pub async fn invalidate_namespace(&self, namespace: &str) -> Result<usize> {
        self.core().invalidate_namespace(namespace).await
    }

    /// Remove expired entries; returns how many.
    ///
    /// ```
    /// # larder::block_on(async {
    /// let cache = larder::Cache::builder().in_memory().open().unwrap();
    /// assert_eq!(cache.prune().await.unwrap(), 0);
    /// # });
    /// ```
    pub async fn prune(&self) -> Result<usize> {
        self.core().prune().await
    }

    /// Remove every entry.
    ///
    /// ```
    /// # larder::block_on(async {
    /// let cache = larder::Cache::builder().in_memory().open().unwrap();
    /// cache.put("ns", &1, &()).await.unwrap();
    /// cache.clear().await.unwrap();
    /// assert_eq!(cache.stats().await.unwrap().entries, 0);
    /// # });
    /// ```
    pub async fn clear(&self) -> Result<()> {
        self.core().clear().await
    }

    /// Hits, misses, hit rate, evictions, sizes, time saved...
    ///
    /// ```
    /// # larder::block_on(async {
    /// let cache = larder::Cache::builder().in_memory().open().unwrap();
    /// cache.get::<_, u8>("ns", &1).await.unwrap();
    /// assert_eq!(cache.stats().await.unwrap().misses, 1);
    /// # });
    /// ```
    pub async fn stats(&self) -> Result<Stats> {
        self.core().stats().await
    }

    /// Entries matching `filter`, most recently used first, with their
    /// decoded parameters, sizes, times, tags and metadata.
    ///
    /// ```
    /// # larder::block_on(async {
    /// let cache = larder::Cache::builder().in_memory().open().unwrap();
    /// cache.put("ns", &std::collections::BTreeMap::from([("x", 1)]), &()).await.unwrap();
    /// let list = cache.entries(&larder::Filter::default()).await.unwrap();
    /// assert_eq!(list[0].params.as_ref().unwrap().to_string(), r#"{"x": 1}"#);
    /// # });
    /// ```
    pub async fn entries(&self, filter: &Filter) -> Result<Vec<EntryInfo>> {
        self.core().entries(filter).await
    }

    /// Write pending recency to the store now (it is batched, and flushed on drop).
    ///
    /// ```
    /// # larder::block_on(async {
    /// let cache = larder::Cache::builder().in_memory().open().unwrap();
    /// cache.flush().await.unwrap();
    /// # });
    /// ```
    pub async fn flush(&self) -> Result<()> {
        self.core().flush().await
    }
}
