//! The clock a `larder::Cache` runs on.
//!
//! Millisecond time (expiry, recency) is read on every hit, and reading the
//! OS clock costs 25 to 45 ns on a virtual machine: most of a memory-tier hit.
//! So, as quanta's "recent" clock does for moka, one upkeep thread per process
//! stores the time in an atomic every [`TICK`], and a hit does one atomic
//! load. TTLs and recency need no finer resolution than that. The thread
//! exists only while some cache is open. Microsecond time (compute cost) still
//! comes from the precise clock.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use larder_core::{Clock, ManualClock, SystemClock};

/// How often the upkeep thread refreshes the time, and so its resolution.
pub const TICK: Duration = Duration::from_millis(10);

/// The shared millisecond time, if some clock still holds it.
static SHARED: Mutex<Weak<AtomicU64>> = Mutex::new(Weak::new());

/// See the module docs. Clones share one time; the upkeep thread stops once
/// every `CoarseClock` is dropped.
///
/// ```
/// use larder_core::Clock;
/// let c = larder::CoarseClock::new();
/// let (coarse, precise) = (c.now_ms(), c.now_us() / 1000);
/// assert!(precise.abs_diff(coarse) < 1_000);
/// ```
#[derive(Clone, Debug)]
pub struct CoarseClock {
    ms: Arc<AtomicU64>,
}

impl CoarseClock {
    /// The process's coarse clock, starting its upkeep thread if none runs.
    pub fn new() -> CoarseClock {
        let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(ms) = shared.upgrade() {
            return CoarseClock { ms };
        }
        let ms = Arc::new(AtomicU64::new(SystemClock.now_ms()));
        *shared = Arc::downgrade(&ms);
        let weak = Arc::downgrade(&ms);
        let started = std::thread::Builder::new()
            .name("larder-clock".into())
            .spawn(move || {
                while let Some(ms) = weak.upgrade() {
                    ms.store(SystemClock.now_ms(), Relaxed);
                    drop(ms);
                    std::thread::sleep(TICK);
                }
            });
        if started.is_err() {
            // No thread to be had: every read goes to the OS clock instead.
            *shared = Weak::new();
            return CoarseClock {
                ms: Arc::new(AtomicU64::new(u64::MAX)),
            };
        }
        CoarseClock { ms }
    }
}

impl Default for CoarseClock {
    fn default() -> Self {
        CoarseClock::new()
    }
}

impl Clock for CoarseClock {
    fn now_us(&self) -> u64 {
        SystemClock.now_us()
    }

    fn now_ms(&self) -> u64 {
        match self.ms.load(Relaxed) {
            u64::MAX => SystemClock.now_ms(),
            ms => ms,
        }
    }
}

/// The clock a [`Cache`](crate::Cache) reads: the [`CoarseClock`], or a
/// [`ManualClock`] given to [`Builder::clock`](crate::Builder::clock) so that
/// tests can move time without sleeping.
#[derive(Clone)]
pub enum CacheClock {
    /// The system's time, through the coarse clock.
    System(CoarseClock),
    /// Time that moves only when told.
    Manual(ManualClock),
}

impl Clock for CacheClock {
    fn now_us(&self) -> u64 {
        match self {
            CacheClock::System(c) => c.now_us(),
            CacheClock::Manual(c) => c.now_us(),
        }
    }

    fn now_ms(&self) -> u64 {
        match self {
            CacheClock::System(c) => c.now_ms(),
            CacheClock::Manual(c) => c.now_ms(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_and_stops_when_the_last_clock_drops() {
        let a = CoarseClock::new();
        let b = CoarseClock::new();
        assert!(Arc::ptr_eq(&a.ms, &b.ms), "clocks share one time");
        let start = a.now_ms();
        std::thread::sleep(TICK * 4);
        assert!(a.now_ms() > start, "the upkeep thread moves the time");
        let weak = Arc::downgrade(&a.ms);
        drop((a, b));
        std::thread::sleep(TICK * 3);
        assert!(
            weak.upgrade().is_none(),
            "the upkeep thread let go of the time"
        );
    }
}
