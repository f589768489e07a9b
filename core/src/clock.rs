//! Time as the core sees it: microseconds since the Unix epoch.
//!
//! Natively `SystemClock`; in wasm the bindings supply `Date.now()`; tests use
//! [`ManualClock`] so that no test ever sleeps to wait for a TTL.

use alloc::sync::Arc;

use crate::store::{MaybeSend, MaybeSync};
use crate::sync::Lock;

/// A source of wall-clock time.
pub trait Clock: MaybeSend + MaybeSync {
    /// Microseconds since the Unix epoch.
    fn now_us(&self) -> u64;

    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64 {
        self.now_us() / 1000
    }
}

/// The operating system's clock.
///
/// ```
/// use larder_core::{Clock, SystemClock};
/// assert!(SystemClock.now_ms() > 1_600_000_000_000);
/// ```
#[cfg(all(feature = "std", not(target_arch = "wasm32")))]
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

#[cfg(all(feature = "std", not(target_arch = "wasm32")))]
impl Clock for SystemClock {
    fn now_us(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(0)
    }
}

/// A clock that moves only when told; clones share one time.
///
/// ```
/// use larder_core::{Clock, ManualClock};
/// let c = ManualClock::new(1_000);
/// let c2 = c.clone();
/// c.advance_ms(5);
/// assert_eq!(c2.now_ms(), 1_005);
/// ```
#[derive(Clone)]
pub struct ManualClock(Arc<Lock<u64>>);

impl ManualClock {
    /// A clock reading `start_ms`.
    // Without std the lock is a RefCell and the whole build single-threaded.
    #[cfg_attr(not(feature = "std"), allow(clippy::arc_with_non_send_sync))]
    pub fn new(start_ms: u64) -> Self {
        ManualClock(Arc::new(Lock::new(start_ms * 1000)))
    }

    /// Move time forward.
    pub fn advance_ms(&self, ms: u64) {
        *self.0.lock() += ms * 1000;
    }

    /// Move time forward by microseconds.
    pub fn advance_us(&self, us: u64) {
        *self.0.lock() += us;
    }

    /// Set the time.
    pub fn set_ms(&self, ms: u64) {
        *self.0.lock() = ms * 1000;
    }
}

impl Clock for ManualClock {
    fn now_us(&self) -> u64 {
        *self.0.lock()
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now_us(&self) -> u64 {
        (**self).now_us()
    }
}
