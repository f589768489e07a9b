//! Mapping IndexedDB failures to larder errors.

use larder_core::{Error, ErrorKind};

/// Why a connection was closed under us.
pub(crate) const CLOSED_BY_UPGRADE: &str =
    "the database was closed because another tab upgraded it; reopen the cache";
/// The browser closed the connection (storage cleared, disk error...).
pub(crate) const CLOSED_BY_BROWSER: &str =
    "the browser closed the database (site data cleared or a storage failure); reopen the cache";
/// [`crate::IndexedDbStore::close`] was called.
pub(crate) const CLOSED_BY_USER: &str = "the store was closed";

/// A larder error for a failed IndexedDB call, from the DOMException's name
/// and message: `QuotaExceededError` is [`ErrorKind::StorageFull`] (the core
/// evicts and retries), anything else [`ErrorKind::Storage`], with the key (if
/// any) as context.
pub(crate) fn from_parts(
    op: &'static str,
    key: Option<&str>,
    name: Option<&str>,
    message: &str,
) -> Error {
    let err = if name == Some("QuotaExceededError") {
        Error::new(
            ErrorKind::StorageFull,
            op,
            "the browser's storage quota for this site is full (IndexedDB QuotaExceededError)",
        )
    } else {
        Error::new(
            ErrorKind::Storage,
            op,
            format!("IndexedDB failed: {message}"),
        )
    };
    match key {
        Some(k) => err.with_context(format!("key {k}")),
        None => err,
    }
}

/// The error every call on a closed connection returns.
pub(crate) fn closed(op: &'static str, why: &str) -> Error {
    Error::new(ErrorKind::Storage, op, why)
}
