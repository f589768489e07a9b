//! The 128-bit key hash and its hex form (used as file names and store keys).

use alloc::string::String;
use core::fmt;

use crate::error::{Error, Result};

/// xxh3-128 of a key's canonical bytes. Stores index entries by it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct KeyHash(pub u128);

impl KeyHash {
    /// The hash of canonical key bytes.
    ///
    /// ```
    /// use larder_core::KeyHash;
    /// assert_eq!(KeyHash::of(b"abc"), KeyHash::of(b"abc"));
    /// assert_ne!(KeyHash::of(b"abc"), KeyHash::of(b"abd"));
    /// ```
    pub fn of(canonical: &[u8]) -> KeyHash {
        KeyHash(xxhash_rust::xxh3::xxh3_128(canonical))
    }

    /// Big-endian bytes, the order used in frames and hex.
    pub fn to_bytes(self) -> [u8; 16] {
        self.0.to_be_bytes()
    }

    /// Inverse of [`KeyHash::to_bytes`].
    pub fn from_bytes(b: [u8; 16]) -> KeyHash {
        KeyHash(u128::from_be_bytes(b))
    }

    /// 32 lowercase hex digits.
    ///
    /// ```
    /// use larder_core::KeyHash;
    /// let h = KeyHash(0xabc);
    /// assert_eq!(h.to_hex(), "00000000000000000000000000000abc");
    /// assert_eq!(KeyHash::from_hex(&h.to_hex()).unwrap(), h);
    /// ```
    pub fn to_hex(self) -> String {
        let mut s = String::with_capacity(32);
        for b in self.to_bytes() {
            s.push(HEX[(b >> 4) as usize] as char);
            s.push(HEX[(b & 15) as usize] as char);
        }
        s
    }

    /// Parse exactly 32 hex digits (either case).
    pub fn from_hex(s: &str) -> Result<KeyHash> {
        let b = s.as_bytes();
        if b.len() != 32 {
            return Err(Error::invalid("parse key hash", "expected 32 hex digits").with_context(s));
        }
        let mut v: u128 = 0;
        for &c in b {
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => {
                    return Err(Error::invalid("parse key hash", "not a hex digit").with_context(s));
                }
            };
            v = (v << 4) | u128::from(d);
        }
        Ok(KeyHash(v))
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyHash({})", self.to_hex())
    }
}

impl fmt::Display for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}
