//! Canonical keys. PLACEHOLDER: being written by the key helper; API fixed below.

mod hash;

pub use hash::KeyHash;

use alloc::string::String;
use alloc::vec::Vec;

use crate::error::Result;

/// The canonical data model every parameter maps to.
#[derive(Clone, Debug, PartialEq)]
pub enum Canon {
    /// null / None / unit
    Null,
    /// bool
    Bool(bool),
    /// any integer, and floats with an integral value within ±2^53
    Int(i128),
    /// other floats; NaN has one encoding
    Float(f64),
    /// UTF-8 string
    Str(String),
    /// raw bytes
    Bytes(Vec<u8>),
    /// sequence
    List(Vec<Canon>),
    /// map, entries sorted by the canonical encoding of the key
    Map(Vec<(Canon, Canon)>),
}

/// A cache key: namespace, version and canonical params, hashed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    hash: KeyHash,
    bytes: Vec<u8>,
    namespace: String,
    version: u32,
}

impl Key {
    /// Key of `params` in `namespace`, version 0.
    pub fn new<P: serde::Serialize + ?Sized>(namespace: &str, params: &P) -> Result<Key> {
        Key::with_version(namespace, 0, params)
    }
    /// Key of `params` in `namespace` at `version`.
    pub fn with_version<P: serde::Serialize + ?Sized>(
        namespace: &str,
        version: u32,
        params: &P,
    ) -> Result<Key> {
        let _ = (namespace, version, params);
        todo!()
    }
    /// The hash stores index by.
    pub fn hash(&self) -> KeyHash {
        self.hash
    }
    /// The canonical bytes (`{namespace, params, version}` encoded).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
    /// The namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }
    /// The version.
    pub fn version(&self) -> u32 {
        self.version
    }
    /// Rebuild a key from canonical bytes read from storage, validating them.
    pub fn from_bytes(bytes: &[u8]) -> Result<Key> {
        let _ = bytes;
        todo!()
    }
    /// The params decoded back into the model (for display).
    pub fn params(&self) -> Result<Canon> {
        todo!()
    }
}
