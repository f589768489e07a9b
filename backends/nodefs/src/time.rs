//! Converting between ms since the Unix epoch and the times Node takes and gives.

#![cfg(target_arch = "wasm32")]

/// Latest time written as an mtime (the last ms of year 9999), as in larder-fs.
const MAX_MS: u64 = 253_402_300_799_999;

/// `ms` as the seconds `utimes` takes, half a millisecond past the mark.
///
/// Node hands utimes a double of seconds and libuv truncates its fraction to
/// whole microseconds, so `1.567` s can land on `1.566999` s and read back as
/// ms 1566. Aiming half a ms late makes the floor of the mtime read back
/// (here, through Node's `mtimeMs`; natively, larder-fs's whole ms) exactly `ms`.
pub(crate) fn to_secs(ms: u64) -> f64 {
    (ms.min(MAX_MS) as f64 + 0.5) / 1000.0
}

/// An `mtimeMs` as whole ms since the epoch; times before the epoch are 0.
pub(crate) fn from_mtime_ms(mtime_ms: f64) -> u64 {
    if mtime_ms.is_finite() && mtime_ms > 0.0 {
        mtime_ms.floor() as u64
    } else {
        0
    }
}

/// Now, ms since the epoch.
pub(crate) fn now_ms() -> f64 {
    js_sys::Date::now()
}
