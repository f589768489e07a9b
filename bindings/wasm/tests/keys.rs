//! Keys from JS values: every shared vector in tests/vectors/keys.json gives the
//! same key bytes and hash in JS as in Rust, plus the JS-only rules.
#![cfg(target_arch = "wasm32")]

mod common;

use common::{js, message, name, unhex};
use js_sys::{Array, BigInt, Map, Object, Uint8Array};
use larder_core::Key;
use larder_wasm::params;
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

const VECTORS: &str = include_str!("../../../tests/vectors/keys.json");

/// A vector's params as the JS value a caller would pass (FORMAT.md, "Test vectors").
fn to_js(v: &Value) -> JsValue {
    match v {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        Value::Number(n) => JsValue::from_f64(n.as_f64().expect("number")),
        Value::String(s) => JsValue::from_str(s),
        Value::Array(items) => items.iter().map(to_js).collect::<Array>().into(),
        Value::Object(o) if o.len() == 1 => {
            let (tag, inner) = o.iter().next().expect("one member");
            match (tag.as_str(), inner) {
                ("$bytes", Value::String(h)) => Uint8Array::from(unhex(h).as_slice()).into(),
                ("$float", Value::String(f)) => JsValue::from_f64(match f.as_str() {
                    "NaN" => f64::NAN,
                    "Infinity" => f64::INFINITY,
                    "-Infinity" => f64::NEG_INFINITY,
                    s => s.parse().expect("float"),
                }),
                ("$bigint", Value::String(b)) => {
                    BigInt::new(&JsValue::from_str(b)).expect("bigint").into()
                }
                ("$map", Value::Array(pairs)) => {
                    let m = Map::new();
                    for p in pairs {
                        m.set(&to_js(&p[0]), &to_js(&p[1]));
                    }
                    m.into()
                }
                _ => object(o),
            }
        }
        Value::Object(o) => object(o),
    }
}

fn object(o: &serde_json::Map<String, Value>) -> JsValue {
    let obj = Object::new();
    for (k, v) in o {
        js_sys::Reflect::set(&obj, &k.into(), &to_js(v)).expect("set");
    }
    obj.into()
}

#[wasm_bindgen_test]
fn every_shared_vector_gives_the_same_key_bytes_and_hash() {
    let doc: Value = serde_json::from_str(VECTORS).expect("keys.json");
    let vectors = doc["vectors"].as_array().expect("vectors");
    assert!(vectors.len() > 50);
    for v in vectors {
        let name = v["name"].as_str().expect("name");
        let ns = v["namespace"].as_str().expect("namespace");
        let version = v["version"].as_u64().expect("version") as u32;
        let canon = params::to_canon(&to_js(&v["params"]))
            .unwrap_or_else(|e| panic!("{name}: {}", message(&e)));
        let key = Key::from_canon(ns, version, canon).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            common::hex(key.bytes()),
            v["key_bytes_hex"].as_str().expect("hex"),
            "{name}: key bytes"
        );
        assert_eq!(
            key.hash().to_hex(),
            v["key_hash_hex"].as_str().expect("hash"),
            "{name}: key hash"
        );
    }
}

fn hash(params: &str) -> String {
    let p = js(params);
    larder_wasm::key_hash("ns".into(), p).unwrap_or_else(|e| panic!("{params}: {}", message(&e)))
}

fn key_error(params: &str) -> (String, String) {
    let err = larder_wasm::key_hash("ns".into(), js(params)).expect_err(params);
    (name(&err), message(&err))
}

#[wasm_bindgen_test]
fn js_values_map_onto_the_model() {
    assert_eq!(hash("undefined"), hash("null"));
    assert_eq!(hash("1n"), hash("1"));
    assert_eq!(hash("-0"), hash("0"));
    assert_eq!(hash("({b: 1, a: [2, 'x']})"), hash("({a: [2, 'x'], b: 1})"));
    assert_eq!(hash("new Map([['a', 1]])"), hash("({a: 1})"));
    assert_eq!(
        hash("new Uint8Array([1, 2]).buffer"),
        hash("new Uint8Array([1, 2])")
    );
    assert_ne!(hash("new Uint8Array([1, 2])"), hash("[1, 2]"));
    // An object with a null prototype is a plain object too.
    assert_eq!(
        hash("Object.assign(Object.create(null), {a: 1})"),
        hash("({a: 1})")
    );
    // Dates are the map {"$date": ms}, never the bare number.
    assert_eq!(hash("new Date(5)"), hash("({$date: 5})"));
    assert_ne!(hash("new Date(5)"), hash("5"));
    // A shared (not cyclic) object is fine.
    assert_eq!(
        hash("(() => { const o = {x: 1}; return [o, o]; })()"),
        hash("[{x: 1}, {x: 1}]")
    );
    // Own enumerable string keys only.
    assert_eq!(
        hash("Object.defineProperty({a: 1, [Symbol('s')]: 2}, 'hidden', {value: 3})"),
        hash("({a: 1})")
    );
}

#[wasm_bindgen_test]
fn unsupported_parts_are_type_errors_naming_their_path() {
    assert_eq!(
        key_error("({user: {name: 'a', callback: () => 1}})"),
        (
            "TypeError".into(),
            "params.user.callback: a function cannot be part of a key".into()
        )
    );
    assert_eq!(
        key_error("[1, Symbol('s')]"),
        (
            "TypeError".into(),
            "params[1]: a symbol cannot be part of a key".into()
        )
    );
    let (n, m) = key_error("(() => { const a = {x: {}}; a.x.self = a; return a; })()");
    assert_eq!(n, "TypeError");
    assert_eq!(
        m,
        "params.x.self: a value that contains itself (a cycle) cannot be part of a key"
    );
    let (n, m) = key_error("({p: Promise.resolve(1)})");
    assert_eq!(n, "TypeError");
    assert!(
        m.starts_with("params.p: a Promise cannot be part of a key"),
        "{m}"
    );
    let (n, m) = key_error("({'a b': /x/})");
    assert_eq!(n, "TypeError");
    assert!(
        m.starts_with("params[\"a b\"]: a RegExp cannot be part of a key"),
        "{m}"
    );
    let (n, m) = key_error("new Map([['k', [new Int16Array(1)]]])");
    assert_eq!(n, "TypeError");
    assert!(
        m.starts_with("params.get(\"k\")[0]: an Int16Array cannot be part of a key"),
        "{m}"
    );
    let (n, m) = key_error("({s: new Set([1])})");
    assert_eq!(n, "TypeError");
    assert!(m.starts_with("params.s: a Set cannot"), "{m}");
    let (n, m) = key_error("({d: new Date(NaN)})");
    assert_eq!(
        (n.as_str(), m.as_str()),
        (
            "TypeError",
            "params.d: an invalid Date cannot be part of a key"
        )
    );
    let (n, m) = key_error("'\\ud800'");
    assert_eq!(n, "TypeError");
    assert!(m.contains("lone surrogate"), "{m}");
    let (n, m) = key_error("2n ** 127n");
    assert_eq!(n, "RangeError");
    assert!(m.contains("128-bit"), "{m}");
    assert_eq!(hash("2n ** 127n - 1n").len(), 32);
}

#[wasm_bindgen_test]
fn nesting_is_bounded() {
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    assert_eq!(hash(&deep(127)).len(), 32);
    let (n, m) = key_error(&deep(128));
    assert_eq!(n, "RangeError", "{m}");
    let (n, _) = key_error(&deep(1000));
    assert_eq!(n, "RangeError");
}

#[wasm_bindgen_test]
fn the_namespace_must_be_a_string() {
    let err = larder_wasm::key_hash(JsValue::from_f64(1.0), JsValue::NULL).expect_err("number");
    assert_eq!(name(&err), "TypeError");
    assert_eq!(
        message(&err),
        "the namespace must be a string or a [name, version] pair, not a number"
    );
    let err = larder_wasm::key_hash("".into(), JsValue::NULL).expect_err("empty");
    assert_eq!(name(&err), "TypeError");
}

/// A lone surrogate has no UTF-8 form, in a name as in a string value: as
/// U+FFFD, "\ud800" and "\udc00" would be one name and share one key, so
/// that one's value was the other's.
#[wasm_bindgen_test]
fn names_with_a_lone_surrogate_are_refused() {
    for (ns, params, want) in [
        (
            "'\\ud800'",
            "1",
            "the namespace has a lone surrogate, which has no UTF-8 form (names are UTF-8)",
        ),
        (
            "['\\udc00', 1]",
            "1",
            "the namespace's name has a lone surrogate, which has no UTF-8 form (names are UTF-8)",
        ),
        (
            "'ns'",
            "({a: {'x\\ud800': 1}})",
            "the property name has a lone surrogate, which has no UTF-8 form (names are UTF-8)",
        ),
    ] {
        let err = larder_wasm::key_hash(js(ns), js(params)).expect_err(params);
        assert_eq!(name(&err), "TypeError", "{ns} {params}");
        let m = message(&err);
        assert!(m.ends_with(want), "{ns} {params}: {m}");
    }
    let err = larder_wasm::key_hash(js("'ns'"), js("({a: {'x\\ud800': 1}})"));
    let m = message(&err.expect_err("a lone surrogate in a property name"));
    assert!(m.starts_with("params.a"), "{m}");
    // A well-formed pair of surrogates is one character, and fine.
    assert_eq!(hash("({'\\ud83d\\ude00': 1})"), hash("({'\u{1f600}': 1})"));
}

#[wasm_bindgen_test]
fn a_namespace_may_carry_a_version() {
    let key = |ns: &str| {
        larder_wasm::key_hash(js(ns), js("({id: 1})"))
            .unwrap_or_else(|e| panic!("{ns}: {}", message(&e)))
    };
    let canon = || params::to_canon(&js("({id: 1})")).expect("params");
    let rust = |v: u32| {
        Key::from_canon("users", v, canon())
            .expect("key")
            .hash()
            .to_hex()
    };
    assert_eq!(key("'users'"), rust(0));
    assert_eq!(key("['users', 0]"), rust(0));
    assert_eq!(key("['users', 2]"), rust(2));
    assert_eq!(key("['users', 4294967295]"), rust(u32::MAX));
    for (ns, want) in [
        (
            "['users', -1]",
            "RangeError: the namespace version must be an integer from 0 to 4294967295, not -1",
        ),
        (
            "['users', 1.5]",
            "RangeError: the namespace version must be an integer from 0 to 4294967295, not 1.5",
        ),
        (
            "['users', 2 ** 32]",
            "RangeError: the namespace version must be an integer from 0 to 4294967295, not 4294967296",
        ),
        (
            "['users', '2']",
            "RangeError: the namespace version must be an integer from 0 to 4294967295, not a string",
        ),
        (
            "['users']",
            "TypeError: the namespace must be a string or a [name, version] pair, not an array",
        ),
        (
            "[1, 2]",
            "TypeError: the namespace must be a string or a [name, version] pair, not an array",
        ),
        (
            "({name: 'users'})",
            "TypeError: the namespace must be a string or a [name, version] pair, not an object",
        ),
    ] {
        let err = larder_wasm::key_hash(js(ns), JsValue::NULL).expect_err(ns);
        assert_eq!(format!("{}: {}", name(&err), message(&err)), want, "{ns}");
    }
}
