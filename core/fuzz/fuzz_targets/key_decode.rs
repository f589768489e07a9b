//! Fuzz the key decoders: they must never panic, and whatever they accept must
//! re-encode to exactly the input.
//!
//! Run from `core/fuzz` (its own workspace):
//! `cargo +nightly fuzz run key_decode -- -max_total_time=60 -dict=key_decode.dict`
#![no_main]

use larder_core::{Canon, Key};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(key) = Key::from_bytes(data) {
        assert_eq!(key.bytes(), data);
        let params = key.params().expect("a valid key's params decode");
        let again = Key::from_canon(key.namespace(), key.version(), params).expect("re-encode");
        assert_eq!(again, key);
    }
    if let Ok(canon) = Canon::decode(data) {
        assert_eq!(canon.encode().expect("decoded values encode"), data);
    }
});
