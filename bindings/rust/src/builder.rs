//! [`Builder`]: where the cache lives and what limits it keeps.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use larder_core::cache::Config;
use larder_core::{Error, ManualClock, MemoryStore, Result, Store};
use larder_fs::FsStore;

use crate::observe::Tracing;
use crate::swr::{Spawner, Task, default_spawner};
use crate::{Cache, CacheClock, CoarseClock, Shared, Size, Ttl};

/// The environment variable that names the default cache directory.
///
/// ```
/// assert_eq!(larder::DIR_ENV, "LARDER_DIR");
/// ```
pub const DIR_ENV: &str = "LARDER_DIR";
/// The default byte limit: 1 GiB.
///
/// ```
/// let cache = larder::Cache::builder().in_memory().open().unwrap();
/// assert_eq!(cache.core().config().max_bytes, Some(larder::DEFAULT_MAX_BYTES));
/// ```
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;

/// Configures and opens a [`Cache`].
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// let cache = larder::Cache::builder()
///     .dir(dir.path())
///     .max_bytes("200MB")
///     .max_entries(10_000)
///     .ttl("7d")
///     .memory_bytes("16MiB")
///     .open()
///     .unwrap();
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct Builder {
    dir: Option<PathBuf>,
    in_memory: bool,
    max_bytes: Option<Size>,
    unlimited: bool,
    max_entries: Option<u64>,
    ttl: Option<Ttl>,
    stale: Option<Ttl>,
    memory_bytes: Option<Size>,
    fsync: bool,
    clock: Option<ManualClock>,
    spawner: Option<Spawner>,
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("dir", &self.dir)
            .field("in_memory", &self.in_memory)
            .field("max_bytes", &self.max_bytes)
            .field("unlimited", &self.unlimited)
            .field("max_entries", &self.max_entries)
            .field("ttl", &self.ttl)
            .field("stale_while_revalidate", &self.stale)
            .field("memory_bytes", &self.memory_bytes)
            .field("fsync", &self.fsync)
            .field("manual_clock", &self.clock.is_some())
            .field("spawner", &self.spawner.is_some())
            .finish()
    }
}

impl Builder {
    /// Keep the cache in `dir` (created if missing, mode 0700).
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// let cache = larder::Cache::builder().dir(dir.path().join("cache")).open().unwrap();
    /// assert!(dir.path().join("cache").is_dir());
    /// ```
    pub fn dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.dir = Some(dir.as_ref().to_owned());
        self
    }

    /// Keep entries in process memory only (no files): for tests and throwaway caches.
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().open().unwrap();
    /// ```
    pub fn in_memory(mut self) -> Self {
        self.in_memory = true;
        self
    }

    /// Evict least recently used entries past this size (default 1 GiB):
    /// bytes, or text such as `"512MB"` or `"2GiB"`.
    ///
    /// ```
    /// let b = larder::Cache::builder().in_memory();
    /// assert!(b.clone().max_bytes("2GB").open().is_ok());
    /// assert!(b.clone().max_bytes(4096u64).open().is_ok());
    /// assert_eq!(b.max_bytes("2 gigs").open().err().unwrap().kind(), larder::ErrorKind::InvalidInput);
    /// ```
    pub fn max_bytes(mut self, size: impl Into<Size>) -> Self {
        self.max_bytes = Some(size.into());
        self
    }

    /// No byte limit.
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().unlimited().open().unwrap();
    /// assert_eq!(cache.core().config().max_bytes, None);
    /// ```
    pub fn unlimited(mut self) -> Self {
        self.unlimited = true;
        self
    }

    /// Evict least recently used entries past this many entries.
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().max_entries(2).open().unwrap().blocking();
    /// for n in 0..3 { cache.put("ns", &n, &n).unwrap(); }
    /// assert_eq!(cache.stats().unwrap().entries, 2);
    /// ```
    pub fn max_entries(mut self, n: u64) -> Self {
        self.max_entries = Some(n);
        self
    }

    /// Default time to live for entries put without one: a `Duration`, or
    /// text such as `"90s"`, `"24h"` or `"7d"`.
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().ttl("1h").open().unwrap();
    /// assert_eq!(cache.core().config().default_ttl_ms, Some(3_600_000));
    /// ```
    pub fn ttl(mut self, ttl: impl Into<Ttl>) -> Self {
        self.ttl = Some(ttl.into());
        self
    }

    /// Keep entries with a ttl for this long after it (a `Duration`, or text
    /// such as `"1h"`) and serve them, stale, to
    /// [`get_or_revalidate`](Cache::get_or_revalidate) while one caller
    /// refreshes them in the background. Other reads treat them as expired.
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().ttl("5m").stale_while_revalidate("1h").open().unwrap();
    /// assert_eq!(cache.core().config().default_stale_ms, Some(3_600_000));
    /// ```
    pub fn stale_while_revalidate(mut self, grace: impl Into<Ttl>) -> Self {
        self.stale = Some(grace.into());
        self
    }

    /// Read time from `clock` instead of the system's: tests move it with
    /// [`ManualClock::advance_ms`] to expire entries without sleeping.
    ///
    /// ```
    /// let clock = larder::ManualClock::new(0);
    /// let cache = larder::Cache::builder().in_memory().ttl("1s").clock(clock.clone()).open().unwrap();
    /// cache.blocking().put("ns", &1, &"v").unwrap();
    /// clock.advance_ms(1_000);
    /// assert_eq!(cache.blocking().get::<_, String>("ns", &1).unwrap(), None);
    /// ```
    pub fn clock(mut self, clock: ManualClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Where background refreshes (stale-while-revalidate) of async
    /// computations run. By default: on the current tokio runtime when the
    /// `tokio` feature is on and the refresh starts inside one, else on a
    /// thread of its own. Blocking computations always get a thread.
    ///
    /// ```
    /// let cache = larder::Cache::builder()
    ///     .in_memory()
    ///     .spawner(|task| {
    ///         std::thread::spawn(move || larder::block_on(task));
    ///     })
    ///     .open()
    ///     .unwrap();
    /// ```
    pub fn spawner(mut self, spawn: impl Fn(Task) + Send + Sync + 'static) -> Self {
        self.spawner = Some(std::sync::Arc::new(spawn));
        self
    }

    /// Budget of the in-memory tier in front of the store (default 32 MiB; 0 disables).
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().memory_bytes("64MiB").open().unwrap();
    /// assert_eq!(cache.core().config().memory_bytes, 64 << 20);
    /// ```
    pub fn memory_bytes(mut self, size: impl Into<Size>) -> Self {
        self.memory_bytes = Some(size.into());
        self
    }

    /// fsync each entry and its directory before a write returns: durable
    /// across power loss, and slower. Off by default (writes are still atomic).
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// let cache = larder::Cache::builder().dir(dir.path()).fsync(true).open().unwrap();
    /// ```
    pub fn fsync(mut self, on: bool) -> Self {
        self.fsync = on;
        self
    }

    fn config(&self) -> Result<Config> {
        let mut c = Config::default();
        if !self.unlimited {
            let max = self
                .max_bytes
                .as_ref()
                .map_or(Ok(DEFAULT_MAX_BYTES), Size::bytes)?;
            c = c.max_bytes(max);
        }
        if let Some(n) = self.max_entries {
            c = c.max_entries(n);
        }
        if let Some(t) = &self.ttl {
            c = c.default_ttl_ms(t.millis()?);
        }
        if let Some(t) = &self.stale {
            c = c.default_stale_ms(t.millis()?);
        }
        if let Some(m) = &self.memory_bytes {
            c = c.memory_bytes(m.bytes()?);
        }
        c.validate()?;
        Ok(c)
    }

    /// Open the cache. Cheap even for a directory of many entries: nothing is
    /// scanned until a limit needs the index.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// let cache = larder::Cache::builder().dir(dir.path()).open().unwrap();
    /// ```
    pub fn open(self) -> Result<Cache> {
        let config = self.config()?;
        let store: Box<dyn Store> = if self.in_memory {
            Box::new(MemoryStore::new())
        } else {
            let dir = match &self.dir {
                Some(d) => d.clone(),
                None => default_dir()?,
            };
            Box::new(FsStore::builder(dir).fsync(self.fsync).open()?)
        };
        let clock = match self.clock {
            Some(c) => CacheClock::Manual(c),
            None => CacheClock::System(CoarseClock::new()),
        };
        let core = larder_core::Cache::with_clock(store, clock, config)?;
        Ok(Cache {
            shared: Arc::new(Shared {
                core: core.with_observer(Tracing),
                spawner: self.spawner.unwrap_or_else(default_spawner),
                refreshes: Arc::default(),
            }),
        })
    }
}

/// The directory used when none is given: `$LARDER_DIR`, else `larder` in
/// the platform's cache directory (`$XDG_CACHE_HOME` or `~/.cache` on Linux,
/// `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows).
///
/// ```
/// let dir = larder::default_dir().unwrap();
/// assert!(dir.is_absolute() || std::env::var_os("LARDER_DIR").is_some());
/// ```
pub fn default_dir() -> Result<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(d) = var(DIR_ENV) {
        return Ok(d);
    }
    let base = if cfg!(target_os = "macos") {
        var("HOME").map(|h| h.join("Library/Caches"))
    } else if cfg!(windows) {
        var("LOCALAPPDATA")
    } else {
        var("XDG_CACHE_HOME").or_else(|| var("HOME").map(|h| h.join(".cache")))
    };
    base.map(|b| b.join("larder")).ok_or_else(|| {
        Error::invalid(
            "open cache",
            "no cache directory found: set LARDER_DIR or pass a directory",
        )
    })
}
