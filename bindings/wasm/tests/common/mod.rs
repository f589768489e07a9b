//! Helpers shared by the wasm test files.
#![allow(dead_code)]

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// Evaluate a JS expression.
pub fn js(expr: &str) -> JsValue {
    Function::new_no_args(&format!("return ({expr});"))
        .call0(&JsValue::UNDEFINED)
        .expect("the JS expression throws")
}

/// Await a Promise.
pub async fn wait(p: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(p).await
}

/// `err.message`.
pub fn message(err: &JsValue) -> String {
    Reflect::get(err, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| format!("{err:?}"))
}

/// `err.name` ("TypeError", "RangeError", "Error").
pub fn name(err: &JsValue) -> String {
    Reflect::get(err, &"name".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_default()
}

/// Structural equality that tells -0 from 0, NaN equal to NaN, typed arrays
/// by kind and bytes, Maps and objects by entries in order.
pub fn deep_equal(a: &JsValue, b: &JsValue) -> bool {
    let f = Function::new_with_args(
        "a, b",
        r#"
        const eq = (a, b) => {
          if (typeof a !== typeof b) return false;
          if (typeof a !== 'object' || a === null || b === null) return Object.is(a, b);
          if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
          if (a instanceof Date) return Object.is(a.getTime(), b.getTime());
          if (ArrayBuffer.isView(a) || a instanceof ArrayBuffer) {
            const bytes = x => x instanceof ArrayBuffer ? new Uint8Array(x)
              : new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
            const [x, y] = [bytes(a), bytes(b)];
            return x.length === y.length && x.every((v, i) => v === y[i]);
          }
          if (a instanceof Map || a instanceof Set) {
            const [x, y] = [[...a.entries()], [...b.entries()]];
            return x.length === y.length && x.every((e, i) => eq(e[0], y[i][0]) && eq(e[1], y[i][1]));
          }
          if (Array.isArray(a)) {
            return a.length === b.length && [...a].every((v, i) => eq(v, b[i]));
          }
          const [ka, kb] = [Object.keys(a), Object.keys(b)];
          return ka.length === kb.length && ka.every((k, i) => k === kb[i] && eq(a[k], b[k]));
        };
        return eq(a, b);
        "#,
    );
    f.call2(&JsValue::UNDEFINED, a, b)
        .map(|r| r.is_truthy())
        .unwrap_or(false)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// `Cache.open({backend: "opfs", name})` round-trips a value, which is still
/// there after closing and reopening, in OPFS directory `larder-<name>`.
/// Used in a dedicated worker (sync access handles) and on a page.
pub async fn opfs_round_trip(test: &str) {
    let cache = format!("{test}-{}", js_sys::Date::now() as u64);
    let options = js(&format!("({{backend: 'opfs', name: {cache:?}}})"));
    let open = || async {
        larder_wasm::Cache::open(options.clone())
            .await
            .unwrap_or_else(|e| panic!("open opfs: {}", message(&e)))
    };
    let ok =
        |p: Promise| async move { wait(p).await.unwrap_or_else(|e| panic!("{}", message(&e))) };
    let value =
        js("({n: 1.5, bytes: new Uint8Array([1, 2, 3]), when: new Date(5), tags: new Set(['a'])})");
    let c = open().await;
    ok(c.set(
        "ns".into(),
        js("{id: 1}"),
        value.clone(),
        JsValue::UNDEFINED,
    ))
    .await;
    assert!(deep_equal(
        &ok(c.get("ns".into(), js("{id: 1}"))).await,
        &value
    ));
    ok(c.close()).await;

    let c = open().await;
    assert!(
        deep_equal(&ok(c.get("ns".into(), js("{id: 1}"))).await, &value),
        "after reopening"
    );
    let stats = ok(c.stats()).await;
    assert_eq!(
        Reflect::get(&stats, &"entries".into())
            .expect("stats.entries")
            .as_f64(),
        Some(1.0)
    );
    let dir = format!(
        "navigator.storage.getDirectory().then(r => r.getDirectoryHandle('larder-{cache}'))"
    );
    wait(js(&dir).unchecked_into())
        .await
        .expect("the cache's OPFS directory");
    ok(c.clear()).await;
    ok(c.close()).await;
}
