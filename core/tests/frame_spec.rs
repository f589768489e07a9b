//! Frames built by hand from the layout in docs/FORMAT.md ("Entries"), with
//! valid checksums: the encoder must write exactly these bytes, and a decoder
//! must reject every frame that breaks a rule the checksums cannot catch.
#![allow(clippy::unwrap_used)]

mod common;

use larder_core::frame::{self, FrameInput, HeaderRead, codec};
use larder_core::{ErrorKind, Key, KeyHash};
use xxhash_rust::xxh3::xxh3_64;

// Limits as docs/FORMAT.md states them, not as the code defines them.
/// The fixed part, four empty length fields (namespace, key, tag count,
/// meta) and the header checksum.
const SMALLEST_HEADER: usize = 68 + 2 + 4 + 2 + 4 + 8;
const MAX_TAGS: usize = 256;
const MAX_TAG: usize = 1024;
const MAX_META: usize = 64 * 1024;
const MAX_KEY: usize = 65536;
const MAX_NAMESPACE: usize = 1024;

#[test]
fn the_public_limits_are_the_documented_ones() {
    assert_eq!(frame::MIN_FRAME, SMALLEST_HEADER + 8);
    assert_eq!(
        (frame::MAX_TAGS, frame::MAX_TAG, frame::MAX_META),
        (MAX_TAGS, MAX_TAG, MAX_META)
    );
    assert_eq!(
        (frame::MAX_KEY, frame::MAX_NAMESPACE),
        (MAX_KEY, MAX_NAMESPACE)
    );
}

/// Every field of a frame, written in the documented order.
#[derive(Clone)]
struct Raw {
    version: u8,
    flags: u8,
    codec: u8,
    reserved: u8,
    stored_len: u64,
    raw_len: u64,
    created_ms: u64,
    expires_ms: u64,
    cost_us: u64,
    key_hash: KeyHash,
    namespace: Vec<u8>,
    key: Vec<u8>,
    tags: Vec<Vec<u8>>,
    meta: Vec<u8>,
    /// Bytes between the meta and the header checksum (none in a valid frame).
    padding: Vec<u8>,
    payload: Vec<u8>,
}

impl Raw {
    /// A valid uncompressed frame of `key`.
    fn of(key: &Key, payload: &[u8]) -> Raw {
        Raw {
            version: frame::FORMAT_VERSION,
            flags: 0,
            codec: codec::BYTES,
            reserved: 0,
            stored_len: payload.len() as u64,
            raw_len: payload.len() as u64,
            created_ms: 1_700_000_000_000,
            expires_ms: 0,
            cost_us: 55,
            key_hash: key.hash(),
            namespace: key.namespace().as_bytes().to_vec(),
            key: key.bytes().to_vec(),
            tags: Vec::new(),
            meta: Vec::new(),
            padding: Vec::new(),
            payload: payload.to_vec(),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut var = Vec::new();
        var.extend_from_slice(&(self.namespace.len() as u16).to_le_bytes());
        var.extend_from_slice(&self.namespace);
        var.extend_from_slice(&(self.key.len() as u32).to_le_bytes());
        var.extend_from_slice(&self.key);
        var.extend_from_slice(&(self.tags.len() as u16).to_le_bytes());
        for t in &self.tags {
            var.extend_from_slice(&(t.len() as u16).to_le_bytes());
            var.extend_from_slice(t);
        }
        var.extend_from_slice(&(self.meta.len() as u32).to_le_bytes());
        var.extend_from_slice(&self.meta);
        var.extend_from_slice(&self.padding);
        let header_len = 68 + var.len() + 8;

        let mut out = b"LRDR".to_vec();
        out.extend_from_slice(&[self.version, self.flags, self.codec, self.reserved]);
        out.extend_from_slice(&(header_len as u32).to_le_bytes());
        for n in [
            self.stored_len,
            self.raw_len,
            self.created_ms,
            self.expires_ms,
            self.cost_us,
        ] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        out.extend_from_slice(&self.key_hash.0.to_be_bytes());
        assert_eq!(out.len(), 68, "the fixed header");
        out.extend_from_slice(&var);
        out.extend_from_slice(&xxh3_64(&out).to_le_bytes());
        out.extend_from_slice(&self.payload);
        out.extend_from_slice(&xxh3_64(&out).to_le_bytes());
        out
    }
}

fn key() -> Key {
    Key::new("spec", &("params", 7)).unwrap()
}

fn input<'a>(
    key: &'a Key,
    tags: &'a [String],
    meta: &'a [u8],
    payload: &'a [u8],
) -> FrameInput<'a> {
    FrameInput {
        key,
        created_ms: 1_700_000_000_000,
        expires_ms: None,
        cost_us: 55,
        codec: codec::BYTES,
        tags,
        meta,
        payload,
    }
}

/// `decode` and `decode_header` both reject `bytes` as corrupt.
#[track_caller]
fn assert_corrupt(bytes: &[u8]) {
    let e = frame::decode(bytes).expect_err("decoded a malformed frame");
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
    let e = frame::decode_header(bytes).expect_err("decoded a malformed header");
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
}

#[test]
fn the_encoder_writes_the_documented_layout() {
    let k = key();
    let tags = vec!["a".to_string(), "ünï".to_string()];
    let mut raw = Raw::of(&k, b"a small value");
    raw.codec = codec::POSTCARD;
    raw.expires_ms = 1_700_000_060_000;
    raw.tags = tags.iter().map(|t| t.as_bytes().to_vec()).collect();
    raw.meta = b"user meta".to_vec();
    let mut i = input(&k, &tags, b"user meta", b"a small value");
    i.codec = codec::POSTCARD;
    i.expires_ms = Some(1_700_000_060_000);
    assert_eq!(frame::encode(&i).unwrap(), raw.bytes());
}

#[test]
fn a_hand_built_frame_decodes_to_its_fields() {
    let k = key();
    let mut raw = Raw::of(&k, b"value");
    raw.codec = codec::JS;
    raw.expires_ms = 99;
    raw.cost_us = 1234;
    raw.tags = vec![b"t1".to_vec(), b"t2".to_vec()];
    raw.meta = vec![0, 1, 2];
    let bytes = raw.bytes();
    let (h, payload) = frame::decode(&bytes).unwrap();
    assert_eq!(payload, b"value");
    assert_eq!(h.key, k.hash());
    assert_eq!(h.key_bytes, k.bytes());
    assert_eq!(h.namespace, "spec");
    assert_eq!(h.created_ms, raw.created_ms);
    assert_eq!(h.expires_ms, Some(99));
    assert_eq!(h.cost_us, 1234);
    assert_eq!(h.codec, codec::JS);
    assert!(!h.compressed);
    assert_eq!((h.raw_len, h.stored_len), (5, 5));
    assert_eq!(h.tags, ["t1", "t2"]);
    assert_eq!(h.meta, [0, 1, 2]);
    assert_eq!(h.header_len, bytes.len() - 5 - 8);
    assert_eq!(
        frame::decode_header(&bytes).unwrap(),
        HeaderRead::Complete(h)
    );
}

#[test]
fn unknown_flags_and_a_nonzero_reserved_byte_are_corrupt() {
    for bit in 1..8 {
        let mut raw = Raw::of(&key(), b"v");
        raw.flags = 1 << bit;
        assert_corrupt(&raw.bytes());
    }
    let mut raw = Raw::of(&key(), b"v");
    raw.reserved = 1;
    assert_corrupt(&raw.bytes());
}

#[test]
fn unknown_versions_are_corrupt() {
    for version in [0, frame::FORMAT_VERSION + 1, 255] {
        let mut raw = Raw::of(&key(), b"v");
        raw.version = version;
        assert_corrupt(&raw.bytes());
    }
}

#[test]
fn an_uncompressed_payload_must_claim_its_own_length() {
    for raw_len in [0, 4, 6, u64::MAX] {
        let mut raw = Raw::of(&key(), b"value");
        raw.raw_len = raw_len;
        assert_corrupt(&raw.bytes());
    }
}

#[test]
fn a_stored_length_that_disagrees_with_the_frame_is_corrupt() {
    for stored_len in [0, 4, 6, u64::MAX] {
        let mut raw = Raw::of(&key(), b"value");
        (raw.stored_len, raw.raw_len) = (stored_len, stored_len);
        let bytes = raw.bytes();
        // The header alone cannot tell; the whole frame can.
        assert!(matches!(
            frame::decode_header(&bytes),
            Ok(HeaderRead::Complete(_))
        ));
        let e = frame::decode(&bytes).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt);
    }
}

/// An lz4 frame built by hand: `payload` compressed, flag bit 0 set.
fn compressed(payload: &[u8]) -> Raw {
    let block = lz4_flex::block::compress(payload);
    let mut raw = Raw::of(&key(), &block);
    raw.flags = 1;
    raw.raw_len = payload.len() as u64;
    raw
}

#[test]
fn compressed_payloads_decompress_to_exactly_their_claimed_length() {
    let value = vec![9u8; 5_000];
    let raw = compressed(&value);
    let (h, payload) = frame::decode(&raw.bytes()).unwrap();
    assert!(h.compressed);
    assert_eq!(payload, value);
    let (_, buf, start) = frame::decode_owned(raw.bytes()).unwrap();
    assert_eq!(&buf[start..], &value[..]);

    for raw_len in [value.len() as u64 - 1, value.len() as u64 + 1, 0] {
        let mut bad = raw.clone();
        bad.raw_len = raw_len;
        let e = frame::decode(&bad.bytes()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt, "raw_len {raw_len}");
        let e = frame::decode_owned(bad.bytes()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt, "raw_len {raw_len}");
    }
}

#[test]
fn an_impossible_expansion_is_rejected_from_the_header_alone() {
    // lz4 cannot turn 10 bytes into a gigabyte: no reader should allocate that.
    let mut raw = compressed(&[1u8; 100]);
    raw.raw_len = 1 << 30;
    assert_corrupt(&raw.bytes());
    let mut raw = compressed(&[1u8; 100]);
    raw.raw_len = u64::MAX;
    assert_corrupt(&raw.bytes());
}

#[test]
fn a_header_with_bytes_after_its_fields_is_corrupt() {
    for padding in [vec![0u8], vec![0u8; 8]] {
        let mut raw = Raw::of(&key(), b"v");
        raw.padding = padding;
        assert_corrupt(&raw.bytes());
    }
}

#[test]
fn fields_that_run_past_the_header_are_corrupt() {
    let valid = Raw::of(&key(), b"v").bytes();
    let ns_at = frame::FIXED_HEADER;
    let header_len = u32::from_le_bytes(valid[8..12].try_into().unwrap()) as usize;
    // Claim a namespace as long as the whole header, then as long as possible.
    for claim in [header_len as u16, u16::MAX] {
        let mut b = valid.clone();
        b[ns_at..ns_at + 2].copy_from_slice(&claim.to_le_bytes());
        reseal(&mut b);
        assert_corrupt(&b);
    }
    // The key's length field follows the namespace.
    let key_at = ns_at + 2 + "spec".len();
    for claim in [header_len as u32, u32::MAX] {
        let mut b = valid.clone();
        b[key_at..key_at + 4].copy_from_slice(&claim.to_le_bytes());
        reseal(&mut b);
        assert_corrupt(&b);
    }
}

/// Recompute both checksums of a frame edited in place.
fn reseal(b: &mut [u8]) {
    let header_len = u32::from_le_bytes(b[8..12].try_into().unwrap()) as usize;
    let sum = xxh3_64(&b[..header_len - 8]);
    b[header_len - 8..header_len].copy_from_slice(&sum.to_le_bytes());
    let end = b.len() - 8;
    let sum = xxh3_64(&b[..end]);
    b[end..].copy_from_slice(&sum.to_le_bytes());
}

#[test]
fn a_key_that_does_not_match_its_hash_is_corrupt() {
    let k = key();
    let other = Key::new("spec", &("params", 8)).unwrap();
    let mut raw = Raw::of(&k, b"v");
    raw.key_hash = other.hash();
    assert_corrupt(&raw.bytes());
    let mut raw = Raw::of(&k, b"v");
    raw.key = other.bytes().to_vec();
    assert_corrupt(&raw.bytes());
}

#[test]
fn text_fields_must_be_utf8() {
    let mut raw = Raw::of(&key(), b"v");
    raw.namespace = b"sp\xffc".to_vec();
    assert_corrupt(&raw.bytes());
    let mut raw = Raw::of(&key(), b"v");
    raw.tags = vec![b"ok".to_vec(), b"\xc3".to_vec()];
    assert_corrupt(&raw.bytes());
}

#[test]
fn more_tags_than_allowed_are_corrupt() {
    let tags = |n: usize| (0..n).map(|i| format!("t{i}").into_bytes()).collect();
    let mut raw = Raw::of(&key(), b"v");
    raw.tags = tags(MAX_TAGS);
    let (h, _) = frame::decode(&raw.bytes()).unwrap();
    assert_eq!(h.tags.len(), MAX_TAGS);
    raw.tags = tags(MAX_TAGS + 1);
    assert_corrupt(&raw.bytes());
}

/// What the writer guarantees and listing, stats and namespace invalidation
/// rely on is checked on read too: a checksum only shows that the bytes are
/// the ones written, not that a larder wrote them.
#[test]
fn a_header_that_breaks_the_writers_rules_is_corrupt() {
    // The key's namespace is "spec": another of the same length, a suffix of
    // it, an empty one, and one past the limit.
    let too_long = vec![b'n'; MAX_NAMESPACE + 1];
    for ns in [&b"spex"[..], b"pec", b"", &too_long] {
        let mut raw = Raw::of(&key(), b"v");
        raw.namespace = ns.to_vec();
        assert_corrupt(&raw.bytes());
    }
    // The longest namespace is read when it is the key's.
    let long = "n".repeat(MAX_NAMESPACE);
    let raw = Raw::of(&Key::new(&long, &1).unwrap(), b"v");
    assert_eq!(frame::decode(&raw.bytes()).unwrap().0.namespace, long);
    for tag in [Vec::new(), vec![b't'; MAX_TAG + 1]] {
        let mut raw = Raw::of(&key(), b"v");
        raw.tags = vec![b"ok".to_vec(), tag];
        assert_corrupt(&raw.bytes());
    }
    let mut raw = Raw::of(&key(), b"v");
    raw.meta = vec![0; MAX_META + 1];
    assert_corrupt(&raw.bytes());
}

#[test]
fn expiry_zero_means_never() {
    let mut raw = Raw::of(&key(), b"v");
    raw.expires_ms = 0;
    assert_eq!(frame::decode(&raw.bytes()).unwrap().0.expires_ms, None);
    raw.expires_ms = 1;
    assert_eq!(frame::decode(&raw.bytes()).unwrap().0.expires_ms, Some(1));
}

#[test]
fn limits_are_inclusive() {
    let k = key();
    let at_most = |tags: &[String], meta: &[u8]| {
        let bytes = frame::encode(&input(&k, tags, meta, b"v")).unwrap();
        let (h, _) = frame::decode(&bytes).unwrap();
        assert_eq!((&h.tags[..], &h.meta[..]), (tags, meta));
    };
    let too_many = |tags: &[String], meta: &[u8], kind| {
        assert_eq!(frame::validate(tags, meta).unwrap_err().kind(), kind);
        let e = frame::encode(&input(&k, tags, meta, b"v")).unwrap_err();
        assert_eq!(e.kind(), kind);
    };
    let many: Vec<String> = (0..=MAX_TAGS).map(|i| format!("t{i}")).collect();
    at_most(&many[..MAX_TAGS], b"");
    too_many(&many, b"", ErrorKind::InvalidInput);

    let long = "x".repeat(MAX_TAG + 1);
    at_most(&[long[..MAX_TAG].to_string()], b"");
    too_many(&[long], b"", ErrorKind::InvalidInput);
    too_many(&[String::new()], b"", ErrorKind::InvalidInput);

    let meta = vec![7u8; MAX_META + 1];
    at_most(&[], &meta[..MAX_META]);
    too_many(&[], &meta, ErrorKind::TooLarge);
}

#[test]
fn the_largest_keys_and_namespaces_encode() {
    // The longest namespace, and params that make the key exactly as long as
    // a key can be (the string's length prefix takes 3 bytes instead of 1).
    let ns = "n".repeat(MAX_NAMESPACE);
    let base = Key::new(&ns, "").unwrap().bytes().len();
    let big = Key::new(&ns, &"p".repeat(MAX_KEY - base - 2)).unwrap();
    assert_eq!(big.bytes().len(), MAX_KEY);
    let bytes = frame::encode(&input(&big, &[], b"", b"v")).unwrap();
    let (h, _) = frame::decode(&bytes).unwrap();
    assert_eq!((h.key, &h.namespace[..]), (big.hash(), &ns[..]));
}

#[test]
fn a_header_length_below_the_minimum_is_corrupt_from_the_first_bytes() {
    let valid = Raw::of(&key(), b"v").bytes();
    for claim in 0..SMALLEST_HEADER {
        let mut b = valid.clone();
        b[8..12].copy_from_slice(&(claim as u32).to_le_bytes());
        // Known from the first 12 bytes: no need to read further.
        let e = frame::decode_header(&b[..12]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt, "header_len {claim}");
        assert_corrupt(&b);
    }
    // The smallest header there can be is worth reading.
    let mut b = valid.clone();
    b[8..12].copy_from_slice(&(SMALLEST_HEADER as u32).to_le_bytes());
    assert_eq!(
        frame::decode_header(&b[..12]).unwrap(),
        HeaderRead::NeedBytes(SMALLEST_HEADER)
    );
}

#[test]
fn short_prefixes_ask_for_more_unless_the_magic_is_wrong() {
    let valid = Raw::of(&key(), b"v").bytes();
    let header_len = u32::from_le_bytes(valid[8..12].try_into().unwrap()) as usize;
    for n in 0..12 {
        assert_eq!(
            frame::decode_header(&valid[..n]).unwrap(),
            HeaderRead::NeedBytes(frame::FIXED_HEADER),
            "prefix of {n}"
        );
    }
    for n in 12..header_len {
        assert_eq!(
            frame::decode_header(&valid[..n]).unwrap(),
            HeaderRead::NeedBytes(header_len),
            "prefix of {n}"
        );
    }
    assert!(matches!(
        frame::decode_header(&valid[..header_len]).unwrap(),
        HeaderRead::Complete(_)
    ));
    let mut bad = valid.clone();
    bad[3] = b'X';
    for n in 4..bad.len() {
        assert_corrupt(&bad[..n]);
    }
}

#[test]
fn only_payloads_of_64_bytes_or_more_are_compressed() {
    let k = key();
    // 63 zeros would compress well, but are too short to try.
    let short = [0u8; 63];
    let bytes = frame::encode(&input(&k, &[], b"", &short)).unwrap();
    assert_eq!(bytes, Raw::of(&k, &short).bytes());
    let long = [0u8; 64];
    let bytes = frame::encode(&input(&k, &[], b"", &long)).unwrap();
    assert_eq!(bytes, compressed(&long).bytes());
}

#[test]
fn a_block_no_shorter_than_the_payload_is_not_used() {
    // Zeros then noise: find a payload whose lz4 block is exactly as long as
    // it is, which must be stored raw.
    let k = key();
    let payload = (0..64)
        .flat_map(|zeros| (64..600).map(move |n| [vec![0u8; zeros], common::noise(n, 3)].concat()))
        .find(|p| lz4_flex::block::compress(p).len() == p.len())
        .expect("some mix compresses to its own length");
    let bytes = frame::encode(&input(&k, &[], b"", &payload)).unwrap();
    assert_eq!(bytes, Raw::of(&k, &payload).bytes());
}
