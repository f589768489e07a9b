//! Frame codec: round trips, compression choice, and that no damage goes unnoticed.
#![allow(clippy::unwrap_used)]

mod common;

use larder_core::frame::{self, FrameInput, HeaderRead, codec};
use larder_core::{ErrorKind, Key};
use proptest::prelude::*;

fn key() -> Key {
    Key::new("frame-test", &("params", 7)).unwrap()
}

fn encode(payload: &[u8], tags: &[String], meta: &[u8], expires: Option<u64>) -> Vec<u8> {
    let key = key();
    frame::encode(&FrameInput {
        key: &key,
        created_ms: 1_700_000_000_000,
        expires_ms: expires,
        cost_us: 1234,
        codec: codec::POSTCARD,
        tags,
        meta,
        payload,
    })
    .unwrap()
}

#[test]
fn round_trip_keeps_every_field() {
    let tags = vec!["a".to_string(), "ünïcode".to_string()];
    let bytes = encode(b"payload", &tags, b"meta", Some(42));
    let (h, p) = frame::decode(&bytes).unwrap();
    assert_eq!(p, b"payload");
    assert_eq!(h.key, key().hash());
    assert_eq!(h.key_bytes, key().bytes());
    assert_eq!(h.namespace, "frame-test");
    assert_eq!(h.created_ms, 1_700_000_000_000);
    assert_eq!(h.expires_ms, Some(42));
    assert_eq!(h.cost_us, 1234);
    assert_eq!(h.codec, codec::POSTCARD);
    assert_eq!(h.tags, tags);
    assert_eq!(h.meta, b"meta");
    assert_eq!(h.frame_len(), bytes.len() as u64);
    let m = h.to_meta(99);
    assert_eq!((m.size, m.last_access_ms), (bytes.len() as u64, 99));
}

#[test]
fn compresses_only_when_it_shrinks() {
    let repetitive = vec![7u8; 10_000];
    let bytes = encode(&repetitive, &[], b"", None);
    let (h, p) = frame::decode(&bytes).unwrap();
    assert!(
        h.compressed && bytes.len() < 1_000,
        "frame is {} bytes",
        bytes.len()
    );
    assert_eq!(p, repetitive);

    // Noise does not compress: stored raw.
    let noise = common::noise(10_000, 1);
    let bytes = encode(&noise, &[], b"", None);
    let (h, p) = frame::decode(&bytes).unwrap();
    assert!(!h.compressed);
    assert_eq!(p, noise);
}

#[test]
fn header_decodes_from_a_prefix() {
    let bytes = encode(&[1u8; 5000], &["t".into()], b"m", None);
    let HeaderRead::NeedBytes(n) = frame::decode_header(&bytes[..10]).unwrap() else {
        panic!("expected NeedBytes")
    };
    let HeaderRead::NeedBytes(n) = frame::decode_header(&bytes[..n]).unwrap() else {
        panic!("expected NeedBytes for the full header")
    };
    match frame::decode_header(&bytes[..n]).unwrap() {
        HeaderRead::Complete(h) => assert_eq!(h.tags, vec!["t".to_string()]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_bit_flip_and_truncation_is_detected() {
    let bytes = encode(&[3u8; 300], &["tag".into()], b"m", Some(5));
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut b = bytes.clone();
            b[i] ^= 1 << bit;
            let err = frame::decode(&b).expect_err("a flipped bit must not decode");
            assert_eq!(err.kind(), ErrorKind::Corrupt);
        }
    }
    for n in 0..bytes.len() {
        assert!(
            frame::decode(&bytes[..n]).is_err(),
            "truncated to {n} decoded"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(frame::decode(&longer).is_err());
}

#[test]
fn foreign_and_future_frames_are_corrupt() {
    assert!(frame::decode(b"{\"json\": true}").is_err());
    let mut b = encode(b"x", &[], b"", None);
    b[4] = 2; // a future format version
    let e = frame::decode(&b).unwrap_err();
    assert!(e.message().contains("version 2"), "{e}");
}

#[test]
fn bad_tags_and_meta_are_rejected_before_encoding() {
    let k = key();
    let big_meta = vec![0u8; 70_000];
    let empty_tag = vec![String::new()];
    let input = |tags: &'static [String], meta| FrameInput {
        key: &k,
        created_ms: 0,
        expires_ms: None,
        cost_us: 0,
        codec: codec::BYTES,
        tags,
        meta,
        payload: b"",
    };
    let e = frame::encode(&input(&[], &big_meta)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooLarge);
    let e = frame::validate(&empty_tag, b"").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = frame::decode(&bytes);
        let _ = frame::decode_header(&bytes);
    }

    #[test]
    fn arbitrary_entries_round_trip(
        payload in proptest::collection::vec(any::<u8>(), 0..3000),
        tags in proptest::collection::vec("[a-z]{1,8}", 0..4),
        meta in proptest::collection::vec(any::<u8>(), 0..50),
        expires in proptest::option::of(1u64..u64::MAX),
    ) {
        let bytes = encode(&payload, &tags, &meta, expires);
        let (h, p) = frame::decode(&bytes).unwrap();
        let (h2, data, start) = frame::decode_owned(bytes.clone()).unwrap();
        prop_assert_eq!(&h2, &h);
        prop_assert_eq!(&data[start..], &p[..]);
        prop_assert_eq!(p, payload);
        prop_assert_eq!(h.tags, tags);
        prop_assert_eq!(h.meta, meta);
        prop_assert_eq!(h.expires_ms, expires);
    }

    #[test]
    fn damaged_valid_frames_never_decode(
        payload in proptest::collection::vec(any::<u8>(), 0..500),
        at in any::<prop::sample::Index>(),
        xor in 1u8..,
    ) {
        let mut bytes = encode(&payload, &[], b"", None);
        let i = at.index(bytes.len());
        bytes[i] ^= xor;
        prop_assert!(frame::decode(&bytes).is_err());
    }

    #[test]
    fn valid_frames_with_arbitrary_suffix_or_prefix_never_decode(
        junk in proptest::collection::vec(any::<u8>(), 1..20),
    ) {
        let bytes = encode(b"value", &[], b"", None);
        let mut with_suffix = bytes.clone();
        with_suffix.extend_from_slice(&junk);
        prop_assert!(frame::decode(&with_suffix).is_err());
        let mut with_prefix = junk.clone();
        with_prefix.extend_from_slice(&bytes);
        prop_assert!(frame::decode(&with_prefix).is_err());
    }
}

/// The fuzz target's seeds (core/fuzz/seeds/frame_decode) are valid frames, so
/// the fuzzer starts past the checksums. `LARDER_WRITE_SEEDS=1` regenerates them.
#[test]
fn fuzz_seeds_are_valid_frames() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/frame_decode");
    let tags = vec!["tag".to_string(), "ünï".to_string()];
    let seeds = [
        ("plain", encode(b"small value", &[], b"", None)),
        (
            "tagged",
            encode(b"with tags and meta", &tags, b"meta", Some(7)),
        ),
        ("lz4", encode(&[5u8; 2000], &tags, b"", None)),
    ];
    if std::env::var_os("LARDER_WRITE_SEEDS").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in &seeds {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
    }
    for (name, bytes) in &seeds {
        let on_disk = std::fs::read(dir.join(name)).unwrap();
        assert_eq!(
            &on_disk, bytes,
            "seed {name} is stale: rerun with LARDER_WRITE_SEEDS=1"
        );
        frame::decode(&on_disk).unwrap();
    }
}

#[test]
fn peek_gives_key_and_length_of_the_fixed_header() {
    let bytes = encode(&[7u8; 300], &["t".to_string()], b"m", None);
    let claimed = Some((key().hash(), bytes.len() as u64));
    assert_eq!(frame::peek(&bytes), claimed);
    // Only the fixed header is read: a cut frame still tells its full length.
    assert_eq!(frame::peek(&bytes[..frame::FIXED_HEADER]), claimed);
    assert_eq!(frame::peek(&bytes[..frame::FIXED_HEADER - 1]), None);
    let mut bad = bytes.clone();
    bad[0] ^= 1;
    assert_eq!(frame::peek(&bad), None);
}
