//! Single-flight: one computation per key while many callers wait for it.
//!
//! The first caller of a key becomes the leader and holds a [`Leader`] guard;
//! later callers await a [`Wait`] future. The leader publishes its result to
//! every waiter. If it is dropped without publishing because its caller was
//! cancelled, waiters are woken with `None` and one of them takes over; if it
//! is dropped while its thread panics (the computation panicked), waiters get
//! an [`ErrorKind::Compute`](crate::ErrorKind::Compute) error, as they would
//! for a computation that failed, and nothing is retried.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use crate::cache::Entry;
use crate::error::{Error, ErrorKind, Result};
use crate::key::KeyHash;
use crate::lru::KeyMap;
use crate::sync::Lock;

type Shared = Result<Arc<Entry>>;

enum State {
    Running(Vec<Waker>),
    Done(Shared),
    Abandoned,
}

pub(crate) struct Flight(Lock<State>);

/// In-flight computations by key.
#[derive(Default)]
pub(crate) struct Flights(Lock<KeyMap<Arc<Flight>>>);

pub(crate) enum Join<'a> {
    Leader(Leader<'a>),
    Waiter(Wait),
}

impl Flights {
    /// Every computation running, with how many callers wait for it.
    pub fn running(&self) -> Vec<(KeyHash, usize)> {
        self.0
            .lock()
            .iter()
            .map(|(k, f)| match &*f.0.lock() {
                State::Running(wakers) => (*k, wakers.len()),
                _ => (*k, 0),
            })
            .collect()
    }

    // Without std the lock is a RefCell and the whole build single-threaded.
    #[cfg_attr(not(feature = "std"), allow(clippy::arc_with_non_send_sync))]
    pub fn join(&self, key: KeyHash) -> Join<'_> {
        let mut map = self.0.lock();
        if let Some(f) = map.get(&key) {
            return Join::Waiter(Wait(f.clone()));
        }
        let f = Arc::new(Flight(Lock::new(State::Running(Vec::new()))));
        map.insert(key, f.clone());
        Join::Leader(Leader {
            flights: self,
            key,
            flight: f,
            done: false,
        })
    }
}

pub(crate) struct Leader<'a> {
    flights: &'a Flights,
    key: KeyHash,
    flight: Arc<Flight>,
    done: bool,
}

impl Leader<'_> {
    /// Hand the result to every waiter and retire the flight.
    pub fn publish(mut self, result: Shared) {
        self.finish(State::Done(result));
    }

    fn finish(&mut self, end: State) {
        self.done = true;
        self.flights.0.lock().remove(&self.key);
        let prev = core::mem::replace(&mut *self.flight.0.lock(), end);
        if let State::Running(wakers) = prev {
            wakers.into_iter().for_each(Waker::wake);
        }
    }
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        if !self.done {
            let end = if panicking() {
                State::Done(Err(Error::new(
                    ErrorKind::Compute,
                    "get_or_compute",
                    "the computation panicked",
                )))
            } else {
                State::Abandoned
            };
            self.finish(end);
        }
    }
}

#[cfg(feature = "std")]
fn panicking() -> bool {
    std::thread::panicking()
}

/// Without std a panic does not unwind into this drop with a way to tell.
#[cfg(not(feature = "std"))]
fn panicking() -> bool {
    false
}

/// Resolves to the leader's result, or `None` if the leader gave up.
pub(crate) struct Wait(Arc<Flight>);

impl Future for Wait {
    type Output = Option<Shared>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut st = self.0.0.lock();
        match &mut *st {
            State::Running(wakers) => {
                if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
                    wakers.push(cx.waker().clone());
                }
                Poll::Pending
            }
            State::Done(r) => Poll::Ready(Some(r.clone())),
            State::Abandoned => Poll::Ready(None),
        }
    }
}
