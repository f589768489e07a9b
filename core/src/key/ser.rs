//! A serde [`Serializer`](ser::Serializer) that writes any `T: Serialize` straight to
//! canonical bytes, mapping it onto the [`Canon`](super::Canon) model on the way.
//!
//! This is the one place the serde mapping lives: [`Key::new`](super::Key::new)
//! writes params with it directly (no intermediate tree), and
//! [`Canon::from_serialize`](super::Canon::from_serialize) decodes what it wrote.
//!
//! The mapping: bool→Bool; integers→Int; floats→Float, normalized; char/str→Str;
//! bytes→Bytes; None/unit/unit struct→Null; Some(x)→x; newtype struct→inner;
//! seq/tuple/tuple struct→List; map→Map; struct→Map of field names; enums
//! externally tagged (unit variant→Str, others→a one-entry Map {variant: ..}).

use alloc::format;
use alloc::string::String;
use core::fmt;

use serde::ser::{self, Serialize};

use super::MAX_DEPTH;
use super::encode::{Encoder, Mark, TAG_LIST, TAG_MAP};
use crate::error::{Error, Result};

/// Serializer recursion limit. Nesting of lists/maps is limited to [`MAX_DEPTH`] by the
/// encoder; this looser bound only guards the stack against `Some(Some(..))`-style
/// wrappers that add recursion without adding a level.
const MAX_RECURSION: usize = 4 * MAX_DEPTH;

/// Write `value` canonically; `level` is the number of lists/maps enclosing it.
pub(crate) fn write<T: Serialize + ?Sized>(
    enc: &mut Encoder,
    value: &T,
    level: usize,
) -> Result<()> {
    let w = Writer {
        enc,
        level,
        depth: 0,
    };
    value.serialize(w).map_err(|e| e.0)
}

/// Wraps [`Error`] so it can implement `serde::ser::Error`, whose supertrait is
/// `std::error::Error` or serde's own stand-in depending on serde's (unified) features.
#[derive(Debug)]
pub(crate) struct SerError(Error);

impl fmt::Display for SerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl ser::StdError for SerError {}

impl ser::Error for SerError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        SerError(Error::invalid(
            "build key",
            format!("the parameters failed to serialize: {msg}"),
        ))
    }
}

impl From<Error> for SerError {
    fn from(e: Error) -> Self {
        SerError(e)
    }
}

type R<T = ()> = core::result::Result<T, SerError>;

struct Writer<'e> {
    enc: &'e mut Encoder,
    /// Lists/maps enclosing the value this writer writes.
    level: usize,
    /// Serializer recursion so far (bounded by [`MAX_RECURSION`]).
    depth: usize,
}

/// A child writer at `level`, one recursion deeper than `depth`.
fn child(enc: &mut Encoder, level: usize, depth: usize) -> R<Writer<'_>> {
    if depth >= MAX_RECURSION {
        let msg = format!("the parameters nest more than {MAX_RECURSION} levels deep");
        return Err(SerError(Error::invalid(enc.op(), msg)));
    }
    Ok(Writer {
        enc,
        level,
        depth: depth + 1,
    })
}

impl<'e> Writer<'e> {
    /// Open the one-entry map `{variant: ..}` of an enum variant; returns the map's
    /// mark and the key's span. The value goes at `level + 1`.
    fn variant(&mut self, variant: &str) -> R<(Mark, usize, usize)> {
        let m = self.enc.begin(TAG_MAP, self.level, Some(1))?;
        let ks = self.enc.pos();
        self.enc.str(variant);
        Ok((m, ks, self.enc.pos()))
    }

    fn seq(mut self, len: Option<usize>, variant: Option<&str>) -> R<Seq<'e>> {
        let outer = match variant {
            Some(v) => {
                let o = self.variant(v)?;
                self.level += 1;
                Some(o)
            }
            None => None,
        };
        let mark = self.enc.begin(TAG_LIST, self.level, len)?;
        Ok(Seq {
            enc: self.enc,
            level: self.level + 1,
            depth: self.depth,
            mark,
            outer,
        })
    }

    fn map(mut self, len: Option<usize>, variant: Option<&str>) -> R<Map<'e>> {
        let outer = match variant {
            Some(v) => {
                let o = self.variant(v)?;
                self.level += 1;
                Some(o)
            }
            None => None,
        };
        let mark = self.enc.begin(TAG_MAP, self.level, len)?;
        Ok(Map {
            enc: self.enc,
            level: self.level + 1,
            depth: self.depth,
            mark,
            key: None,
            outer,
        })
    }
}

/// Close the `{variant: ..}` map around a tuple or struct variant.
fn close_variant(enc: &mut Encoder, outer: Option<(Mark, usize, usize)>) -> R {
    if let Some((m, ks, ke)) = outer {
        enc.entry(ks, ke);
        enc.end_map(m)?;
    }
    Ok(())
}

impl<'e> ser::Serializer for Writer<'e> {
    type Ok = ();
    type Error = SerError;
    type SerializeSeq = Seq<'e>;
    type SerializeTuple = Seq<'e>;
    type SerializeTupleStruct = Seq<'e>;
    type SerializeTupleVariant = Seq<'e>;
    type SerializeMap = Map<'e>;
    type SerializeStruct = Map<'e>;
    type SerializeStructVariant = Map<'e>;

    fn serialize_bool(self, v: bool) -> R {
        self.enc.bool(v);
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> R {
        self.serialize_i128(v.into())
    }
    fn serialize_i16(self, v: i16) -> R {
        self.serialize_i128(v.into())
    }
    fn serialize_i32(self, v: i32) -> R {
        self.serialize_i128(v.into())
    }
    fn serialize_i64(self, v: i64) -> R {
        self.serialize_i128(v.into())
    }
    fn serialize_i128(self, v: i128) -> R {
        self.enc.int(v);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> R {
        self.serialize_i128(v.into())
    }
    fn serialize_u16(self, v: u16) -> R {
        self.serialize_i128(v.into())
    }
    fn serialize_u32(self, v: u32) -> R {
        self.serialize_i128(v.into())
    }
    fn serialize_u64(self, v: u64) -> R {
        self.serialize_i128(v.into())
    }
    fn serialize_u128(self, v: u128) -> R {
        match i128::try_from(v) {
            Ok(i) => self.serialize_i128(i),
            Err(_) => {
                let msg = format!("integer {v} is larger than i128::MAX");
                Err(SerError(Error::invalid(self.enc.op(), msg)))
            }
        }
    }
    fn serialize_f32(self, v: f32) -> R {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> R {
        self.enc.float(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> R {
        self.enc.str(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> R {
        self.enc.str(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> R {
        self.enc.bytes(v);
        Ok(())
    }
    fn serialize_none(self) -> R {
        self.enc.null();
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> R {
        value.serialize(child(self.enc, self.level, self.depth)?)
    }
    fn serialize_unit(self) -> R {
        self.enc.null();
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> R {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _name: &'static str, _i: u32, variant: &'static str) -> R {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, v: &T) -> R {
        v.serialize(child(self.enc, self.level, self.depth)?)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        mut self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> R {
        let outer = self.variant(variant)?;
        value.serialize(child(self.enc, self.level + 1, self.depth)?)?;
        close_variant(self.enc, Some(outer))
    }
    fn serialize_seq(self, len: Option<usize>) -> R<Seq<'e>> {
        self.seq(len, None)
    }
    fn serialize_tuple(self, len: usize) -> R<Seq<'e>> {
        self.seq(Some(len), None)
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> R<Seq<'e>> {
        self.seq(Some(len), None)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> R<Seq<'e>> {
        self.seq(Some(len), Some(variant))
    }
    fn serialize_map(self, len: Option<usize>) -> R<Map<'e>> {
        self.map(len, None)
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> R<Map<'e>> {
        self.map(Some(len), None)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> R<Map<'e>> {
        self.map(Some(len), Some(variant))
    }
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> R {
        self.serialize_str(&format!("{value}"))
    }
    // Human-readable on purpose: types with two forms (IP addresses, UUIDs, times)
    // then serialize as the strings a JavaScript caller would pass for them.
    fn is_human_readable(&self) -> bool {
        true
    }
}

/// Lists, tuples and tuple variants.
pub(crate) struct Seq<'e> {
    enc: &'e mut Encoder,
    level: usize,
    depth: usize,
    mark: Mark,
    outer: Option<(Mark, usize, usize)>,
}

impl Seq<'_> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> R {
        value.serialize(child(self.enc, self.level, self.depth)?)?;
        self.mark.item();
        Ok(())
    }
    fn done(self) -> R {
        self.enc.end_list(self.mark);
        close_variant(self.enc, self.outer)
    }
}

macro_rules! seq_impl {
    ($trait:ident, $method:ident) => {
        impl ser::$trait for Seq<'_> {
            type Ok = ();
            type Error = SerError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> R {
                self.push(value)
            }
            fn end(self) -> R {
                self.done()
            }
        }
    };
}
seq_impl!(SerializeSeq, serialize_element);
seq_impl!(SerializeTuple, serialize_element);
seq_impl!(SerializeTupleStruct, serialize_field);
seq_impl!(SerializeTupleVariant, serialize_field);

/// Maps, structs and struct variants.
pub(crate) struct Map<'e> {
    enc: &'e mut Encoder,
    level: usize,
    depth: usize,
    mark: Mark,
    /// Span of a key written by `serialize_key` and awaiting its value.
    key: Option<(usize, usize)>,
    outer: Option<(Mark, usize, usize)>,
}

impl Map<'_> {
    fn done(self) -> R {
        if self.key.is_some() {
            let msg = String::from("a Serialize impl wrote a map key without a value");
            return Err(SerError(Error::invalid(self.enc.op(), msg)));
        }
        self.enc.end_map(self.mark)?;
        close_variant(self.enc, self.outer)
    }
}

impl ser::SerializeMap for Map<'_> {
    type Ok = ();
    type Error = SerError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> R {
        let ks = self.enc.pos();
        key.serialize(child(self.enc, self.level, self.depth)?)?;
        self.key = Some((ks, self.enc.pos()));
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> R {
        let Some((ks, ke)) = self.key.take() else {
            let msg = String::from("a Serialize impl wrote a map value without a key");
            return Err(SerError(Error::invalid(self.enc.op(), msg)));
        };
        value.serialize(child(self.enc, self.level, self.depth)?)?;
        self.enc.entry(ks, ke);
        Ok(())
    }
    fn end(self) -> R {
        self.done()
    }
}

macro_rules! struct_impl {
    ($trait:ident) => {
        impl ser::$trait for Map<'_> {
            type Ok = ();
            type Error = SerError;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                name: &'static str,
                value: &T,
            ) -> R {
                let ks = self.enc.pos();
                self.enc.str(name);
                let ke = self.enc.pos();
                value.serialize(child(self.enc, self.level, self.depth)?)?;
                self.enc.entry(ks, ke);
                Ok(())
            }
            fn end(self) -> R {
                self.done()
            }
        }
    };
}
struct_impl!(SerializeStruct);
struct_impl!(SerializeStructVariant);
