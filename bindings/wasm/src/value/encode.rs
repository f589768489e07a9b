//! Encoding a JavaScript value as codec 2, read through a [`Walk`].

use js_sys::BigInt;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::{EXACT, MAX_DEPTH, VERSION, tag};
use crate::js::{Path, article, constructor_name};
use crate::walk::{Container, EnterError, Item, Root, Run, Step, Walk};

/// Encode `v`; `root` names it in error messages (`"value"`, `"meta"`).
pub fn encode(v: &JsValue, root: &'static str) -> Result<Vec<u8>, JsValue> {
    encode_at(v, root.into())
}

/// [`encode`], with `root` an item of a list too.
pub(crate) fn encode_at(v: &JsValue, root: Root) -> Result<Vec<u8>, JsValue> {
    let mut e = Encoder {
        out: vec![VERSION],
        walk: Walk::new(),
        root,
    };
    let item = e.walk.root(v);
    e.value(item, 0)?;
    Ok(e.out)
}

struct Encoder {
    out: Vec<u8>,
    walk: Walk,
    root: Root,
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

const NOT_STORABLE: &str = "cannot be stored in the cache";

impl Encoder {
    fn path(&self) -> Path {
        self.walk.path(&self.root)
    }

    fn value(&mut self, item: Item, depth: usize) -> Result<(), JsValue> {
        match item {
            Item::Undefined => self.out.push(tag::UNDEFINED),
            Item::Null => self.out.push(tag::NULL),
            Item::Bool(false) => self.out.push(tag::FALSE),
            Item::Bool(true) => self.out.push(tag::TRUE),
            Item::Number(x) => self.number(x),
            Item::BigInt(v) => self.bigint(&v)?,
            Item::Str { utf16 } => self.text(utf16),
            Item::Date(ms) => {
                self.out.push(tag::DATE);
                self.out.extend_from_slice(&ms.to_bits().to_le_bytes());
            }
            Item::ArrayBuffer(n) => {
                self.out.push(tag::ARRAY_BUFFER);
                put_varint(&mut self.out, n as u64);
                self.walk.copy_bytes(&mut self.out, n);
            }
            Item::View(e, n) => {
                self.out.push(tag::VIEW);
                self.out.push(e as u8);
                put_varint(&mut self.out, n as u64);
                self.walk.copy_bytes(&mut self.out, n);
            }
            Item::Symbol => {
                return Err(self.path().type_error(&format!("a symbol {NOT_STORABLE}")));
            }
            Item::Function => {
                return Err(self
                    .path()
                    .type_error(&format!("a function {NOT_STORABLE}")));
            }
            Item::Other(v) => {
                return Err(self.path().type_error(&format!(
                    "{} {NOT_STORABLE} (values are plain data: primitives, arrays, plain objects, Map, Set, Date, ArrayBuffer and typed arrays)",
                    article(&constructor_name(&v))
                )));
            }
            Item::Threw(e) => return Err(e),
            Item::Array => self.nested(Container::Array, depth, |e, n, d| {
                e.out.push(tag::ARRAY);
                put_varint(&mut e.out, n as u64);
                e.parts(n, d, false, Step::Index)
            })?,
            Item::Plain => self.nested(Container::Plain, depth, |e, n, d| {
                e.out.push(tag::OBJECT);
                put_varint(&mut e.out, n as u64);
                e.parts(n, d, true, Step::Prop)
            })?,
            Item::Map => self.nested(Container::Map, depth, |e, n, d| {
                e.out.push(tag::MAP);
                put_varint(&mut e.out, (n / 2) as u64);
                e.parts(n, d, false, |j| {
                    if j % 2 == 0 {
                        Step::MapKey(j / 2)
                    } else {
                        Step::MapValue(j / 2)
                    }
                })
            })?,
            Item::Set => self.nested(Container::Set, depth, |e, n, d| {
                e.out.push(tag::SET);
                put_varint(&mut e.out, n as u64);
                e.parts(n, d, false, Step::SetItem)
            })?,
        }
        Ok(())
    }

    /// The `n` parts of the container just opened (for a plain object, each
    /// part is its key and its value): runs of primitives written by the JS
    /// side in one call each, anything else here.
    fn parts(
        &mut self,
        n: usize,
        depth: usize,
        keyed: bool,
        step: impl Fn(usize) -> Step,
    ) -> Result<(), JsValue> {
        let mut i = 0;
        while i < n {
            match self.walk.run(i, n, &mut self.out) {
                Run::End => break,
                Run::Full(j) => i = j,
                Run::Slow(j) => {
                    if keyed {
                        let key = self.walk.key(j);
                        self.value(key, depth)?;
                    }
                    self.walk.steps.push(step(j));
                    let item = self.walk.child(j);
                    self.value(item, depth)?;
                    self.walk.steps.pop();
                    i = j + 1;
                }
                Run::Part(j, item) => {
                    self.walk.steps.push(step(j));
                    self.value(item, depth)?;
                    self.walk.steps.pop();
                    i = j + 1;
                }
            }
        }
        Ok(())
    }

    /// Open the container just classified and encode its `n` parts at
    /// `depth + 1`. After an error the walk is left as it is (the message
    /// was made with every container open; dropping the walk closes them).
    fn nested(
        &mut self,
        kind: Container,
        depth: usize,
        parts: impl FnOnce(&mut Self, usize, usize) -> Result<(), JsValue>,
    ) -> Result<(), JsValue> {
        if depth >= MAX_DEPTH {
            return Err(self.path().range_error(&format!(
                "nested too deeply: values allow {MAX_DEPTH} levels of arrays, objects, Maps and Sets"
            )));
        }
        let n = match self.walk.enter(kind) {
            Ok(n) => n,
            Err(EnterError::Cycle) => {
                return Err(self.path().type_error(&format!(
                    "a value that contains itself (a cycle) {NOT_STORABLE}"
                )));
            }
            Err(EnterError::Threw(e)) => return Err(e),
        };
        parts(self, n, depth + 1)?;
        self.walk.leave();
        Ok(())
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

    /// The string the walk just read: UTF-8, or UTF-16 code units when a
    /// lone surrogate leaves it no UTF-8 form.
    fn text(&mut self, utf16: bool) {
        let t = self.walk.text();
        if utf16 {
            self.out.push(tag::STR16);
            put_varint(&mut self.out, (t.len() / 2) as u64);
        } else {
            self.out.push(tag::STR);
            put_varint(&mut self.out, t.len() as u64);
        }
        self.out.extend_from_slice(t);
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
        put_varint(&mut self.out, mag.len() as u64);
        self.out.extend_from_slice(&mag);
        Ok(())
    }
}
