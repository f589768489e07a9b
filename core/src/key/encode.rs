//! The canonical encoder: writes a [`Canon`] as postcard bytes, normalizing on the way.
//!
//! The bytes are exactly what `postcard` writes for the normalized value (a unit test
//! checks this against postcard itself), but written by hand: no intermediate tree is
//! rebuilt, floats are normalized as they are written, and map entries are sorted in
//! place by their encoded key bytes.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::decode::Decoder;

use super::{Canon, MAX_DEPTH};
use crate::error::{Error, Result};

/// Postcard variant indices of [`Canon`], in declaration order.
pub(crate) const TAG_NULL: u8 = 0;
pub(crate) const TAG_BOOL: u8 = 1;
pub(crate) const TAG_INT: u8 = 2;
pub(crate) const TAG_FLOAT: u8 = 3;
pub(crate) const TAG_STR: u8 = 4;
pub(crate) const TAG_BYTES: u8 = 5;
pub(crate) const TAG_LIST: u8 = 6;
pub(crate) const TAG_MAP: u8 = 7;

/// The one NaN every NaN is encoded as (the canonical quiet NaN).
pub(crate) const CANONICAL_NAN: u64 = 0x7ff8_0000_0000_0000;

/// 2^53: floats with an integral value of at most this magnitude are integers.
const TWO_POW_53: f64 = 9_007_199_254_740_992.0;

/// A float after normalization: an integer, or a float that must stay one.
pub(crate) enum Num {
    Int(i128),
    Float(f64),
}

/// The normalization rule for floats: integral values within ±2^53 are integers
/// (so `-0.0` is `0`), every NaN is the canonical NaN, everything else stays.
pub(crate) fn normalize_float(f: f64) -> Num {
    if f.is_nan() {
        Num::Float(f64::from_bits(CANONICAL_NAN))
    } else if (-TWO_POW_53..=TWO_POW_53).contains(&f) && (f as i64) as f64 == f {
        // In this range the cast is exact for integral values and truncates otherwise,
        // so the round trip tests integrality without `trunc` (not in `core`).
        Num::Int(i128::from(f as i64))
    } else {
        Num::Float(f)
    }
}

/// Append `v` as an unsigned LEB128 varint (postcard's integer encoding).
pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u128) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Zigzag mapping of signed integers, as postcard does before the varint.
pub(crate) fn zigzag(i: i128) -> u128 {
    ((i << 1) ^ (i >> 127)) as u128
}

/// One map entry being encoded: offsets into the output buffer.
struct Entry {
    key_start: usize,
    key_end: usize,
    end: usize,
}

/// Where an open list or map started; see [`Encoder::begin`] and [`Encoder::end_map`].
pub(crate) struct Mark {
    /// Offset of the item count, right after the tag.
    count_pos: usize,
    /// Offset of the first item.
    start: usize,
    /// The count written up front (a hint: corrected when the container closes).
    len: Option<usize>,
    /// Items written so far (lists only; maps count their entries).
    count: usize,
    /// First of this map's entries on the shared entry stack.
    base: usize,
}

impl Mark {
    /// Count one more list item.
    pub(crate) fn item(&mut self) {
        self.count += 1;
    }
}

/// Writes canonical bytes. Scratch buffers are reused across nested maps (they are
/// used stack-wise), so encoding allocates little beyond the output itself.
pub(crate) struct Encoder {
    out: Vec<u8>,
    entries: Vec<Entry>,
    scratch: Vec<u8>,
    op: &'static str,
}

impl Encoder {
    /// An encoder appending to `out`; errors name `op`.
    pub(crate) fn new(out: Vec<u8>, op: &'static str) -> Encoder {
        Encoder {
            out,
            entries: Vec::new(),
            scratch: Vec::new(),
            op,
        }
    }

    /// The bytes written so far.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    /// The operation errors are reported under.
    pub(crate) fn op(&self) -> &'static str {
        self.op
    }

    /// Current length of the output (an offset for [`Encoder::entry`]).
    pub(crate) fn pos(&self) -> usize {
        self.out.len()
    }

    /// Append raw bytes (fixed framing written by the caller).
    pub(crate) fn raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    pub(crate) fn null(&mut self) {
        self.out.push(TAG_NULL);
    }

    pub(crate) fn bool(&mut self, b: bool) {
        self.out.extend_from_slice(&[TAG_BOOL, u8::from(b)]);
    }

    /// Append an integer value (tag, zigzag varint).
    pub(crate) fn int(&mut self, i: i128) {
        self.out.push(TAG_INT);
        put_varint(&mut self.out, zigzag(i));
    }

    /// Append a float, normalized (it may become an integer).
    pub(crate) fn float(&mut self, f: f64) {
        match normalize_float(f) {
            Num::Int(i) => self.int(i),
            Num::Float(f) => {
                self.out.push(TAG_FLOAT);
                self.out.extend_from_slice(&f.to_bits().to_le_bytes());
            }
        }
    }

    /// Append a string value (tag, length, UTF-8).
    pub(crate) fn str(&mut self, s: &str) {
        self.out.push(TAG_STR);
        self.blob(s.as_bytes());
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.out.push(TAG_BYTES);
        self.blob(b);
    }

    fn blob(&mut self, b: &[u8]) {
        put_varint(&mut self.out, b.len() as u128);
        self.out.extend_from_slice(b);
    }

    /// Append `v`, normalized. `level` is the number of lists/maps enclosing it.
    pub(crate) fn value(&mut self, v: &Canon, level: usize) -> Result<()> {
        match v {
            Canon::Null => self.null(),
            Canon::Bool(b) => self.bool(*b),
            Canon::Int(i) => self.int(*i),
            Canon::Float(f) => self.float(*f),
            Canon::Str(s) => self.str(s),
            Canon::Bytes(b) => self.bytes(b),
            Canon::List(items) => {
                let mut m = self.begin(TAG_LIST, level, Some(items.len()))?;
                for item in items {
                    self.value(item, level + 1)?;
                    m.item();
                }
                self.end_list(m);
            }
            Canon::Map(entries) => {
                let m = self.begin(TAG_MAP, level, Some(entries.len()))?;
                for (k, v) in entries {
                    let key_start = self.pos();
                    self.value(k, level + 1)?;
                    let key_end = self.pos();
                    self.value(v, level + 1)?;
                    self.entry(key_start, key_end);
                }
                self.end_map(m)?;
            }
        }
        Ok(())
    }

    /// Open a list or map (`tag`) at `level`. `len` is the expected item count; when
    /// it is unknown or wrong, the count is fixed up when the container closes.
    pub(crate) fn begin(&mut self, tag: u8, level: usize, len: Option<usize>) -> Result<Mark> {
        if level >= MAX_DEPTH {
            return Err(Error::invalid(
                self.op,
                format!("value is nested more than {MAX_DEPTH} lists/maps deep"),
            ));
        }
        self.out.push(tag);
        let count_pos = self.out.len();
        if let Some(n) = len {
            put_varint(&mut self.out, n as u128);
        }
        Ok(Mark {
            count_pos,
            start: self.out.len(),
            len,
            count: 0,
            base: self.entries.len(),
        })
    }

    /// Close a list opened with [`Encoder::begin`].
    pub(crate) fn end_list(&mut self, m: Mark) {
        if m.len != Some(m.count) {
            let mut count = Vec::with_capacity(10);
            put_varint(&mut count, m.count as u128);
            self.out.splice(m.count_pos..m.start, count);
        }
    }

    /// Record a map entry whose key spans `key_start..key_end` and whose value
    /// ends here.
    pub(crate) fn entry(&mut self, key_start: usize, key_end: usize) {
        self.entries.push(Entry {
            key_start,
            key_end,
            end: self.out.len(),
        });
    }

    /// Close a map: sort its entries by encoded key, reject duplicates.
    pub(crate) fn end_map(&mut self, m: Mark) -> Result<()> {
        let count = self.entries.len() - m.base;
        let out = &self.out;
        let mine = &mut self.entries[m.base..];
        let key = |e: &Entry| &out[e.key_start..e.key_end];
        // Fast path: already in canonical order (common for sorted or single-entry maps).
        let sorted = mine.windows(2).all(|w| key(&w[0]) < key(&w[1]));
        if !sorted {
            mine.sort_unstable_by(|a, b| key(a).cmp(key(b)));
            if let Some(w) = mine.windows(2).find(|w| key(&w[0]) == key(&w[1])) {
                return Err(duplicate(self.op, key(&w[1])));
            }
        }
        if !sorted || m.len != Some(count) {
            let start = m.start;
            self.scratch.clear();
            self.scratch.extend_from_slice(&self.out[start..]);
            self.out.truncate(m.count_pos);
            put_varint(&mut self.out, count as u128);
            for e in &self.entries[m.base..] {
                self.out
                    .extend_from_slice(&self.scratch[e.key_start - start..e.end - start]);
            }
        }
        self.entries.truncate(m.base);
        Ok(())
    }
}

/// The error for a duplicate map key, showing the key (decoded from its bytes).
fn duplicate(op: &'static str, key: &[u8]) -> Error {
    let shown = match Decoder::new(key, op).value(0) {
        Ok(k) => format!("{k}"),
        Err(_) => String::from("(too deep to show)"),
    };
    Error::invalid(
        op,
        format!("duplicate map key {shown} (two keys are equal after normalization)"),
    )
}

#[cfg(test)]
mod tests {
    //! The hand-written encoder must match postcard byte for byte.
    use super::*;
    use alloc::vec;
    use serde::ser::{SerializeMap, SerializeSeq};
    use serde::{Serialize, Serializer};

    /// A mirror of `Canon` serialized the way `#[derive(Serialize)]` would, except that
    /// `Bytes` uses `serialize_bytes`. Postcard of this is the canonical encoding.
    struct Wire<'a>(&'a Canon);

    impl Serialize for Wire<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
            struct B<'a>(&'a [u8]);
            impl Serialize for B<'_> {
                fn serialize<S: Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
                    s.serialize_bytes(self.0)
                }
            }
            struct L<'a>(&'a [Canon]);
            impl Serialize for L<'_> {
                fn serialize<S: Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
                    let mut seq = s.serialize_seq(Some(self.0.len()))?;
                    for x in self.0 {
                        seq.serialize_element(&Wire(x))?;
                    }
                    seq.end()
                }
            }
            struct M<'a>(&'a [(Canon, Canon)]);
            impl Serialize for M<'_> {
                fn serialize<S: Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
                    let mut m = s.serialize_map(Some(self.0.len()))?;
                    for (k, v) in self.0 {
                        m.serialize_entry(&Wire(k), &Wire(v))?;
                    }
                    m.end()
                }
            }
            const N: &str = "Canon";
            match self.0 {
                Canon::Null => s.serialize_unit_variant(N, 0, "Null"),
                Canon::Bool(b) => s.serialize_newtype_variant(N, 1, "Bool", b),
                Canon::Int(i) => s.serialize_newtype_variant(N, 2, "Int", i),
                Canon::Float(f) => s.serialize_newtype_variant(N, 3, "Float", f),
                Canon::Str(x) => s.serialize_newtype_variant(N, 4, "Str", x),
                Canon::Bytes(b) => s.serialize_newtype_variant(N, 5, "Bytes", &B(b)),
                Canon::List(l) => s.serialize_newtype_variant(N, 6, "List", &L(l)),
                Canon::Map(m) => s.serialize_newtype_variant(N, 7, "Map", &M(m)),
            }
        }
    }

    fn ours(c: &Canon) -> Vec<u8> {
        let mut e = Encoder::new(Vec::new(), "test");
        e.value(c, 0).unwrap();
        e.into_bytes()
    }

    #[test]
    fn matches_postcard() {
        let big = Canon::Str(String::from_utf8(vec![b'x'; 300]).unwrap());
        let samples = vec![
            Canon::Null,
            Canon::Bool(true),
            Canon::Int(0),
            Canon::Int(-65),
            Canon::Int(i128::MIN),
            Canon::Int(i128::MAX),
            Canon::Float(0.1),
            Canon::Float(f64::INFINITY),
            Canon::Float(f64::from_bits(CANONICAL_NAN)),
            Canon::Str("héllo\u{0}".into()),
            big,
            Canon::Bytes(vec![0, 255, 7]),
            Canon::Bytes(vec![9; 200]),
            Canon::List(vec![Canon::Null, Canon::List(vec![])]),
            Canon::Map(vec![
                (Canon::Str("a".into()), Canon::Int(1)),
                (Canon::Str("bb".into()), Canon::Map(vec![])),
                (Canon::Int(3), Canon::Bytes(vec![])),
            ]),
        ];
        for c in &samples {
            let n = c.clone().normalize().unwrap();
            assert_eq!(ours(c), postcard::to_allocvec(&Wire(&n)).unwrap(), "{c}");
        }
    }

    #[test]
    fn float_rule() {
        assert!(matches!(normalize_float(-0.0), Num::Int(0)));
        assert!(matches!(
            normalize_float(TWO_POW_53),
            Num::Int(9_007_199_254_740_992)
        ));
        assert!(matches!(
            normalize_float(-TWO_POW_53),
            Num::Int(-9_007_199_254_740_992)
        ));
        assert!(matches!(normalize_float(TWO_POW_53 * 2.0), Num::Float(_)));
        assert!(matches!(normalize_float(0.5), Num::Float(_)));
        assert!(matches!(normalize_float(f64::NEG_INFINITY), Num::Float(_)));
        match normalize_float(-f64::NAN) {
            Num::Float(f) => assert_eq!(f.to_bits(), CANONICAL_NAN),
            Num::Int(_) => panic!("NaN became an int"),
        }
    }
}
