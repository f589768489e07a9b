//! Converting between ms since the Unix epoch and `SystemTime` (file mtimes).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Latest time we write as an mtime (the last ms of year 9999); later values are
/// clamped so that no platform's timestamp range overflows.
const MAX_MS: u64 = 253_402_300_799_999;

/// `ms` since the epoch as a `SystemTime`, clamped to a range every filesystem holds.
pub(crate) fn from_ms(ms: u64) -> SystemTime {
    let d = Duration::from_millis(ms.min(MAX_MS));
    UNIX_EPOCH.checked_add(d).unwrap_or(UNIX_EPOCH)
}

/// `t` as ms since the epoch; times before the epoch are 0.
pub(crate) fn to_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
