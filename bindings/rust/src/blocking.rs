//! The same cache for programs without an async runtime: every call runs to
//! completion on the calling thread.
//!
//! ```
//! # let dir = tempfile::tempdir().unwrap();
//! let cache = larder::blocking::Cache::open(dir.path()).unwrap();
//! let n: u64 = cache.get_or_compute("count", &"abc", || "abc".len() as u64).unwrap();
//! assert_eq!(cache.get::<_, u64>("count", &"abc").unwrap(), Some(n));
//! ```

use std::fmt::Display;

use larder_core::block_on;
use serde::Serialize;
use serde::de::DeserializeOwned;

use std::sync::Arc;

use crate::{Entry, EntryInfo, Error, Filter, Key, Ns, PutOptions, Result, Stats};

/// A blocking handle; cheap to clone; clones and [`crate::Cache::blocking`]
/// handles share one cache.
///
/// ```
/// let cache = larder::Cache::builder().in_memory().open().unwrap().blocking();
/// let clone = cache.clone();
/// clone.put("ns", &1, &"shared").unwrap();
/// assert_eq!(cache.get::<_, String>("ns", &1).unwrap().as_deref(), Some("shared"));
/// ```
#[derive(Clone)]
pub struct Cache {
    pub(crate) inner: crate::Cache,
}

impl Cache {
    /// Open (creating if needed) a cache in `dir` with the defaults.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// let cache = larder::blocking::Cache::open(dir.path()).unwrap();
    /// ```
    pub fn open(dir: impl AsRef<std::path::Path>) -> Result<Cache> {
        Ok(crate::Cache::open(dir)?.blocking())
    }

    /// Open the cache in [`crate::default_dir`].
    ///
    /// ```no_run
    /// let cache = larder::blocking::Cache::open_default().unwrap();
    /// ```
    pub fn open_default() -> Result<Cache> {
        Ok(crate::Cache::open_default()?.blocking())
    }

    /// The async handle to the same cache.
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().open().unwrap().blocking();
    /// let async_cache: larder::Cache = cache.r#async();
    /// ```
    pub fn r#async(&self) -> crate::Cache {
        self.inner.clone()
    }

    /// See [`crate::Cache::get`].
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().open().unwrap().blocking();
    /// assert_eq!(cache.get::<_, String>("ns", &1).unwrap(), None);
    /// ```
    pub fn get<'a, P, T>(&self, ns: impl Into<Ns<'a>>, params: &P) -> Result<Option<T>>
    where
        P: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let ns = ns.into();
        let key = self.inner.key(ns, params)?;
        self.get_entry(&key)?
            .map(|e| crate::decode(&e, ns.name))
            .transpose()
    }

    /// The entry under a prepared key: from the memory tier without any
    /// waiting when it is there, else from the store.
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().open().unwrap().blocking();
    /// cache.put_bytes("ns", &1, b"v".to_vec(), &Default::default()).unwrap();
    /// let key = cache.r#async().key("ns", &1).unwrap();
    /// assert_eq!(cache.get_entry(&key).unwrap().unwrap().payload(), b"v");
    /// ```
    pub fn get_entry(&self, key: &Key) -> Result<Option<Arc<Entry>>> {
        match self.inner.core().get_cached(key) {
            Some(e) => Ok(Some(e)),
            None => block_on(self.inner.core().get(key)),
        }
    }

    /// See [`crate::Cache::put`].
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().open().unwrap().blocking();
    /// cache.put("ns", &1, &"one").unwrap();
    /// ```
    pub fn put<'a, P, T>(&self, ns: impl Into<Ns<'a>>, params: &P, value: &T) -> Result<()>
    where
        P: Serialize + ?Sized,
        T: Serialize + ?Sized,
    {
        block_on(self.inner.put(ns, params, value))
    }

    /// See [`crate::Cache::put_with`].
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().open().unwrap().blocking();
    /// cache.put_with("ns", &1, &"one", &larder::PutOptions::new().tag("t")).unwrap();
    /// ```
    pub fn put_with<'a, P, T>(
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
        block_on(self.inner.put_with(ns, params, value, opts))
    }

    /// See [`crate::Cache::get_bytes`].
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().open().unwrap().blocking();
    /// assert!(cache.get_bytes("ns", &1).unwrap().is_none());
    /// ```
    pub fn get_bytes<'a, P>(&self, ns: impl Into<Ns<'a>>, params: &P) -> Result<Option<Vec<u8>>>
    where
        P: Serialize + ?Sized,
    {
        let key = self.inner.key(ns, params)?;
        Ok(self.get_entry(&key)?.map(|e| e.payload().to_vec()))
    }

    /// See [`crate::Cache::put_bytes`].
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().open().unwrap().blocking();
    /// cache.put_bytes("ns", &1, vec![1, 2], &Default::default()).unwrap();
    /// ```
    pub fn put_bytes<'a, P>(
        &self,
        ns: impl Into<Ns<'a>>,
        params: &P,
        bytes: Vec<u8>,
        opts: &PutOptions,
    ) -> Result<()>
    where
        P: Serialize + ?Sized,
    {
        block_on(self.inner.put_bytes(ns, params, bytes, opts))
    }

    /// See [`crate::Cache::get_or_compute`]; threads asking for one key at
    /// once share one computation.
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().open().unwrap().blocking();
    /// assert_eq!(cache.get_or_compute("len", &"hello", || 5u32).unwrap(), 5);
    /// ```
    pub fn get_or_compute<'a, P, T, F>(
        &self,
        ns: impl Into<Ns<'a>>,
        params: &P,
        compute: F,
    ) -> Result<T>
    where
        P: Serialize + ?Sized,
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> T,
    {
        block_on(
            self.inner
                .get_or_compute(ns, params, || async { compute() }),
        )
    }

    /// See [`crate::Cache::try_get_or_compute`].
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().open().unwrap().blocking();
    /// let r = cache.try_get_or_compute("parse", &"x", &Default::default(), || {
    ///     "x".parse::<u8>().map_err(|e| larder::Error::invalid("parse", e.to_string()))
    /// });
    /// assert!(r.is_err());
    /// ```
    pub fn try_get_or_compute<'a, P, T, E, F>(
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
        F: FnOnce() -> std::result::Result<T, E>,
    {
        block_on(
            self.inner
                .try_get_or_compute(ns, params, opts, || async { compute() }),
        )
    }

    /// See [`crate::Cache::get_or_revalidate`]: a stale entry within its
    /// grace period is returned at once and refreshed by one run of `compute`
    /// on a thread of its own.
    ///
    /// ```
    /// use larder::PutOptions;
    /// let clock = larder::ManualClock::new(0);
    /// let cache = larder::Cache::builder().in_memory().clock(clock.clone()).open().unwrap().blocking();
    /// let opts = PutOptions::new().ttl_ms(1_000).stale_while_revalidate_ms(60_000);
    /// let v = cache.get_or_revalidate("rate", &"EUR", &opts, || Ok::<f64, larder::Error>(1.08));
    /// assert_eq!(v.unwrap(), 1.08);
    /// clock.advance_ms(2_000);
    /// let v = cache.get_or_revalidate("rate", &"EUR", &opts, || Ok::<f64, larder::Error>(1.09));
    /// assert_eq!(v.unwrap(), 1.08, "stale, served at once");
    /// cache.wait_for_refreshes();
    /// assert_eq!(cache.get::<_, f64>("rate", &"EUR").unwrap(), Some(1.09));
    /// ```
    pub fn get_or_revalidate<'a, P, T, E, F>(
        &self,
        ns: impl Into<Ns<'a>>,
        params: &P,
        opts: &PutOptions,
        compute: F,
    ) -> std::result::Result<T, E>
    where
        P: Serialize + ?Sized,
        T: Serialize + DeserializeOwned + Send + 'static,
        E: From<Error> + Display + Send + 'static,
        F: FnOnce() -> std::result::Result<T, E> + Send + 'static,
    {
        let ns = ns.into();
        let key = self.inner.key(ns, params)?;
        let compute = move || async move { compute() };
        block_on(self.inner.revalidate_key(key, ns.name, opts, true, compute))
    }

    /// Block until no background refresh of this cache is running.
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().open().unwrap().blocking();
    /// cache.wait_for_refreshes();
    /// ```
    pub fn wait_for_refreshes(&self) {
        self.inner.shared.refreshes.wait();
    }

    /// See [`crate::Cache::contains`].
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().open().unwrap().blocking();
    /// assert!(!cache.contains("ns", &1).unwrap());
    /// ```
    pub fn contains<'a, P>(&self, ns: impl Into<Ns<'a>>, params: &P) -> Result<bool>
    where
        P: Serialize + ?Sized,
    {
        block_on(self.inner.contains(ns, params))
    }

    /// See [`crate::Cache::remove`].
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().open().unwrap().blocking();
    /// assert!(!cache.remove("ns", &1).unwrap());
    /// ```
    pub fn remove<'a, P>(&self, ns: impl Into<Ns<'a>>, params: &P) -> Result<bool>
    where
        P: Serialize + ?Sized,
    {
        block_on(self.inner.remove(ns, params))
    }

    /// See [`crate::Cache::invalidate_tag`].
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().open().unwrap().blocking();
    /// assert_eq!(cache.invalidate_tag("t").unwrap(), 0);
    /// ```
    pub fn invalidate_tag(&self, tag: &str) -> Result<usize> {
        block_on(self.inner.invalidate_tag(tag))
    }

    /// See [`crate::Cache::invalidate_namespace`].
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().open().unwrap().blocking();
    /// assert_eq!(cache.invalidate_namespace("ns").unwrap(), 0);
    /// ```
    pub fn invalidate_namespace(&self, namespace: &str) -> Result<usize> {
        block_on(self.inner.invalidate_namespace(namespace))
    }

    /// See [`crate::Cache::prune`].
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().open().unwrap().blocking();
    /// assert_eq!(cache.prune().unwrap(), 0);
    /// ```
    pub fn prune(&self) -> Result<usize> {
        block_on(self.inner.prune())
    }

    /// See [`crate::Cache::clear`].
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().open().unwrap().blocking();
    /// cache.clear().unwrap();
    /// ```
    pub fn clear(&self) -> Result<()> {
        block_on(self.inner.clear())
    }

    /// See [`crate::Cache::stats`].
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().open().unwrap().blocking();
    /// assert_eq!(cache.stats().unwrap().entries, 0);
    /// ```
    pub fn stats(&self) -> Result<Stats> {
        block_on(self.inner.stats())
    }

    /// See [`crate::Cache::entries`].
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().open().unwrap().blocking();
    /// assert!(cache.entries(&Default::default()).unwrap().is_empty());
    /// ```
    pub fn entries(&self, filter: &Filter) -> Result<Vec<EntryInfo>> {
        block_on(self.inner.entries(filter))
    }

    /// See [`crate::Cache::flush`].
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().open().unwrap().blocking();
    /// cache.flush().unwrap();
    /// ```
    pub fn flush(&self) -> Result<()> {
        block_on(self.inner.flush())
    }
}
