//! Codec 2: structured JavaScript values as compact bytes and back.
//!
//! The byte format is fixed in docs/FORMAT.md, "JS values (codec 2)". Decoding
//! reads bytes from storage: it is bounds-checked, depth-limited, never panics,
//! and answers garbage with an `Error` saying what is wrong and where.

mod decode;
mod encode;
mod intern;

pub use decode::decode;
pub use encode::encode;
pub(crate) use encode::encode_at;

/// The first byte of every encoded value.
pub const VERSION: u8 = 1;

/// How many arrays, objects, Maps and Sets a value may nest.
pub const MAX_DEPTH: usize = 256;

/// Type tags, one byte before each value.
pub(crate) mod tag {
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

pub(crate) const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
