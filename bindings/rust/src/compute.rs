//! The facade's computing path: typed values over the core's single-flight,
//! with what the computation read recorded as dependencies and a panic turned
//! into an error for every waiter.

use std::any::Any;
use std::fmt::Display;
use std::future::Future;

use larder_core::Computed;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::frames::{self, Guarded, Ran, panic_message};
use crate::{Cache, Error, ErrorKind, Key, PutOptions, decode, encode, typed};

/// What a computation is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A fresh entry if there is one, else compute (`get_or_compute`).
    Get,
    /// Compute now whatever is stored (a forced refresh); a panic resumes in
    /// the caller.
    Refresh,
    /// Compute now, for a background refresh: a panic becomes the error.
    Background,
    /// As `Get`, for warming: a panic becomes the error.
    Fill,
}

impl Mode {
    /// Whether a panic in the computation resumes in this caller.
    fn resumes_panics(self) -> bool {
        matches!(self, Mode::Get | Mode::Refresh)
    }
}

impl Cache {
    /// The typed value under `key`: see [`Cache::try_get_or_compute`]. The
    /// caller that runs `compute` gets its own error value back, or its panic
    /// resumed; everyone waiting on it gets an [`ErrorKind::Compute`] error
    /// carrying the message.
    pub(crate) async fn compute_key<T, E, F, Fut>(
        &self,
        key: &Key,
        ns: &str,
        opts: &PutOptions,
        mode: Mode,
        compute: F,
    ) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned,
        E: From<Error> + Display,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        frames::note_read(key.hash(), ns)?;
        let opts = typed(opts);
        let mut own_error: Option<E> = None;
        let mut computed: Option<T> = None;
        let mut panicked: Option<Box<dyn Any + Send>> = None;
        let mut compute = Some(compute);
        let h = key.hash();
        for attempt in 0..2 {
            let (f, own, out, pan) = (&mut compute, &mut own_error, &mut computed, &mut panicked);
            let run = move || async move {
                let Some(f) = f.take() else {
                    return Err(Error::new(ErrorKind::Compute, "compute", "already ran"));
                };
                let shared = |why: String| {
                    Err(Error::new(ErrorKind::Compute, "compute", why).with_context(ns))
                };
                match Guarded::new(h, f).await {
                    Ran::Done(Ok(v), reads) => {
                        let payload = encode(&v);
                        *out = Some(v);
                        Ok(Computed {
                            payload: payload?,
                            depends_on: reads,
                        })
                    }
                    Ran::Done(Err(e), _) => {
                        let why = e.to_string();
                        *own = Some(e);
                        shared(why)
                    }
                    Ran::Panicked(p) => {
                        let why = format!("the computation panicked: {}", panic_message(&*p));
                        *pan = Some(p);
                        shared(why)
                    }
                }
            };
            let result = match mode {
                Mode::Get | Mode::Fill => self.core().get_or_compute_with(key, &opts, run).await,
                Mode::Refresh | Mode::Background => self.core().recompute(key, &opts, run).await,
            };
            if let Some(p) = panicked.take() {
                if mode.resumes_panics() {
                    std::panic::resume_unwind(p);
                }
            }
            if let Some(e) = own_error.take() {
                return Err(e);
            }
            if let Some(v) = computed.take() {
                return Ok(v);
            }
            match decode(&*result?, ns) {
                Ok(v) => return Ok(v),
                Err(e) if attempt == 0 && compute.is_some() => {
                    tracing::info!(%e, "larder replaces an entry that no longer decodes");
                    self.core().remove(key).await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::new(ErrorKind::Compute, "get_or_compute", "no computation ran").into())
    }
}
