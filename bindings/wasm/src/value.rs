//! Codec 2: structured JavaScript values as compact bytes and back.
//!
//! The byte format is fixed in docs/FORMAT.md, "JS values (codec 2)". Decoding
//! reads bytes from storage: it is bounds-checked, depth-limited, never panics,
//! and answers garbage with an `Error` saying what is wrong and where.

use js_sys::{
    Array, ArrayBuffer, BigInt, BigInt64Array, BigUint64Array, DataView, Date, Float32Array,
    Float64Array, Int8Array, Int16Array, Int32Array, JsString, Map, Object, Reflect, Set,
    Uint8Array, Uint8ClampedArray, Uint16Array, Uint32Array,
};
use std::borrow::Cow;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::js::{self, Ancestors, Elem, Kind, Path, Seg, article, classify, map_key_label};

/// The first byte of every encoded value.
pub const VERSION: u8 = 1;

/// How many arrays, objects, Maps and Sets a value may nest.
pub const MAX_DEPTH: usize = 256;

/// Type tags, one byte before each value.
mod tag {
    pub const UNDEFINED: u8 = 0x00;
    pub const NULL: u8 = 0x01;
    pub const FALSE: u8 = 0x02;
    pub const TRUE: u8 = 0x03;
    pub const INT: u8 = 0x04;
    pub const FLOAT: u8 = 0x05;
    pub const BIGINT: u8 = 0x06;
    pub const STR: u8 = 0x07;
    pub const STR16: u8 = 0x08;
    pub const DATE: u8 = 0x09;
    pub const ARRAY: u8 = 0x0a;
    pub const OBJECT: u8 = 0x0b;
    pub const MAP: u8 = 0x0c;
    pub const SET: u8 = 0x0d;
    pub const ARRAY_BUFFER: u8 = 0x0e;
    pub const VIEW: u8 = 0x0f;
}

const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53

// ---------------------------------------------------------------- encoding

/// Encode `v`; `root` names it in error messages (`"value"`, `"meta"`).
pub fn encode(v: &JsValue, root: impl Into<Cow<'static, str>>) -> Result<Vec<u8>, JsValue> {
    let mut e = Encoder {
        out: vec![VERSION],
        path: Path::new(root),
        seen: Ancestors::default(),
    };
    e.value(v, 0)?;
    Ok(e.out)
}

struct Encoder {
    out: Vec<u8>,
    path: Path,
    seen: Ancestors,
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

const NOT_STORABLE: &str = "cannot be stored in the cache";

impl Encoder {
    fn value(&mut self, v: &JsValue, depth: usize) -> Result<(), JsValue> {
        match classify(v) {
            Kind::Undefined => self.out.push(tag::UNDEFINED),
            Kind::Null => self.out.push(tag::NULL),
            Kind::Bool(false) => self.out.push(tag::FALSE),
            Kind::Bool(true) => self.out.push(tag::TRUE),
            Kind::Number(x) => self.number(x),
            Kind::BigInt => self.bigint(v)?,
            Kind::Str => self.string(v.unchecked_ref()),
            Kind::Date => {
                self.out.push(tag::DATE);
                let ms = v.unchecked_ref::<Date>().get_time();
                self.out.extend_from_slice(&ms.to_bits().to_le_bytes());
            }
            Kind::ArrayBuffer => {
                self.out.push(tag::ARRAY_BUFFER);
                self.bytes(&Uint8Array::new(v).to_vec());
            }
            Kind::View(e) => {
                let view: &View = v.unchecked_ref();
                let bytes = Uint8Array::new_with_byte_offset_and_length(
                    &view.buffer(),
                    view.byte_offset(),
                    view.byte_length(),
                )
                .to_vec();
                self.out.push(tag::VIEW);
                self.out.push(e as u8);
                self.bytes(&bytes);
            }
            Kind::Symbol => return Err(self.path.type_error(&format!("a symbol {NOT_STORABLE}"))),
            Kind::Function => {
                return Err(self.path.type_error(&format!("a function {NOT_STORABLE}")));
            }
            Kind::Other(name) => {
                return Err(self.path.type_error(&format!(
                    "{} {NOT_STORABLE} (values are plain data: primitives, arrays, plain objects, Map, Set, Date, ArrayBuffer and typed arrays)",
                    article(&name)
                )));
            }
            Kind::Array => self.nested(v, depth, |e, d| {
                let arr: &Array = v.unchecked_ref();
                e.out.push(tag::ARRAY);
                put_varint(&mut e.out, u64::from(arr.length()));
                for i in 0..arr.length() {
                    e.path.push(Seg::Index(i as usize));
                    e.value(&arr.get(i), d)?;
                    e.path.pop();
                }
                Ok(())
            })?,
            Kind::Plain => self.nested(v, depth, |e, d| {
                let obj: &Object = v.unchecked_ref();
                let keys = Object::keys(obj);
                e.out.push(tag::OBJECT);
                put_varint(&mut e.out, u64::from(keys.length()));
                for k in keys.iter() {
                    let val = Reflect::get(obj, &k)?;
                    e.string(k.unchecked_ref());
                    e.path.push(Seg::Prop(k.as_string().unwrap_or_default()));
                    e.value(&val, d)?;
                    e.path.pop();
                }
                Ok(())
            })?,
            Kind::Map => self.nested(v, depth, |e, d| {
                let map: &Map = v.unchecked_ref();
                e.out.push(tag::MAP);
                put_varint(&mut e.out, u64::from(map.size()));
                for (i, entry) in map.entries().into_iter().enumerate() {
                    let pair: Array = entry?.unchecked_into();
                    let (k, val) = (pair.get(0), pair.get(1));
                    e.path.push(Seg::MapKey(i));
                    e.value(&k, d)?;
                    e.path.pop();
                    e.path.push(Seg::MapValue(map_key_label(&k, i)));
                    e.value(&val, d)?;
                    e.path.pop();
                }
                Ok(())
            })?,
            Kind::Set => self.nested(v, depth, |e, d| {
                let set: &Set = v.unchecked_ref();
                e.out.push(tag::SET);
                put_varint(&mut e.out, u64::from(set.size()));
                for (i, item) in set.values().into_iter().enumerate() {
                    e.path.push(Seg::SetItem(i));
                    e.value(&item?, d)?;
                    e.path.pop();
                }
                Ok(())
            })?,
        }
        Ok(())
    }

    fn nested(
        &mut self,
        v: &JsValue,
        depth: usize,
        parts: impl FnOnce(&mut Self, usize) -> Result<(), JsValue>,
    ) -> Result<(), JsValue> {
        if depth >= MAX_DEPTH {
            return Err(self.path.range_error(&format!(
                "nested too deeply: values allow {MAX_DEPTH} levels of arrays, objects, Maps and Sets"
            )));
        }
        if !self.seen.enter(v) {
            return Err(self.path.type_error(&format!(
                "a value that contains itself (a cycle) {NOT_STORABLE}"
            )));
        }
        let out = parts(self, depth + 1);
        self.seen.leave();
        out
    }

    fn number(&mut self, x: f64) {
        // Integral, within ±2^53 and not -0: a zigzag varint (1 to 8 bytes).
        if x.fract() == 0.0 && x.abs() <= EXACT && !(x == 0.0 && x.is_sign_negative()) {
            let n = x as i64;
            self.out.push(tag::INT);
            put_varint(&mut self.out, ((n << 1) ^ (n >> 63)) as u64);
        } else {
            self.out.push(tag::FLOAT);
            self.out.extend_from_slice(&x.to_bits().to_le_bytes());
        }
    }

    fn bigint(&mut self, v: &JsValue) -> Result<(), JsValue> {
        let b: &BigInt = v.unchecked_ref();
        let hex = String::from(b.to_string(16).map_err(JsValue::from)?);
        let (neg, digits) = match hex.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, hex.as_str()),
        };
        let digits = digits.trim_start_matches('0');
        let padded = if digits.len() % 2 == 1 {
            format!("0{digits}")
        } else {
            digits.to_string()
        };
        let mut mag = Vec::with_capacity(padded.len() / 2);
        for pair in padded.as_bytes().chunks(2) {
            let s = std::str::from_utf8(pair).unwrap_or("00");
            mag.push(u8::from_str_radix(s, 16).unwrap_or(0));
        }
        self.out.push(tag::BIGINT);
        self.out.push(u8::from(neg && !mag.is_empty()));
        self.bytes(&mag);
        Ok(())
    }

    fn string(&mut self, s: &JsString) {
        if s.is_valid_utf16() {
            let s = String::from(s);
            self.out.push(tag::STR);
            self.bytes(s.as_bytes());
        } else {
            // Lone surrogates have no UTF-8 form: keep the UTF-16 code units.
            self.out.push(tag::STR16);
            put_varint(&mut self.out, u64::from(s.length()));
            for unit in s.iter() {
                self.out.extend_from_slice(&unit.to_le_bytes());
            }
        }
    }

    fn bytes(&mut self, b: &[u8]) {
        put_varint(&mut self.out, b.len() as u64);
        self.out.extend_from_slice(b);
    }
}

#[wasm_bindgen]
extern "C" {
    /// Any ArrayBuffer view (typed array or DataView).
    type View;
    #[wasm_bindgen(method, getter)]
    fn buffer(this: &View) -> JsValue;
    #[wasm_bindgen(method, getter, js_name = byteOffset)]
    fn byte_offset(this: &View) -> u32;
    #[wasm_bindgen(method, getter, js_name = byteLength)]
    fn byte_length(this: &View) -> u32;
}

// ---------------------------------------------------------------- decoding

/// Decode bytes written by [`encode`]. Garbage gives an `Error` (never a panic).
pub fn decode(bytes: &[u8]) -> Result<JsValue, JsValue> {
    let mut d = Decoder { bytes, pos: 0 };
    match d.byte()? {
        VERSION => {}
        v => return Err(d.fail(&format!("unknown value format version {v}"))),
    }
    let v = d.value(0)?;
    if d.pos != bytes.len() {
        return Err(d.fail("trailing bytes after the value"));
    }
    Ok(v)
}

struct Decoder<'a> {
    bytes: &'a [u8],
    pos: usize,
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

    fn value(&mut self, depth: usize) -> Result<JsValue, JsValue> {
        let t = self.byte()?;
        Ok(match t {
            tag::UNDEFINED => JsValue::UNDEFINED,
            tag::NULL => JsValue::NULL,
            tag::FALSE => JsValue::FALSE,
            tag::TRUE => JsValue::TRUE,
            tag::INT => {
                let z = self.varint()?;
                let n = ((z >> 1) as i64) ^ -((z & 1) as i64);
                let x = n as f64;
                if x.abs() > EXACT {
                    return Err(self.fail("integer outside ±2^53"));
                }
                JsValue::from_f64(x)
            }
            tag::FLOAT => JsValue::from_f64(self.f64()?),
            tag::BIGINT => {
                let neg = match self.byte()? {
                    0 => false,
                    1 => true,
                    _ => return Err(self.fail("bad bigint sign")),
                };
                let n = self.count(1)?;
                let mag = self.take(n)?;
                let mut hex = String::with_capacity(3 + 2 * n);
                hex.push_str("0x0");
                for b in mag {
                    hex.push_str(&format!("{b:02x}"));
                }
                let b =
                    BigInt::new(&JsValue::from_str(&hex)).map_err(|_| self.fail("bad bigint"))?;
                if neg { (-&b).into() } else { b.into() }
            }
            tag::STR => self.string()?,
            tag::STR16 => {
                let n = self.count(2)?;
                let raw = self.take(n * 2)?;
                let units: Vec<u16> = raw
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect();
                JsString::from_char_code(&units).into()
            }
            tag::DATE => Date::new(&JsValue::from_f64(self.f64()?)).into(),
            tag::ARRAY_BUFFER => {
                let n = self.count(1)?;
                let b = self.take(n)?;
                Uint8Array::from(b).buffer().into()
            }
            tag::VIEW => self.view()?,
            tag::ARRAY | tag::OBJECT | tag::MAP | tag::SET => {
                if depth >= MAX_DEPTH {
                    return Err(self.fail("nested too deeply"));
                }
                self.container(t, depth + 1)?
            }
            other => return Err(self.fail(&format!("unknown type tag 0x{other:02x}"))),
        })
    }

    fn string(&mut self) -> Result<JsValue, JsValue> {
        let n = self.count(1)?;
        let b = self.take(n)?;
        match std::str::from_utf8(b) {
            Ok(s) => Ok(JsValue::from_str(s)),
            Err(_) => Err(self.fail("a string is not valid UTF-8")),
        }
    }

    fn view(&mut self) -> Result<JsValue, JsValue> {
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
        let buf: ArrayBuffer = Uint8Array::from(bytes).buffer();
        let len = (n / elem.size()) as u32;
        Ok(match elem {
            Elem::Int8 => Int8Array::new_with_byte_offset_and_length(&buf, 0, len).into(),
            Elem::Uint8 => Uint8Array::new_with_byte_offset_and_length(&buf, 0, len).into(),
            Elem::Uint8Clamped => {
                Uint8ClampedArray::new_with_byte_offset_and_length(&buf, 0, len).into()
            }
            Elem::Int16 => Int16Array::new_with_byte_offset_and_length(&buf, 0, len).into(),
            Elem::Uint16 => Uint16Array::new_with_byte_offset_and_length(&buf, 0, len).into(),
            Elem::Int32 => Int32Array::new_with_byte_offset_and_length(&buf, 0, len).into(),
            Elem::Uint32 => Uint32Array::new_with_byte_offset_and_length(&buf, 0, len).into(),
            Elem::Float32 => Float32Array::new_with_byte_offset_and_length(&buf, 0, len).into(),
            Elem::Float64 => Float64Array::new_with_byte_offset_and_length(&buf, 0, len).into(),
            Elem::BigInt64 => BigInt64Array::new_with_byte_offset_and_length(&buf, 0, len).into(),
            Elem::BigUint64 => BigUint64Array::new_with_byte_offset_and_length(&buf, 0, len).into(),
            Elem::DataView => DataView::new(&buf, 0, n).into(),
        })
    }

    fn container(&mut self, t: u8, depth: usize) -> Result<JsValue, JsValue> {
        match t {
            tag::ARRAY => {
                let n = self.count(1)?;
                let arr = Array::new();
                for _ in 0..n {
                    arr.push(&self.value(depth)?);
                }
                Ok(arr.into())
            }
            tag::OBJECT => {
                let n = self.count(2)?;
                let obj = Object::new();
                for _ in 0..n {
                    let key = match self.byte()? {
                        tag::STR => self.string()?,
                        tag::STR16 => {
                            self.pos -= 1;
                            self.value(depth)?
                        }
                        _ => return Err(self.fail("an object key is not a string")),
                    };
                    let val = self.value(depth)?;
                    match key.as_string() {
                        Some(k) if key.unchecked_ref::<JsString>().is_valid_utf16() => {
                            js::define(&obj, &k, &val)
                        }
                        _ => {
                            let _ = Reflect::set(&obj, &key, &val);
                        }
                    }
                }
                Ok(obj.into())
            }
            tag::MAP => {
                let n = self.count(2)?;
                let map = Map::new();
                for _ in 0..n {
                    let k = self.value(depth)?;
                    let v = self.value(depth)?;
                    map.set(&k, &v);
                }
                Ok(map.into())
            }
            _ => {
                let n = self.count(1)?;
                let set = Set::new(&JsValue::UNDEFINED);
                for _ in 0..n {
                    set.add(&self.value(depth)?);
                }
                Ok(set.into())
            }
        }
    }
}
