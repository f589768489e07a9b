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
