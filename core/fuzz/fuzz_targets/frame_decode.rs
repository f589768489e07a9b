//! Fuzz the entry frame decoders: they must never panic; a frame they accept
//! must re-encode to exactly the input, its namespace must be its key's, and
//! its header must agree with the header-only decoder.
//!
//! Run from `core/fuzz` (its own workspace):
//! `cargo +nightly fuzz run frame_decode -- -max_total_time=60`
#![no_main]

use larder_core::Key;
use larder_core::frame::{self, FrameInput, HeaderRead};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let header_only = frame::decode_header(data);
    let owned = frame::decode_owned(data.to_vec());
    let Ok((header, payload)) = frame::decode(data) else {
        assert!(owned.is_err(), "decode_owned accepted what decode did not");
        return;
    };
    let (owned_header, buf, start) = owned.expect("decode_owned agrees with decode");
    assert_eq!((&owned_header, &buf[start..]), (&header, &payload[..]));
    match header_only {
        Ok(HeaderRead::Complete(h)) => assert_eq!(h, header),
        other => panic!("decode accepted what decode_header did not: {other:?}"),
    }
    assert_eq!(payload.len() as u64, header.raw_len);
    // Frames written by larder hold a valid key; re-encoding one must reproduce
    // the input byte for byte (lz4 output is deterministic).
    if let Ok(key) = Key::from_bytes(&header.key_bytes) {
        assert_eq!(key.namespace(), header.namespace, "a namespace not the key's");
        let again = frame::encode(&FrameInput {
            key: &key,
            created_ms: header.created_ms,
            expires_ms: header.expires_ms,
            cost_us: header.cost_us,
            codec: header.codec,
            tags: &header.tags,
            meta: &header.meta,
            payload: &payload,
        });
        if let Ok(again) = again {
            if again.len() == data.len() {
                assert_eq!(again, data);
            }
        }
    }
});
