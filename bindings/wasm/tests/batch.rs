//! getMany and setMany (in Node, memory and fs backends), and the value codec
//! on its own (encodeValue / decodeValue).
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)]

mod common;

use common::{deep_equal, js, message, name, remove, tmp_dir, wait};
use js_sys::{Array, Promise, Reflect, Uint8Array};
use larder_wasm::{Cache, decode_value_js, encode_value_js};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

async fn open(options: &str) -> Cache {
    Cache::open(js(options))
        .await
        .unwrap_or_else(|e| panic!("open {options}: {}", message(&e)))
}

async fn ok(p: Promise) -> JsValue {
    wait(p).await.unwrap_or_else(|e| panic!("{}", message(&e)))
}

async fn err(p: Promise) -> (String, String) {
    match wait(p).await {
        Ok(v) => panic!("resolved with {v:?}"),
        Err(e) => (name(&e), message(&e)),
    }
}

async fn entries(c: &Cache) -> f64 {
    let s = ok(c.stats()).await;
    Reflect::get(&s, &"entries".into())
        .unwrap()
        .as_f64()
        .unwrap()
}

#[wasm_bindgen_test]
async fn set_many_then_get_many_in_order() {
    let c = open("({backend: 'memory'})").await;
    let pairs = js("Array.from({length: 50}, (_, i) => [{i}, {square: i * i, at: new Date(i)}])");
    ok(c.set_many("sq".into(), pairs.clone(), js("({tags: ['squares']})"))).await;
    assert_eq!(entries(&c).await, 50.0);
    // Params in another order of keys, plus two that were never set.
    let wanted = js("[...Array.from({length: 50}, (_, i) => ({i})), {i: 99}, {i: -1}]");
    let got: Array = ok(c.get_many("sq".into(), wanted)).await.into();
    assert_eq!(got.length(), 52);
    for (i, pair) in Array::from(&pairs).iter().enumerate() {
        let want = Array::from(&pair).get(1);
        assert!(deep_equal(&got.get(i as u32), &want), "item {i}");
    }
    assert!(got.get(50).is_undefined() && got.get(51).is_undefined());
    assert_eq!(ok(c.invalidate_tag("squares".into())).await, 50.0);
}

#[wasm_bindgen_test]
async fn set_many_checks_every_pair_before_writing() {
    let c = open("({backend: 'memory'})").await;
    let cases = [
        (
            "null",
            "TypeError",
            "setMany: the entries must be an array, not null",
        ),
        (
            "[[{a: 1}, 1], 'x']",
            "TypeError",
            "setMany: entries[1] must be a [params, value] pair, not a string",
        ),
        (
            "[[{a: 1}, 1], [{a: 2}]]",
            "TypeError",
            "setMany: entries[1] must be a [params, value] pair, not an array",
        ),
        (
            "[[{a: 1}, 1], [{a: 2}, () => 1]]",
            "TypeError",
            "setMany: entries[1][1]: a function cannot be stored",
        ),
        (
            "[[{a: 1}, 1], [{a: Symbol('s')}, 2]]",
            "TypeError",
            "setMany: entries[1][0].a",
        ),
    ];
    for (entries_js, want_name, want_message) in cases {
        let (n, m) = err(c.set_many("ns".into(), js(entries_js), JsValue::UNDEFINED)).await;
        assert_eq!(n, want_name, "{entries_js}: {m}");
        assert!(
            m.contains(want_message),
            "{entries_js}: {m:?} lacks {want_message:?}"
        );
    }
    let (n, m) = err(c.set_many("ns".into(), js("[[{a: 1}, 1]]"), js("({ttl: -5})"))).await;
    assert_eq!(n, "RangeError", "{m}");
    let (n, m) = err(c.get_many("ns".into(), js("({a: 1})"))).await;
    assert_eq!(
        (n.as_str(), m.as_str()),
        (
            "TypeError",
            "getMany: the params list must be an array, not an object"
        )
    );
    let (n, m) = err(c.get_many("ns".into(), js("[{a: 1}, {b: [() => 1]}]"))).await;
    assert_eq!(n, "TypeError", "{m}");
    assert!(m.contains("getMany: paramsList[1].b[0]"), "{m}");
    assert_eq!(entries(&c).await, 0.0, "nothing was written");
}

#[wasm_bindgen_test]
async fn batches_reach_the_filesystem() {
    let dir = tmp_dir().await.as_string().unwrap();
    let opts = format!("({{backend: 'fs', dir: {dir:?}, memoryBytes: 0}})");
    let c = open(&opts).await;
    ok(c.set_many(
        "n".into(),
        js("Array.from({length: 20}, (_, i) => [i, 'v' + i])"),
        JsValue::UNDEFINED,
    ))
    .await;
    ok(c.close()).await;
    let c = open(&opts).await;
    let got: Array = ok(c.get_many("n".into(), js("Array.from({length: 20}, (_, i) => i)")))
        .await
        .into();
    for i in 0..20 {
        assert_eq!(got.get(i).as_string().unwrap(), format!("v{i}"));
    }
    ok(c.close()).await;
    remove(&dir).await;
}

#[wasm_bindgen_test]
fn encode_and_decode_round_trip_and_reject_bad_input() {
    let v =
        js("({f: new Float64Array([1.5, -0, NaN]), m: new Map([[1n, 'x']]), s: new Set([null])})");
    let bytes = encode_value_js(v.clone()).unwrap();
    assert!(bytes.length() > 0);
    assert!(deep_equal(&decode_value_js(bytes.into()).unwrap(), &v));
    let e = encode_value_js(js("({a: [1, () => 2]})")).unwrap_err();
    assert_eq!(
        (name(&e), message(&e).contains("value.a[1]")),
        ("TypeError".into(), true),
        "{}",
        message(&e)
    );
    let e = decode_value_js(js("[1, 2]")).unwrap_err();
    assert_eq!(
        message(&e),
        "decodeValue: bytes must be a Uint8Array, not an array"
    );
    let e = decode_value_js(Uint8Array::from(&[0xff_u8, 0x00][..]).unchecked_into()).unwrap_err();
    assert!(
        message(&e).contains("unknown value format version 255"),
        "{}",
        message(&e)
    );
}
