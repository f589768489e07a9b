//! Mapping OPFS failures (DOMExceptions) to larder errors that name the
//! operation, the file, and what the user can do.

use larder_core::{Error, ErrorKind};
use wasm_bindgen::JsValue;

use crate::js;

/// The DOMException a sync access handle, a writable stream or a move throws
/// when another handle holds the file's lock.
pub(crate) const LOCKED: &str = "NoModificationAllowedError";
/// What reading a `File` snapshot throws once the file was replaced under it.
pub(crate) const STALE: &str = "NotReadableError";

/// The larder kind for a DOMException name: quota and permission problems get
/// their own kinds because the cache (quota: evict and retry) or the user
/// (permission) can act on them; anything else is `Storage`.
pub(crate) fn kind_of(name: Option<&str>) -> ErrorKind {
    match name {
        Some("QuotaExceededError") => ErrorKind::StorageFull,
        Some("NotAllowedError" | "SecurityError") => ErrorKind::PermissionDenied,
        _ => ErrorKind::Storage,
    }
}

/// A larder error for the OPFS failure `e` of `op` on `path` (under the OPFS
/// root). `lock_ms` is how long the store kept retrying a locked file.
pub(crate) fn opfs(op: &'static str, path: &str, e: &JsValue, lock_ms: u32) -> Error {
    let name = js::error_name(e);
    let kind = kind_of(name.as_deref());
    let msg = match (kind, name.as_deref()) {
        (ErrorKind::StorageFull, _) => format!(
            "the browser's storage quota for this site is full ({}); \
             lower the cache's byte limit or free site data",
            js::message(e)
        ),
        (ErrorKind::PermissionDenied, _) => format!(
            "the browser refused access to the file ({}); storage may be blocked for this site",
            js::message(e)
        ),
        (_, Some(LOCKED)) => format!(
            "the file is locked by another access handle or writable stream (another tab or \
             worker has it open); gave up after retrying for {lock_ms} ms ({})",
            js::message(e)
        ),
        _ => format!("OPFS failed: {}", js::message(e)),
    };
    Error::new(kind, op, msg).with_context(path.to_owned())
}

/// Why OPFS cannot be used here, when `navigator.storage.getDirectory` is
/// missing: the most specific cause the global scope reveals.
pub(crate) fn unavailable(global: &JsValue) -> Error {
    let nav = js::get(global, "navigator");
    let storage = js::get(&nav, "storage");
    let why = if nav.is_undefined() {
        "there is no `navigator`: this is not a browser (Node and Deno have no OPFS)".to_owned()
    } else if js::get(global, "isSecureContext") == JsValue::FALSE {
        "this page is not a secure context (https:, or http: on localhost), and browsers \
         offer OPFS only in secure contexts"
            .to_owned()
    } else if storage.is_undefined() || storage.is_null() {
        "navigator.storage is missing: this browser has no Storage API".to_owned()
    } else {
        "navigator.storage.getDirectory is missing: this browser is too old for OPFS \
         (Chrome 86, Firefox 111 and Safari 15.2 have it)"
            .to_owned()
    };
    Error::new(
        ErrorKind::Unsupported,
        "open",
        format!("OPFS is not available: {why}"),
    )
}

/// `navigator.storage.getDirectory()` rejected with `e`.
pub(crate) fn root_refused(e: &JsValue) -> Error {
    let name = js::error_name(e);
    let (kind, why) = match name.as_deref() {
        Some("SecurityError" | "NotAllowedError") => (
            ErrorKind::PermissionDenied,
            "the browser blocks storage for this site (site-data settings, private \
             browsing, a sandboxed iframe or an opaque origin)",
        ),
        _ => (ErrorKind::Storage, "the browser could not open it"),
    };
    Error::new(
        kind,
        "open",
        format!(
            "OPFS is not available: navigator.storage.getDirectory() failed: {why} ({})",
            js::message(e)
        ),
    )
}
