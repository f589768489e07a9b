//! Codec 2: JS values round trip exactly, encode to the documented bytes,
//! refuse what cannot be stored, and decoding garbage is an error, never a panic.
#![cfg(target_arch = "wasm32")]

mod common;

use common::{deep_equal, hex, js, message, name};
use larder_wasm::value::{decode, encode};
use wasm_bindgen_test::wasm_bindgen_test;

fn round_trip(expr: &str) {
    let v = js(expr);
    let bytes = encode(&v, "value").unwrap_or_else(|e| panic!("{expr}: {}", message(&e)));
    let back = decode(&bytes).unwrap_or_else(|e| panic!("{expr}: {}", message(&e)));
    assert!(
        deep_equal(&v, &back),
        "{expr} did not round-trip ({})",
        hex(&bytes)
    );
}

fn bytes_of(expr: &str) -> String {
    hex(&encode(&js(expr), "value").expect(expr))
}

#[wasm_bindgen_test]
fn primitives_round_trip_exactly() {
    for e in [
        "undefined",
        "null",
        "true",
        "false",
        "0",
        "-0",
        "NaN",
        "Infinity",
        "-Infinity",
        "1",
        "-1",
        "0.1",
        "2 ** 53",
        "-(2 ** 53)",
        "2 ** 53 + 2",
        "Number.MAX_VALUE",
        "Number.MIN_VALUE",
        "0n",
        "-1n",
        "255n",
        "256n",
        "-(2n ** 200n) + 7n",
        "''",
        "'héllo \\u0000 wörld 🦀'",
        "'lone \\ud800 surrogate'",
        "'\\udc00'",
    ] {
        round_trip(e);
    }
    // The comparison itself tells these apart.
    assert!(!deep_equal(&js("-0"), &js("0")));
    assert!(!deep_equal(&js("1n"), &js("1")));
    assert!(!deep_equal(
        &js("new Int16Array([1])"),
        &js("new Uint16Array([1])")
    ));
    assert!(!deep_equal(&js("({a: 1, b: 2})"), &js("({b: 2, a: 1})")));
    assert!(!deep_equal(&js("new Set([1, 2])"), &js("new Set([2, 1])")));
    assert!(!deep_equal(&js("[undefined]"), &js("[null]")));
}

#[wasm_bindgen_test]
fn containers_round_trip_in_order() {
    for e in [
        "[]",
        "[1, 'a', null, undefined, [2, [3]]]",
        "({})",
        "({b: 1, a: 2, 'with space': {deep: [true]}})",
        "({['__proto__']: 1})",
        "new Map()",
        "new Map([[1, 'one'], ['1', 'string one'], [{k: 1}, new Set([1, 2])], [null, undefined]])",
        "new Set(['b', 'a', 3, 3n])",
        "new Date(0)",
        "new Date(-8.64e15)",
        "new Date(NaN)",
        "({when: new Date(1700000000123), tags: new Set(['x']), m: new Map([[new Date(1), [new Date(2)]]])})",
        "(() => { const o = {x: 1}; return [o, o]; })()",
    ] {
        round_trip(e);
    }
    // __proto__ as an own key stays data, not the prototype.
    round_trip(r#"JSON.parse('{"__proto__": {"x": 1}}')"#);
}

#[wasm_bindgen_test]
fn holes_become_undefined() {
    let v = decode(&encode(&js("[1, , 3]"), "value").expect("enc")).expect("dec");
    assert!(deep_equal(&v, &js("[1, undefined, 3]")));
}

#[wasm_bindgen_test]
fn binary_data_keeps_its_kind_and_bytes() {
    for e in [
        "new ArrayBuffer(0)",
        "new Uint8Array([0, 1, 255]).buffer",
        "new Int8Array([-128, 0, 127])",
        "new Uint8Array([0, 1, 255])",
        "new Uint8ClampedArray([0, 200, 255])",
        "new Int16Array([-32768, 1, 32767])",
        "new Uint16Array([0, 65535])",
        "new Int32Array([-(2 ** 31), 2 ** 31 - 1])",
        "new Uint32Array([0, 2 ** 32 - 1])",
        "new Float32Array([0.1, -0, NaN, Infinity])",
        "new Float64Array([0.1, -0, NaN, -Infinity])",
        "new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n])",
        "new BigUint64Array([0n, 2n ** 64n - 1n])",
        "new DataView(new Uint8Array([9, 8, 7]).buffer)",
        "new Uint16Array(new Uint8Array([1, 2, 3, 4, 5, 6]).buffer, 2, 1)",
        "[new Int8Array(0), new Float64Array(0)]",
    ] {
        round_trip(e);
    }
    // Raw bytes with an element-type tag, never a list of numbers.
    assert_eq!(bytes_of("new Int16Array([1, -2])"), "010f03040100feff");
    assert_eq!(bytes_of("new Uint8Array([0, 255])"), "010f010200ff");
    // Only the viewed part of the buffer is stored.
    assert_eq!(
        bytes_of("new Uint16Array(new Uint8Array([1, 2, 3, 4, 5, 6]).buffer, 2, 1)"),
        "010f04020304"
    );
    assert_eq!(bytes_of("new DataView(new ArrayBuffer(2))"), "010f0b020000");
}

/// Kind 12: a Float16Array keeps its kind and bytes where the runtime has
/// one; where it has none (Node 20), reading one is a "codec" error
/// that names it, never its bits as another type.
#[wasm_bindgen_test]
fn float16_array_is_kind_12_or_a_named_codec_error() {
    let stored = [1, 0x0f, 12, 4, 0x00, 0x3c, 0x00, 0xc0]; // [1, -2]
    if js("typeof Float16Array === 'function'").is_truthy() {
        round_trip("new Float16Array([1, -2, 0.5, -0, NaN, Infinity, 65504, 2 ** -24])");
        round_trip("new Float16Array(new Uint16Array([1, 2, 3]).buffer, 2, 1)");
        assert_eq!(bytes_of("new Float16Array([1, -2])"), hex(&stored));
        let back = decode(&stored).expect("a Float16Array");
        assert!(deep_equal(&back, &js("new Float16Array([1, -2])")));
    } else {
        for bytes in [stored.to_vec(), [&[1, 0x0a, 1][..], &stored[1..]].concat()] {
            let err = decode(&bytes).expect_err("no Float16Array here");
            let kind = js_sys::Reflect::get(&err, &"kind".into()).expect("err.kind");
            assert_eq!(kind.as_string().as_deref(), Some("codec"));
            assert!(
                message(&err).starts_with("the cached value holds a Float16Array"),
                "{}",
                message(&err)
            );
        }
    }
}

/// In Node and Deno the other realm is a vm context; tests/browser.rs runs
/// the same check with an iframe.
#[wasm_bindgen_test]
fn values_from_another_realm_keep_their_kind() {
    let mut values = common::OTHER_REALM_VALUES.to_vec();
    if js("typeof Float16Array === 'function'").is_truthy() {
        values.push("new Float16Array([1.5, -2])");
    }
    common::check_values_from_another_realm(&values, common::OTHER_REALM_PARAMS);
}

#[wasm_bindgen_test]
fn encodings_are_compact_and_documented() {
    assert_eq!(bytes_of("undefined"), "0100");
    assert_eq!(bytes_of("null"), "0101");
    assert_eq!(bytes_of("[false, true]"), "010a020203");
    assert_eq!(bytes_of("-65"), "01048101");
    assert_eq!(bytes_of("-0"), "01050000000000000080");
    assert_eq!(bytes_of("0.1"), "01059a9999999999b93f");
    assert_eq!(bytes_of("-256n"), "010601020100");
    assert_eq!(bytes_of("'hi'"), "0107026869");
    assert_eq!(bytes_of("'\\ud800'"), "01080100d8");
    assert_eq!(bytes_of("({a: 1})"), "010b010701610402");
    assert_eq!(bytes_of("new Map([[1, null]])"), "010c01040201");
    assert_eq!(bytes_of("new Set([1])"), "010d010402");
    assert_eq!(bytes_of("new Date(1)"), "0109000000000000f03f");
    assert_eq!(bytes_of("new Uint8Array([7]).buffer"), "010e0107");
}

fn value_error(expr: &str) -> (String, String) {
    let err = encode(&js(expr), "value").expect_err(expr);
    (name(&err), message(&err))
}

#[wasm_bindgen_test]
fn unsupported_parts_are_type_errors_naming_their_path() {
    assert_eq!(
        value_error("({a: [1, {f() {}}]})"),
        (
            "TypeError".into(),
            "value.a[1].f: a function cannot be stored in the cache".into()
        )
    );
    assert_eq!(
        value_error("new Map([['k', Symbol()]])"),
        (
            "TypeError".into(),
            "value.get(\"k\"): a symbol cannot be stored in the cache".into()
        )
    );
    assert_eq!(
        value_error("(() => { const a = [new Set()]; a[0].add(a); return a; })()"),
        (
            "TypeError".into(),
            "value[0]<Set member 0>: a value that contains itself (a cycle) cannot be stored in the cache"
                .into()
        )
    );
    let (n, m) = value_error("({e: new Error('x')})");
    assert_eq!(n, "TypeError");
    assert!(m.starts_with("value.e: an Error cannot be stored"), "{m}");
    let (n, m) = value_error("({c: new (class Point {})()})");
    assert_eq!(n, "TypeError");
    assert!(m.starts_with("value.c: a Point cannot be stored"), "{m}");
    let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
    let (n, _) = value_error(&deep);
    assert_eq!(n, "RangeError");
}

#[wasm_bindgen_test]
fn garbage_is_an_error_never_a_panic() {
    let cases: Vec<Vec<u8>> = vec![
        vec![],
        vec![2, 1],
        vec![1],
        vec![1, 0x10],
        vec![1, 1, 1],
        vec![1, 0x07, 5, b'a'],
        vec![1, 0x07, 1, 0xff],
        vec![
            1, 0x04, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        ],
        vec![
            1, 0x04, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
        ],
        vec![1, 0x05, 0, 0],
        vec![1, 0x06, 2, 0],
        vec![1, 0x08, 2, 0, 0xd8],
        vec![1, 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f],
        vec![1, 0x0b, 1, 0x04, 0x02, 0x00],
        vec![1, 0x0c, 1, 0x00],
        vec![1, 0x0f, 13, 0],
        vec![1, 0x0f, 3, 3, 0, 0, 0],
        // A Float16Array (kind 12) of 3 bytes: corrupt in every runtime.
        vec![1, 0x0f, 12, 3, 0, 0, 0],
        vec![1, 0x0e, 5, 0],
    ];
    for c in &cases {
        let err = decode(c).expect_err(&hex(c));
        assert!(
            message(&err).starts_with("corrupt cached value (codec 2)"),
            "{}",
            message(&err)
        );
    }
    // Nesting past the limit.
    let mut deep = vec![1];
    for _ in 0..10_000 {
        deep.extend_from_slice(&[0x0a, 1]);
    }
    deep.push(0);
    assert!(decode(&deep).is_err());
    // Random bytes (and random mutations of a real value) never panic.
    let good = encode(
        &js(
            "({a: [1, 'x', new Map([[1n, new Set([new Date(3)])]])], b: new Float32Array([1, 2])})",
        ),
        "value",
    )
    .expect("enc");
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for i in 0..3000 {
        let mut b = if i % 2 == 0 {
            let n = (next() % 40) as usize;
            let mut b: Vec<u8> = (0..n).map(|_| (next() % 20) as u8).collect();
            b.insert(0, 1);
            b
        } else {
            good.clone()
        };
        for _ in 0..(next() % 4) {
            let at = (next() as usize) % b.len();
            b[at] = next() as u8;
        }
        if next() % 3 == 0 {
            b.truncate((next() as usize) % (b.len() + 1));
        }
        let _ = decode(&b);
    }
}
