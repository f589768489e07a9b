//! JavaScript values to key params ([`Canon`]) and back, by the rules of
//! docs/FORMAT.md ("From programming-language values", JavaScript).
//!
//! Normalization (integral numbers to Int, one NaN, sorted maps) is the core's
//! job: [`Key::from_canon`] does it, so JS and Rust cannot disagree on it.

use js_sys::{Array, ArrayBuffer, BigInt, Date, Map, Object, Uint8Array};
use larder_core::key::MAX_DEPTH;
use larder_core::{Canon, Key};
use std::borrow::Cow;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::js::{self, Ancestors, Kind, Path, Seg, article, classify, map_key_label};

/// The key for `namespace` and `params` (any key value). The namespace is a
/// string (version 0) or a `[name, version]` pair, as Rust's `("name", 2)`:
/// bumping the version makes older entries stop matching.
pub fn key(namespace: &JsValue, params: &JsValue) -> Result<Key, JsValue> {
    key_at(namespace, params, "params")
}

/// [`key`], with `root` naming the params in error messages.
pub fn key_at(
    namespace: &JsValue,
    params: &JsValue,
    root: impl Into<Cow<'static, str>>,
) -> Result<Key, JsValue> {
    let (name, version) = namespace_of(namespace)?;
    let canon = to_canon_at(params, root)?;
    Key::from_canon(&name, version, canon).map_err(|e| js::core_error(&e))
}

/// The name and version of a namespace argument.
fn namespace_of(v: &JsValue) -> Result<(String, u32), JsValue> {
    if let Some(name) = v.as_string() {
        return Ok((name, 0));
    }
    let pair = v
        .dyn_ref::<Array>()
        .filter(|a| a.length() == 2)
        .and_then(|a| Some((a.get(0).as_string()?, a.get(1))));
    let Some((name, version)) = pair else {
        return Err(js::type_error(&format!(
            "the namespace must be a string or a [name, version] pair, not {}",
            describe(v)
        )));
    };
    match version.as_f64() {
        Some(x) if x.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&x) => {
            Ok((name, x as u32))
        }
        _ => Err(js::range_error(&format!(
            "the namespace version must be an integer from 0 to {}, not {}",
            u32::MAX,
            describe_value(&version)
        ))),
    }
}

/// A number as JS writes it, anything else by its type.
pub(crate) fn describe_value(v: &JsValue) -> String {
    match v.as_f64() {
        Some(x) => js::number_text(x),
        None => describe(v),
    }
}

/// A short description of a value's type, for messages.
pub(crate) fn describe(v: &JsValue) -> String {
    match classify(v) {
        Kind::Undefined => "undefined".into(),
        Kind::Null => "null".into(),
        Kind::Bool(_) => "a boolean".into(),
        Kind::Number(_) => "a number".into(),
        Kind::BigInt => "a bigint".into(),
        Kind::Str => "a string".into(),
        Kind::Symbol => "a symbol".into(),
        Kind::Function => "a function".into(),
        Kind::Array => "an array".into(),
        Kind::Date => "a Date".into(),
        Kind::Map => "a Map".into(),
        Kind::Set => "a Set".into(),
        Kind::ArrayBuffer => "an ArrayBuffer".into(),
        Kind::View(e) => article(e.name()),
        Kind::Plain => "an object".into(),
        Kind::Other(name) => article(&name),
    }
}

/// Map a JS value onto the key data model (not yet normalized).
pub fn to_canon(params: &JsValue) -> Result<Canon, JsValue> {
    to_canon_at(params, "params")
}

fn to_canon_at(params: &JsValue, root: impl Into<Cow<'static, str>>) -> Result<Canon, JsValue> {
    let mut w = Walker {
        path: Path::new(root),
        seen: Ancestors::default(),
    };
    // The params sit inside the key's own map: level 1.
    w.canon(params, 1)
}

struct Walker {
    path: Path,
    seen: Ancestors,
}

const NOT_IN_KEY: &str = "cannot be part of a key";

impl Walker {
    fn canon(&mut self, v: &JsValue, depth: usize) -> Result<Canon, JsValue> {
        Ok(match classify(v) {
            Kind::Undefined | Kind::Null => Canon::Null,
            Kind::Bool(b) => Canon::Bool(b),
            Kind::Number(x) => Canon::Float(x),
            Kind::BigInt => Canon::Int(self.bigint(v)?),
            Kind::Str => {
                let s: &js_sys::JsString = v.unchecked_ref();
                if !s.is_valid_utf16() {
                    return Err(self.path.type_error(
                        "a string with a lone surrogate cannot be part of a key (keys are UTF-8)",
                    ));
                }
                Canon::Str(String::from(s))
            }
            Kind::Symbol => return Err(self.path.type_error(&format!("a symbol {NOT_IN_KEY}"))),
            Kind::Function => {
                return Err(self.path.type_error(&format!("a function {NOT_IN_KEY}")));
            }
            Kind::View(js::Elem::Uint8) => Canon::Bytes(v.unchecked_ref::<Uint8Array>().to_vec()),
            Kind::ArrayBuffer => {
                Canon::Bytes(Uint8Array::new(v.unchecked_ref::<ArrayBuffer>()).to_vec())
            }
            Kind::View(e) => {
                return Err(self.path.type_error(&format!(
                    "{} {NOT_IN_KEY} (only Uint8Array and ArrayBuffer are bytes; convert it to a Uint8Array or an array of numbers)",
                    article(e.name())
                )));
            }
            Kind::Date => {
                let ms = v.unchecked_ref::<Date>().get_time();
                if ms.is_nan() {
                    return Err(self
                        .path
                        .type_error(&format!("an invalid Date {NOT_IN_KEY}")));
                }
                // A Date is the map {"$date": ms}: not the bare number, which
                // would make a Date and its timestamp the same key.
                Canon::Map(vec![(Canon::Str("$date".into()), Canon::Float(ms))])
            }
            Kind::Set => {
                return Err(self.path.type_error(&format!(
                    "a Set {NOT_IN_KEY} (its order is insertion order; pass a sorted array)"
                )));
            }
            Kind::Other(name) => {
                return Err(self.path.type_error(&format!(
                    "{} {NOT_IN_KEY} (keys are built from plain data: null, booleans, numbers, bigints, strings, Uint8Array, arrays, Maps and plain objects)",
                    article(&name)
                )));
            }
            Kind::Array => self.nested(v, depth, |w, d| {
                let arr: &Array = v.unchecked_ref();
                let mut out = Vec::with_capacity(arr.length() as usize);
                for i in 0..arr.length() {
                    w.path.push(Seg::Index(i as usize));
                    out.push(w.canon(&arr.get(i), d)?);
                    w.path.pop();
                }
                Ok(Canon::List(out))
            })?,
            Kind::Map => self.nested(v, depth, |w, d| {
                let map: &Map = v.unchecked_ref();
                let mut out = Vec::with_capacity(map.size() as usize);
                for (i, entry) in map.entries().into_iter().enumerate() {
                    let pair: Array = entry?.unchecked_into();
                    let (k, val) = (pair.get(0), pair.get(1));
                    w.path.push(Seg::MapKey(i));
                    let kc = w.canon(&k, d)?;
                    w.path.pop();
                    w.path.push(Seg::MapValue(map_key_label(&k, i)));
                    let vc = w.canon(&val, d)?;
                    w.path.pop();
                    out.push((kc, vc));
                }
                Ok(Canon::Map(out))
            })?,
            Kind::Plain => self.nested(v, depth, |w, d| {
                let obj: &Object = v.unchecked_ref();
                let keys = Object::keys(obj);
                let mut out = Vec::with_capacity(keys.length() as usize);
                for k in keys.iter() {
                    let name = k.as_string().unwrap_or_default();
                    let val = js_sys::Reflect::get(obj, &k)?;
                    w.path.push(Seg::Prop(name.clone()));
                    out.push((Canon::Str(name), w.canon(&val, d)?));
                    w.path.pop();
                }
                Ok(Canon::Map(out))
            })?,
        })
    }

    /// Convert the parts of a list or map at `depth`, refusing cycles and
    /// nesting past the key limit.
    fn nested(
        &mut self,
        v: &JsValue,
        depth: usize,
        parts: impl FnOnce(&mut Self, usize) -> Result<Canon, JsValue>,
    ) -> Result<Canon, JsValue> {
        if depth >= MAX_DEPTH {
            return Err(self.path.range_error(&format!(
                "nested too deeply: keys allow {} levels of arrays, Maps and objects",
                MAX_DEPTH - 1
            )));
        }
        if !self.seen.enter(v) {
            return Err(self.path.type_error(&format!(
                "a value that contains itself (a cycle) {NOT_IN_KEY}"
            )));
        }
        let out = parts(self, depth + 1);
        self.seen.leave();
        out
    }

    fn bigint(&self, v: &JsValue) -> Result<i128, JsValue> {
        let b: &BigInt = v.unchecked_ref();
        let s = String::from(b.to_string(10).map_err(JsValue::from)?);
        s.parse::<i128>().map_err(|_| {
            self.path
                .range_error("a bigint outside the 128-bit signed range cannot be part of a key")
        })
    }
}

/// Params read back from a key, as JS values: Int as a number when it is within
/// ±2^53 (a bigint otherwise), Bytes as a Uint8Array, a Map whose keys are all
/// strings as a plain object, any other Map as a `Map`.
pub fn from_canon(c: &Canon) -> JsValue {
    const EXACT: i128 = 1 << 53;
    match c {
        Canon::Null => JsValue::NULL,
        Canon::Bool(b) => JsValue::from_bool(*b),
        Canon::Int(n) if (-EXACT..=EXACT).contains(n) => JsValue::from_f64(*n as f64),
        Canon::Int(n) => BigInt::new(&JsValue::from_str(&n.to_string()))
            .map(JsValue::from)
            .unwrap_or(JsValue::NULL),
        Canon::Float(x) => JsValue::from_f64(*x),
        Canon::Str(s) => JsValue::from_str(s),
        Canon::Bytes(b) => Uint8Array::from(b.as_slice()).into(),
        Canon::List(items) => items.iter().map(from_canon).collect::<Array>().into(),
        Canon::Map(entries) if entries.iter().all(|(k, _)| matches!(k, Canon::Str(_))) => {
            let obj = Object::new();
            for (k, v) in entries {
                if let Canon::Str(k) = k {
                    js::define(&obj, k, &from_canon(v));
                }
            }
            obj.into()
        }
        Canon::Map(entries) => {
            let map = Map::new();
            for (k, v) in entries {
                map.set(&from_canon(k), &from_canon(v));
            }
            map.into()
        }
    }
}
