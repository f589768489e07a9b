//! Argument types that keep call sites short: a namespace with an optional
//! version, and sizes or durations given as numbers or as text ("2GB", "24h").

use std::time::Duration;

use larder_core::{Result, units};

/// A namespace and key version. `"fib"` is version 0; `("fib", 2)` is version 2.
///
/// ```
/// use larder::Ns;
/// let a: Ns<'_> = "fib".into();
/// let b: Ns<'_> = ("fib", 2).into();
/// assert_eq!((a.name, a.version, b.version), ("fib", 0, 2));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ns<'a> {
    /// The namespace, usually the function's name.
    pub name: &'a str,
    /// Bump it to stop old entries from matching.
    pub version: u32,
}

impl<'a> From<&'a str> for Ns<'a> {
    fn from(name: &'a str) -> Self {
        Ns { name, version: 0 }
    }
}

impl<'a> From<&'a String> for Ns<'a> {
    fn from(name: &'a String) -> Self {
        Ns { name, version: 0 }
    }
}

impl<'a> From<(&'a str, u32)> for Ns<'a> {
    fn from((name, version): (&'a str, u32)) -> Self {
        Ns { name, version }
    }
}

/// A byte size: a number of bytes, or text such as `"512MB"` or `"2GiB"`.
///
/// ```
/// use larder::Size;
/// assert_eq!(Size::from("2KiB").bytes().unwrap(), 2048);
/// assert_eq!(Size::from(10u64).bytes().unwrap(), 10);
/// assert!(Size::from("ten").bytes().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Size {
    /// A number of bytes.
    Bytes(u64),
    /// Text to parse with [`units::parse_size`].
    Text(String),
}

impl Size {
    /// The number of bytes, or a clear error for unparsable text.
    pub fn bytes(&self) -> Result<u64> {
        match self {
            Size::Bytes(n) => Ok(*n),
            Size::Text(s) => units::parse_size(s),
        }
    }
}

impl From<u64> for Size {
    fn from(n: u64) -> Self {
        Size::Bytes(n)
    }
}

impl From<&str> for Size {
    fn from(s: &str) -> Self {
        Size::Text(s.to_owned())
    }
}

impl From<String> for Size {
    fn from(s: String) -> Self {
        Size::Text(s)
    }
}

/// A duration: a [`Duration`], or text such as `"90s"`, `"24h"` or `"7d"`.
///
/// ```
/// use larder::Ttl;
/// use std::time::Duration;
/// assert_eq!(Ttl::from("90s").millis().unwrap(), 90_000);
/// assert_eq!(Ttl::from(Duration::from_secs(2)).millis().unwrap(), 2_000);
/// assert!(Ttl::from("soon").millis().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ttl {
    /// A duration.
    Duration(Duration),
    /// Text to parse with [`units::parse_duration`].
    Text(String),
}

impl Ttl {
    /// Whole milliseconds, or a clear error for unparsable text.
    pub fn millis(&self) -> Result<u64> {
        match self {
            Ttl::Duration(d) => Ok(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            Ttl::Text(s) => units::parse_duration(s),
        }
    }
}

impl From<Duration> for Ttl {
    fn from(d: Duration) -> Self {
        Ttl::Duration(d)
    }
}

impl From<&str> for Ttl {
    fn from(s: &str) -> Self {
        Ttl::Text(s.to_owned())
    }
}

impl From<String> for Ttl {
    fn from(s: String) -> Self {
        Ttl::Text(s)
    }
}
