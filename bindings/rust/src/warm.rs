//! Warming: fill the cache ahead of time for a list of parameter sets, a few
//! at a time, reporting progress as each one finishes.
//!
//! Parameter sets whose entry is already fresh are skipped; the others are
//! computed as by `get_or_compute` (so a caller asking for one meanwhile
//! shares the computation). A computation that fails or panics is counted
//! and logged, and warming goes on with the rest.

use std::convert::Infallible;
use std::fmt::Display;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::Poll;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::compute::Mode;
use crate::frames::panic_message;
use crate::{Cache, Error, Ns, PutOptions, Result, blocking};

/// How far warming has come; passed to the progress callback after each
/// parameter set and returned at the end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Parameter sets finished.
    pub done: usize,
    /// How many there are, when the iterator knows.
    pub total: Option<usize>,
    /// Finished because a fresh entry was there already.
    pub cached: usize,
    /// Finished by computing (or by sharing another caller's computation).
    pub computed: usize,
    /// Whose computation failed or panicked; nothing was stored for them.
    pub failed: usize,
    /// The first failure's message.
    pub first_error: Option<String>,
}

/// A progress callback.
type Callback<'a> = Box<dyn FnMut(&Progress) + Send + 'a>;

/// Options for warming: how many computations run at once, and a progress
/// callback.
///
/// ```
/// let w = larder::Warm::new().concurrency(4).on_progress(|p| eprint!("\r{}/{:?}", p.done, p.total));
/// ```
pub struct Warm<'a> {
    concurrency: usize,
    options: PutOptions,
    progress: Option<Callback<'a>>,
}

impl Default for Warm<'_> {
    fn default() -> Self {
        Warm::new()
    }
}

impl<'a> Warm<'a> {
    /// One computation per CPU, the cache's default options, no callback.
    pub fn new() -> Self {
        Warm {
            concurrency: std::thread::available_parallelism().map_or(1, |n| n.get()),
            options: PutOptions::new(),
            progress: None,
        }
    }

    /// Run at most `n` computations at once (at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Store the values with these options (ttl, tags...).
    pub fn options(mut self, opts: PutOptions) -> Self {
        self.options = opts;
        self
    }

    /// Call `f` after each parameter set finishes (never concurrently).
    pub fn on_progress(mut self, f: impl FnMut(&Progress) + Send + 'a) -> Self {
        self.progress = Some(Box::new(f));
        self
    }
}

enum Outcome {
    Cached,
    Computed,
    Failed(String),
}

struct Tally<'a> {
    progress: Progress,
    callback: Option<Callback<'a>>,
}

impl Tally<'_> {
    fn record(&mut self, outcome: Outcome) {
        let p = &mut self.progress;
        p.done += 1;
        match outcome {
            Outcome::Cached => p.cached += 1,
            Outcome::Computed => p.computed += 1,
            Outcome::Failed(why) => {
                tracing::warn!(error = %why, "larder could not warm an entry");
                p.failed += 1;
                p.first_error.get_or_insert(why);
            }
        }
        if let Some(f) = &mut self.callback {
            f(p);
        }
    }
}

fn exact_len(it: &impl Iterator) -> Option<usize> {
    match it.size_hint() {
        (lo, Some(hi)) if lo == hi => Some(lo),
        _ => None,
    }
}

impl Cache {
    /// Compute and store the value of `f(params)` for every parameter set not
    /// already cached, at most [`Warm::concurrency`] at once, as concurrent
    /// futures of this task (for computations that wait on I/O; CPU-bound
    /// work wants the blocking [`warm`](crate::blocking::Cache::warm), which
    /// uses threads).
    ///
    /// ```
    /// # larder::block_on(async {
    /// let cache = larder::Cache::builder().in_memory().open().unwrap();
    /// let done = cache.warm("square", 1..=10u64, larder::Warm::new().concurrency(3), |n| {
    ///     let n = *n;
    ///     async move { n * n }
    /// }).await.unwrap();
    /// assert_eq!((done.computed, done.total), (10, Some(10)));
    /// assert_eq!(cache.get::<_, u64>("square", &7).await.unwrap(), Some(49));
    /// # });
    /// ```
    pub async fn warm<'a, I, P, T, F, Fut>(
        &self,
        ns: impl Into<Ns<'a>>,
        params: I,
        warm: Warm<'_>,
        f: F,
    ) -> Result<Progress>
    where
        I: IntoIterator<Item = P>,
        P: Serialize,
        T: Serialize + DeserializeOwned,
        F: Fn(&P) -> Fut,
        Fut: Future<Output = T>,
    {
        self.try_warm(ns, params, warm, |p| {
            let fut = f(p);
            async move { Ok::<T, Infallible>(fut.await) }
        })
        .await
    }

    /// [`warm`](Cache::warm) for fallible computations: an `Err` counts as
    /// failed and stores nothing.
    pub async fn try_warm<'a, I, P, T, E, F, Fut>(
        &self,
        ns: impl Into<Ns<'a>>,
        params: I,
        warm: Warm<'_>,
        f: F,
    ) -> Result<Progress>
    where
        I: IntoIterator<Item = P>,
        P: Serialize,
        T: Serialize + DeserializeOwned,
        E: Display,
        F: Fn(&P) -> Fut,
        Fut: Future<Output = std::result::Result<T, E>>,
    {
        let ns = ns.into();
        let mut items = params.into_iter();
        let mut tally = Tally {
            progress: Progress {
                total: exact_len(&items),
                ..Progress::default()
            },
            callback: warm.progress,
        };
        let (f, opts) = (&f, &warm.options);
        type Running<'r> = Pin<Box<dyn Future<Output = Outcome> + 'r>>;
        let mut running: Vec<Running<'_>> = Vec::new();
        std::future::poll_fn(|cx| {
            loop {
                while running.len() < warm.concurrency {
                    let Some(p) = items.next() else { break };
                    running.push(Box::pin(async move {
                        let compute = || async { f(&p).await.map_err(|e| e.to_string()) };
                        self.warm_one(ns, &p, opts, compute).await
                    }));
                }
                if running.is_empty() {
                    return Poll::Ready(());
                }
                let before = running.len();
                let mut i = 0;
                while i < running.len() {
                    match running[i].as_mut().poll(cx) {
                        Poll::Ready(outcome) => {
                            drop(running.swap_remove(i));
                            tally.record(outcome);
                        }
                        Poll::Pending => i += 1,
                    }
                }
                if running.len() == before {
                    return Poll::Pending;
                }
            }
        })
        .await;
        Ok(tally.progress)
    }

    async fn warm_one<P, T, F, Fut>(
        &self,
        ns: Ns<'_>,
        params: &P,
        opts: &PutOptions,
        compute: F,
    ) -> Outcome
    where
        P: Serialize,
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = std::result::Result<T, String>>,
    {
        let key = match self.key(ns, params) {
            Ok(k) => k,
            Err(e) => return Outcome::Failed(e.to_string()),
        };
        if let Ok(true) = self.core().contains(&key).await {
            return Outcome::Cached;
        }
        let compute = || async { compute().await.map_err(Fail) };
        let run = self.compute_key(&key, ns.name, opts, Mode::Fill, compute);
        match run.await {
            Ok::<T, Fail>(_) => Outcome::Computed,
            Err(Fail(why)) => Outcome::Failed(why),
        }
    }
}

/// A warming failure, as text.
struct Fail(String);

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail(e.to_string())
    }
}

impl Display for Fail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl blocking::Cache {
    /// Compute and store `f(params)` for every parameter set not already
    /// cached, on [`Warm::concurrency`] threads; see [`crate::Cache::warm`].
    ///
    /// ```
    /// let cache = larder::Cache::builder().in_memory().open().unwrap().blocking();
    /// let mut seen = Vec::new();
    /// let warm = larder::Warm::new().concurrency(2).on_progress(|p| seen.push(p.done));
    /// let done = cache.warm("cube", vec![1u64, 2, 3], warm, |n| n * n * n).unwrap();
    /// assert_eq!((done.done, done.computed), (3, 3));
    /// assert_eq!(seen, [1, 2, 3]);
    /// ```
    pub fn warm<'a, I, P, T, F>(
        &self,
        ns: impl Into<Ns<'a>>,
        params: I,
        warm: Warm<'_>,
        f: F,
    ) -> Result<Progress>
    where
        I: IntoIterator<Item = P>,
        I::IntoIter: Send,
        P: Serialize + Send,
        T: Serialize + DeserializeOwned,
        F: Fn(&P) -> T + Sync,
    {
        self.try_warm(ns, params, warm, |p| Ok::<T, Infallible>(f(p)))
    }

    /// [`warm`](blocking::Cache::warm) for fallible computations.
    pub fn try_warm<'a, I, P, T, E, F>(
        &self,
        ns: impl Into<Ns<'a>>,
        params: I,
        warm: Warm<'_>,
        f: F,
    ) -> Result<Progress>
    where
        I: IntoIterator<Item = P>,
        I::IntoIter: Send,
        P: Serialize + Send,
        T: Serialize + DeserializeOwned,
        E: Display,
        F: Fn(&P) -> std::result::Result<T, E> + Sync,
    {
        let ns = ns.into();
        let items = params.into_iter();
        let total = exact_len(&items);
        let shared = Mutex::new((
            items,
            Tally {
                progress: Progress {
                    total,
                    ..Progress::default()
                },
                callback: warm.progress,
            },
        ));
        let lock = || shared.lock().unwrap_or_else(PoisonError::into_inner);
        let (cache, opts, f) = (&self.inner, &warm.options, &f);
        std::thread::scope(|s| {
            for _ in 0..warm.concurrency {
                s.spawn(|| {
                    loop {
                        let Some(p) = lock().0.next() else { return };
                        let one = catch_unwind(AssertUnwindSafe(|| {
                            let compute = || async { f(&p).map_err(|e| e.to_string()) };
                            larder_core::block_on(cache.warm_one(ns, &p, opts, compute))
                        }));
                        let outcome = one.unwrap_or_else(|panic| {
                            let why = panic_message(&*panic);
                            Outcome::Failed(format!("the computation panicked: {why}"))
                        });
                        lock().1.record(outcome);
                    }
                });
            }
        });
        let (_, tally) = shared.into_inner().unwrap_or_else(PoisonError::into_inner);
        Ok(tally.progress)
    }
}
