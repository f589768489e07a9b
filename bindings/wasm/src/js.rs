//! What kind of JavaScript value a `JsValue` is, where it sits inside a larger
//! value (for error messages), and the JS errors the API throws.

use std::borrow::Cow;
use std::fmt;
use std::fmt::Write as _;

use js_sys::{
    Array, ArrayBuffer, BigInt64Array, BigUint64Array, DataView, Date, Float32Array, Float64Array,
    Int8Array, Int16Array, Int32Array, Map, Object, RangeError, Reflect, Set, TypeError,
    Uint8Array, Uint8ClampedArray, Uint16Array, Uint32Array,
};
use larder_core::{Error, ErrorKind};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// The element type of a typed array (or a `DataView`), with its codec-2 tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Elem {
    Int8 = 0,
    Uint8 = 1,
    Uint8Clamped = 2,
    Int16 = 3,
    Uint16 = 4,
    Int32 = 5,
    Uint32 = 6,
    Float32 = 7,
    Float64 = 8,
    BigInt64 = 9,
    BigUint64 = 10,
    DataView = 11,
}

impl Elem {
    pub(crate) const ALL: [Elem; 12] = [
        Elem::Int8,
        Elem::Uint8,
        Elem::Uint8Clamped,
        Elem::Int16,
        Elem::Uint16,
        Elem::Int32,
        Elem::Uint32,
        Elem::Float32,
        Elem::Float64,
        Elem::BigInt64,
        Elem::BigUint64,
        Elem::DataView,
    ];

    /// Bytes per element.
    pub(crate) fn size(self) -> usize {
        match self {
            Elem::Int8 | Elem::Uint8 | Elem::Uint8Clamped | Elem::DataView => 1,
            Elem::Int16 | Elem::Uint16 => 2,
            Elem::Int32 | Elem::Uint32 | Elem::Float32 => 4,
            Elem::Float64 | Elem::BigInt64 | Elem::BigUint64 => 8,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Elem::Int8 => "Int8Array",
            Elem::Uint8 => "Uint8Array",
            Elem::Uint8Clamped => "Uint8ClampedArray",
            Elem::Int16 => "Int16Array",
            Elem::Uint16 => "Uint16Array",
            Elem::Int32 => "Int32Array",
            Elem::Uint32 => "Uint32Array",
            Elem::Float32 => "Float32Array",
            Elem::Float64 => "Float64Array",
            Elem::BigInt64 => "BigInt64Array",
            Elem::BigUint64 => "BigUint64Array",
            Elem::DataView => "DataView",
        }
    }

    pub(crate) fn from_tag(tag: u8) -> Option<Elem> {
        Elem::ALL.get(usize::from(tag)).copied()
    }

    fn of(v: &JsValue) -> Option<Elem> {
        Some(if v.is_instance_of::<Uint8Array>() {
            Elem::Uint8
        } else if v.is_instance_of::<Int8Array>() {
            Elem::Int8
        } else if v.is_instance_of::<Uint8ClampedArray>() {
            Elem::Uint8Clamped
        } else if v.is_instance_of::<Int16Array>() {
            Elem::Int16
        } else if v.is_instance_of::<Uint16Array>() {
            Elem::Uint16
        } else if v.is_instance_of::<Int32Array>() {
            Elem::Int32
        } else if v.is_instance_of::<Uint32Array>() {
            Elem::Uint32
        } else if v.is_instance_of::<Float32Array>() {
            Elem::Float32
        } else if v.is_instance_of::<Float64Array>() {
            Elem::Float64
        } else if v.is_instance_of::<BigInt64Array>() {
            Elem::BigInt64
        } else if v.is_instance_of::<BigUint64Array>() {
            Elem::BigUint64
        } else if v.is_instance_of::<DataView>() {
            Elem::DataView
        } else {
            return None;
        })
    }
}

/// The kinds of JavaScript values the bindings tell apart.
pub(crate) enum Kind {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    BigInt,
    Str,
    Symbol,
    Function,
    Array,
    Date,
    Map,
    Set,
    ArrayBuffer,
    /// A typed array or DataView.
    View(Elem),
    /// An object whose prototype is `Object.prototype` (of any realm) or `null`.
    Plain,
    /// Any other object; the name of its constructor.
    Other(String),
}

pub(crate) fn classify(v: &JsValue) -> Kind {
    if v.is_undefined() {
        return Kind::Undefined;
    }
    if v.is_null() {
        return Kind::Null;
    }
    if let Some(b) = v.as_bool() {
        return Kind::Bool(b);
    }
    if let Some(x) = v.as_f64() {
        return Kind::Number(x);
    }
    if v.is_string() {
        return Kind::Str;
    }
    if v.is_bigint() {
        return Kind::BigInt;
    }
    if v.is_symbol() {
        return Kind::Symbol;
    }
    if v.is_function() {
        return Kind::Function;
    }
    if Array::is_array(v) {
        return Kind::Array;
    }
    if ArrayBuffer::is_view(v) {
        if let Some(e) = Elem::of(v) {
            return Kind::View(e);
        }
        return Kind::Other(constructor_name(v));
    }
    if v.is_instance_of::<Date>() {
        return Kind::Date;
    }
    if v.is_instance_of::<Map>() {
        return Kind::Map;
    }
    if v.is_instance_of::<Set>() {
        return Kind::Set;
    }
    if v.is_instance_of::<ArrayBuffer>() {
        return Kind::ArrayBuffer;
    }
    if is_plain(v) {
        return Kind::Plain;
    }
    Kind::Other(constructor_name(v))
}

/// `Object.getPrototypeOf(v)` is `null`, or is itself an object with a `null`
/// prototype (`Object.prototype` of this or another realm).
fn is_plain(v: &JsValue) -> bool {
    // Not `dyn_ref::<Object>()`: that is `instanceof Object`, false for an
    // object with a null prototype, which is exactly one of the plain ones.
    if !v.is_object() {
        return false;
    }
    let obj: &Object = v.unchecked_ref();
    let proto: JsValue = Object::get_prototype_of(obj).into();
    if proto.is_null() {
        return true;
    }
    let up: JsValue = Object::get_prototype_of(&proto).into();
    up.is_null()
}

fn constructor_name(v: &JsValue) -> String {
    let name = Reflect::get(v, &JsValue::from_str("constructor"))
        .ok()
        .and_then(|c| Reflect::get(&c, &JsValue::from_str("name")).ok())
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    if name.is_empty() {
        "object".into()
    } else {
        name
    }
}

/// "a"/"an" + the name, for messages.
pub(crate) fn article(name: &str) -> String {
    let an = name
        .chars()
        .next()
        .is_some_and(|c| "AEIOUaeiou".contains(c));
    format!("{} {name}", if an { "an" } else { "a" })
}

/// One step from a value into a part of it.
pub(crate) enum Seg {
    Prop(String),
    Index(usize),
    /// The key of the i-th entry of a Map.
    MapKey(usize),
    /// The value of a Map entry, shown by its key when that is short and simple.
    MapValue(String),
    /// The i-th member of a Set.
    SetItem(usize),
}

/// Where a part sits inside the value a caller passed (`params.user.callback`).
pub(crate) struct Path {
    root: Cow<'static, str>,
    segs: Vec<Seg>,
}

impl Path {
    pub(crate) fn new(root: impl Into<Cow<'static, str>>) -> Self {
        Path {
            root: root.into(),
            segs: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, seg: Seg) {
        self.segs.push(seg);
    }

    pub(crate) fn pop(&mut self) {
        self.segs.pop();
    }

    pub(crate) fn type_error(&self, what: &str) -> JsValue {
        TypeError::new(&format!("{self}: {what}")).into()
    }

    pub(crate) fn range_error(&self, what: &str) -> JsValue {
        RangeError::new(&format!("{self}: {what}")).into()
    }
}

fn is_ident(s: &str) -> bool {
    let mut cs = s.chars();
    cs.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.root)?;
        for s in &self.segs {
            match s {
                Seg::Prop(p) if is_ident(p) => write!(f, ".{p}")?,
                Seg::Prop(p) => write!(f, "[{p:?}]")?,
                Seg::Index(i) => write!(f, "[{i}]")?,
                Seg::MapKey(i) => write!(f, "<key of Map entry {i}>")?,
                Seg::MapValue(k) => write!(f, ".get({k})")?,
                Seg::SetItem(i) => write!(f, "<Set member {i}>")?,
            }
        }
        Ok(())
    }
}

/// How a Map key is shown in a path: strings quoted, numbers as they are,
/// anything else by position.
pub(crate) fn map_key_label(k: &JsValue, i: usize) -> String {
    if let Some(s) = k.as_string() {
        if s.len() <= 64 {
            return format!("{s:?}");
        }
    } else if let Some(x) = k.as_f64() {
        let mut out = String::new();
        let _ = write!(out, "{x}");
        return out;
    }
    format!("<entry {i}>")
}

/// Ancestors of the part being converted, to refuse cycles (a value that
/// contains itself cannot be written out).
#[derive(Default)]
pub(crate) struct Ancestors(Vec<JsValue>);

impl Ancestors {
    /// Enter `v`; `false` if `v` is already one of its own ancestors.
    pub(crate) fn enter(&mut self, v: &JsValue) -> bool {
        if self.0.iter().any(|a| a == v) {
            return false;
        }
        self.0.push(v.clone());
        true
    }

    pub(crate) fn leave(&mut self) {
        self.0.pop();
    }
}

/// A number as JS's `String(x)` writes it, for messages (`NaN`, `-Infinity`, `1.5`).
pub(crate) fn number_text(x: f64) -> String {
    if x.is_infinite() {
        (if x > 0.0 { "Infinity" } else { "-Infinity" }).into()
    } else {
        // Rust writes -0 as "-0" where JS writes "0"; keep the sign, it is the point.
        format!("{x}")
    }
}

pub(crate) fn type_error(msg: &str) -> JsValue {
    TypeError::new(msg).into()
}

pub(crate) fn range_error(msg: &str) -> JsValue {
    RangeError::new(msg).into()
}

pub(crate) fn plain_error(msg: &str) -> JsValue {
    js_sys::Error::new(msg).into()
}

/// An `Error` with a `kind` property, like the errors [`core_error`] makes.
pub(crate) fn kind_error(kind: ErrorKind, msg: &str) -> JsValue {
    let err = plain_error(msg);
    set_kind(&err, kind);
    err
}

/// `err.kind = kind`, the core's name for what went wrong (`"closed"`, ...).
pub(crate) fn set_kind(err: &JsValue, kind: ErrorKind) {
    let _ = Reflect::set(
        err,
        &JsValue::from_str("kind"),
        &JsValue::from_str(kind.as_str()),
    );
}

/// A core error as a JS error: bad input is a `TypeError`, something too large a
/// `RangeError`, anything else an `Error`; each carries `kind` (the core's
/// `ErrorKind`, e.g. `"storage"`).
pub(crate) fn core_error(e: &Error) -> JsValue {
    let msg = e.to_string();
    let err: JsValue = match e.kind() {
        ErrorKind::InvalidInput => TypeError::new(&msg).into(),
        ErrorKind::TooLarge => RangeError::new(&msg).into(),
        _ => js_sys::Error::new(&msg).into(),
    };
    set_kind(&err, e.kind());
    err
}

/// Set `obj[key] = value` as an own data property, even for `"__proto__"`.
pub(crate) fn define(obj: &Object, key: &str, value: &JsValue) {
    if key == "__proto__" {
        let desc = Object::new();
        let t = JsValue::TRUE;
        let _ = Reflect::set(&desc, &"value".into(), value);
        let _ = Reflect::set(&desc, &"writable".into(), &t);
        let _ = Reflect::set(&desc, &"enumerable".into(), &t);
        let _ = Reflect::set(&desc, &"configurable".into(), &t);
        Object::define_property(obj, &JsValue::from_str(key), &desc);
    } else {
        let _ = Reflect::set(obj, &JsValue::from_str(key), value);
    }
}
