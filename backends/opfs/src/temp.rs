//! Temporary files, named as larder-fs names them
//! (`<pid>.<counter>.<random>.tmp`, with pid 0: a browser context has none),
//! and the clean-up of temps that crashed writers left behind.

use std::cell::Cell;

use larder_core::layout;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{File, FileSystemDirectoryHandle, FileSystemFileHandle, FileSystemHandleKind};

use crate::js;

/// Hands out unique temp file names for one store.
#[derive(Debug)]
pub(crate) struct TempNamer {
    random: u64,
    counter: Cell<u64>,
}

impl TempNamer {
    pub(crate) fn new() -> Self {
        // Two draws of Math.random: 64 bits keep tabs and workers apart.
        let hi = (js_sys::Math::random() * 4_294_967_296.0) as u64;
        let lo = (js_sys::Math::random() * 4_294_967_296.0) as u64;
        TempNamer {
            random: (hi << 32) | lo,
            counter: Cell::new(0),
        }
    }

    pub(crate) fn next_name(&self) -> String {
        let n = self.counter.get();
        self.counter.set(n + 1);
        layout::temp_name(0, n, self.random)
    }
}

/// Remove temps in `dir` older than [`layout::STALE_TEMP_MS`]: no write takes
/// that long, so their writer is gone. A browser gives no way to ask whether
/// another tab's writer is alive, so age is the only test. Other names, and
/// temps still locked by a writer, are left alone. Returns how many went.
pub(crate) async fn clean_stale(dir: &FileSystemDirectoryHandle) -> Result<usize, JsValue> {
    let now = js_sys::Date::now();
    let mut removed = 0;
    for child in js::children(dir).await? {
        let name = child.name();
        if child.kind() != FileSystemHandleKind::File || layout::temp_pid(&name).is_none() {
            continue;
        }
        let file: &FileSystemFileHandle = child.unchecked_ref();
        let Ok(f) = JsFuture::from(file.get_file()).await else {
            continue;
        };
        let age = now - f.unchecked_into::<File>().last_modified();
        if age > layout::STALE_TEMP_MS as f64 && js::remove(dir, &name, false).await.is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}
