//! Methods of [`Canon`]: building from serde, normalizing, encoding, decoding, display.

use alloc::format;
use alloc::vec::Vec;
use core::fmt;

use serde::ser::{Serialize, Serializer};

use super::decode::Decoder;
use super::encode::{Encoder, Num, normalize_float};
use super::{Canon, MAX_DEPTH, ser};
use crate::error::{Error, Result};
use crate::num_text::{FloatText, HexText, IntText};

impl Canon {
    /// Map any serializable value onto the model, normalized (floats folded into
    /// integers where the rules say so, map entries sorted, duplicates rejected).
    ///
    /// Structs become maps of their field names, `None` and `()` become `Null`, and
    /// enums take serde's externally tagged form.
    ///
    /// ```
    /// use larder_core::Canon;
    /// #[derive(serde::Serialize)]
    /// struct Query { q: &'static str, limit: Option<u32> }
    /// let c = Canon::from_serialize(&Query { q: "rust", limit: None }).unwrap();
    /// assert_eq!(c.to_string(), r#"{"q": "rust", "limit": null}"#);
    /// assert_eq!(Canon::from_serialize(&2.0f64).unwrap(), Canon::Int(2));
    /// ```
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Canon> {
        // One serde mapping (ser.rs) writes canonical bytes; reading them back gives
        // the normalized value.
        let mut enc = Encoder::new(Vec::new(), "build key");
        ser::write(&mut enc, value, 0)?;
        let bytes = enc.into_bytes();
        let mut d = Decoder::new(&bytes, "build key");
        d.value(0)
    }

    /// The normalized form of this value: integral floats within ±2^53 become `Int`,
    /// NaN becomes the canonical NaN, map entries are sorted by the canonical encoding
    /// of their keys. Fails on duplicate keys and on nesting deeper than
    /// [`MAX_DEPTH`].
    ///
    /// ```
    /// use larder_core::Canon;
    /// let m = Canon::Map(vec![
    ///     (Canon::Str("bb".into()), Canon::Float(1.0)),
    ///     (Canon::Str("a".into()), Canon::Float(-0.0)),
    /// ]);
    /// // Shorter encodings sort first, so "a" precedes "bb".
    /// assert_eq!(m.normalize().unwrap().to_string(), r#"{"a": 0, "bb": 1}"#);
    ///
    /// let dup = Canon::Map(vec![
    ///     (Canon::Int(1), Canon::Null),
    ///     (Canon::Float(1.0), Canon::Null),
    /// ]);
    /// assert!(dup.normalize().is_err());
    /// ```
    pub fn normalize(self) -> Result<Canon> {
        normalize_in(self, 0, "normalize value")
    }

    /// The canonical encoding of this value (normalizing it on the way).
    ///
    /// ```
    /// use larder_core::Canon;
    /// assert_eq!(Canon::Int(-1).encode().unwrap(), [2, 1]);
    /// assert_eq!(Canon::Float(1.0).encode().unwrap(), Canon::Int(1).encode().unwrap());
    /// assert_eq!(Canon::Bytes(vec![0, 255]).encode().unwrap(), [5, 2, 0, 255]);
    /// ```
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut enc = Encoder::new(Vec::new(), "encode value");
        enc.value(self, 0)?;
        Ok(enc.into_bytes())
    }

    /// Decode a canonical encoding. Anything [`Canon::encode`] can produce is accepted
    /// and anything else (truncated, trailing bytes, non-minimal varints, unsorted or
    /// duplicate map keys, un-normalized floats, invalid UTF-8, nesting deeper than
    /// [`MAX_DEPTH`]) is an [`ErrorKind::Corrupt`](crate::ErrorKind::Corrupt)
    /// error. Never panics.
    ///
    /// ```
    /// use larder_core::Canon;
    /// let c = Canon::List(vec![Canon::Str("x".into()), Canon::Float(0.5)]);
    /// assert_eq!(Canon::decode(&c.encode().unwrap()).unwrap(), c);
    /// assert!(Canon::decode(&[2, 0x80, 0x00]).is_err()); // non-minimal varint
    /// ```
    pub fn decode(bytes: &[u8]) -> Result<Canon> {
        let mut d = Decoder::new(bytes, "decode value");
        let v = d.value(0)?;
        d.finish()?;
        Ok(v)
    }
}

fn normalize_in(v: Canon, level: usize, op: &'static str) -> Result<Canon> {
    let deep = || {
        Error::invalid(
            op,
            format!("value is nested more than {MAX_DEPTH} lists/maps deep"),
        )
    };
    Ok(match v {
        Canon::Float(f) => match normalize_float(f) {
            Num::Int(i) => Canon::Int(i),
            Num::Float(f) => Canon::Float(f),
        },
        Canon::List(items) => {
            if level >= MAX_DEPTH {
                return Err(deep());
            }
            let items = items.into_iter().map(|x| normalize_in(x, level + 1, op));
            Canon::List(items.collect::<Result<Vec<_>>>()?)
        }
        Canon::Map(entries) => {
            if level >= MAX_DEPTH {
                return Err(deep());
            }
            let mut keyed = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                let k = normalize_in(k, level + 1, op)?;
                let v = normalize_in(v, level + 1, op)?;
                let mut e = Encoder::new(Vec::new(), op);
                e.value(&k, level + 1)?;
                keyed.push((e.into_bytes(), (k, v)));
            }
            keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            if let Some(w) = keyed.windows(2).find(|w| w[0].0 == w[1].0) {
                return Err(Error::invalid(
                    op,
                    format!(
                        "duplicate map key {} (two keys are equal after normalization)",
                        w[1].1.0
                    ),
                ));
            }
            Canon::Map(keyed.into_iter().map(|(_, e)| e).collect())
        }
        other => other,
    })
}

/// Serializes as the plain data model (a `Map` as a map, `Bytes` as bytes...), so a
/// `Canon` passed as key params gives the same key as [`Key::from_canon`](super::Key::from_canon).
impl Serialize for Canon {
    fn serialize<S: Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        match self {
            Canon::Null => s.serialize_unit(),
            Canon::Bool(b) => s.serialize_bool(*b),
            Canon::Int(i) => s.serialize_i128(*i),
            Canon::Float(f) => s.serialize_f64(*f),
            Canon::Str(x) => s.serialize_str(x),
            Canon::Bytes(b) => s.serialize_bytes(b),
            Canon::List(items) => s.collect_seq(items),
            Canon::Map(entries) => s.collect_map(entries.iter().map(|(k, v)| (k, v))),
        }
    }
}

/// JSON-like text for listings and messages: strings quoted and escaped as in JSON,
/// bytes as `b"00ff"`, floats in Rust's shortest round-trip form (`0.1`, `1e300`,
/// `inf`, `NaN`), maps as `{k: v, ...}` in their stored order.
///
/// ```
/// use larder_core::Canon;
/// let c = Canon::Map(vec![
///     (Canon::Str("a\"b".into()), Canon::List(vec![Canon::Float(0.1), Canon::Null])),
///     (Canon::Int(7), Canon::Bytes(vec![0, 255])),
/// ]);
/// assert_eq!(c.to_string(), r#"{"a\"b": [0.1, null], 7: b"00ff"}"#);
/// ```
impl fmt::Display for Canon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Canon::Null => f.write_str("null"),
            Canon::Bool(b) => write!(f, "{b}"),
            Canon::Int(i) => write!(f, "{}", IntText(*i)),
            Canon::Float(x) => write!(f, "{:?}", FloatText(*x)),
            Canon::Str(s) => write_json_str(f, s),
            Canon::Bytes(b) => {
                f.write_str("b\"")?;
                for byte in b {
                    write!(f, "{}", HexText(u64::from(*byte), 2))?;
                }
                f.write_str("\"")
            }
            Canon::List(items) => {
                f.write_str("[")?;
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    fmt::Display::fmt(x, f)?;
                }
                f.write_str("]")
            }
            Canon::Map(entries) => {
                f.write_str("{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

fn write_json_str(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    use fmt::Write;
    f.write_char('"')?;
    let mut rest = s;
    while let Some(i) = rest.find(|c: char| c == '"' || c == '\\' || c < ' ' || c == '\u{7f}') {
        f.write_str(&rest[..i])?;
        let c = rest[i..].chars().next().unwrap_or('\0');
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c => write!(f, "\\u{}", HexText(u64::from(c), 4))?,
        }
        rest = &rest[i + c.len_utf8()..];
    }
    f.write_str(rest)?;
    f.write_char('"')
}
