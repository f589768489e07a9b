//! The strict decoder: reads postcard bytes back into a [`Canon`], accepting only the
//! canonical form the encoder writes.
//!
//! Written by hand over the wire format (rather than postcard's serde decoder) so
//! that hostile input is cheap to reject: recursion is bounded by [`MAX_DEPTH`],
//! lengths are checked against the remaining input before anything is allocated,
//! and canonical form (minimal varints, normalized floats, strictly increasing map
//! keys) is checked inline, without re-encoding.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::encode::{CANONICAL_NAN, Num, normalize_float};
use super::encode::{TAG_BOOL, TAG_BYTES, TAG_FLOAT, TAG_INT, TAG_LIST, TAG_MAP};
use super::encode::{TAG_NULL, TAG_STR};
use super::{Canon, MAX_DEPTH};
use crate::error::{Error, Result};

/// Cap on capacity reserved up front from a length prefix; vectors grow past it as
/// elements actually decode, so a lying prefix cannot make us allocate much.
const MAX_PREALLOC: usize = 256;

pub(crate) struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
    op: &'static str,
}

impl<'a> Decoder<'a> {
    pub(crate) fn new(buf: &'a [u8], op: &'static str) -> Decoder<'a> {
        Decoder { buf, pos: 0, op }
    }

    fn err(&self, what: &str) -> Error {
        Error::corrupt(self.op, format!("{what} at byte {}", self.pos))
    }

    /// Fail unless every byte was consumed.
    pub(crate) fn finish(&self) -> Result<()> {
        if self.pos != self.buf.len() {
            return Err(self.err("trailing bytes after the value"));
        }
        Ok(())
    }

    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn byte(&mut self) -> Result<u8> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| self.err("unexpected end of input"))?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.err("unexpected end of input"));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// A minimal LEB128 varint of at most `bits` bits.
    fn varint(&mut self, bits: u32) -> Result<u128> {
        let max_len = bits.div_ceil(7);
        let mut v: u128 = 0;
        for i in 0..max_len {
            let b = self.byte()?;
            v |= u128::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                if i > 0 && b == 0 {
                    return Err(self.err("non-minimal varint"));
                }
                if i == max_len - 1 && u32::from(b) >> (bits - 7 * i) != 0 {
                    return Err(self.err("varint overflows"));
                }
                return Ok(v);
            }
        }
        Err(self.err("varint too long"))
    }

    /// A length prefix, checked against the bytes left (each item takes at least
    /// `min_item` bytes).
    fn len(&mut self, min_item: usize) -> Result<usize> {
        let n = self.varint(64)?;
        match usize::try_from(n) {
            Ok(n) if n.saturating_mul(min_item) <= self.remaining() => Ok(n),
            _ => Err(self.err("length prefix exceeds the input")),
        }
    }

    fn blob(&mut self) -> Result<&'a [u8]> {
        let n = self.len(1)?;
        self.take(n)
    }

    /// One value; `level` is the number of lists/maps enclosing it.
    pub(crate) fn value(&mut self, level: usize) -> Result<Canon> {
        let tag = self.byte()?;
        Ok(match tag {
            TAG_NULL => Canon::Null,
            TAG_BOOL => match self.byte()? {
                0 => Canon::Bool(false),
                1 => Canon::Bool(true),
                _ => return Err(self.err("bool is neither 0 nor 1")),
            },
            TAG_INT => {
                let z = self.varint(128)?;
                // Inverse zigzag.
                Canon::Int(((z >> 1) as i128) ^ -((z & 1) as i128))
            }
            TAG_FLOAT => {
                let mut b = [0u8; 8];
                b.copy_from_slice(self.take(8)?);
                let bits = u64::from_le_bytes(b);
                let f = f64::from_bits(bits);
                if f.is_nan() && bits != CANONICAL_NAN {
                    return Err(self.err("non-canonical NaN"));
                }
                if let Num::Int(_) = normalize_float(f) {
                    return Err(self.err("integral float that must be encoded as an integer"));
                }
                Canon::Float(f)
            }
            TAG_STR => {
                let b = self.blob()?;
                match core::str::from_utf8(b) {
                    Ok(s) => Canon::Str(String::from(s)),
                    Err(_) => return Err(self.err("string is not UTF-8")),
                }
            }
            TAG_BYTES => Canon::Bytes(self.blob()?.to_vec()),
            TAG_LIST => {
                self.enter(level)?;
                let n = self.len(1)?;
                let mut items = Vec::with_capacity(n.min(MAX_PREALLOC));
                for _ in 0..n {
                    items.push(self.value(level + 1)?);
                }
                Canon::List(items)
            }
            TAG_MAP => {
                self.enter(level)?;
                let n = self.len(2)?;
                let mut entries = Vec::with_capacity(n.min(MAX_PREALLOC));
                let mut prev: &[u8] = &[];
                for i in 0..n {
                    let start = self.pos;
                    let k = self.value(level + 1)?;
                    let key = &self.buf[start..self.pos];
                    if i > 0 && prev >= key {
                        return Err(self.err("map keys out of canonical order or duplicated"));
                    }
                    prev = key;
                    let v = self.value(level + 1)?;
                    entries.push((k, v));
                }
                Canon::Map(entries)
            }
            _ => {
                self.pos -= 1;
                return Err(self.err("unknown value tag"));
            }
        })
    }

    fn enter(&self, level: usize) -> Result<()> {
        if level >= MAX_DEPTH {
            return Err(self.err(&format!(
                "value nested more than {MAX_DEPTH} lists/maps deep"
            )));
        }
        Ok(())
    }
}
