//! Codec 2 through every path the encoder and decoder take across the wasm
//! boundary: runs of primitives written by the JS side and values written by
//! Rust give the same bytes; strings too large for the scratch room; short
//! strings remembered while decoding; wide and deep values; getters that
//! throw or count; and JS code that re-enters the codec (or grows wasm
//! memory) halfway through a value.
#![cfg(target_arch = "wasm32")]

mod common;

use common::{deep_equal, hex, js, message, name};
use js_sys::{Array, Function, Object, Reflect};
use larder_wasm::value::{decode, encode};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen(module = "/tests/js/values.js")]
extern "C" {
    fn primitives() -> Array;
    #[wasm_bindgen(js_name = manyKeys)]
    fn many_keys() -> JsValue;
    fn wide(n: u32) -> JsValue;
    fn nested(depth: u32) -> JsValue;
    fn throwing(place: &str) -> JsValue;
    fn counting(text: &str) -> JsValue;
    #[wasm_bindgen(js_name = throwingKeys)]
    fn throwing_keys() -> JsValue;
    fn revoked() -> JsValue;
    fn calling(f: &Function) -> JsValue;
    #[wasm_bindgen(js_name = withTrap)]
    fn with_trap(f: &Function, body: &Function) -> JsValue;
}

fn enc(v: &JsValue) -> Vec<u8> {
    encode(v, "value").unwrap_or_else(|e| panic!("encode: {}", message(&e)))
}

fn dec(b: &[u8]) -> JsValue {
    decode(b).unwrap_or_else(|e| panic!("decode: {}", message(&e)))
}

fn field(v: &JsValue, k: &str) -> JsValue {
    Reflect::get(v, &k.into()).expect("field")
}

fn round_trips(v: &JsValue) {
    let back = dec(&enc(v));
    assert!(deep_equal(v, &back), "did not round-trip");
}

#[wasm_bindgen_test]
fn runs_and_single_values_are_written_alike() {
    let all = primitives();
    assert!(all.length() > 1500);
    for p in all.iter() {
        // On its own, Rust writes it; as a part of a container, the JS side.
        let own = enc(&p)[1..].to_vec();
        let label = || format!("{p:?} ({})", hex(&own));
        let one = Array::of1(&p);
        assert_eq!(enc(&one)[3..], own[..], "in an array: {}", label());
        let three = Array::of3(&p, &p, &p);
        assert_eq!(
            enc(&three)[3..],
            own.repeat(3)[..],
            "3 in an array: {}",
            label()
        );
        let obj = Object::new();
        Reflect::set(&obj, &"k".into(), &p).expect("set");
        assert_eq!(enc(&obj)[6..], own[..], "as a property: {}", label());
        // (A Map or Set makes a -0 key or member 0.)
        let map = js_sys::Map::new();
        map.set(&p, &p);
        let set = js_sys::Set::new(&JsValue::UNDEFINED);
        set.add(&p);
        if !Object::is(&p, &JsValue::from_f64(-0.0)) {
            assert_eq!(enc(&map)[3..], own.repeat(2)[..], "in a Map: {}", label());
            assert_eq!(enc(&set)[3..], own[..], "in a Set: {}", label());
        }
        for v in [
            p.clone(),
            one.into(),
            three.into(),
            obj.into(),
            map.into(),
            set.into(),
        ] {
            round_trips(&v);
        }
    }
    // Every part in one array, and each string also as a key.
    round_trips(&all);
    let keyed = js("Object.fromEntries")
        .unchecked_into::<Function>()
        .call1(
            &JsValue::UNDEFINED,
            &js("(xs) => xs.filter(x => typeof x === 'string').map((s, i) => [s, i])")
                .unchecked_into::<Function>()
                .call1(&JsValue::UNDEFINED, &all)
                .expect("entries"),
        )
        .expect("fromEntries");
    round_trips(&keyed);
}

#[wasm_bindgen_test]
fn strings_larger_than_the_scratch_room() {
    for e in [
        // One at a time, each too large for the room.
        "Array(6).fill('x'.repeat(6000))",
        // Many that fill the room again and again.
        "Array.from({length: 200}, (_, i) => String(i).repeat(700))",
        "Array.from({length: 200}, (_, i) => 'é'.repeat(300 + i))",
        // Keys too large for the room, values after them.
        "({['k'.repeat(20000)]: 1, ['é'.repeat(9000)]: 'v'.repeat(30000), z: 2})",
        "new Map([['m'.repeat(40000), 's'.repeat(40000)], [1, 2]])",
        "['lone \\ud800'.repeat(6000), 'after']",
    ] {
        round_trips(&js(e));
    }
    // The same bytes as each string written on its own.
    let big = js("'q'.repeat(100000)");
    let own = enc(&big)[1..].to_vec();
    assert_eq!(enc(&Array::of2(&big, &big))[3..], own.repeat(2)[..]);
}

#[wasm_bindgen_test]
fn remembered_strings_never_mix_up() {
    let v = many_keys();
    round_trips(&v);
    // Keys and values that are the same strings, in either role first.
    for e in [
        "[{a: 'b', b: 'a'}, {b: 'b', a: 'a'}, ['a', 'b', {ab: 'ba'}]]",
        "new Map([['x', {x: 'x'}], [{x: 'y'}, 'y']])",
        "[{'': ''}, {' ': ''}, ['', ' ']]",
    ] {
        round_trips(&js(e));
    }
}

#[wasm_bindgen_test]
fn a_value_with_100k_properties() {
    let v = wide(100_000);
    let bytes = enc(&v);
    let back = dec(&bytes);
    assert!(deep_equal(&v, &back));
    assert_eq!(
        Object::keys(back.unchecked_ref::<Object>()).length(),
        100_000
    );
    assert_eq!(
        field(&back, "p99998").as_string().as_deref(),
        Some("v99998")
    );
    assert_eq!(field(&back, "p99999").as_f64(), Some(99999.0));
}

#[wasm_bindgen_test]
fn nesting_up_to_the_limit_and_past_it() {
    let max = larder_wasm::value::MAX_DEPTH as u32;
    let v = nested(max);
    let bytes = enc(&v);
    // (deep_equal visits a Set member twice per level: compare the bytes.)
    assert_eq!(enc(&dec(&bytes)), bytes);
    let tail = [&b"\x07\x06bottom"[..], &b"\x07\x01b\x04\x04".repeat(64)].concat();
    assert!(bytes.ends_with(&tail));
    let err = encode(&nested(max + 1), "value").expect_err("too deep");
    assert_eq!(name(&err), "RangeError");
    assert!(
        message(&err).starts_with("value[1]<Set member 0>.get(\"k\").a[1]<Set member 0>"),
        "{}",
        message(&err)
    );
    assert!(message(&err).ends_with(&format!(
        "nested too deeply: values allow {max} levels of arrays, objects, Maps and Sets"
    )));
    // The same depth written by hand is refused by the decoder.
    let mut deep = vec![1];
    for _ in 0..=max {
        deep.extend_from_slice(&[0x0a, 1]);
    }
    deep.push(0);
    assert!(message(&decode(&deep).expect_err("too deep")).contains("nested too deeply"));
}

#[wasm_bindgen_test]
fn a_getter_that_throws_is_the_error() {
    for place in ["object", "array"] {
        let t = throwing(place);
        let err = encode(&field(&t, "value"), "value").expect_err(place);
        assert!(
            Object::is(&err, &field(&t, "error")),
            "{place}: {}",
            message(&err)
        );
    }
    // So is a Proxy whose keys cannot be listed, or one revoked.
    let err = encode(&Array::of1(&throwing_keys()), "value").expect_err("ownKeys");
    assert_eq!(message(&err), "no keys for you");
    let err = encode(&revoked(), "value").expect_err("revoked");
    assert_eq!(name(&err), "TypeError");
    // And in key params.
    let t = throwing("object");
    let err = larder_wasm::params::key(&"ns".into(), &field(&t, "value")).expect_err("params");
    assert!(Object::is(&err, &field(&t, "error")));
}

#[wasm_bindgen_test]
fn a_getter_runs_once() {
    // A short value, and one too large for the scratch room.
    for text in ["short".to_string(), "long".repeat(20_000)] {
        let t = counting(&text);
        let back = dec(&enc(&field(&t, "value")));
        assert_eq!(field(&back, "x").as_string(), Some(text.clone()));
        assert_eq!(field(&field(&t, "calls"), "n").as_f64(), Some(1.0));
    }
}

#[wasm_bindgen_test]
fn the_codec_may_be_re_entered_halfway() {
    // A getter that encodes another value in the middle of this one.
    let inner = Closure::<dyn Fn() -> JsValue>::new(|| {
        let other = js("({other: [1, 'two', {three: 3}], big: 'b'.repeat(50000)})");
        js_sys::Uint8Array::from(enc(&other).as_slice()).into()
    });
    let v = calling(inner.as_ref().unchecked_ref());
    let bytes = enc(&v);
    let back = dec(&bytes);
    let mid = dec(&js_sys::Uint8Array::new(&field(&back, "mid")).to_vec());
    assert_eq!(
        field(&field(&mid, "other"), "length").as_f64(),
        Some(3.0),
        "the inner value"
    );
    assert!(deep_equal(&field(&back, "last"), &js("['z', {deep: 'y'}]")));

    // A setter (on Object.prototype) that decodes another value while this
    // one is being built.
    let other = enc(&js("({x: ['trap', 'x'], y: 'inner'})"));
    let f = Closure::<dyn Fn(JsValue) -> JsValue>::new(move |_v: JsValue| dec(&other));
    let bytes = enc(&js("[{a: 'x', trap: 1, b: 'trap'}, {trap: 2, x: 'a'}]"));
    let body = Closure::<dyn Fn() -> JsValue>::new(move || dec(&bytes));
    let back = with_trap(f.as_ref().unchecked_ref(), body.as_ref().unchecked_ref());
    let first = Array::from(&back).get(0);
    assert_eq!(field(&first, "b").as_string().as_deref(), Some("trap"));
    let seen = field(&first, "seen");
    assert!(deep_equal(&field(&seen, "x"), &js("['trap', 'x']")));
    assert_eq!(
        field(&Array::from(&back).get(1), "x")
            .as_string()
            .as_deref(),
        Some("a")
    );
}

fn memory_size() -> u32 {
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length()
}

/// Grow wasm memory, which detaches every view of it the JS side holds (the
/// allocation is kept, so that the next call has to grow it again).
fn grow() -> f64 {
    let before = memory_size();
    std::mem::forget(vec![1u8; 16 << 20]);
    assert!(memory_size() > before, "memory did not grow");
    f64::from(before)
}

#[wasm_bindgen_test]
fn wasm_memory_may_grow_halfway() {
    let f = Closure::<dyn Fn() -> JsValue>::new(|| JsValue::from_f64(grow()));
    let v = calling(f.as_ref().unchecked_ref());
    let back = dec(&enc(&v));
    assert!(deep_equal(&field(&back, "list"), &js("[1, 2, 3]")));
    assert!(deep_equal(&field(&back, "last"), &js("['z', {deep: 'y'}]")));

    let g = Closure::<dyn Fn(JsValue) -> JsValue>::new(|v: JsValue| {
        grow();
        v
    });
    let value =
        js("[{a: 'before', trap: 7, b: 'after', c: [1.5, 'é', {d: 'x'.repeat(100)}]}, 'tail']");
    let bytes = enc(&value);
    let body = Closure::<dyn Fn() -> JsValue>::new(move || dec(&bytes));
    let back = with_trap(g.as_ref().unchecked_ref(), body.as_ref().unchecked_ref());
    let first = Array::from(&back).get(0);
    assert_eq!(field(&first, "seen").as_f64(), Some(7.0));
    assert!(deep_equal(
        &field(&first, "c"),
        &js("[1.5, 'é', {d: 'x'.repeat(100)}]")
    ));
    assert_eq!(
        Array::from(&back).get(1).as_string().as_deref(),
        Some("tail")
    );
}

#[wasm_bindgen_test]
fn shared_parts_are_not_cycles_but_cycles_are_refused() {
    round_trips(&js(
        "(() => { const o = {x: [1]}; return {a: o, b: o, c: [o, o], d: new Map([[o, o]])}; })()",
    ));
    for (e, path) in [
        (
            "(() => { const a = {x: 1}; a.self = a; return a; })()",
            "value.self",
        ),
        (
            "(() => { const m = new Map(); m.set('k', [m]); return [m]; })()",
            "value[0].get(\"k\")[0]",
        ),
        (
            "(() => { const o = {}; o.list = [1, 'two', o]; return o; })()",
            "value.list[2]",
        ),
    ] {
        let err = encode(&js(e), "value").expect_err(e);
        assert_eq!(
            message(&err),
            format!("{path}: a value that contains itself (a cycle) cannot be stored in the cache")
        );
    }
}
