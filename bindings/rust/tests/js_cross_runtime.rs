//! The Rust halves of the cross-runtime check with the npm package, run by
//! `cargo xtask test` (stage "npm package"; xtask/src/npm_test.rs) in order:
//!
//! 1. `js_cross_runtime_write`: this crate writes entries into `$LARDER_CROSS_DIR`;
//! 2. Node, then Deno, run `bindings/wasm/npm/test/cross.js` through the
//!    installed package: each reads what was written before it, with the params
//!    in another order, and writes its own entries;
//! 3. `js_cross_runtime_verify`: this crate reads back what Node and Deno wrote.
//!
//! Both are `#[ignore]`d: they only make sense in that sequence, and they fail
//! (never pass silently) when run without `$LARDER_CROSS_DIR`. The entries and
//! their bytes are defined twice, here and in cross.js, and must agree.
#![allow(clippy::unwrap_used)]

use larder::{PutOptions, blocking::Cache, codec};
use serde::Serialize;

/// How many entries each runtime writes.
const N: u32 = 12;
/// Entry lengths, by `i % 6`: empty, tiny, around lz4's 64-byte threshold, large.
const LENS: [usize; 6] = [0, 1, 63, 64, 4096, 70_000];

/// The bytes of an entry: an odd seed repeats one byte (lz4 shrinks it), an
/// even one is the conformance suite's xorshift noise (stored as it is).
fn pattern(seed: u32, len: usize) -> Vec<u8> {
    if seed % 2 == 1 {
        vec![seed as u8; len]
    } else {
        larder_tests::fixtures::payload(seed, len)
    }
}

fn bytes_of(base: u32, i: u32) -> Vec<u8> {
    pattern(base + i, LENS[i as usize % 6])
}

/// The params of the entries Rust writes. JS reads them with the fields in
/// another order and `big` as a bigint.
#[derive(Serialize)]
struct Native {
    user: &'static str,
    i: u32,
    page: u8,
    filters: Filters,
    big: u64,
    ratio: f64,
    flag: Option<bool>,
}

#[derive(Serialize)]
struct Filters {
    lang: &'static str,
    tags: [&'static str; 2],
}

fn native(i: u32) -> Native {
    Native {
        user: "ada",
        i,
        page: 3,
        filters: Filters {
            lang: "en",
            tags: ["a", "b"],
        },
        big: 1 << 60,
        ratio: 0.5,
        flag: None,
    }
}

/// The params of the entries JS writes (`{ runtime, i, nested: { z: 1, a: [1, 2n] } }`),
/// declared here in another order.
#[derive(Serialize)]
struct FromJs {
    nested: Nested,
    i: u32,
    runtime: &'static str,
}

#[derive(Serialize)]
struct Nested {
    a: (u8, u8),
    z: u8,
}

fn from_js(runtime: &'static str, i: u32) -> FromJs {
    FromJs {
        nested: Nested { a: (1, 2), z: 1 },
        i,
        runtime,
    }
}

fn cache() -> Cache {
    let dir = std::env::var("LARDER_CROSS_DIR")
        .expect("LARDER_CROSS_DIR must name the shared directory (run by cargo xtask test)");
    Cache::open(dir).unwrap()
}

#[test]
#[ignore = "step 1 of the npm cross-runtime check, run by cargo xtask test"]
fn js_cross_runtime_write() {
    let cache = cache();
    for i in 0..N {
        let opts = PutOptions::new().tag("native");
        cache
            .put_bytes("cross", &native(i), bytes_of(0, i), &opts)
            .unwrap();
    }
    for i in 0..2u32 {
        cache
            .put_bytes(("cross-v", 3), &i, bytes_of(100, i), &PutOptions::new())
            .unwrap();
    }
    // A typed (postcard) value: JS must refuse it with kind "codec", not misread it.
    cache
        .put("cross-typed", &1u8, &"hello".to_string())
        .unwrap();
}

#[test]
#[ignore = "step 3 of the npm cross-runtime check, run by cargo xtask test"]
fn js_cross_runtime_verify() {
    let cache = cache();
    for (runtime, base) in [("node", 1000), ("deno", 2000)] {
        for i in 0..N {
            let key = cache.r#async().key("cross", &from_js(runtime, i)).unwrap();
            let entry = cache.get_entry(&key).unwrap();
            let entry = entry.unwrap_or_else(|| panic!("{runtime} entry {i} is missing"));
            assert_eq!(
                entry.codec,
                codec::BYTES,
                "{runtime} {i}: raw: true is codec 0"
            );
            assert!(
                entry.payload() == bytes_of(base, i).as_slice(),
                "{runtime} entry {i}: the bytes differ"
            );
            assert_eq!(
                cache.get_bytes("cross", &from_js(runtime, i)).unwrap(),
                Some(bytes_of(base, i))
            );
        }
        let tagged = cache
            .entries(&larder::Filter {
                tag: Some(runtime.into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(tagged.len(), N as usize + 1, "{runtime}'s tagged entries");
        // A structured JS value is codec 2: get_bytes hands back its encoding.
        let structured = cache
            .get_bytes("cross-structured", &runtime)
            .unwrap()
            .unwrap_or_else(|| panic!("{runtime}'s structured entry is missing"));
        assert_eq!(
            structured.first(),
            Some(&1),
            "codec 2 starts with its version byte"
        );
    }
    // What Rust wrote survived being read by both runtimes.
    for i in 0..N {
        assert_eq!(
            cache.get_bytes("cross", &native(i)).unwrap(),
            Some(bytes_of(0, i))
        );
    }
    assert_eq!(cache.stats().unwrap().corrupt, 0);
}
