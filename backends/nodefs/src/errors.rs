//! Mapping Node errors (their `code`) to larder errors that name the path and
//! the operation, with the same kinds and hints as larder-fs.

#![cfg(target_arch = "wasm32")]

use larder_core::{Error, ErrorKind};
use wasm_bindgen::JsValue;

use crate::js;

/// The larder kind for a Node error code: permission and space problems get their
/// own kinds because the user can act on them; everything else is `Storage`.
pub(crate) fn kind_of(code: Option<&str>) -> ErrorKind {
    match code {
        Some("EACCES" | "EPERM" | "EROFS") => ErrorKind::PermissionDenied,
        Some("ENOSPC" | "EDQUOT") => ErrorKind::StorageFull,
        _ => ErrorKind::Storage,
    }
}

/// A larder error for the Node error `e`, raised by `op` while working on `path`.
pub(crate) fn js_error(op: &'static str, path: &str, e: &JsValue) -> Error {
    let code = js::code(e);
    let kind = kind_of(code.as_deref());
    let hint = match kind {
        ErrorKind::PermissionDenied => "; check the cache directory's owner and permissions",
        ErrorKind::StorageFull => "; free some disk space or lower the cache's byte limit",
        _ => "",
    };
    Error::new(kind, op, format!("{}{hint}", js::message(e))).with_context(path.to_owned())
}
