//! The core's [`Clock`] from JavaScript time.

use larder_core::Clock;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    type Performance;
    #[wasm_bindgen(thread_local_v2, js_namespace = globalThis, js_name = performance)]
    static PERFORMANCE: Option<Performance>;
    #[wasm_bindgen(method)]
    fn now(this: &Performance) -> f64;
    #[wasm_bindgen(method, getter, js_name = timeOrigin)]
    fn time_origin(this: &Performance) -> f64;
}

/// `Date.now()` for wall-clock milliseconds (expiry, created, last access), and
/// `performance.timeOrigin + performance.now()` for microseconds (the cost of a
/// computation), falling back to `Date.now()` where there is no `performance`.
#[derive(Clone, Copy, Debug, Default)]
pub struct JsClock;

impl Clock for JsClock {
    fn now_us(&self) -> u64 {
        let precise = PERFORMANCE.with(|p| p.as_ref().map(|p| p.time_origin() + p.now()));
        let ms = precise
            .filter(|ms| ms.is_finite() && *ms > 0.0)
            .unwrap_or_else(js_sys::Date::now);
        (ms * 1000.0) as u64
    }

    fn now_ms(&self) -> u64 {
        js_sys::Date::now() as u64
    }
}
