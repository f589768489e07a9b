//! Mapping `std::io` errors to larder errors that name the path and the operation.

use std::io;
use std::path::Path;

use larder_core::{Error, ErrorKind};

/// ENOSPC and EDQUOT (Linux numbering); older toolchains report these as `Other`.
const ENOSPC: i32 = 28;
const EDQUOT: i32 = 122;

/// The larder kind for an I/O failure: permission and space problems get their own
/// kinds because the user can act on them; everything else is [`ErrorKind::Storage`].
pub(crate) fn kind_of(e: &io::Error) -> ErrorKind {
    match e.kind() {
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            ErrorKind::PermissionDenied
        }
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => ErrorKind::StorageFull,
        _ if matches!(e.raw_os_error(), Some(ENOSPC | EDQUOT)) && cfg!(target_os = "linux") => {
            ErrorKind::StorageFull
        }
        _ => ErrorKind::Storage,
    }
}

/// A larder error for `e`, raised by `op` while working on `path`.
pub(crate) fn io_error(op: &'static str, path: &Path, e: io::Error) -> Error {
    let kind = kind_of(&e);
    let hint = match kind {
        ErrorKind::PermissionDenied => "; check the cache directory's owner and permissions",
        ErrorKind::StorageFull => "; free some disk space or lower the cache's byte limit",
        _ => "",
    };
    Error::new(kind, op, format!("{e}{hint}")).with_context(path.display().to_string())
}
