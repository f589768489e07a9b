//! Stale-while-revalidate: past its ttl and within its grace period, an entry
//! is served at once while one caller's refresh runs in the background. The
//! core decides (it hands out one [`Refresh`] per stale key); this module
//! decides where the refresh runs: on the [`Builder::spawner`], by default a
//! tokio task when called inside a tokio runtime (with the `tokio` feature),
//! else a thread of its own.
//!
//! [`Builder::spawner`]: crate::Builder::spawner

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::task::{Poll, Waker};

use larder_core::{Refresh, Served};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::compute::Mode;
use crate::{Cache, Error, Key, Ns, PutOptions, decode};

/// A background refresh, as handed to a spawner.
pub type Task = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

pub(crate) type Spawner = Arc<dyn Fn(Task) + Send + Sync>;

pub(crate) fn default_spawner() -> Spawner {
    Arc::new(|task: Task| {
        #[cfg(feature = "tokio")]
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(task);
            return;
        }
        spawn_thread(task);
    })
}

/// Run `task` on a thread of its own. If no thread can be had, the task is
/// dropped with its claim on the refresh, so the next reader claims it again.
fn spawn_thread(task: Task) {
    let started = std::thread::Builder::new()
        .name("larder-refresh".into())
        .spawn(move || larder_core::block_on(task));
    if let Err(e) = started {
        tracing::warn!(%e, "larder could not start a thread to refresh a stale entry");
    }
}

/// Background refreshes in flight, so that callers can wait for them.
#[derive(Default)]
pub(crate) struct Pending {
    count: Mutex<usize>,
    idle: Condvar,
    wakers: Mutex<Vec<Waker>>,
}

/// One refresh in flight; dropping it ends it.
pub(crate) struct Running(Arc<Pending>);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Pending {
    pub(crate) fn start(self: &Arc<Self>) -> Running {
        *lock(&self.count) += 1;
        Running(self.clone())
    }

    pub(crate) fn wait(&self) {
        let mut n = lock(&self.count);
        while *n > 0 {
            n = self.idle.wait(n).unwrap_or_else(PoisonError::into_inner);
        }
    }

    pub(crate) async fn idle(&self) {
        std::future::poll_fn(|cx| {
            let n = lock(&self.count);
            if *n == 0 {
                return Poll::Ready(());
            }
            // Registered under the count's lock, which `Running::drop` takes first.
            lock(&self.wakers).push(cx.waker().clone());
            Poll::Pending
        })
        .await;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let mut n = lock(&self.0.count);
        *n -= 1;
        if *n == 0 {
            self.0.idle.notify_all();
            lock(&self.0.wakers).drain(..).for_each(Waker::wake);
        }
    }
}

impl Cache {
    /// The cached value for `params`, or `compute`'s; an entry past its ttl
    /// but within its stale-while-revalidate grace period (set in `opts` or
    /// with [`Builder::stale_while_revalidate`](crate::Builder::stale_while_revalidate))
    /// is returned at once, and refreshed by one background run of
    /// `compute`, which therefore must be `Send + 'static`. A failed refresh
    /// is logged and leaves the stale entry in place until its grace period
    /// ends; the next reader tries again. Concurrent callers of one key share
    /// one computation, as with [`try_get_or_compute`](Cache::try_get_or_compute).
    ///
    /// ```
    /// # larder::block_on(async {
    /// use larder::PutOptions;
    /// let clock = larder::ManualClock::new(0);
    /// let cache = larder::Cache::builder().in_memory().clock(clock.clone()).open().unwrap();
    /// let opts = PutOptions::new().ttl_ms(60_000).stale_while_revalidate_ms(3_600_000);
    /// let fetch = |v: u32| move || async move { Ok::<u32, larder::Error>(v) };
    /// assert_eq!(cache.get_or_revalidate("feed", &1, &opts, fetch(1)).await.unwrap(), 1);
    /// clock.advance_ms(120_000); // stale now
    /// assert_eq!(cache.get_or_revalidate("feed", &1, &opts, fetch(2)).await.unwrap(), 1);
    /// cache.wait_for_refreshes().await;
    /// assert_eq!(cache.get::<_, u32>("feed", &1).await.unwrap(), Some(2));
    /// # });
    /// ```
    pub async fn get_or_revalidate<'a, P, T, E, F, Fut>(
        &self,
        ns: impl Into<Ns<'a>>,
        params: &P,
        opts: &PutOptions,
        compute: F,
    ) -> Result<T, E>
    where
        P: Serialize + ?Sized,
        T: Serialize + DeserializeOwned + Send + 'static,
        E: From<Error> + Display + Send + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        let ns = ns.into();
        let key = self.key(ns, params)?;
        self.revalidate_key(key, ns.name, opts, false, compute)
            .await
    }

    /// Resolves once no background refresh of this cache is running: before
    /// a program exits, or in tests.
    ///
    /// ```
    /// # larder::block_on(async {
    /// let cache = larder::Cache::builder().in_memory().open().unwrap();
    /// cache.wait_for_refreshes().await;
    /// # });
    /// ```
    pub async fn wait_for_refreshes(&self) {
        self.shared.refreshes.idle().await;
    }

    /// [`get_or_revalidate`](Cache::get_or_revalidate) for a prepared key;
    /// `blocking` computations refresh on a thread of their own.
    pub(crate) async fn revalidate_key<T, E, F, Fut>(
        &self,
        key: Key,
        ns: &str,
        opts: &PutOptions,
        blocking: bool,
        compute: F,
    ) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned + Send + 'static,
        E: From<Error> + Display + Send + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        crate::frames::note_read(key.hash(), ns)?;
        match self.core().get_stale(&key).await {
            Ok(Some(Served::Fresh(e))) => {
                if let Ok(v) = decode(&e, ns) {
                    return Ok(v);
                }
            }
            Ok(Some(Served::Stale { entry, refresh })) => {
                if let Ok(v) = decode(&entry, ns) {
                    if let Some(refresh) = refresh {
                        self.refresh_behind(key, ns, opts, blocking, refresh, compute);
                    }
                    return Ok(v);
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(%e, "larder could not read a stale entry; computing"),
        }
        self.compute_key(&key, ns, opts, Mode::Get, compute).await
    }

    fn refresh_behind<T, E, F, Fut>(
        &self,
        key: Key,
        ns: &str,
        opts: &PutOptions,
        blocking: bool,
        refresh: Refresh,
        compute: F,
    ) where
        T: Serialize + DeserializeOwned + Send + 'static,
        E: From<Error> + Display + Send + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        let (cache, ns, opts) = (self.clone(), ns.to_owned(), opts.clone());
        let running = self.shared.refreshes.start();
        let task = async move {
            let r = cache
                .compute_key(&key, &ns, &opts, Mode::Background, compute)
                .await;
            if let Err(e) = r {
                tracing::warn!(error = %e, namespace = %ns, "larder could not refresh a stale entry");
            }
            // Only now may another reader claim the refresh, and waiters go.
            drop(refresh);
            drop(running);
        };
        if blocking {
            spawn_thread(Box::pin(task));
        } else {
            (self.shared.spawner)(Box::pin(task));
        }
    }
}
