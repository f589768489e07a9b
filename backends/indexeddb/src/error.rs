//! Mapping IndexedDB failures to larder errors.

use indexed_db_futures::error::{Error as IdbError, OpenDbError};
use larder_core::{Error, ErrorKind};

/// Why a connection was closed under us.
pub(crate) const CLOSED_BY_UPGRADE: &str =
    "the database was closed because another tab upgraded it; reopen the cache";
/// The browser closed the connection (storage cleared, disk error...).
pub(crate) const CLOSED_BY_BROWSER: &str =
    "the browser closed the database (site data cleared or a storage failure); reopen the cache";
/// [`crate::IndexedDbStore::close`] was called.
pub(crate) const CLOSED_BY_USER: &str = "the store was closed";

/// The DOMException name inside an IndexedDB error, if it carries one.
pub(crate) fn dom_name(e: &IdbError) -> Option<String> {
    match e {
        IdbError::DomException(d) => Some(web_sys::DomException::from(d.clone()).name()),
        _ => None,
    }
}

/// A larder error for a failed IndexedDB call: `QuotaExceededError` is
/// [`ErrorKind::StorageFull`] (the core evicts and retries), anything else
/// [`ErrorKind::Storage`], with the key (if any) as context.
pub(crate) fn storage(op: &'static str, key: Option<&str>, e: &IdbError) -> Error {
    from_parts(op, key, dom_name(e).as_deref(), &e.to_string())
}

/// As [`storage`], from a DOMException name and message.
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

/// A larder error for a failed open.
pub(crate) fn open(db: &str, e: &OpenDbError) -> Error {
    let err = match e {
        OpenDbError::Base(b) if dom_name(b).as_deref() == Some("VersionError") => Error::new(
            ErrorKind::Storage,
            "open",
            "the database was created by a newer version of larder; \
             use a different cache name or clear the site's data",
        ),
        OpenDbError::Base(b) => storage("open", None, b),
        OpenDbError::UnsupportedEnvironment | OpenDbError::NullFactory => Error::new(
            ErrorKind::Unsupported,
            "open",
            "IndexedDB is not available here (private mode, or not a browser window or worker)",
        ),
        other => Error::new(
            ErrorKind::Storage,
            "open",
            format!("IndexedDB failed: {other}"),
        ),
    };
    err.with_context(format!("database {db}"))
}

/// The error every call on a closed connection returns.
pub(crate) fn closed(op: &'static str, why: &str) -> Error {
    Error::new(ErrorKind::Storage, op, why)
}
