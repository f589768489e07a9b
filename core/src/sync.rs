//! A mutex that is `std::sync::Mutex` with `std` and a `RefCell` without.
//!
//! Guards are never held across an `.await` or a call into user code, so the
//! `RefCell` variant cannot be borrowed twice, and poisoning carries no meaning
//! (every critical section leaves the state consistent before it can panic).

cfg_if::cfg_if! {
    if #[cfg(feature = "std")] {
        pub(crate) struct Lock<T>(std::sync::Mutex<T>);

        impl<T> Lock<T> {
            pub(crate) const fn new(v: T) -> Self {
                Lock(std::sync::Mutex::new(v))
            }

            pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, T> {
                self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
            }
        }
    } else {
        pub(crate) struct Lock<T>(core::cell::RefCell<T>);

        impl<T> Lock<T> {
            pub(crate) const fn new(v: T) -> Self {
                Lock(core::cell::RefCell::new(v))
            }

            pub(crate) fn lock(&self) -> core::cell::RefMut<'_, T> {
                self.0.borrow_mut()
            }
        }
    }
}

/// One at a time for async work that must not overlap (the write-back of
/// recency): [`Gate::enter`] waits until no one holds a [`Pass`].
#[derive(Default)]
pub(crate) struct Gate(Lock<GateState>);

#[derive(Default)]
struct GateState {
    busy: bool,
    waiting: alloc::vec::Vec<core::task::Waker>,
}

impl Gate {
    pub(crate) fn enter(&self) -> Enter<'_> {
        Enter(self)
    }
}

/// The future of [`Gate::enter`].
pub(crate) struct Enter<'a>(&'a Gate);

impl<'a> core::future::Future for Enter<'a> {
    type Output = Pass<'a>;

    fn poll(
        self: core::pin::Pin<&mut Self>,
        cx: &mut core::task::Context<'_>,
    ) -> core::task::Poll<Pass<'a>> {
        let mut st = self.0.0.lock();
        if !st.busy {
            st.busy = true;
            return core::task::Poll::Ready(Pass(self.0));
        }
        if !st.waiting.iter().any(|w| w.will_wake(cx.waker())) {
            st.waiting.push(cx.waker().clone());
        }
        core::task::Poll::Pending
    }
}

/// Holding the gate; dropping it (done, or cancelled) lets the next one in.
pub(crate) struct Pass<'a>(&'a Gate);

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        let waiting = {
            let mut st = self.0.0.lock();
            st.busy = false;
            core::mem::take(&mut st.waiting)
        };
        // Every waiter polls again; one gets in, the rest wait anew.
        for w in waiting {
            w.wake();
        }
    }
}
