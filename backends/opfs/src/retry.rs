//! Bounded retry with backoff for files another handle keeps locked.
//!
//! OPFS locks are not queues: `createSyncAccessHandle`, `createWritable`,
//! `move` and `removeEntry` on a file that another handle has open fail at
//! once with `NoModificationAllowedError`. Readers and writers of one cache
//! (other tabs, other workers, other futures of this store) hold their
//! handles for a few milliseconds, so a short wait almost always succeeds.
//! Never waiting forever: after the budget the last error is returned.

use std::future::Future;

use wasm_bindgen::JsValue;

use crate::error::{LOCKED, STALE};
use crate::js;

/// The first wait, in ms; doubled after each failure up to [`MAX_DELAY_MS`].
const FIRST_DELAY_MS: f64 = 2.0;
/// The longest single wait, in ms.
const MAX_DELAY_MS: f64 = 200.0;

/// Whether `e` means "busy right now": a lock held by another handle, or a
/// `File` snapshot invalidated by a concurrent replace. Both clear up by
/// themselves, so the operation is worth redoing from the start.
pub(crate) fn is_busy(e: &JsValue) -> bool {
    js::is(e, LOCKED) || js::is(e, STALE)
}

/// Run `op` until it succeeds, fails with something other than
/// [`is_busy`], or `budget_ms` has passed; waits grow from 2 ms to 200 ms,
/// with jitter so that contending tabs do not retry in lockstep.
pub(crate) async fn busy<T, F, Fut>(budget_ms: u32, mut op: F) -> Result<T, JsValue>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, JsValue>>,
{
    let start = js_sys::Date::now();
    let mut delay = FIRST_DELAY_MS;
    loop {
        match op().await {
            Err(e) if is_busy(&e) => {
                let waited = js_sys::Date::now() - start;
                let left = f64::from(budget_ms) - waited;
                if left <= 0.0 {
                    return Err(e);
                }
                let wait = (delay * (0.5 + js_sys::Math::random())).min(left).max(1.0);
                js::sleep(wait as u32).await;
                delay = (delay * 2.0).min(MAX_DELAY_MS);
            }
            other => return other,
        }
    }
}
