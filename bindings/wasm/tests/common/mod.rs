//! Helpers shared by the wasm test files.
#![allow(dead_code)]

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

// Node itself (in the Node and Deno test runs): temp directories, and what the
// fs backend wrote in them.
#[wasm_bindgen(inline_js = r#"
const fsp = () => import("node:fs/promises");
export async function tmp_dir() {
    const os = await import("node:os");
    return (await fsp()).mkdtemp(os.tmpdir() + "/larder-wasm-");
}
export async function names(p) { return (await (await fsp()).readdir(p)).sort(); }
export async function remove(p) { await (await fsp()).rm(p, { recursive: true, force: true }); }
"#)]
extern "C" {
    /// A new directory under the OS's temp directory.
    pub async fn tmp_dir() -> JsValue;
    /// The names in directory `p`, sorted.
    pub async fn names(p: &str) -> JsValue;
    /// `rm -rf p`.
    pub async fn remove(p: &str);
}

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

/// Evaluate a JS expression in another realm, whose classes are not this
/// realm's: a vm context in Node and Deno, a new iframe's window in a
/// browser (left in the page, so that its values stay usable).
pub fn foreign(expr: &str) -> JsValue {
    Function::new_with_args(
        "src",
        r#"
        if (typeof document !== "undefined") {
          const frame = document.createElement("iframe");
          document.body.append(frame);
          return frame.contentWindow.eval(`(${src})`);
        }
        return process.getBuiltinModule("node:vm").runInNewContext(`(${src})`);
        "#,
    )
    .call1(&JsValue::UNDEFINED, &expr.into())
    .expect("the JS expression throws in another realm")
}

/// Values and keys made in another realm are what they are: each value
/// encodes to the bytes of the same value made here (and decodes to it), and
/// `key_params` gives the same key either way. Codec 2 and keys tell kinds by
/// brand; `instanceof` would refuse another realm's Date, Map, Set,
/// ArrayBuffer and typed arrays.
pub fn check_values_from_another_realm(values: &[&str], key_params: &str) {
    use larder_wasm::value::{decode, encode};
    for expr in values {
        let here = js(expr);
        let there = foreign(expr);
        assert!(!deep_equal(&here, &there), "{expr}: not from another realm");
        let want = encode(&here, "value").unwrap_or_else(|e| panic!("{expr}: {}", message(&e)));
        let got = encode(&there, "value")
            .unwrap_or_else(|e| panic!("{expr} from another realm: {}", message(&e)));
        assert_eq!(hex(&got), hex(&want), "{expr}");
        assert!(deep_equal(&decode(&got).expect(expr), &here), "{expr}");
    }
    let key = |params: JsValue| {
        larder_wasm::key_hash("realms".into(), params)
            .unwrap_or_else(|e| panic!("{key_params}: {}", message(&e)))
    };
    assert_eq!(
        key(foreign(key_params)),
        key(js(key_params)),
        "{key_params}"
    );
    // What is refused here is refused from there, by its own name.
    for (expr, what) in [
        ("new (class Point {})()", "a Point"),
        ("/x/", "a RegExp"),
        ("Promise.resolve(1)", "a Promise"),
    ] {
        let err = encode(&foreign(&format!("{{a: [{expr}]}}")), "value").expect_err(expr);
        assert_eq!(name(&err), "TypeError", "{expr}");
        let m = message(&err);
        assert!(
            m.starts_with(&format!("value.a[0]: {what} cannot be stored in the cache")),
            "{expr}: {m}"
        );
    }
}

/// The values [`check_values_from_another_realm`] is given in every runtime.
pub const OTHER_REALM_VALUES: &[&str] = &[
    "new Uint8Array([1, 2, 255])",
    "new Float64Array([1.5, -0, NaN])",
    "new BigInt64Array([-1n, 2n])",
    "new DataView(new Uint8Array([1, 2, 3]).buffer, 1, 2)",
    "new Uint8Array([1, 2, 3, 4]).buffer",
    "new Date(1700000000123)",
    "new Map([[1, new Set(['a'])]])",
    "({when: new Date(0), m: new Map([['k', new Uint16Array([9])]]), list: [new Set([1]), new ArrayBuffer(3)]})",
];

/// The params of the same check: every kind a key takes that `instanceof`
/// would miss.
pub const OTHER_REALM_PARAMS: &str = "({b: new Uint8Array([1, 2]), a: new Uint8Array([3]).buffer, d: new Date(5), m: new Map([['x', [1, new Date(6)]]])})";
