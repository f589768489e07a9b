//! Decoding codec 2 into a JavaScript value.
//!
//! Rust checks the bytes; `src/js/build.js` makes the values, told what to
//! make by one call per value that carries only numbers (positions in wasm
//! memory, lengths, a number's value), never a JS value: handing values
//! across one by one would cost more than building them.

use std::cell::Cell;

use wasm_bindgen::prelude::*;

use super::intern::{Interner, Seen};
use super::{EXACT, MAX_DEPTH, VERSION, tag};
use crate::js::{self, Elem};

#[wasm_bindgen(module = "/src/js/build.js")]
extern "C" {
    #[wasm_bindgen(js_name = buildInit)]
    fn build_init(memory: JsValue);
    #[wasm_bindgen(js_name = buildBegin)]
    fn build_begin();
    #[wasm_bindgen(js_name = buildEnd)]
    fn build_end() -> JsValue;
    #[wasm_bindgen(js_name = buildConst)]
    fn build_const(c: u32);
    #[wasm_bindgen(js_name = buildNum)]
    fn build_num(x: f64);
    #[wasm_bindgen(js_name = buildStr)]
    fn build_str(p: u32, n: u32, keep: bool);
    #[wasm_bindgen(js_name = buildStrId)]
    fn build_str_id(id: u32);
    #[wasm_bindgen(js_name = buildKey)]
    fn build_key(p: u32, n: u32, keep: bool);
    #[wasm_bindgen(js_name = buildKeyId)]
    fn build_key_id(id: u32);
    #[wasm_bindgen(js_name = buildStr16)]
    fn build_str16(p: u32, n: u32, key: bool);
    #[wasm_bindgen(js_name = buildOpen)]
    fn build_open(kind: u32);
    #[wasm_bindgen(js_name = buildClose)]
    fn build_close();
    #[wasm_bindgen(js_name = buildDate)]
    fn build_date(ms: f64);
    #[wasm_bindgen(js_name = buildBytes)]
    fn build_bytes(elem: i32, p: u32, n: u32);
    #[wasm_bindgen(js_name = buildBigInt)]
    fn build_bigint(neg: bool, p: u32, n: u32);
}

thread_local! {
    static READY: Cell<bool> = const { Cell::new(false) };
}

/// The value being built on the JS side; dropping it unfinished (after an
/// error) throws away what was built.
struct Building(bool);

impl Building {
    fn begin() -> Building {
        if !READY.get() {
            build_init(wasm_bindgen::memory());
            READY.set(true);
        }
        build_begin();
        Building(true)
    }

    fn finish(mut self) -> JsValue {
        self.0 = false;
        build_end()
    }
}

impl Drop for Building {
    fn drop(&mut self) {
        if self.0 {
            build_end();
        }
    }
}

/// Decode bytes written by [`encode`](super::encode). Garbage gives an
/// `Error` (never a panic).
pub fn decode(bytes: &[u8]) -> Result<JsValue, JsValue> {
    let mut d = Decoder {
        bytes,
        pos: 0,
        strings: Interner::default(),
    };
    match d.byte()? {
        VERSION => {}
        v => return Err(d.fail(&format!("unknown value format version {v}"))),
    }
    let building = Building::begin();
    d.value(0)?;
    if d.pos != bytes.len() {
        return Err(d.fail("trailing bytes after the value"));
    }
    Ok(building.finish())
}

struct Decoder<'a> {
    bytes: &'a [u8],
    pos: usize,
    strings: Interner,
}

/// Where `s` (part of the input) is in wasm memory.
fn at(s: &[u8]) -> u32 {
    s.as_ptr() as usize as u32
}

impl Decoder<'_> {
    fn fail(&self, what: &str) -> JsValue {
        js::plain_error(&format!(
            "corrupt cached value (codec 2) at byte {}: {what}",
            self.pos
        ))
    }

    fn byte(&mut self) -> Result<u8, JsValue> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| self.fail("unexpected end of data"))?;
        self.pos += 1;
        Ok(b)
    }

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

    fn varint(&mut self) -> Result<u64, JsValue> {
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
    fn count(&mut self, min: usize) -> Result<usize, JsValue> {
        let n = self.varint()?;
        let left = (self.bytes.len() - self.pos) as u64;
        if n.saturating_mul(min as u64) > left {
            return Err(self.fail("a count runs past the end of the data"));
        }
        Ok(n as usize)
    }

    fn f64(&mut self) -> Result<f64, JsValue> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(f64::from_bits(u64::from_le_bytes(a)))
    }

    fn value(&mut self, depth: usize) -> Result<(), JsValue> {
        let t = self.byte()?;
        match t {
            tag::UNDEFINED | tag::NULL | tag::FALSE | tag::TRUE => build_const(u32::from(t)),
            tag::INT => {
                let z = self.varint()?;
                let n = ((z >> 1) as i64) ^ -((z & 1) as i64);
                let x = n as f64;
                if x.abs() > EXACT {
                    return Err(self.fail("integer outside ±2^53"));
                }
                build_num(x);
            }
            tag::FLOAT => build_num(self.f64()?),
            tag::BIGINT => {
                let neg = match self.byte()? {
                    0 => false,
                    1 => true,
                    _ => return Err(self.fail("bad bigint sign")),
                };
                let n = self.count(1)?;
                let mag = self.take(n)?;
                build_bigint(neg, at(mag), n as u32);
            }
            tag::STR => self.string(false)?,
            tag::STR16 => self.string16(false)?,
            tag::DATE => build_date(self.f64()?),
            tag::ARRAY_BUFFER => {
                let n = self.count(1)?;
                let b = self.take(n)?;
                build_bytes(-1, at(b), n as u32);
            }
            tag::VIEW => self.view()?,
            tag::ARRAY | tag::OBJECT | tag::MAP | tag::SET => {
                if depth >= MAX_DEPTH {
                    return Err(self.fail("nested too deeply"));
                }
                self.container(t, depth + 1)?;
            }
            other => return Err(self.fail(&format!("unknown type tag 0x{other:02x}"))),
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
        match (self.strings.see(self.bytes, start, n), key) {
            (Seen::Before(id), false) => build_str_id(id),
            (Seen::Before(id), true) => build_key_id(id),
            (Seen::New { keep }, false) => build_str(p, n as u32, keep),
            (Seen::New { keep }, true) => build_key(p, n as u32, keep),
        }
        Ok(())
    }

    /// A tag-08 string's body (UTF-16 code units).
    fn string16(&mut self, key: bool) -> Result<(), JsValue> {
        let n = self.count(2)?;
        let raw = self.take(n * 2)?;
        build_str16(at(raw), n as u32, key);
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
        let bytes = self.take(n)?;
        build_bytes(i32::from(kind), at(bytes), n as u32);
        Ok(())
    }

    fn container(&mut self, t: u8, depth: usize) -> Result<(), JsValue> {
        build_open(u32::from(t));
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
        build_close();
        Ok(())
    }
}
