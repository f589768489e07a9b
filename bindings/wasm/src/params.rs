//! JavaScript values to key params ([`Canon`]) and back, by the rules of
//! docs/FORMAT.md ("From programming-language values", JavaScript).
//!
//! Normalization (integral numbers to Int, one NaN, sorted maps) is the core's
//! job: [`Key::from_canon`] does it, so JS and Rust cannot disagree on it.

use js_sys::{Array, BigInt, Map, Object, Uint8Array};
use larder_core::key::MAX_DEPTH;
use larder_core::{Canon, IntText, Key};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::js::{self, Kind, Path, article, classify};
use crate::walk::{self, Container, EnterError, Item, Root, Step, Walk};

/// The key for `namespace` and `params` (any key value). The namespace is a
/// string (version 0) or a `[name, version]` pair, as Rust's `("name", 2)`:
/// bumping the version makes older entries stop matching.
pub fn key(namespace: &JsValue, params: &JsValue) -> Result<Key, JsValue> {
    key_at(namespace, params, "params")
}

/// [`key`], with `root` naming the params in error messages.
pub(crate) fn key_at(
    namespace: &JsValue,
    params: &JsValue,
    root: impl Into<Root>,
) -> Result<Key, JsValue> {
    let mut walk = Walk::new();
    let (name, version) = match walk.root(namespace) {
        // The usual namespace, a string, read in the same call as its kind.
        Item::Str { utf16: false } => (utf8(walk.text()), 0),
        Item::Str { utf16: true } => {
            return Err(js::lone_surrogate("the namespace"));
        }
        _ => namespace_of(namespace)?,
    };
    let canon = to_canon_with(walk, params, root.into())?;
    Key::from_canon(&name, version, canon).map_err(|e| js::core_error(&e))
}

/// Text the walk wrote: UTF-8 (the JS side checked; never lossy in practice).
/// Invalid bytes become U+FFFD as `String::from_utf8_lossy` does, by hand:
/// its chunk iterator is code the wasm does not otherwise need.
fn utf8(mut b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    loop {
        match std::str::from_utf8(b) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let (good, rest) = b.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                out.push(char::REPLACEMENT_CHARACTER);
                b = &rest[e.error_len().unwrap_or(rest.len())..];
            }
        }
    }
}

/// The name and version of a namespace argument that is not a string.
fn namespace_of(v: &JsValue) -> Result<(String, u32), JsValue> {
    let pair = v
        .dyn_ref::<Array>()
        .filter(|a| a.length() == 2)
        .and_then(|a| Some((walk::name(&a.get(0))?, a.get(1))));
    let Some((name, version)) = pair else {
        return Err(js::type_error(&format!(
            "the namespace must be a string or a [name, version] pair, not {}",
            describe(v)
        )));
    };
    let name = name.map_err(|()| js::lone_surrogate("the namespace's name"))?;
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
        Kind::Bool => "a boolean".into(),
        Kind::Number => "a number".into(),
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

fn to_canon_at(params: &JsValue, root: impl Into<Root>) -> Result<Canon, JsValue> {
    to_canon_with(Walk::new(), params, root.into())
}

fn to_canon_with(walk: Walk, params: &JsValue, root: Root) -> Result<Canon, JsValue> {
    let mut w = Walker { walk, root };
    let item = w.walk.root(params);
    // The params sit inside the key's own map: level 1.
    w.canon(item, 1)
}

struct Walker {
    walk: Walk,
    root: Root,
}

const NOT_IN_KEY: &str = "cannot be part of a key";

impl Walker {
    fn path(&self) -> Path {
        self.walk.path(&self.root)
    }

    fn canon(&mut self, item: Item, depth: usize) -> Result<Canon, JsValue> {
        Ok(match item {
            Item::Undefined | Item::Null => Canon::Null,
            Item::Bool(b) => Canon::Bool(b),
            Item::Number(x) => Canon::Float(x),
            Item::BigInt(v) => Canon::Int(self.bigint(&v)?),
            Item::Str { utf16: false } => Canon::Str(self.text()),
            Item::Str { utf16: true } => {
                return Err(self.path().type_error(
                    "a string with a lone surrogate cannot be part of a key (keys are UTF-8)",
                ));
            }
            Item::Symbol => return Err(self.path().type_error(&format!("a symbol {NOT_IN_KEY}"))),
            Item::Function => {
                return Err(self.path().type_error(&format!("a function {NOT_IN_KEY}")));
            }
            Item::View(js::Elem::Uint8, n) | Item::ArrayBuffer(n) => {
                let mut bytes = Vec::with_capacity(n);
                self.walk.copy_bytes(&mut bytes, n);
                Canon::Bytes(bytes)
            }
            Item::View(e, _) => {
                return Err(self.path().type_error(&format!(
                    "{} {NOT_IN_KEY} (only Uint8Array and ArrayBuffer are bytes; convert it to a Uint8Array or an array of numbers)",
                    article(e.name())
                )));
            }
            Item::Date(ms) => {
                if ms.is_nan() {
                    return Err(self
                        .path()
                        .type_error(&format!("an invalid Date {NOT_IN_KEY}")));
                }
                // A Date is the map {"$date": ms}: not the bare number, which
                // would make a Date and its timestamp the same key.
                Canon::Map(vec![(Canon::Str("$date".into()), Canon::Float(ms))])
            }
            Item::Set => {
                return Err(self.path().type_error(&format!(
                    "a Set {NOT_IN_KEY} (its order is insertion order; pass a sorted array)"
                )));
            }
            Item::Other(v) => {
                return Err(self.path().type_error(&format!(
                    "{} {NOT_IN_KEY} (keys are built from plain data: null, booleans, numbers, bigints, strings, Uint8Array, arrays, Maps and plain objects)",
                    article(&js::constructor_name(&v))
                )));
            }
            Item::Threw(e) => return Err(e),
            Item::Array => self.nested(Container::Array, depth, |w, n, d| {
                let mut out = Vec::with_capacity(n);
                for i in 0..n {
                    w.walk.steps.push(Step::Index(i));
                    let item = w.walk.child(i);
                    out.push(w.canon(item, d)?);
                    w.walk.steps.pop();
                }
                Ok(Canon::List(out))
            })?,
            Item::Map => self.nested(Container::Map, depth, |w, n, d| {
                let mut out = Vec::with_capacity(n / 2);
                for i in 0..n / 2 {
                    w.walk.steps.push(Step::MapKey(i));
                    let item = w.walk.child(2 * i);
                    let kc = w.canon(item, d)?;
                    w.walk.steps.pop();
                    w.walk.steps.push(Step::MapValue(i));
                    let item = w.walk.child(2 * i + 1);
                    let vc = w.canon(item, d)?;
                    w.walk.steps.pop();
                    out.push((kc, vc));
                }
                Ok(Canon::Map(out))
            })?,
            Item::Plain => self.nested(Container::Plain, depth, |w, n, d| {
                let mut out = Vec::with_capacity(n);
                for i in 0..n {
                    let key = w.walk.key(i);
                    w.walk.steps.push(Step::Prop(i));
                    if let Item::Str { utf16: true } = key {
                        return Err(w
                            .path()
                            .type_error(&format!("the property name {}", js::LONE_SURROGATE)));
                    }
                    let name = w.text();
                    let item = w.walk.child(i);
                    out.push((Canon::Str(name), w.canon(item, d)?));
                    w.walk.steps.pop();
                }
                Ok(Canon::Map(out))
            })?,
        })
    }

    /// The string the walk just read (UTF-8, checked on the JS side).
    fn text(&self) -> String {
        utf8(self.walk.text())
    }

    /// Convert the parts of a list or map at `depth`, refusing cycles and
    /// nesting past the key limit.
    fn nested(
        &mut self,
        kind: Container,
        depth: usize,
        parts: impl FnOnce(&mut Self, usize, usize) -> Result<Canon, JsValue>,
    ) -> Result<Canon, JsValue> {
        if depth >= MAX_DEPTH {
            return Err(self.path().range_error(&format!(
                "nested too deeply: keys allow {} levels of arrays, Maps and objects",
                MAX_DEPTH - 1
            )));
        }
        let n = match self.walk.enter(kind) {
            Ok(n) => n,
            Err(EnterError::Cycle) => {
                return Err(self.path().type_error(&format!(
                    "a value that contains itself (a cycle) {NOT_IN_KEY}"
                )));
            }
            Err(EnterError::Threw(e)) => return Err(e),
        };
        let out = parts(self, n, depth + 1)?;
        self.walk.leave();
        Ok(out)
    }

    fn bigint(&self, v: &JsValue) -> Result<i128, JsValue> {
        let b: &BigInt = v.unchecked_ref();
        let s = String::from(b.to_string(10).map_err(JsValue::from)?);
        parse_i128(&s).ok_or_else(|| {
            self.path()
                .range_error("a bigint outside the 128-bit signed range cannot be part of a key")
        })
    }
}

/// `s.parse::<i128>()` for a bigint's decimal text (`-` and digits), by hand:
/// std's parse multiplies with overflow checks in 128 bits, which links
/// compiler_builtins' 128-bit multiplication for this alone.
fn parse_i128(s: &str) -> Option<i128> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: u128 = 0;
    for d in digits.bytes() {
        if !d.is_ascii_digit() || v > u128::MAX / 10 {
            return None;
        }
        v = (v * 10).checked_add(u128::from(d - b'0'))?;
    }
    if negative {
        0i128.checked_sub_unsigned(v)
    } else {
        i128::try_from(v).ok()
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
        // Through i64: an i128 to f64 conversion links compiler_builtins' own.
        Canon::Int(n) if (-EXACT..=EXACT).contains(n) => JsValue::from_f64(*n as i64 as f64),
        Canon::Int(n) => BigInt::new(&JsValue::from_str(&IntText(*n).to_string()))
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

#[cfg(test)]
mod tests {
    #[test]
    fn parse_i128_matches_std_on_bigint_text() {
        let mut cases = vec![
            "0".to_string(),
            "-0".into(),
            "".into(),
            "-".into(),
            "--1".into(),
            "1a".into(),
            i128::MAX.to_string(),
            i128::MIN.to_string(),
            u128::MAX.to_string(),
            format!("{}0", u128::MAX),
            "340282366920938463463374607431768211456".into(),
            "-170141183460469231731687303715884105729".into(),
            "170141183460469231731687303715884105728".into(),
        ];
        let mut t = 1i128;
        for _ in 0..38 {
            t *= 10;
            for v in [t - 1, t, t + 1] {
                cases.extend([v.to_string(), (-v).to_string()]);
            }
        }
        for s in cases {
            assert_eq!(super::parse_i128(&s), s.parse::<i128>().ok(), "{s}");
        }
    }

    #[test]
    fn utf8_replaces_invalid_bytes_as_from_utf8_lossy_does() {
        let cases: &[&[u8]] = &[
            b"",
            b"plain",
            "\u{e9}\u{20ac}\u{1f600}".as_bytes(),
            b"\xff",
            b"a\xffb",
            b"\xe2\x82",
            b"\xe2\x82a",
            b"\xf0\x9f\x98",
            b"\xed\xa0\x80",
            b"\xc0\xaf",
            b"\xf4\x90\x80\x80",
            b"ok\xe2\x82\xacok\xff\xfe",
            b"\x80\x80\x80",
        ];
        for b in cases {
            assert_eq!(super::utf8(b), String::from_utf8_lossy(b), "{b:?}");
        }
    }
}
