//! The Cache class in a real browser (headless Chromium): the "indexeddb"
//! backend persists across caches, and it is the default in a browser.
//! `CHROMEDRIVER=/usr/bin/chromedriver
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
//! cargo test -p larder-wasm --target wasm32-unknown-unknown --test browser`
//! (the other test binaries of this crate run in Node).
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)]

mod common;

use std::cell::Cell;

use common::{deep_equal, js, message, name, wait};
use js_sys::{Promise, Reflect};
use larder_wasm::Cache;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

thread_local! {
    static SEQ: Cell<u32> = const { Cell::new(0) };
}

/// A cache name no other test (or earlier run) uses.
fn unique(test: &str) -> String {
    let n = SEQ.with(|s| {
        s.set(s.get() + 1);
        s.get()
    });
    format!("{test}-{}-{n}", js_sys::Date::now() as u64)
}

async fn open(options: &str) -> Cache {
    Cache::open(js(options))
        .await
        .unwrap_or_else(|e| panic!("open {options}: {}", message(&e)))
}

async fn ok(p: Promise) -> JsValue {
    wait(p).await.unwrap_or_else(|e| panic!("{}", message(&e)))
}

fn field(v: &JsValue, f: &str) -> JsValue {
    Reflect::get(v, &f.into()).unwrap()
}

/// `indexedDB.databases()` names, to see which database a cache used.
async fn databases() -> Vec<String> {
    let list = ok(js("indexedDB.databases()").unchecked_into()).await;
    js_sys::Array::from(&list)
        .iter()
        .map(|d| field(&d, "name").as_string().unwrap())
        .collect()
}

/// An iframe's values (tests/values.rs checks a Node and Deno vm context's).
#[wasm_bindgen_test]
fn values_from_an_iframe_keep_their_kind() {
    let mut values = common::OTHER_REALM_VALUES.to_vec();
    values.push("new Float16Array([1.5, -2])");
    common::check_values_from_another_realm(&values, common::OTHER_REALM_PARAMS);
}

#[wasm_bindgen_test]
async fn indexeddb_backend_persists() {
    let cache = unique("persist");
    let options = format!("({{backend: 'indexeddb', name: {cache:?}, maxBytes: '100MB'}})");
    let c = open(&options).await;
    let value = js("({name: 'Ada', born: new Date(0), langs: new Set(['en'])})");
    ok(c.set(
        "users".into(),
        js("{id: 1}"),
        value.clone(),
        JsValue::UNDEFINED,
    ))
    .await;
    assert!(deep_equal(
        &ok(c.get("users".into(), js("{id: 1}"))).await,
        &value
    ));
    ok(c.close()).await;
    assert!(databases().await.contains(&format!("larder-{cache}")));

    let c = open(&options).await;
    assert!(deep_equal(
        &ok(c.get("users".into(), js("{id: 1}"))).await,
        &value
    ));
    let stats = ok(c.stats()).await;
    assert_eq!(field(&stats, "entries").as_f64(), Some(1.0));
    ok(c.close()).await;

    // Another name is another cache.
    let other = open(&format!(
        "({{backend: 'indexeddb', name: {:?}}})",
        unique("other")
    ))
    .await;
    assert!(
        ok(other.get("users".into(), js("{id: 1}")))
            .await
            .is_undefined()
    );
    ok(other.close()).await;
}

#[wasm_bindgen_test]
async fn indexeddb_is_the_default_in_a_browser() {
    // No backend: IndexedDB, cache "default" (database "larder-default").
    let key = unique("default");
    let c = open("undefined").await;
    ok(c.set(
        "k".into(),
        key.clone().into(),
        js("'v'"),
        JsValue::UNDEFINED,
    ))
    .await;
    ok(c.close()).await;
    assert!(databases().await.contains(&"larder-default".to_string()));
    let c = open("({})").await;
    assert_eq!(ok(c.get("k".into(), key.clone().into())).await, "v");
    ok(c.delete("k".into(), key.into())).await;
    ok(c.close()).await;

    // With a name and no backend, too.
    let cache = unique("named");
    let c = open(&format!("({{name: {cache:?}}})")).await;
    ok(c.set("k".into(), js("1"), js("2"), JsValue::UNDEFINED)).await;
    ok(c.close()).await;
    let c = open(&format!("({{name: {cache:?}, dir: '/ignored'}})")).await;
    assert_eq!(ok(c.get("k".into(), js("1"))).await, 2);
    ok(c.close()).await;
    assert!(databases().await.contains(&format!("larder-{cache}")));
}

#[wasm_bindgen_test]
async fn browser_backend_errors() {
    for (o, what) in [
        (
            "({backend: 'indexeddb', name: 5})",
            "name must be a non-empty string",
        ),
        ("({backend: 'fs', dir: '/tmp'})", "not available"),
    ] {
        match Cache::open(js(o)).await {
            Ok(_) => panic!("{o} opened"),
            Err(e) => assert!(
                message(&e).contains(what),
                "{o}: {} {}",
                name(&e),
                message(&e)
            ),
        }
    }
}

#[wasm_bindgen_test]
async fn a_batch_of_1000_persists_in_indexeddb() {
    let options = format!("({{backend: 'indexeddb', name: {:?}}})", unique("batch"));
    let c = open(&options).await;
    let pairs =
        js("Array.from({length: 1000}, (_, i) => [{i}, {i, blob: new Float64Array([i, i / 2])}])");
    ok(c.set_many("b".into(), pairs.clone(), JsValue::UNDEFINED)).await;
    ok(c.close()).await;
    let c = open(&options).await;
    let got = ok(c.get_many(
        "b".into(),
        js("Array.from({length: 1001}, (_, i) => ({i}))"),
    ))
    .await;
    let got = js_sys::Array::from(&got);
    for (i, pair) in js_sys::Array::from(&pairs).iter().enumerate() {
        assert!(
            deep_equal(&got.get(i as u32), &js_sys::Array::from(&pair).get(1)),
            "item {i}"
        );
    }
    assert!(got.get(1000).is_undefined());
    assert_eq!(
        field(&ok(c.stats()).await, "entries").as_f64(),
        Some(1000.0)
    );
    ok(c.clear()).await;
    ok(c.close()).await;
}

/// IndexedDB writes a setMany in parts as its pairs are encoded, in one
/// transaction: a bad pair after the first parts aborts it, so nothing is
/// written, in this connection's view or another's.
#[wasm_bindgen_test]
async fn a_bad_pair_late_in_a_batch_writes_nothing_in_indexeddb() {
    let options = format!("({{backend: 'indexeddb', name: {:?}}})", unique("bad-pair"));
    let c = open(&options).await;
    ok(c.set(
        "b".into(),
        js("({i: 0})"),
        "before".into(),
        JsValue::UNDEFINED,
    ))
    .await;
    let pairs =
        js("Array.from({length: 300}, (_, i) => [{i}, i === 250 ? () => i : 'after ' + i])");
    match wait(c.set_many("b".into(), pairs, JsValue::UNDEFINED)).await {
        Ok(v) => panic!("a batch with a function in it was written: {v:?}"),
        Err(e) => {
            assert_eq!(name(&e), "TypeError", "{}", message(&e));
            assert!(
                message(&e).starts_with("setMany: entries[250][1]"),
                "{}",
                message(&e)
            );
        }
    }
    for c in [c, open(&options).await] {
        let first = ok(c.get("b".into(), js("({i: 0})"))).await;
        assert_eq!(first.as_string().as_deref(), Some("before"));
        for i in [1, 100, 249, 299] {
            let got = ok(c.get("b".into(), js(&format!("({{i: {i}}})")))).await;
            assert!(got.is_undefined(), "entry {i} of the failed batch: {got:?}");
        }
        assert_eq!(field(&ok(c.stats()).await, "entries").as_f64(), Some(1.0));
        ok(c.close()).await;
    }
}

/// A setMany reads its pairs before it first waits: changing them once the
/// call has returned its promise changes nothing stored, with limits that
/// make the cache list the store before its first write, and without.
#[wasm_bindgen_test]
async fn a_batch_stores_its_pairs_as_they_were_at_the_call() {
    for limits in ["", ", maxBytes: '10MB'"] {
        let options = format!(
            "({{backend: 'indexeddb', name: {:?}{limits}}})",
            unique("call-time")
        );
        let c = open(&options).await;
        let pairs = js("Array.from({length: 200}, (_, i) => [{i}, {v: i}])");
        let written = c.set_many("b".into(), pairs.clone(), JsValue::UNDEFINED);
        for pair in js_sys::Array::from(&pairs).iter() {
            let pair = js_sys::Array::from(&pair);
            Reflect::set(&pair.get(0), &"i".into(), &(-1).into()).unwrap();
            Reflect::set(&pair.get(1), &"v".into(), &"changed".into()).unwrap();
        }
        ok(written).await;
        for i in [0, 63, 64, 199] {
            let got = ok(c.get("b".into(), js(&format!("({{i: {i}}})")))).await;
            let v = got.is_object().then(|| field(&got, "v"));
            assert_eq!(
                v.and_then(|v| v.as_f64()),
                Some(f64::from(i)),
                "{limits}: entry {i} is {got:?}"
            );
        }
        let changed = ok(c.get("b".into(), js("({i: -1})"))).await;
        assert!(changed.is_undefined(), "{limits}: {changed:?}");
        ok(c.clear()).await;
        ok(c.close()).await;
    }
}

/// On a page's main thread, "opfs" works too (the async OPFS API).
#[cfg(feature = "opfs")]
#[wasm_bindgen_test]
async fn opfs_backend_on_the_main_thread() {
    common::opfs_round_trip("page").await;
}

/// Resolves after `ms` milliseconds with `value`.
fn after(ms: u32, value: &str) -> Promise {
    js(&format!(
        "new Promise((ok) => setTimeout(() => ok({value:?}), {ms}))"
    ))
    .unchecked_into()
}

#[wasm_bindgen_test]
async fn a_get_does_not_wait_on_the_recency_write_back() {
    let cache = unique("write-back");
    let options = format!("({{backend: 'indexeddb', name: {cache:?}, memoryBytes: 0}})");
    let c = open(&options).await;
    ok(c.set("ns".into(), js("{n: 1}"), "v".into(), JsValue::UNDEFINED)).await;
    ok(c.close()).await;
    // A second cache reads the entry without having listed it: the read is
    // queued for write-back, and a second after the cache opened it is due.
    let c = open(&options).await;
    // Another connection holds a readwrite transaction on `access`, which
    // the write-back needs, until told to stop.
    ok(js(&format!(
        r#"new Promise((ok, fail) => {{
          const r = indexedDB.open("larder-{cache}");
          r.onerror = () => fail(r.error);
          r.onsuccess = () => {{
            const db = r.result;
            const tx = db.transaction("access", "readwrite");
            const access = tx.objectStore("access");
            const hold = {{ stop: false }};
            hold.done = new Promise((d) => (tx.oncomplete = () => (db.close(), d())));
            const spin = () => {{ if (!hold.stop) access.get("x").onsuccess = spin; }};
            spin();
            globalThis.writeBackHold = hold;
            ok();
          }};
        }})"#
    ))
    .unchecked_into())
    .await;
    ok(after(1100, "")).await;
    let got = ok(js_sys::Promise::race(&js_sys::Array::of2(
        &c.get("ns".into(), js("{n: 1}")),
        &after(3000, "the get waited on the write-back"),
    )))
    .await;
    assert_eq!(got.as_string().as_deref(), Some("v"));
    // Released, the write-back lands: the entry's access time is recorded.
    ok(js("(writeBackHold.stop = true, writeBackHold.done)").unchecked_into()).await;
    ok(c.close()).await;
    let recorded = ok(js(&format!(
        r#"new Promise((ok, fail) => {{
          const r = indexedDB.open("larder-{cache}");
          r.onerror = () => fail(r.error);
          r.onsuccess = () => {{
            const q = r.result.transaction("access").objectStore("access").count();
            q.onsuccess = () => (r.result.close(), ok(q.result));
          }};
        }})"#
    ))
    .unchecked_into())
    .await;
    assert_eq!(recorded.as_f64(), Some(1.0), "the write-back was made");
}
