//! How the facade runs a computation: on a per-thread stack of frames, one per
//! computation in progress, and under `catch_unwind`.
//!
//! The frames give dependencies for free: a value whose computation obtained
//! other entries (through `get_or_compute` or a memoized function) depends on
//! them, so invalidating them removes it too. They also catch a computation
//! that asks for its own key, which single-flight would otherwise leave
//! waiting on itself forever. An async computation's frame is on the stack
//! only while it is polled, so the tracking follows it across threads and
//! stays out of unrelated tasks; work it spawns elsewhere is not tracked.

use std::any::Any;
use std::cell::RefCell;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use larder_core::{Error, KeyHash, Result};

struct Frame {
    key: KeyHash,
    reads: Vec<KeyHash>,
}

thread_local! {
    static FRAMES: RefCell<Vec<Frame>> = const { RefCell::new(Vec::new()) };
}

/// Record that the computation running on this thread (if any) reads `key`.
/// Fails if `key` is itself being computed further up this thread's stack.
pub(crate) fn note_read(key: KeyHash, namespace: &str) -> Result<()> {
    FRAMES.with(|frames| {
        let mut frames = frames.borrow_mut();
        if frames.iter().any(|f| f.key == key) {
            return Err(Error::invalid(
                "get_or_compute",
                "the computation asks for its own key: it would wait for itself forever",
            )
            .with_context(namespace));
        }
        if let Some(top) = frames.last_mut() {
            if !top.reads.contains(&key) {
                top.reads.push(key);
            }
        }
        Ok(())
    })
}

/// Pops the frame it pushed, also when the computation panics.
struct Pushed;

impl Pushed {
    fn push(key: KeyHash, reads: Vec<KeyHash>) -> Pushed {
        FRAMES.with(|f| f.borrow_mut().push(Frame { key, reads }));
        Pushed
    }

    /// Pop the frame, with what it read.
    fn pop(self) -> Vec<KeyHash> {
        let reads = FRAMES.with(|f| {
            f.borrow_mut()
                .last_mut()
                .map(|f| std::mem::take(&mut f.reads))
        });
        drop(self);
        reads.unwrap_or_default()
    }
}

impl Drop for Pushed {
    fn drop(&mut self) {
        FRAMES.with(|f| f.borrow_mut().pop());
    }
}

/// What running a computation gave.
pub(crate) enum Ran<T> {
    /// Its output, and the keys it read.
    Done(T, Vec<KeyHash>),
    /// It panicked; the payload, to resume the panic with.
    Panicked(Box<dyn Any + Send>),
}

enum State<F, Fut> {
    Start(F),
    Running(Pin<Box<Fut>>),
    Over,
}

/// A computation of `key`: `f()` then its future, each poll on the frame
/// stack and under `catch_unwind`.
pub(crate) struct Guarded<F, Fut> {
    key: KeyHash,
    reads: Vec<KeyHash>,
    state: State<F, Fut>,
}

impl<F, Fut> Guarded<F, Fut>
where
    F: FnOnce() -> Fut,
    Fut: Future,
{
    pub(crate) fn new(key: KeyHash, f: F) -> Self {
        Guarded {
            key,
            reads: Vec::new(),
            state: State::Start(f),
        }
    }
}

// Nothing in it is pinned in place: the inner future is boxed.
impl<F, Fut> Unpin for Guarded<F, Fut> {}

impl<F, Fut> Future for Guarded<F, Fut>
where
    F: FnOnce() -> Fut,
    Fut: Future,
{
    type Output = Ran<Fut::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let frame = Pushed::push(this.key, std::mem::take(&mut this.reads));
        let state = &mut this.state;
        let polled = catch_unwind(AssertUnwindSafe(|| {
            if let State::Start(_) = state {
                if let State::Start(f) = std::mem::replace(state, State::Over) {
                    *state = State::Running(Box::pin(f()));
                }
            }
            match state {
                State::Running(fut) => fut.as_mut().poll(cx),
                _ => Poll::Pending,
            }
        }));
        this.reads = frame.pop();
        match polled {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => {
                this.state = State::Over;
                Poll::Ready(Ran::Done(v, std::mem::take(&mut this.reads)))
            }
            Err(payload) => {
                this.state = State::Over;
                Poll::Ready(Ran::Panicked(payload))
            }
        }
    }
}

/// The message a panic was raised with, if it was a string.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_nest_collect_reads_and_refuse_recursion() {
        let outer = Guarded::new(KeyHash(1), || async {
            note_read(KeyHash(2), "ns").unwrap();
            note_read(KeyHash(2), "ns").unwrap();
            let inner = Guarded::new(KeyHash(3), || async {
                note_read(KeyHash(4), "ns").unwrap();
                note_read(KeyHash(1), "ns").unwrap_err().kind()
            });
            match inner.await {
                Ran::Done(kind, reads) => (kind, reads),
                Ran::Panicked(_) => panic!("inner panicked"),
            }
        });
        let Ran::Done((kind, inner_reads), outer_reads) = larder_core::block_on(outer) else {
            panic!("outer panicked")
        };
        assert_eq!(kind, larder_core::ErrorKind::InvalidInput);
        assert_eq!(inner_reads, vec![KeyHash(4)]);
        assert_eq!(outer_reads, vec![KeyHash(2)]);
        assert!(FRAMES.with(|f| f.borrow().is_empty()));
    }

    #[test]
    fn a_panic_is_caught_and_its_frame_popped() {
        let g = Guarded::new(KeyHash(1), || async { panic!("boom {}", 1) });
        match larder_core::block_on(g) {
            Ran::Panicked(p) => assert_eq!(panic_message(&*p), "boom 1"),
            Ran::Done(..) => panic!("expected a panic"),
        }
        assert!(FRAMES.with(|f| f.borrow().is_empty()));
        note_read(KeyHash(1), "ns").unwrap();
    }
}
