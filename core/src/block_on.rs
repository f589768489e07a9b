//! A minimal executor for blocking callers and doc examples: polls one future
//! on the current thread, parking between wake-ups.

use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll};

cfg_if::cfg_if! {
    if #[cfg(all(feature = "std", not(target_arch = "wasm32")))] {
        use alloc::sync::Arc;
        use std::task::Wake;
        use std::thread::{self, Thread};

        struct ThreadWaker(Thread);

        impl Wake for ThreadWaker {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }

        /// Run `fut` to completion on this thread.
        ///
        /// ```
        /// assert_eq!(larder_core::block_on(async { 1 + 1 }), 2);
        /// ```
        pub fn block_on<F: Future>(fut: F) -> F::Output {
            std::thread_local! {
                // One waker per thread, made once: most calls (memory hits, file
                // reads) complete on the first poll, where a fresh Arc would cost
                // more than the work.
                static WAKER: std::task::Waker =
                    Arc::new(ThreadWaker(thread::current())).into();
            }
            let mut fut = pin!(fut);
            WAKER.with(|waker| {
                let mut cx = Context::from_waker(waker);
                loop {
                    match fut.as_mut().poll(&mut cx) {
                        Poll::Ready(v) => return v,
                        Poll::Pending => thread::park(),
                    }
                }
            })
        }
    } else {
        /// Run a future that never waits on anything external (e.g. over the
        /// memory store) to completion; busy-polls, since there is no thread to park.
        pub fn block_on<F: Future>(fut: F) -> F::Output {
            let waker = core::task::Waker::noop();
            let mut cx = Context::from_waker(waker);
            let mut fut = pin!(fut);
            loop {
                if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
                    return v;
                }
            }
        }
    }
}
