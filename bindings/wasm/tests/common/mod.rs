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
