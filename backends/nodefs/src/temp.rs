//! Temporary files, named exactly as larder-fs names them
//! (`<pid>.<counter>.<random>.tmp`), and the clean-up of temps left behind by
//! writers that died or that are older than an hour.

#![cfg(target_arch = "wasm32")]

use std::cell::Cell;

use larder_core::layout;
use wasm_bindgen::{JsCast, JsValue};

use crate::js::{self, FileHandle, FsPromises, Stats};
use crate::time;

/// Temps older than this (ms) are removed whoever owns them: no write takes an hour.
const STALE_AFTER_MS: f64 = layout::STALE_TEMP_MS as f64;

/// Hands out unique temp file names for one store.
#[derive(Debug)]
pub(crate) struct TempNamer {
    pid: u32,
    random: u64,
    counter: Cell<u64>,
}

impl TempNamer {
    pub(crate) fn new() -> Self {
        // Two draws of Math.random give 64 bits enough to keep same-pid
        // processes (e.g. in different containers) apart.
        let hi = (js_sys::Math::random() * 4_294_967_296.0) as u64;
        let lo = (js_sys::Math::random() * 4_294_967_296.0) as u64;
        TempNamer {
            pid: js::pid(),
            random: (hi << 32) | lo,
            counter: Cell::new(0),
        }
    }

    fn next_name(&self) -> String {
        let n = self.counter.get();
        self.counter.set(n + 1);
        layout::temp_name(self.pid, n, self.random)
    }

    /// Create a new, empty temp file in `dir` (`wx`, mode 0600).
    pub(crate) async fn create(
        &self,
        fs: &FsPromises,
        dir: &str,
    ) -> Result<(String, FileHandle), (String, JsValue)> {
        loop {
            let path = format!("{dir}/{}", self.next_name());
            match fs.open(&path, &JsValue::from_str("wx"), 0o600).await {
                Ok(h) => return Ok((path, h.unchecked_into())),
                // Another store with our pid and random part: take the next number.
                Err(e) if js::is_code(&e, "EEXIST") => continue,
                Err(e) => return Err((path, e)),
            }
        }
    }
}

/// Remove temps in `dir` whose writer is gone or that are older than an hour.
/// Returns how many were removed; other files are left alone.
pub(crate) async fn clean_stale(fs: &FsPromises, dir: &str) -> Result<usize, JsValue> {
    let names = js_sys::Array::from(&fs.readdir(dir).await?);
    let now = time::now_ms();
    let mut removed = 0;
    for name in names.iter().filter_map(|n| n.as_string()) {
        let Some(pid) = layout::temp_pid(&name) else {
            continue;
        };
        let path = format!("{dir}/{name}");
        let old = match fs.lstat(&path).await {
            Ok(st) => now - st.unchecked_into::<Stats>().mtime_ms() > STALE_AFTER_MS,
            Err(_) => continue,
        };
        if (old || !js::pid_may_be_alive(pid)) && fs.unlink(&path).await.is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}
