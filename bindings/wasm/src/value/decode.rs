//! Decoding codec 2 into a JavaScript value.
//!
//! Rust checks the bytes and writes a tape of steps; `src/js/build.js` then
//! builds the whole value from the tape in one call. Handing values across
//! the boundary one by one would cost more than building them, and a value
//! that turns out corrupt halfway is never partly built.

use std::cell::Cell;

use larder_core::{ErrorKind, HexText};
use wasm_bindgen::prelude::*;

use super::intern::{Interner, Seen};
use super::{EXACT, MAX_DEPTH, VERSION, tag};
use crate::js::{self, Elem};

#[wasm_bindgen(module = "/src/js/build.js")]
extern "C" {
    #[wasm_bindgen(js_name = buildInit)]
    fn build_init(memory: JsValue);
    #[wasm_bindgen(js_name = buildValue)]
    fn build_value(tape: u32, len: u32) -> JsValue;
    #[wasm_bindgen(js_name = buildBytes)]
    fn build_bytes(kind: u32, p: u32, n: u32) -> JsValue;
    #[wasm_bindgen(js_name = buildHasFloat16)]
    fn build_has_float16() -> bool;
}

/// The steps of a tape, as build.js reads them: a word with the step in its
/// low byte and a small argument above, then the step's operands (positions
/// of bytes in wasm memory, lengths).
mod step {
    /// undefined, null, false, true (argument: the tag).
    pub const CONST: u32 = 0;
    /// An integer of 24 bits (argument: it + 2^23).
    pub const INT: u32 = 1;
    /// A number, the binary64 at this position (little-endian).
    pub const F64: u32 = 2;
    /// A number, the binary64 in the next two words.
    pub const F64_HERE: u32 = 3;
    /// A string, the UTF-8 at (position, length); argument 1: remember it.
    pub const STR: u32 = 4;
    /// A string remembered before (argument: its number).
    pub const STR_ID: u32 = 5;
    /// The key of the next value, as [`STR`].
    pub const KEY: u32 = 6;
    /// The key of the next value, as [`STR_ID`].
    pub const KEY_ID: u32 = 7;
    /// A string of UTF-16 units at (position, count); argument 1: a key.
    pub const STR16: u32 = 8;
    /// Open a container (argument: its tag); what follows goes in it.
    pub const OPEN: u32 = 9;
    /// Close the innermost container.
    pub const CLOSE: u32 = 10;
    /// A Date, its time the binary64 at this position.
    pub const DATE: u32 = 11;
    /// Bytes at (position, length): an ArrayBuffer (argument 0) or a view
    /// (argument: its kind + 1).
    pub const BYTES: u32 = 12;
    /// A bigint of magnitude (position, length), big-endian; argument 1: negative.
    pub const BIGINT: u32 = 13;
}

const INT_BIAS: i64 = 1 << 23;

thread_local! {
    static READY: Cell<bool> = const { Cell::new(false) };
}

/// Decode bytes written by [`encode`](super::encode). Garbage gives an
/// `Error` (never a panic).
pub fn decode(bytes: &[u8]) -> Result<JsValue, JsValue> {
    let mut d = Decoder {
        bytes,
        pos: 0,
        strings: Interner::default(),
        tape: Vec::new(),
    };
    match d.byte()? {
        VERSION => {}
        v => return Err(d.fail(&format!("unknown value format version {v}"))),
    }
    d.value(0)?;
    if d.pos != bytes.len() {
        return Err(d.fail("trailing bytes after the value"));
    }
    if !READY.get() {
        build_init(wasm_bindgen::memory());
        READY.set(true);
    }
    Ok(match d.tape[..] {
        // A value that is bytes alone (the usual binary entry): no tape to read.
        [w, p, n] if w & 0xff == step::BYTES => build_bytes(w >> 8, p, n),
        _ => build_value(at(&d.tape), d.tape.len() as u32),
    })
}

struct Decoder<'a> {
    bytes: &'a [u8],
    pos: usize,
    strings: Interner,
    tape: Vec<u32>,
}

/// Where `s` is in wasm memory.
fn at<T>(s: &[T]) -> u32 {
    s.as_ptr() as usize as u32
}

impl Decoder<'_> {
    fn fail(&self, what: &str) -> JsValue {
        js::plain_error(&format!(
            "corrupt cached value (codec 2) at byte {}: {what}",
            self.pos
        ))
    }

    #[inline(always)]
    fn byte(&mut self) -> Result<u8, JsValue> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| self.fail("unexpected end of data"))?;
        self.pos += 1;
        Ok(b)
    }

    #[inline(always)]
    fn take(&mut self, n: usize) -> Result<&[u8], JsValue> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| self.fail("a length runs past the end of the data"))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    #[inline(always)]
    fn varint(&mut self) -> Result<u64, JsValue> {
        // Most lengths and counts take one byte.
        if let Some(&b) = self.bytes.get(self.pos) {
            if b < 0x80 {
                self.pos += 1;
                return Ok(u64::from(b));
            }
        }
        self.long_varint()
    }

    fn long_varint(&mut self) -> Result<u64, JsValue> {
        let mut n: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let part = u64::from(b & 0x7f);
            if shift == 63 && part > 1 {
                return Err(self.fail("varint overflows 64 bits"));
            }
            n |= part << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(self.fail("varint longer than 10 bytes"))
    }

    /// A count of items each taking at least `min` bytes: never more than the
    /// bytes left could hold, so hostile counts cannot make us allocate.
    #[inline(always)]
    fn count(&mut self, min: usize) -> Result<usize, JsValue> {
        let n = self.varint()?;
        let left = (self.bytes.len() - self.pos) as u64;
        // n * min > left, without a 128-bit multiply on wasm32.
        if n > left / min as u64 {
            return Err(self.fail("a count runs past the end of the data"));
        }
        Ok(n as usize)
    }

    /// Step `s` with argument `arg`, then its operands.
    #[inline(always)]
    fn put(&mut self, s: u32, arg: u32, operands: &[u32]) {
        self.tape.push(s | arg << 8);
        for &w in operands {
            self.tape.push(w);
        }
    }

    /// Where the next 8 bytes (a binary64) are.
    fn f64_at(&mut self) -> Result<u32, JsValue> {
        Ok(at(self.take(8)?))
    }

    fn value(&mut self, depth: usize) -> Result<(), JsValue> {
        let t = self.byte()?;
        match t {
            tag::UNDEFINED | tag::NULL | tag::FALSE | tag::TRUE => {
                self.put(step::CONST, u32::from(t), &[]);
            }
            tag::INT => {
                let z = self.varint()?;
                let n = ((z >> 1) as i64) ^ -((z & 1) as i64);
                if (-INT_BIAS..INT_BIAS).contains(&n) {
                    self.put(step::INT, (n + INT_BIAS) as u32, &[]);
                } else {
                    let x = n as f64;
                    if x.abs() > EXACT {
                        return Err(self.fail("integer outside ±2^53"));
                    }
                    let bits = x.to_bits();
                    self.put(step::F64_HERE, 0, &[bits as u32, (bits >> 32) as u32]);
                }
            }
            tag::FLOAT => {
                let p = self.f64_at()?;
                self.put(step::F64, 0, &[p]);
            }
            tag::BIGINT => {
                let neg = match self.byte()? {
                    0 => false,
                    1 => true,
                    _ => return Err(self.fail("bad bigint sign")),
                };
                let n = self.count(1)?;
                let p = at(self.take(n)?);
                self.put(step::BIGINT, u32::from(neg), &[p, n as u32]);
            }
            tag::STR => self.string(false)?,
            tag::STR16 => self.string16(false)?,
            tag::DATE => {
                let p = self.f64_at()?;
                self.put(step::DATE, 0, &[p]);
            }
            tag::ARRAY_BUFFER => {
                let n = self.count(1)?;
                let p = at(self.take(n)?);
                self.put(step::BYTES, 0, &[p, n as u32]);
            }
            tag::VIEW => self.view()?,
            tag::ARRAY | tag::OBJECT | tag::MAP | tag::SET => {
                if depth >= MAX_DEPTH {
                    return Err(self.fail("nested too deeply"));
                }
                self.container(t, depth + 1)?;
            }
            other => {
                return Err(self.fail(&format!(
                    "unknown type tag 0x{}",
                    HexText(u64::from(other), 2)
                )));
            }
        }
        Ok(())
    }

    /// A tag-07 string's body, as a value or (`key`) as the key of the next.
    fn string(&mut self, key: bool) -> Result<(), JsValue> {
        let n = self.count(1)?;
        let start = self.pos;
        let b = self.take(n)?;
        if std::str::from_utf8(b).is_err() {
            return Err(self.fail("a string is not valid UTF-8"));
        }
        let p = at(b);
        match self.strings.see(self.bytes, start, n) {
            Seen::Before(id) => {
                self.put(if key { step::KEY_ID } else { step::STR_ID }, id, &[]);
            }
            Seen::New { keep } => {
                let s = if key { step::KEY } else { step::STR };
                self.put(s, u32::from(keep), &[p, n as u32]);
            }
        }
        Ok(())
    }

    /// A tag-08 string's body (UTF-16 code units).
    fn string16(&mut self, key: bool) -> Result<(), JsValue> {
        let n = self.count(2)?;
        let p = at(self.take(n * 2)?);
        self.put(step::STR16, u32::from(key), &[p, n as u32]);
        Ok(())
    }

    fn view(&mut self) -> Result<(), JsValue> {
        let kind = self.byte()?;
        let elem = Elem::from_tag(kind)
            .ok_or_else(|| self.fail(&format!("unknown typed array kind {kind}")))?;
        let n = self.count(1)?;
        if n % elem.size() != 0 {
            return Err(self.fail(&format!(
                "{} bytes do not make whole {} elements",
                n,
                elem.name()
            )));
        }
        let p = at(self.take(n)?);
        // Not corrupt, but not a value this runtime can make: say so rather
        // than hand back the bits as another type.
        if elem == Elem::Float16 && !build_has_float16() {
            return Err(js::kind_error(
                ErrorKind::Codec,
                "the cached value holds a Float16Array, which this JavaScript runtime does not have; read it where one exists (Chromium and Deno have it, Node 20 does not), or store a Float32Array",
            ));
        }
        self.put(step::BYTES, u32::from(kind) + 1, &[p, n as u32]);
        Ok(())
    }

    fn container(&mut self, t: u8, depth: usize) -> Result<(), JsValue> {
        self.put(step::OPEN, u32::from(t), &[]);
        match t {
            tag::ARRAY => {
                let n = self.count(1)?;
                for _ in 0..n {
                    self.value(depth)?;
                }
            }
            tag::OBJECT => {
                let n = self.count(2)?;
                for _ in 0..n {
                    match self.byte()? {
                        tag::STR => self.string(true)?,
                        tag::STR16 => self.string16(true)?,
                        _ => return Err(self.fail("an object key is not a string")),
                    }
                    self.value(depth)?;
                }
            }
            tag::MAP => {
                let n = self.count(2)?;
                for _ in 0..2 * n {
                    self.value(depth)?;
                }
            }
            _ => {
                let n = self.count(1)?;
                for _ in 0..n {
                    self.value(depth)?;
                }
            }
        }
        self.put(step::CLOSE, 0, &[]);
        Ok(())
    }
}
