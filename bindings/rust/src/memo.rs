//! What `#[larder::memoize]` expands to calls: the process-wide default
//! cache, [`AsCache`] for the `cache = ...` option, and (hidden) the key and
//! call helpers the generated code uses. See the macro's documentation.
//!
//! A memoized call never fails because of the cache: when the cache cannot
//! be opened or the key cannot be built (a content path that cannot be read,
//! say), the function runs uncached and a warning is logged.

use std::convert::Infallible;
use std::fmt::{self, Display};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError};

use serde::de::DeserializeOwned;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::compute::Mode;
use crate::{Cache, Error, ErrorKind, Key, PutOptions, Result, blocking};

/// The cache memoized functions use unless given `cache = ...`: opened once,
/// on first use, with [`Cache::open_default`] (`$LARDER_DIR`, else the
/// platform cache directory). If it cannot be opened, memoized functions
/// run uncached (a warning says why) and this returns the error.
///
/// ```no_run
/// // Drop every memoized entry tagged "reports".
/// larder::memo::default_cache()?.blocking().invalidate_tag("reports")?;
/// # Ok::<(), larder::Error>(())
/// ```
pub fn default_cache() -> Result<&'static Cache> {
    static DEFAULT: OnceLock<Result<Cache>> = OnceLock::new();
    DEFAULT
        .get_or_init(|| {
            let opened = Cache::open_default();
            if let Err(e) = &opened {
                tracing::warn!(%e, "larder: memoized functions run uncached");
            }
            opened
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Something the `cache = ...` option of `#[memoize]` accepts: a
/// [`Cache`], a [`blocking::Cache`], or a reference, `Arc`, `Box` or
/// `LazyLock` of one.
pub trait AsCache {
    /// The async handle.
    fn as_cache(&self) -> &Cache;
}

impl AsCache for Cache {
    fn as_cache(&self) -> &Cache {
        self
    }
}

impl AsCache for blocking::Cache {
    fn as_cache(&self) -> &Cache {
        &self.inner
    }
}

impl<T: AsCache + ?Sized> AsCache for &T {
    fn as_cache(&self) -> &Cache {
        (**self).as_cache()
    }
}

impl<T: AsCache + ?Sized> AsCache for Arc<T> {
    fn as_cache(&self) -> &Cache {
        (**self).as_cache()
    }
}

impl<T: AsCache + ?Sized> AsCache for Box<T> {
    fn as_cache(&self) -> &Cache {
        (**self).as_cache()
    }
}

impl<T: AsCache, F: FnOnce() -> T> AsCache for LazyLock<T, F> {
    fn as_cache(&self) -> &Cache {
        (**self).as_cache()
    }
}

/// What the macro fixed at compile time about one memoized function.
#[doc(hidden)]
pub struct Spec {
    pub name: &'static str,
    pub namespace: &'static str,
    pub version: u32,
    /// Hex of the hash of the function's tokens, unless `code_hash = false`.
    pub code: Option<&'static str>,
    pub ttl_ms: Option<u64>,
    pub stale_ms: Option<u64>,
    pub tags: &'static [&'static str],
    pub options: OnceLock<PutOptions>,
    /// Set once a call ran uncached: later ones log at debug level only.
    pub warned: AtomicBool,
}

impl Spec {
    fn options(&self) -> &PutOptions {
        self.options.get_or_init(|| {
            let mut o = PutOptions::new();
            o.ttl_ms = self.ttl_ms;
            o.stale_ms = self.stale_ms;
            o.tags = self.tags.iter().map(|t| (*t).to_owned()).collect();
            o
        })
    }
}

/// The named arguments of a call, as a cons list, so that a function with
/// any number of arguments of any types keys as one map without allocating.
#[doc(hidden)]
pub trait Fields {
    fn count(&self) -> usize;
    fn write<M: SerializeMap>(&self, m: &mut M) -> std::result::Result<(), M::Error>;
}

impl Fields for () {
    fn count(&self) -> usize {
        0
    }
    fn write<M: SerializeMap>(&self, _: &mut M) -> std::result::Result<(), M::Error> {
        Ok(())
    }
}

#[doc(hidden)]
pub struct Field<'a, T: ?Sized>(&'static str, &'a T);

impl<T: Serialize + ?Sized, R: Fields> Fields for (Field<'_, T>, R) {
    fn count(&self) -> usize {
        1 + self.1.count()
    }
    fn write<M: SerializeMap>(&self, m: &mut M) -> std::result::Result<(), M::Error> {
        m.serialize_entry(self.0.0, self.0.1)?;
        self.1.write(m)
    }
}

/// Arguments by name; serializes as a map, like a struct of them would.
#[doc(hidden)]
pub struct Args<F>(F);

impl Args<()> {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Args(())
    }
}

impl<F: Fields> Args<F> {
    pub fn arg<'a, T: Serialize + ?Sized>(
        self,
        name: &'static str,
        v: &'a T,
    ) -> Args<(Field<'a, T>, F)> {
        Args((Field(name, v), self.0))
    }
}

impl<F: Fields> Serialize for Args<F> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.count()))?;
        self.0.write(&mut m)?;
        m.end()
    }
}

/// The key of a call from its arguments (and the code hash).
#[doc(hidden)]
pub fn key<F: Fields>(spec: &Spec, args: Args<F>) -> Result<Key> {
    match spec.code {
        Some(code) => Key::with_version(spec.namespace, spec.version, &args.arg("$code", code)),
        None => Key::with_version(spec.namespace, spec.version, &args),
    }
}

/// The key of a call from a `key = ...` expression: the value itself, or
/// with a code hash, `{"$key": value, "$code": hash}`.
#[doc(hidden)]
pub fn custom_key<V: Serialize + ?Sized>(spec: &Spec, value: &V) -> Result<Key> {
    match spec.code {
        Some(_) => key(spec, Args::new().arg("$key", value)),
        None => Key::with_version(spec.namespace, spec.version, value),
    }
}

/// Why a memoized call did not produce its value through the cache.
enum Failure<E> {
    /// The function's own error.
    Own(E),
    /// The cache's: for a caller that waited on another's computation, that
    /// computation's failure (`Compute`); else trouble with the cache.
    Cache(Error),
}

impl<E> From<Error> for Failure<E> {
    fn from(e: Error) -> Self {
        Failure::Cache(e)
    }
}

impl<E: Display> Display for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Own(e) => e.fmt(f),
            Failure::Cache(e) => e.fmt(f),
        }
    }
}

/// One call of a memoized function.
#[doc(hidden)]
pub struct Call<'c> {
    spec: &'static Spec,
    target: Result<(&'c Cache, Key)>,
    tags: Vec<String>,
}

fn lost() -> Error {
    Error::new(ErrorKind::Compute, "memoize", "the computation was lost")
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<'c> Call<'c> {
    pub fn new(
        spec: &'static Spec,
        cache: Result<&'c Cache>,
        key: impl FnOnce() -> Result<Key>,
    ) -> Self {
        let target = cache.and_then(|c| Ok((c, key()?)));
        Call {
            spec,
            target,
            tags: Vec::new(),
        }
    }

    /// Tags computed at call time (`tags = [expr]`).
    pub fn tags(mut self, tags: Vec<String>) -> Self {
        self.tags = tags;
        self
    }

    fn options(&self) -> std::borrow::Cow<'static, PutOptions> {
        let base = self.spec.options();
        if self.tags.is_empty() {
            return std::borrow::Cow::Borrowed(base);
        }
        let mut o = base.clone();
        o.tags.extend(self.tags.iter().cloned());
        std::borrow::Cow::Owned(o)
    }

    fn uncached(&self, e: &Error) {
        if self.spec.warned.swap(true, Ordering::Relaxed) {
            tracing::debug!(function = self.spec.name, error = %e, "larder: running uncached");
        } else {
            tracing::warn!(
                function = self.spec.name,
                error = %e,
                "larder: running uncached (logged once per function; later calls at debug level)"
            );
        }
    }

    /// Through the cache when it can; else `compute` runs here, uncached.
    async fn local<T, E, F, Fut>(self, mode: Mode, compute: F) -> std::result::Result<T, Failure<E>>
    where
        T: Serialize + DeserializeOwned,
        E: Display,
        F: FnOnce() -> Fut,
        Fut: Future<Output = std::result::Result<T, E>>,
    {
        let mut slot = Some(compute);
        let outcome = match &self.target {
            Ok((cache, key)) => {
                if mode == Mode::Refresh {
                    if let Err(e) = cache.core().remove(key).await {
                        self.uncached(&e);
                    }
                }
                let opts = self.options();
                let slot = &mut slot;
                let run = move || async move {
                    match slot.take() {
                        Some(f) => f().await.map_err(Failure::Own),
                        None => Err(Failure::Cache(lost())),
                    }
                };
                cache
                    .compute_key(key, self.spec.namespace, &opts, mode, run)
                    .await
            }
            Err(e) => Err(Failure::Cache(e.clone())),
        };
        match outcome {
            Err(Failure::Cache(e)) if e.kind() != ErrorKind::Compute => match slot.take() {
                Some(f) => {
                    self.uncached(&e);
                    f().await.map_err(Failure::Own)
                }
                None => Err(Failure::Cache(e)),
            },
            other => other,
        }
    }

    /// Through the cache with stale-while-revalidate, where a stale value
    /// is returned and `compute` moves into the background refresh.
    async fn swr<T, E, F, Fut>(
        self,
        blocking: bool,
        compute: F,
    ) -> std::result::Result<T, Failure<E>>
    where
        T: Serialize + DeserializeOwned + Send + 'static,
        E: Display + Send + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = std::result::Result<T, E>> + Send + 'static,
    {
        let slot = Arc::new(Mutex::new(Some(compute)));
        let outcome = match &self.target {
            Ok((cache, key)) => {
                let opts = self.options();
                let shared = slot.clone();
                let run = move || async move {
                    let f = lock(&shared).take();
                    match f {
                        Some(f) => f().await.map_err(Failure::Own),
                        None => Err(Failure::Cache(lost())),
                    }
                };
                cache
                    .revalidate_key(key.clone(), self.spec.namespace, &opts, blocking, run)
                    .await
            }
            Err(e) => Err(Failure::Cache(e.clone())),
        };
        match outcome {
            Err(Failure::Cache(e)) if e.kind() != ErrorKind::Compute => {
                let f = lock(&slot).take();
                match f {
                    Some(f) => {
                        self.uncached(&e);
                        f().await.map_err(Failure::Own)
                    }
                    None => Err(Failure::Cache(e)),
                }
            }
            other => other,
        }
    }

    fn name(&self) -> &'static str {
        self.spec.name
    }

    /// A plain function: `compute`'s value. A caller that waited on another's
    /// computation that panicked panics too, with its message.
    pub async fn value<T, F, Fut>(self, refresh: bool, compute: F) -> T
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let name = self.name();
        let mode = if refresh { Mode::Refresh } else { Mode::Get };
        let run = || async { Ok::<T, Infallible>(compute().await) };
        settle_value(name, self.local(mode, run).await)
    }

    /// A function returning `Result`: `Ok` values are cached.
    pub async fn result<T, E, F, Fut>(self, refresh: bool, compute: F) -> std::result::Result<T, E>
    where
        T: Serialize + DeserializeOwned,
        E: From<Error> + Display,
        F: FnOnce() -> Fut,
        Fut: Future<Output = std::result::Result<T, E>>,
    {
        let mode = if refresh { Mode::Refresh } else { Mode::Get };
        settle_result(self.local(mode, compute).await)
    }

    /// [`Call::value`] with stale-while-revalidate.
    pub async fn value_swr<T, F, Fut>(self, blocking: bool, compute: F) -> T
    where
        T: Serialize + DeserializeOwned + Send + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = T> + Send + 'static,
    {
        let name = self.name();
        let run = move || async move { Ok::<T, Infallible>(compute().await) };
        settle_value(name, self.swr(blocking, run).await)
    }

    /// [`Call::result`] with stale-while-revalidate.
    pub async fn result_swr<T, E, F, Fut>(
        self,
        blocking: bool,
        compute: F,
    ) -> std::result::Result<T, E>
    where
        T: Serialize + DeserializeOwned + Send + 'static,
        E: From<Error> + Display + Send + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = std::result::Result<T, E>> + Send + 'static,
    {
        settle_result(self.swr(blocking, compute).await)
    }

    /// Remove the call's entry, and the entries computed from it.
    pub async fn forget(self) -> Result<bool> {
        let (cache, key) = self.target?;
        cache.core().remove(&key).await
    }
}

fn settle_value<T>(name: &str, r: std::result::Result<T, Failure<Infallible>>) -> T {
    match r {
        Ok(v) => v,
        Err(Failure::Own(never)) => match never {},
        Err(Failure::Cache(e)) => panic!("memoized `{name}` failed in another caller: {e}"),
    }
}

fn settle_result<T, E: From<Error>>(
    r: std::result::Result<T, Failure<E>>,
) -> std::result::Result<T, E> {
    r.map_err(|f| match f {
        Failure::Own(e) => e,
        Failure::Cache(e) => E::from(e),
    })
}

#[doc(hidden)]
pub mod check;
