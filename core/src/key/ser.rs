//! A serde [`Serializer`] that maps any `T: Serialize` onto the [`Canon`] model.
//!
//! Floats are normalized as they arrive; maps are left in arrival order (the encoder,
//! or [`Canon::normalize`], sorts them), so building a key sorts each map once.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use serde::ser::{self, Serialize};

use super::encode::{Num, normalize_float};
use super::{Canon, MAX_DEPTH};
use crate::error::Error;

/// The operation serializer errors are reported under.
const OP: &str = "build key";

/// Serializer recursion limit. Nesting of lists/maps is limited to [`MAX_DEPTH`] by the
/// encoder; this looser bound only guards the stack against `Some(Some(..))`-style
/// wrappers that add recursion without adding a level.
const MAX_RECURSION: usize = 4 * MAX_DEPTH;

/// Serialize `value` into the model (floats normalized, maps not yet sorted).
pub(crate) fn to_canon<T: Serialize + ?Sized>(value: &T) -> Result<Canon, Error> {
    value
        .serialize(CanonSerializer { depth: 0 })
        .map_err(|e| e.0)
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
            OP,
            format!("the parameters failed to serialize: {msg}"),
        ))
    }
}

fn fail(msg: String) -> SerError {
    SerError(Error::invalid(OP, msg))
}

fn float(f: f64) -> Canon {
    match normalize_float(f) {
        Num::Int(i) => Canon::Int(i),
        Num::Float(f) => Canon::Float(f),
    }
}

fn tagged(variant: &'static str, value: Canon) -> Canon {
    Canon::Map(vec![(Canon::Str(variant.into()), value)])
}

#[derive(Clone, Copy)]
struct CanonSerializer {
    depth: usize,
}

impl CanonSerializer {
    fn child(self) -> Result<CanonSerializer, SerError> {
        if self.depth >= MAX_RECURSION {
            return Err(fail(format!(
                "the parameters nest more than {MAX_RECURSION} levels deep"
            )));
        }
        Ok(CanonSerializer {
            depth: self.depth + 1,
        })
    }

    fn seq(self, len: Option<usize>, variant: Option<&'static str>) -> Result<Seq, SerError> {
        Ok(Seq {
            ser: self.child()?,
            items: Vec::with_capacity(len.unwrap_or(0).min(1024)),
            variant,
        })
    }

    fn map(self, len: Option<usize>, variant: Option<&'static str>) -> Result<Map, SerError> {
        Ok(Map {
            ser: self.child()?,
            entries: Vec::with_capacity(len.unwrap_or(0).min(1024)),
            key: None,
            variant,
        })
    }
}

impl ser::Serializer for CanonSerializer {
    type Ok = Canon;
    type Error = SerError;
    type SerializeSeq = Seq;
    type SerializeTuple = Seq;
    type SerializeTupleStruct = Seq;
    type SerializeTupleVariant = Seq;
    type SerializeMap = Map;
    type SerializeStruct = Map;
    type SerializeStructVariant = Map;

    fn serialize_bool(self, v: bool) -> Result<Canon, SerError> {
        Ok(Canon::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Canon, SerError> {
        Ok(Canon::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Canon, SerError> {
        Ok(Canon::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Canon, SerError> {
        Ok(Canon::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Canon, SerError> {
        Ok(Canon::Int(v.into()))
    }
    fn serialize_i128(self, v: i128) -> Result<Canon, SerError> {
        Ok(Canon::Int(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Canon, SerError> {
        Ok(Canon::Int(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Canon, SerError> {
        Ok(Canon::Int(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Canon, SerError> {
        Ok(Canon::Int(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Canon, SerError> {
        Ok(Canon::Int(v.into()))
    }
    fn serialize_u128(self, v: u128) -> Result<Canon, SerError> {
        match i128::try_from(v) {
            Ok(i) => Ok(Canon::Int(i)),
            Err(_) => Err(fail(format!("integer {v} is larger than i128::MAX"))),
        }
    }
    fn serialize_f32(self, v: f32) -> Result<Canon, SerError> {
        Ok(float(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Canon, SerError> {
        Ok(float(v))
    }
    fn serialize_char(self, v: char) -> Result<Canon, SerError> {
        Ok(Canon::Str(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Canon, SerError> {
        Ok(Canon::Str(v.into()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Canon, SerError> {
        Ok(Canon::Bytes(v.to_vec()))
    }
    fn serialize_none(self) -> Result<Canon, SerError> {
        Ok(Canon::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Canon, SerError> {
        value.serialize(self.child()?)
    }
    fn serialize_unit(self) -> Result<Canon, SerError> {
        Ok(Canon::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Canon, SerError> {
        Ok(Canon::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Canon, SerError> {
        Ok(Canon::Str(variant.into()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Canon, SerError> {
        value.serialize(self.child()?)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Canon, SerError> {
        Ok(tagged(variant, value.serialize(self.child()?)?))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Seq, SerError> {
        self.seq(len, None)
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq, SerError> {
        self.seq(Some(len), None)
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Seq, SerError> {
        self.seq(Some(len), None)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Seq, SerError> {
        self.seq(Some(len), Some(variant))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Map, SerError> {
        self.map(len, None)
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Map, SerError> {
        self.map(Some(len), None)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Map, SerError> {
        self.map(Some(len), Some(variant))
    }
    // Human-readable on purpose: types with two forms (IP addresses, UUIDs, times)
    // then serialize as the strings a JavaScript caller would pass for them.
    fn is_human_readable(&self) -> bool {
        true
    }
}

/// Lists, tuples and tuple variants.
pub(crate) struct Seq {
    ser: CanonSerializer,
    items: Vec<Canon>,
    variant: Option<&'static str>,
}

impl Seq {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.items.push(value.serialize(self.ser)?);
        Ok(())
    }
    fn done(self) -> Result<Canon, SerError> {
        let list = Canon::List(self.items);
        Ok(match self.variant {
            Some(v) => tagged(v, list),
            None => list,
        })
    }
}

macro_rules! seq_impl {
    ($trait:ident, $method:ident) => {
        impl ser::$trait for Seq {
            type Ok = Canon;
            type Error = SerError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
                self.push(value)
            }
            fn end(self) -> Result<Canon, SerError> {
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
pub(crate) struct Map {
    ser: CanonSerializer,
    entries: Vec<(Canon, Canon)>,
    key: Option<Box<Canon>>,
    variant: Option<&'static str>,
}

impl Map {
    fn field<T: Serialize + ?Sized>(&mut self, name: &'static str, v: &T) -> Result<(), SerError> {
        self.entries
            .push((Canon::Str(name.into()), v.serialize(self.ser)?));
        Ok(())
    }
    fn done(self) -> Result<Canon, SerError> {
        let map = Canon::Map(self.entries);
        Ok(match self.variant {
            Some(v) => tagged(v, map),
            None => map,
        })
    }
}

impl ser::SerializeMap for Map {
    type Ok = Canon;
    type Error = SerError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerError> {
        self.key = Some(Box::new(key.serialize(self.ser)?));
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| fail("map value without a key".into()))?;
        self.entries.push((*key, value.serialize(self.ser)?));
        Ok(())
    }
    fn serialize_entry<K, V>(&mut self, key: &K, value: &V) -> Result<(), SerError>
    where
        K: Serialize + ?Sized,
        V: Serialize + ?Sized,
    {
        let k = key.serialize(self.ser)?;
        self.entries.push((k, value.serialize(self.ser)?));
        Ok(())
    }
    fn end(self) -> Result<Canon, SerError> {
        if self.key.is_some() {
            return Err(fail("map key without a value".into()));
        }
        self.done()
    }
}

macro_rules! struct_impl {
    ($trait:ident) => {
        impl ser::$trait for Map {
            type Ok = Canon;
            type Error = SerError;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                name: &'static str,
                value: &T,
            ) -> Result<(), SerError> {
                self.field(name, value)
            }
            fn end(self) -> Result<Canon, SerError> {
                self.done()
            }
        }
    };
}
struct_impl!(SerializeStruct);
struct_impl!(SerializeStructVariant);
