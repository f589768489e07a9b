//! What kind of JavaScript value a `JsValue` is, where it sits inside a larger
//! value (for error messages), and the JS errors the API throws.

use std::borrow::Cow;
use std::fmt;
use std::fmt::Write as _;

use js_sys::{Object, RangeError, Reflect, TypeError};
use larder_core::{Error, ErrorKind, FloatText, Quoted};
use wasm_bindgen::prelude::*;

use crate::walk::{self, Item};

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
    /// Only where the runtime has `Float16Array` (Chromium and Deno do, Node
    /// 20 does not); after DataView because codec 2 had kinds 0 to 11 first.
    Float16 = 12,
}

impl Elem {
    pub(crate) const ALL: [Elem; 13] = [
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
        Elem::Float16,
    ];

    /// Bytes per element.
    pub(crate) fn size(self) -> usize {
        match self {
            Elem::Int8 | Elem::Uint8 | Elem::Uint8Clamped | Elem::DataView => 1,
            Elem::Int16 | Elem::Uint16 | Elem::Float16 => 2,
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
            Elem::Float16 => "Float16Array",
        }
    }

    pub(crate) fn from_tag(tag: u8) -> Option<Elem> {
        Elem::ALL.get(usize::from(tag)).copied()
    }
}

/// The kinds of JavaScript values the bindings tell apart.
pub(crate) enum Kind {
    Undefined,
    Null,
    Bool,
    Number,
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

/// What `v` is, asked in one call (src/js/walk.js); a getter that throws
/// while it is asked (a revoked Proxy) makes it `Other`.
pub(crate) fn classify(v: &JsValue) -> Kind {
    match walk::kind(v) {
        Item::Undefined => Kind::Undefined,
        Item::Null => Kind::Null,
        Item::Bool(_) => Kind::Bool,
        Item::Number(_) => Kind::Number,
        Item::Str { .. } => Kind::Str,
        Item::BigInt(_) => Kind::BigInt,
        Item::Symbol => Kind::Symbol,
        Item::Function => Kind::Function,
        Item::Array => Kind::Array,
        Item::Plain => Kind::Plain,
        Item::Map => Kind::Map,
        Item::Set => Kind::Set,
        Item::Date(_) => Kind::Date,
        Item::ArrayBuffer(_) => Kind::ArrayBuffer,
        Item::View(e, _) => Kind::View(e),
        Item::Other(_) | Item::Threw(_) => Kind::Other(constructor_name(v)),
    }
}

/// The name of `v`'s constructor (`"object"` when it has none), for messages.
pub(crate) fn constructor_name(v: &JsValue) -> String {
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
    // A match, not `"AEIOUaeiou".contains(c)`, which links std's substring search.
    // "Uint" is said "you-int": a Uint8Array.
    let an = !name.starts_with("Uint")
        && name.chars().next().is_some_and(|c| {
            matches!(c, 'A' | 'E' | 'I' | 'O' | 'U' | 'a' | 'e' | 'i' | 'o' | 'u')
        });
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
                Seg::Prop(p) => write!(f, "[{}]", Quoted(p))?,
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
            return Quoted(&s).to_string();
        }
    } else if let Some(x) = k.as_f64() {
        let mut out = String::new();
        let _ = write!(out, "{}", FloatText(x));
        return out;
    }
    format!("<entry {i}>")
}

/// A number as JS's `String(x)` writes it, for messages (`NaN`, `-Infinity`, `1.5`).
pub(crate) fn number_text(x: f64) -> String {
    if x.is_infinite() {
        (if x > 0.0 { "Infinity" } else { "-Infinity" }).into()
    } else {
        // Rust writes -0 as "-0" where JS writes "0"; keep the sign, it is the point.
        format!("{}", FloatText(x))
    }
}

/// Why a name (namespace, tag, property name, cache name) was refused: it
/// has a lone surrogate, which has no UTF-8 form (see walk.rs `name`).
pub(crate) const LONE_SURROGATE: &str =
    "has a lone surrogate, which has no UTF-8 form (names are UTF-8)";

/// The TypeError for `what` (a name) with a lone surrogate.
pub(crate) fn lone_surrogate(what: impl std::fmt::Display) -> JsValue {
    type_error(&format!("{what} {LONE_SURROGATE}"))
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
