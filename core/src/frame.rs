//! The entry frame: one self-checking byte layout shared by every backend.
//!
//! ```text
//! magic "LRDR" | version u8 | flags u8 | codec u8 | reserved u8
//! header_len u32 | stored_len u64 | raw_len u64
//! created_ms u64 | expires_ms u64 (0 = never) | cost_us u64 | key_hash [16] (big endian)
//! ns_len u16 ns | key_len u32 key | tag_count u16 (len u16 tag)* | meta_len u32 meta
//! header_checksum u64          xxh3-64 of every header byte before it
//! payload [stored_len]         lz4 block when flags bit 0 is set
//! frame_checksum u64           xxh3-64 of everything before it
//! ```
//! Integers are little-endian. The header carries its own checksum so that a
//! store can list metadata from a header prefix without reading the payload.
//! docs/FORMAT.md is the normative description.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use xxhash_rust::xxh3::xxh3_64;

use crate::error::{Error, ErrorKind, Result};
use crate::key::{Key, KeyHash};
use crate::store::EntryMeta;

/// The four bytes every frame starts with.
pub const MAGIC: [u8; 4] = *b"LRDR";
/// The frame layout version this code reads and writes.
pub const FORMAT_VERSION: u8 = 1;
/// Bytes of the fixed part of the header, before the variable fields.
pub const FIXED_HEADER: usize = 68;
/// Smallest possible frame: fixed header, empty variable fields, both checksums.
pub const MIN_FRAME: usize = FIXED_HEADER + 2 + 4 + 2 + 4 + 8 + 8;
/// Longest namespace, in bytes.
pub const MAX_NAMESPACE: usize = 1024;
/// Most tags on one entry.
pub const MAX_TAGS: usize = 256;
/// Longest tag, in bytes.
pub const MAX_TAG: usize = 1024;
/// Largest user metadata, in bytes.
pub const MAX_META: usize = 64 * 1024;
/// Largest canonical key, in bytes.
pub const MAX_KEY: usize = 64 * 1024;
/// lz4 cannot expand input by more than this factor; a larger claim is corrupt.
const LZ4_MAX_RATIO: u64 = 255;
const FLAG_LZ4: u8 = 1;
/// Payloads shorter than this are never worth an lz4 attempt.
const MIN_COMPRESS: usize = 64;

/// How the payload bytes encode the value.
pub mod codec {
    /// Raw bytes, as given.
    pub const BYTES: u8 = 0;
    /// A serde value encoded with postcard (Rust typed API).
    pub const POSTCARD: u8 = 1;
    /// A structured JS value (wasm bindings).
    pub const JS: u8 = 2;
}

/// Everything needed to write one entry.
#[derive(Clone, Copy, Debug)]
pub struct FrameInput<'a> {
    /// The entry's key (its hash, canonical bytes and namespace are stored).
    pub key: &'a Key,
    /// Creation time, ms since the epoch.
    pub created_ms: u64,
    /// Expiry, ms since the epoch.
    pub expires_ms: Option<u64>,
    /// How long the value took to compute, µs.
    pub cost_us: u64,
    /// See [`codec`].
    pub codec: u8,
    /// Tags for group invalidation.
    pub tags: &'a [String],
    /// Opaque user metadata.
    pub meta: &'a [u8],
    /// The value's bytes.
    pub payload: &'a [u8],
}

/// A decoded, verified header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    /// Hash of `key_bytes` (verified).
    pub key: KeyHash,
    /// Canonical key bytes.
    pub key_bytes: Vec<u8>,
    /// The key's namespace.
    pub namespace: String,
    /// Creation time, ms since the epoch.
    pub created_ms: u64,
    /// Expiry, ms since the epoch.
    pub expires_ms: Option<u64>,
    /// Compute cost, µs.
    pub cost_us: u64,
    /// See [`codec`].
    pub codec: u8,
    /// Payload is lz4-compressed.
    pub compressed: bool,
    /// Payload length after decompression.
    pub raw_len: u64,
    /// Payload length as stored.
    pub stored_len: u64,
    /// Tags.
    pub tags: Vec<String>,
    /// User metadata.
    pub meta: Vec<u8>,
    /// Offset of the payload: the header's length including its checksum.
    pub header_len: usize,
}

impl FrameHeader {
    /// Length of the whole frame this header describes.
    pub fn frame_len(&self) -> u64 {
        (self.header_len as u64)
            .saturating_add(self.stored_len)
            .saturating_add(8)
    }

    /// Store metadata for this entry.
    pub fn to_meta(&self, last_access_ms: u64) -> EntryMeta {
        EntryMeta {
            key: self.key,
            size: self.frame_len(),
            created_ms: self.created_ms,
            expires_ms: self.expires_ms,
            last_access_ms,
            namespace: self.namespace.clone(),
            tags: self.tags.clone(),
            cost_us: self.cost_us,
        }
    }
}

/// Result of [`decode_header`] on a prefix of a frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderRead {
    /// The prefix held the whole header.
    Complete(FrameHeader),
    /// Read at least this many bytes from the start and try again.
    NeedBytes(usize),
}

/// Check the user-supplied parts of an entry without encoding it.
pub fn validate(tags: &[String], meta: &[u8]) -> Result<()> {
    if tags.len() > MAX_TAGS {
        return Err(Error::invalid(
            "put",
            alloc::format!("at most {MAX_TAGS} tags per entry"),
        ));
    }
    for t in tags {
        if t.is_empty() || t.len() > MAX_TAG {
            return Err(
                Error::invalid("put", alloc::format!("tags must be 1 to {MAX_TAG} bytes"))
                    .with_context(alloc::format!("tag {}", crate::Quoted(t))),
            );
        }
    }
    if meta.len() > MAX_META {
        return Err(Error::new(
            ErrorKind::TooLarge,
            "put",
            alloc::format!("metadata is {} bytes; the limit is {MAX_META}", meta.len()),
        ));
    }
    Ok(())
}

/// Encode an entry, compressing the payload with lz4 only when that shrinks it.
///
/// ```
/// use larder_core::{frame, Key};
/// let key = Key::new("demo", &("x", 1)).unwrap();
/// let bytes = frame::encode(&frame::FrameInput {
///     key: &key, created_ms: 1, expires_ms: None, cost_us: 0,
///     codec: frame::codec::BYTES, tags: &[], meta: b"", payload: b"hello",
/// }).unwrap();
/// let (header, payload) = frame::decode(&bytes).unwrap();
/// assert_eq!(header.key, key.hash());
/// assert_eq!(payload, b"hello");
/// ```
pub fn encode(input: &FrameInput<'_>) -> Result<Vec<u8>> {
    validate(input.tags, input.meta)?;
    let ns = input.key.namespace().as_bytes();
    let key = input.key.bytes();
    if ns.len() > MAX_NAMESPACE || key.len() > MAX_KEY {
        return Err(Error::new(ErrorKind::TooLarge, "put", "key is too large"));
    }
    let compressed = compress(input.payload);
    let (flags, stored): (u8, &[u8]) = match &compressed {
        Some(c) => (FLAG_LZ4, c),
        None => (0, input.payload),
    };
    let tags_len: usize = input.tags.iter().map(|t| 2 + t.len()).sum();
    let header_len = FIXED_HEADER + 2 + ns.len() + 4 + key.len() + 2 + tags_len + 4;
    let header_len = header_len + input.meta.len() + 8;
    let header_len_u32 = u32::try_from(header_len)
        .map_err(|_| Error::new(ErrorKind::TooLarge, "put", "header too large"))?;
    let mut out = Vec::with_capacity(header_len + stored.len() + 8);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&[FORMAT_VERSION, flags, input.codec, 0]);
    out.extend_from_slice(&header_len_u32.to_le_bytes());
    out.extend_from_slice(&(stored.len() as u64).to_le_bytes());
    out.extend_from_slice(&(input.payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&input.created_ms.to_le_bytes());
    out.extend_from_slice(&input.expires_ms.unwrap_or(0).to_le_bytes());
    out.extend_from_slice(&input.cost_us.to_le_bytes());
    out.extend_from_slice(&input.key.hash().to_bytes());
    out.extend_from_slice(&(ns.len() as u16).to_le_bytes());
    out.extend_from_slice(ns);
    out.extend_from_slice(&(key.len() as u32).to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&(input.tags.len() as u16).to_le_bytes());
    for t in input.tags {
        out.extend_from_slice(&(t.len() as u16).to_le_bytes());
        out.extend_from_slice(t.as_bytes());
    }
    out.extend_from_slice(&(input.meta.len() as u32).to_le_bytes());
    out.extend_from_slice(input.meta);
    let hsum = xxh3_64(&out);
    out.extend_from_slice(&hsum.to_le_bytes());
    debug_assert_eq!(out.len(), header_len);
    out.extend_from_slice(stored);
    let fsum = xxh3_64(&out);
    out.extend_from_slice(&fsum.to_le_bytes());
    Ok(out)
}

fn compress(payload: &[u8]) -> Option<Vec<u8>> {
    if payload.len() < MIN_COMPRESS {
        return None;
    }
    let c = lz4_flex::block::compress(payload);
    (c.len() < payload.len()).then_some(c)
}

/// Decode and verify a whole frame; returns the header and the decompressed payload.
///
/// Any defect (wrong magic, unknown version, bad checksum, truncation, a key
/// hash that does not match the stored key...) is an [`ErrorKind::Corrupt`]
/// error. Never panics, whatever the input.
pub fn decode(bytes: &[u8]) -> Result<(FrameHeader, Vec<u8>)> {
    let header = verify(bytes)?;
    let payload = if header.compressed {
        decompress(&header, &bytes[header.header_len..bytes.len() - 8])?
    } else {
        bytes[header.header_len..bytes.len() - 8].to_vec()
    };
    Ok((header, payload))
}

/// [`decode`] that keeps an uncompressed payload in the buffer it was read
/// into instead of copying it out: returns the header, a buffer, and the
/// offset in that buffer where the payload starts (it runs to the end).
pub fn decode_owned(mut bytes: Vec<u8>) -> Result<(FrameHeader, Vec<u8>, usize)> {
    let header = verify(&bytes)?;
    if header.compressed {
        let payload = decompress(&header, &bytes[header.header_len..bytes.len() - 8])?;
        return Ok((header, payload, 0));
    }
    bytes.truncate(bytes.len() - 8);
    let start = header.header_len;
    Ok((header, bytes, start))
}

/// Check everything about a whole frame but decompress nothing.
fn verify(bytes: &[u8]) -> Result<FrameHeader> {
    let header = match decode_header(bytes)? {
        HeaderRead::Complete(h) => h,
        HeaderRead::NeedBytes(_) => return Err(corrupt("truncated header")),
    };
    if bytes.len() as u64 != header.frame_len() {
        return Err(corrupt("frame length does not match its header"));
    }
    let body_end = bytes.len() - 8;
    if read_u64(bytes, body_end) != xxh3_64(&bytes[..body_end]) {
        return Err(corrupt("checksum mismatch"));
    }
    Ok(header)
}

fn decompress(header: &FrameHeader, stored: &[u8]) -> Result<Vec<u8>> {
    let raw_len =
        usize::try_from(header.raw_len).map_err(|_| corrupt("payload length overflows"))?;
    let mut out = vec![0u8; raw_len];
    match lz4_flex::block::decompress_into(stored, &mut out) {
        Ok(n) if n == raw_len => Ok(out),
        _ => Err(corrupt("lz4 payload does not decompress to its length")),
    }
}

/// The key and whole-frame length that the fixed header at the start of
/// `bytes` claims, checking only the magic (`None`: too short, or not a
/// frame). Lets a store tell a whole frame from a short read cheaply; nothing
/// it returns is verified ([`decode`] does that).
pub fn peek(bytes: &[u8]) -> Option<(KeyHash, u64)> {
    if bytes.len() < FIXED_HEADER || bytes[..4] != MAGIC {
        return None;
    }
    let len = u64::from(read_u32(bytes, 8))
        .saturating_add(read_u64(bytes, 12))
        .saturating_add(8);
    Some((KeyHash(u128::from_be_bytes(array16(bytes, 52))), len))
}

/// Decode and verify the header from a prefix of a frame (e.g. the first 4 KiB
/// of a file), without the payload.
pub fn decode_header(bytes: &[u8]) -> Result<HeaderRead> {
    if bytes.len() < 12 {
        return if bytes.len() >= 4 && bytes[..4] != MAGIC {
            Err(corrupt("not a larder frame (bad magic)"))
        } else {
            Ok(HeaderRead::NeedBytes(FIXED_HEADER))
        };
    }
    if bytes[..4] != MAGIC {
        return Err(corrupt("not a larder frame (bad magic)"));
    }
    if bytes[4] != FORMAT_VERSION {
        return Err(corrupt(alloc::format!(
            "unsupported format version {}",
            bytes[4]
        )));
    }
    let (flags, codec) = (bytes[5], bytes[6]);
    if flags & !FLAG_LZ4 != 0 || bytes[7] != 0 {
        return Err(corrupt("unknown flags"));
    }
    let header_len = read_u32(bytes, 8) as usize;
    if header_len < MIN_FRAME - 8 {
        return Err(corrupt("header length too small"));
    }
    if bytes.len() < header_len {
        return Ok(HeaderRead::NeedBytes(header_len));
    }
    let hsum_at = header_len - 8;
    if read_u64(bytes, hsum_at) != xxh3_64(&bytes[..hsum_at]) {
        return Err(corrupt("header checksum mismatch"));
    }
    let stored_len = read_u64(bytes, 12);
    let raw_len = read_u64(bytes, 20);
    let compressed = flags & FLAG_LZ4 != 0;
    let plausible = if compressed {
        raw_len <= stored_len.saturating_mul(LZ4_MAX_RATIO).saturating_add(64)
    } else {
        raw_len == stored_len
    };
    if !plausible {
        return Err(corrupt("payload lengths are inconsistent"));
    }
    let expires = read_u64(bytes, 36);
    let key = KeyHash(u128::from_be_bytes(array16(bytes, 52)));
    let mut r = Reader {
        bytes: &bytes[..hsum_at],
        at: FIXED_HEADER,
    };
    let ns_len = r.u16()? as usize;
    if ns_len == 0 || ns_len > MAX_NAMESPACE {
        return Err(corrupt("namespace length out of range"));
    }
    let namespace = r.string(ns_len)?;
    let key_len = r.u32()? as usize;
    let key_bytes = r.take(key_len)?.to_vec();
    let tag_count = r.u16()? as usize;
    if tag_count > MAX_TAGS {
        return Err(corrupt("too many tags"));
    }
    let mut tags = Vec::with_capacity(tag_count);
    for _ in 0..tag_count {
        let n = r.u16()? as usize;
        if n == 0 || n > MAX_TAG {
            return Err(corrupt("tag length out of range"));
        }
        tags.push(r.string(n)?);
    }
    let meta_len = r.u32()? as usize;
    if meta_len > MAX_META {
        return Err(corrupt("metadata too large"));
    }
    let meta = r.take(meta_len)?.to_vec();
    if r.at != hsum_at {
        return Err(corrupt("header has trailing bytes"));
    }
    if KeyHash::of(&key_bytes) != key {
        return Err(corrupt("stored key does not match its hash"));
    }
    // Listing, stats and namespace invalidation trust the namespace field.
    if !crate::key::ends_with_namespace(&key_bytes, &namespace) {
        return Err(corrupt("namespace differs from the stored key's"));
    }
    Ok(HeaderRead::Complete(FrameHeader {
        key,
        key_bytes,
        namespace,
        created_ms: read_u64(bytes, 28),
        expires_ms: (expires != 0).then_some(expires),
        cost_us: read_u64(bytes, 44),
        codec,
        compressed,
        raw_len,
        stored_len,
        tags,
        meta,
        header_len,
    }))
}

fn corrupt(msg: impl Into<String>) -> Error {
    Error::corrupt("decode frame", msg)
}

// Callers check bounds first; these only read fixed offsets inside the fixed header.
fn read_u32(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn read_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

fn array16(b: &[u8], at: usize) -> [u8; 16] {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[at..at + 16]);
    a
}

/// Bounds-checked cursor over the variable part of the header.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| corrupt("header field runs past the header"))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u16(&mut self) -> Result<u16> {
        let s = self.take(2)?;
        Ok(u16::from_le_bytes([s[0], s[1]]))
    }

    fn u32(&mut self) -> Result<u32> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }

    fn string(&mut self, n: usize) -> Result<String> {
        let s = self.take(n)?;
        core::str::from_utf8(s)
            .map(String::from)
            .map_err(|_| corrupt("text field is not UTF-8"))
    }
}
