//! One error type for every layer: a kind to branch on, the operation and the
//! context it failed in, and a message a user can act on.

use alloc::string::String;
use core::fmt;

/// What went wrong, coarsely enough to branch on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The caller passed something unusable (a bad size, an unserializable parameter...).
    InvalidInput,
    /// A value is larger than the cache may hold.
    TooLarge,
    /// Bytes read from storage failed verification. The cache treats these as misses;
    /// callers only see this kind from the low-level decoders.
    Corrupt,
    /// The storage backend failed (I/O error, unreachable server...).
    Storage,
    /// The storage backend refused for lack of permission.
    PermissionDenied,
    /// The storage backend ran out of space or quota.
    StorageFull,
    /// The backend does not implement this operation.
    Unsupported,
    /// A value could not be encoded or decoded by its codec.
    Codec,
    /// A user computation failed.
    Compute,
    /// The cache was closed.
    Closed,
}

impl ErrorKind {
    /// A short lowercase name, stable for logs and JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::TooLarge => "too large",
            ErrorKind::Corrupt => "corrupt",
            ErrorKind::Storage => "storage",
            ErrorKind::PermissionDenied => "permission denied",
            ErrorKind::StorageFull => "storage full",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Codec => "codec",
            ErrorKind::Compute => "compute",
            ErrorKind::Closed => "closed",
        }
    }
}

/// larder's error: a [`ErrorKind`], the operation, optional context (a path, a key) and a message.
///
/// ```
/// use larder_core::{Error, ErrorKind};
/// let e = Error::new(ErrorKind::InvalidInput, "parse size", "unknown unit \"XB\"")
///     .with_context("\"10XB\"");
/// assert_eq!(e.kind(), ErrorKind::InvalidInput);
/// assert_eq!(e.to_string(), "parse size (\"10XB\"): invalid input: unknown unit \"XB\"");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    op: &'static str,
    context: Option<String>,
    message: String,
}

impl Error {
    /// A new error of `kind` raised by operation `op`.
    pub fn new(kind: ErrorKind, op: &'static str, message: impl Into<String>) -> Self {
        Error {
            kind,
            op,
            context: None,
            message: message.into(),
        }
    }

    /// Attach what the operation was working on (a path, a key in hex...).
    #[must_use]
    pub fn with_context(mut self, context: impl Into<String>) -> Self {
        self.context = Some(context.into());
        self
    }

    /// Shorthand for an [`ErrorKind::InvalidInput`] error.
    pub fn invalid(op: &'static str, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidInput, op, message)
    }

    /// Shorthand for an [`ErrorKind::Corrupt`] error.
    pub fn corrupt(op: &'static str, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Corrupt, op, message)
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The operation that failed, e.g. `"put"`.
    pub fn op(&self) -> &'static str {
        self.op
    }

    /// What the operation was working on, if known.
    pub fn context(&self) -> Option<&str> {
        self.context.as_deref()
    }

    /// The human-readable explanation.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.op)?;
        if let Some(c) = &self.context {
            write!(f, " ({c})")?;
        }
        write!(f, ": {}: {}", self.kind.as_str(), self.message)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

/// So that functions returning `io::Result` can pass larder's errors on with
/// `?` (and be memoized): the kind maps to the closest `io::ErrorKind`.
#[cfg(feature = "std")]
impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        use std::io::ErrorKind as Io;
        let kind = match e.kind {
            ErrorKind::InvalidInput => Io::InvalidInput,
            ErrorKind::PermissionDenied => Io::PermissionDenied,
            ErrorKind::StorageFull => Io::StorageFull,
            ErrorKind::Unsupported => Io::Unsupported,
            ErrorKind::Corrupt | ErrorKind::Codec => Io::InvalidData,
            _ => Io::Other,
        };
        std::io::Error::new(kind, e)
    }
}

/// For functions whose error type is a message.
///
/// ```
/// let s: String = larder_core::Error::invalid("op", "why").into();
/// assert_eq!(s, "op: invalid input: why");
/// ```
impl From<Error> for String {
    fn from(e: Error) -> Self {
        alloc::string::ToString::to_string(&e)
    }
}

/// `Result` with larder's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;
