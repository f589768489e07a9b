//! Promises settled at once: a call that finishes without waiting (a memory
//! hit) settles its Promise in the call itself. Calls made before earlier
//! ones settle, and calls made from inside a compute function (so while
//! another call is running), still see and do what they would otherwise.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)]

mod common;

use std::rc::Rc;

use common::{js, message, wait};
use js_sys::{Function, Promise};
use larder_wasm::Cache;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

async fn ok(p: Promise) -> JsValue {
    wait(p).await.unwrap_or_else(|e| panic!("{}", message(&e)))
}

#[wasm_bindgen_test]
async fn calls_not_awaited_happen_in_order() {
    let c = Cache::open(js("({backend: 'memory'})")).await.unwrap();
    let set = c.set("ns".into(), js("1"), js("'one'"), JsValue::UNDEFINED);
    let got = c.get("ns".into(), js("1"));
    let gone = c.delete("ns".into(), js("1"));
    let after = c.get("ns".into(), js("1"));
    // Every method returns a Promise, settled or not.
    assert!(got.is_instance_of::<Promise>());
    ok(set).await;
    assert_eq!(ok(got).await.as_string().as_deref(), Some("one"));
    assert_eq!(ok(gone).await.as_bool(), Some(true));
    assert!(ok(after).await.is_undefined());
    // A rejection is a rejected Promise, not a throw.
    let bad = c.get(JsValue::from_f64(3.0), js("1"));
    assert!(wait(bad).await.is_err());
}

#[wasm_bindgen_test]
async fn a_compute_function_may_call_the_cache() {
    let c = Rc::new(Cache::open(js("({backend: 'memory'})")).await.unwrap());
    let inner = c.clone();
    // While getOrCompute runs it, compute writes another key and reads it
    // back; its result is that read.
    let compute = Closure::<dyn Fn() -> JsValue>::new(move || {
        let _ = inner.set("ns".into(), js("2"), js("'two'"), JsValue::UNDEFINED);
        inner.get("ns".into(), js("2")).into()
    });
    let f: &JsValue = compute.as_ref();
    let v = ok(c.get_or_compute("ns".into(), js("3"), f.clone(), JsValue::UNDEFINED)).await;
    assert_eq!(v.as_string().as_deref(), Some("two"));
    assert_eq!(
        ok(c.get("ns".into(), js("2"))).await.as_string().as_deref(),
        Some("two")
    );
    assert_eq!(
        ok(c.get("ns".into(), js("3"))).await.as_string().as_deref(),
        Some("two")
    );
    // The next call with key 3 is a hit and does not compute.
    let never = Closure::<dyn Fn() -> JsValue>::new(|| panic!("computed twice"));
    let f: &JsValue = never.as_ref();
    let v = ok(c.get_or_compute("ns".into(), js("3"), f.clone(), JsValue::UNDEFINED)).await;
    assert_eq!(v.as_string().as_deref(), Some("two"));
}

/// The microtask turn, counted: `n` is 1 in the turn after the call, 2 in
/// the next, and so on (for 100 turns).
fn turns() -> JsValue {
    js("(() => { const t = { n: 0 }; \
        const step = () => { if (++t.n < 100) queueMicrotask(step); }; \
        queueMicrotask(step); return t; })()")
}

/// The turn in which `p` settles, as `turns` counts it.
async fn settled_in(p: Promise, turns: &JsValue) -> f64 {
    let when: Function = js("(p, t) => p.then(() => t.n, () => t.n)").unchecked_into();
    let at: Promise = when
        .call2(&JsValue::UNDEFINED, &p, turns)
        .unwrap()
        .unchecked_into();
    ok(at).await.as_f64().unwrap()
}

#[wasm_bindgen_test]
async fn a_woken_call_goes_on_in_the_callback_that_woke_it() {
    let c = Cache::open(js("({backend: 'memory'})")).await.unwrap();
    let t = turns();
    // The compute function's Promise is settled, so its callback runs in
    // turn 1; the call goes on there, finishes (a memory store waits on
    // nothing else) and settles its Promise, whose callback runs in turn 2.
    // Polled from a queue instead, a woken call would finish a turn later.
    let p = c.get_or_compute(
        "ns".into(),
        js("1"),
        js("() => Promise.resolve('v')"),
        JsValue::UNDEFINED,
    );
    assert_eq!(settled_in(p, &t).await, 2.0);
    assert_eq!(
        ok(c.get("ns".into(), js("1"))).await.as_string().as_deref(),
        Some("v")
    );
}
