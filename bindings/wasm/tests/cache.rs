//! The Cache class: options, get/set/has/delete, getOrCompute single-flight and
//! failures, tags and namespaces, stats and entries shapes, closing.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)]

mod common;

use common::{deep_equal, js, message, name, names, remove, tmp_dir, wait};
use js_sys::{Array, Function, Promise, Reflect};
use larder_wasm::Cache;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

fn strings(v: JsValue) -> Vec<String> {
    Array::from(&v)
        .iter()
        .map(|s| s.as_string().unwrap())
        .collect()
}

async fn open(options: &str) -> Cache {
    Cache::open(js(options))
        .await
        .unwrap_or_else(|e| panic!("open {options}: {}", message(&e)))
}

async fn open_error(options: &str) -> (String, String) {
    match Cache::open(js(options)).await {
        Ok(_) => panic!("{options} opened"),
        Err(e) => (name(&e), message(&e)),
    }
}

fn get(v: &JsValue, field: &str) -> JsValue {
    Reflect::get(v, &field.into()).expect(field)
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

#[wasm_bindgen_test]
async fn set_get_has_delete() {
    let c = open("({backend: 'memory', maxBytes: '10MB', ttl: '1h'})").await;
    let ns = || JsValue::from_str("users");
    assert!(ok(c.get(ns(), js("{id: 1}"))).await.is_undefined());
    let value = js("({name: 'Ada', born: new Date(-4_000_000_000_000), langs: new Set(['en'])})");
    ok(c.set(ns(), js("{id: 1}"), value.clone(), JsValue::UNDEFINED)).await;
    let back = ok(c.get(ns(), js("{id: 1}"))).await;
    assert!(deep_equal(&back, &value));
    // Integral numbers and bigints make the same key.
    assert!(deep_equal(&ok(c.get(ns(), js("{id: 1n}"))).await, &value));
    assert_eq!(ok(c.has(ns(), js("{id: 1}"))).await, JsValue::TRUE);
    assert_eq!(
        ok(c.has("other".into(), js("{id: 1}"))).await,
        JsValue::FALSE
    );
    assert_eq!(ok(c.delete(ns(), js("{id: 1}"))).await, JsValue::TRUE);
    assert_eq!(ok(c.delete(ns(), js("{id: 1}"))).await, JsValue::FALSE);
    assert!(ok(c.get(ns(), js("{id: 1}"))).await.is_undefined());
}

#[wasm_bindgen_test]
async fn open_validates_its_options() {
    assert_eq!(open_error("({backend: 'redis'})").await.0, "TypeError");
    // Node has no OPFS: an Error that says so (and why).
    let (n, m) = open_error("({backend: 'opfs'})").await;
    assert_eq!(n, "Error");
    let why = if cfg!(feature = "opfs") {
        "OPFS is not available"
    } else {
        "\"opfs\" backend is not in this build"
    };
    assert!(m.contains(why), "{m}");
    assert_eq!(open_error("({backend: 1})").await.0, "TypeError");
    assert_eq!(open_error("'memory'").await.0, "TypeError");
    let (n, m) = open_error("({maxbytes: 1})").await;
    assert_eq!(n, "TypeError");
    assert!(m.contains("unknown option \"maxbytes\""), "{m}");
    assert_eq!(open_error("({maxBytes: -1})").await.0, "RangeError");
    assert_eq!(open_error("({maxBytes: 0})").await.0, "RangeError");
    assert_eq!(open_error("({maxBytes: 1.5})").await.0, "RangeError");
    assert_eq!(open_error("({maxBytes: 'lots'})").await.0, "RangeError");
    assert_eq!(open_error("({maxBytes: true})").await.0, "TypeError");
    assert_eq!(open_error("({ttl: 0})").await.0, "RangeError");
    assert_eq!(open_error("({ttl: -5})").await.0, "RangeError");
    assert_eq!(open_error("({ttl: NaN})").await.0, "RangeError");
    assert_eq!(open_error("({ttl: Infinity})").await.0, "RangeError");
    assert_eq!(open_error("({ttl: '0s'})").await.0, "RangeError");
    assert_eq!(open_error("({ttl: 'soon'})").await.0, "RangeError");
    assert_eq!(open_error("({ttl: {}})").await.0, "TypeError");
    // A cache name is a name: with a lone surrogate it would be another's too.
    let (n, m) = open_error("({backend: 'memory', name: 'c\\ud800'})").await;
    assert_eq!(n, "TypeError");
    assert!(
        m.ends_with("name has a lone surrogate, which has no UTF-8 form (names are UTF-8)"),
        "{m}"
    );
    // In Node the default backend is "fs", which needs a directory.
    for o in ["undefined", "({})", "({name: 'x'})"] {
        let (n, m) = open_error(o).await;
        assert_eq!(n, "TypeError", "{o}");
        assert!(
            m.contains("default backend in Node and Deno is \"fs\""),
            "{m}"
        );
        assert!(m.contains("needs a dir option"), "{m}");
    }
    open("({backend: 'memory', memoryBytes: 0, maxEntries: 10, ttl: 1500, maxBytes: 1 << 20})")
        .await;
}

#[wasm_bindgen_test]
async fn bad_calls_reject_and_write_nothing() {
    let c = open("({backend: 'memory'})").await;
    let p = || js("{q: 'x'}");
    assert_eq!(
        err(c.set(JsValue::from_f64(1.0), p(), js("1"), JsValue::UNDEFINED)).await,
        (
            "TypeError".into(),
            "the namespace must be a string or a [name, version] pair, not a number".into()
        )
    );
    assert_eq!(
        err(c.set("ns".into(), p(), js("1"), js("{ttl: 0}")))
            .await
            .0,
        "RangeError"
    );
    assert_eq!(
        err(c.set("ns".into(), p(), js("1"), js("{ttl: NaN}")))
            .await
            .0,
        "RangeError"
    );
    assert_eq!(
        err(c.set("ns".into(), p(), js("1"), js("{ttl: -1}")))
            .await
            .0,
        "RangeError"
    );
    assert_eq!(
        err(c.set("ns".into(), p(), js("1"), js("{tags: 'a'}")))
            .await
            .0,
        "TypeError"
    );
    assert_eq!(
        err(c.set("ns".into(), p(), js("1"), js("{tags: [1]}")))
            .await
            .0,
        "TypeError"
    );
    assert_eq!(
        err(c.set("ns".into(), p(), js("1"), js("{tag: ['a']}")))
            .await
            .0,
        "TypeError"
    );
    // Tags are names: a lone surrogate would become U+FFFD and make two one.
    let lone = "has a lone surrogate, which has no UTF-8 form (names are UTF-8)";
    assert_eq!(
        err(c.set("ns".into(), p(), js("1"), js("{tags: ['ok', 'a\\udc00']}"))).await,
        ("TypeError".into(), format!("set options: tags[1] {lone}"))
    );
    assert_eq!(
        err(c.invalidate_tag(js("'\\ud800'"))).await,
        ("TypeError".into(), format!("invalidateTag: the tag {lone}"))
    );
    assert_eq!(err(c.entries(js("{tag: '\\ud800'}"))).await.0, "TypeError");
    assert_eq!(
        err(c.set(js("'\\ud800'"), p(), js("1"), JsValue::UNDEFINED)).await,
        ("TypeError".into(), format!("the namespace {lone}"))
    );
    assert_eq!(
        err(c.set("ns".into(), p(), js("{f: () => 1}"), JsValue::UNDEFINED)).await,
        (
            "TypeError".into(),
            "value.f: a function cannot be stored in the cache".into()
        )
    );
    assert_eq!(
        err(c.set("ns".into(), js("{f: () => 1}"), js("1"), JsValue::UNDEFINED)).await,
        (
            "TypeError".into(),
            "params.f: a function cannot be part of a key".into()
        )
    );
    assert_eq!(
        err(c.get_or_compute("ns".into(), p(), js("42"), JsValue::UNDEFINED)).await,
        (
            "TypeError".into(),
            "getOrCompute: the compute argument must be a function, not a number".into()
        )
    );
    let stats = ok(c.stats()).await;
    assert_eq!(get(&stats, "entries"), JsValue::from_f64(0.0));
}

/// A compute function that counts its runs in `globalThis[counter]` and
/// settles after a timer, so that concurrent callers overlap.
fn slow(counter: &str, settle: &str) -> JsValue {
    js(&format!(
        "(globalThis.{counter} = 0, () => new Promise((resolve, reject) => setTimeout(() => {{ globalThis.{counter}++; {settle}; }}, 20)))"
    ))
}

#[wasm_bindgen_test]
async fn get_or_compute_runs_once_for_concurrent_callers() {
    let c = open("({backend: 'memory'})").await;
    let f = slow("__runs", "resolve({answer: 42, at: new Date(7)})");
    let calls: Vec<Promise> = (0..5)
        .map(|_| c.get_or_compute("q".into(), js("{n: 1}"), f.clone(), js("{tags: ['t']}")))
        .collect();
    let all = ok(Promise::all(&calls.iter().collect::<Array>())).await;
    assert_eq!(js("globalThis.__runs"), JsValue::from_f64(1.0));
    let expected = js("({answer: 42, at: new Date(7)})");
    for v in Array::from(&all).iter() {
        assert!(deep_equal(&v, &expected));
    }
    // Later calls are hits: still one run.
    let again = ok(c.get_or_compute("q".into(), js("{n: 1}"), f.clone(), JsValue::UNDEFINED)).await;
    assert!(deep_equal(&again, &expected));
    assert_eq!(js("globalThis.__runs"), JsValue::from_f64(1.0));
    // A plain (non-Promise) return value works too.
    let sync = js("() => [1, 2n, 'three']");
    let v = ok(c.get_or_compute("q".into(), js("{n: 2}"), sync, JsValue::UNDEFINED)).await;
    assert!(deep_equal(&v, &js("[1, 2n, 'three']")));
    let stats = ok(c.stats()).await;
    assert_eq!(get(&stats, "entries"), JsValue::from_f64(2.0));
    assert!(get(&stats, "hits").as_f64().expect("hits") >= 5.0);
}

#[wasm_bindgen_test]
async fn a_rejection_reaches_every_waiter_and_nothing_is_stored() {
    let c = open("({backend: 'memory'})").await;
    let f = slow(
        "__fails",
        "reject(Object.assign(new Error('boom'), {code: 7}))",
    );
    let calls: Vec<Promise> = (0..4)
        .map(|_| c.get_or_compute("q".into(), js("'k'"), f.clone(), JsValue::UNDEFINED))
        .collect();
    let mut errors = Vec::new();
    for p in calls {
        let e = wait(p).await.expect_err("rejects");
        assert_eq!(message(&e), "boom");
        assert_eq!(get(&e, "code"), JsValue::from_f64(7.0));
        errors.push(e);
    }
    // The very same error object reaches every caller.
    assert!(errors.iter().all(|e| e == &errors[0]));
    assert_eq!(js("globalThis.__fails"), JsValue::from_f64(1.0));
    assert_eq!(ok(c.has("q".into(), js("'k'"))).await, JsValue::FALSE);

    // A synchronous throw, and a value that cannot be stored, too.
    let thrower = js("() => { throw new TypeError('sync') }");
    let (n, m) = err(c.get_or_compute("q".into(), js("'k'"), thrower, JsValue::UNDEFINED)).await;
    assert_eq!((n.as_str(), m.as_str()), ("TypeError", "sync"));
    let bad = js("async () => ({cb: () => 1})");
    let (n, m) = err(c.get_or_compute("q".into(), js("'k'"), bad, JsValue::UNDEFINED)).await;
    assert_eq!(
        (n.as_str(), m.as_str()),
        (
            "TypeError",
            "value.cb: a function cannot be stored in the cache"
        )
    );
    assert_eq!(ok(c.has("q".into(), js("'k'"))).await, JsValue::FALSE);
    // After the failure the next call computes again.
    let good = js("async () => 'fine'");
    let v = ok(c.get_or_compute("q".into(), js("'k'"), good, JsValue::UNDEFINED)).await;
    assert_eq!(v, JsValue::from_str("fine"));
    let stats = ok(c.stats()).await;
    assert_eq!(get(&stats, "entries"), JsValue::from_f64(1.0));
}

#[wasm_bindgen_test]
async fn ttl_sets_expiry_in_entries() {
    let c = open("({backend: 'memory', ttl: '1h'})").await;
    ok(c.set(
        "a".into(),
        js("1"),
        js("'one'"),
        js("{ttl: 60000, tags: ['x', 'y'], meta: {by: 'test'}}"),
    ))
    .await;
    ok(c.set("a".into(), js("2"), js("'two'"), JsValue::UNDEFINED)).await;
    ok(c.set(
        "b".into(),
        js("[1, new Uint8Array([5])]"),
        js("'three'"),
        js("{ttl: '2m', tags: ['y']}"),
    ))
    .await;
    let all = Array::from(&ok(c.entries(JsValue::UNDEFINED)).await);
    assert_eq!(all.length(), 3);
    let find = |ns: &str, params: &str| {
        all.iter()
            .find(|e| {
                get(e, "namespace") == JsValue::from_str(ns)
                    && deep_equal(&get(e, "params"), &js(params))
            })
            .unwrap_or_else(|| panic!("{ns} {params}"))
    };
    let e1 = find("a", "1");
    let created = get(&e1, "created").as_f64().expect("created");
    assert!(created > 1.6e12);
    assert_eq!(get(&e1, "expires").as_f64(), Some(created + 60_000.0));
    assert!(get(&e1, "lastAccess").as_f64().expect("lastAccess") >= created);
    assert!(get(&e1, "size").as_f64().expect("size") > 0.0);
    assert!(deep_equal(&get(&e1, "tags"), &js("['x', 'y']")));
    assert!(deep_equal(&get(&e1, "meta"), &js("({by: 'test'})")));
    let e2 = find("a", "2");
    assert_eq!(
        get(&e2, "expires").as_f64(),
        Some(get(&e2, "created").as_f64().expect("created") + 3_600_000.0)
    );
    assert!(get(&e2, "meta").is_undefined());
    let e3 = find("b", "[1, new Uint8Array([5])]");
    assert_eq!(
        get(&e3, "expires").as_f64(),
        Some(get(&e3, "created").as_f64().expect("created") + 120_000.0)
    );
    // Filters.
    assert_eq!(
        Array::from(&ok(c.entries(js("{namespace: 'a'}"))).await).length(),
        2
    );
    assert_eq!(
        Array::from(&ok(c.entries(js("{tag: 'y'}"))).await).length(),
        2
    );
    assert_eq!(
        Array::from(&ok(c.entries(js("{namespace: 'a', tag: 'y'}"))).await).length(),
        1
    );
    assert_eq!(err(c.entries(js("{ns: 'a'}"))).await.0, "TypeError");
    // Nothing has expired: prune removes nothing.
    assert_eq!(ok(c.prune()).await, JsValue::from_f64(0.0));
}

#[wasm_bindgen_test]
async fn invalidation_and_clear() {
    let c = open("({backend: 'memory'})").await;
    for (ns, p, tags) in [
        ("a", "1", "['t']"),
        ("a", "2", "[]"),
        ("b", "1", "['t']"),
        ("b", "2", "[]"),
    ] {
        ok(c.set(
            ns.into(),
            js(p),
            js("null"),
            js(&format!("{{tags: {tags}}}")),
        ))
        .await;
    }
    assert_eq!(
        ok(c.invalidate_tag("t".into())).await,
        JsValue::from_f64(2.0)
    );
    assert_eq!(
        ok(c.invalidate_namespace("a".into())).await,
        JsValue::from_f64(1.0)
    );
    assert_eq!(ok(c.has("b".into(), js("2"))).await, JsValue::TRUE);
    assert_eq!(err(c.invalidate_tag(JsValue::NULL)).await.0, "TypeError");
    assert_eq!(
        err(c.invalidate_namespace(JsValue::NULL)).await.0,
        "TypeError"
    );
    ok(c.clear()).await;
    assert_eq!(ok(c.has("b".into(), js("2"))).await, JsValue::FALSE);
}

#[wasm_bindgen_test]
async fn stats_shape() {
    let c = open("({backend: 'memory'})").await;
    ok(c.get("s".into(), js("1"))).await;
    ok(c.set("s".into(), js("1"), js("'v'"), JsValue::UNDEFINED)).await;
    ok(c.get("s".into(), js("1"))).await;
    let s = ok(c.stats()).await;
    let keys: Vec<String> = js_sys::Object::keys(s.unchecked_ref::<js_sys::Object>())
        .iter()
        .map(|k| k.as_string().expect("key"))
        .collect();
    for k in [
        "hits",
        "misses",
        "hitRate",
        "evictions",
        "spills",
        "expired",
        "corrupt",
        "entries",
        "storeBytes",
        "memoryBytes",
        "timeSavedMs",
    ] {
        assert!(keys.iter().any(|x| x == k), "{k} missing from {keys:?}");
        assert!(get(&s, k).as_f64().is_some(), "{k} is not a number");
    }
    assert_eq!(get(&s, "hits"), JsValue::from_f64(1.0));
    assert_eq!(get(&s, "misses"), JsValue::from_f64(1.0));
    assert_eq!(get(&s, "hitRate"), JsValue::from_f64(0.5));
    assert_eq!(get(&s, "entries"), JsValue::from_f64(1.0));
    assert!(get(&s, "storeBytes").as_f64().expect("storeBytes") > 0.0);
}

#[wasm_bindgen_test]
async fn a_closed_cache_says_so() {
    let c = open("({backend: 'memory'})").await;
    ok(c.set("n".into(), js("1"), js("1"), JsValue::UNDEFINED)).await;
    ok(c.close()).await;
    ok(c.close()).await;
    let closed = ("TypeError".to_string(), "the cache is closed".to_string());
    assert_eq!(err(c.get("n".into(), js("1"))).await, closed);
    assert_eq!(
        err(c.set("n".into(), js("1"), js("1"), JsValue::UNDEFINED)).await,
        closed
    );
    let f: JsValue = Function::new_no_args("return 1").into();
    assert_eq!(
        err(c.get_or_compute("n".into(), js("1"), f, JsValue::UNDEFINED)).await,
        closed
    );
    assert_eq!(err(c.has("n".into(), js("1"))).await, closed);
    assert_eq!(err(c.delete("n".into(), js("1"))).await, closed);
    assert_eq!(err(c.invalidate_tag("t".into())).await, closed);
    assert_eq!(err(c.invalidate_namespace("n".into())).await, closed);
    assert_eq!(err(c.prune()).await, closed);
    assert_eq!(err(c.clear()).await, closed);
    assert_eq!(err(c.stats()).await, closed);
    assert_eq!(err(c.entries(JsValue::UNDEFINED)).await, closed);
    let e = wait(c.stats()).await.expect_err("closed");
    assert_eq!(get(&e, "kind"), JsValue::from_str("closed"));
}

#[wasm_bindgen_test]
async fn arguments_are_read_when_the_call_is_made() {
    let c = open("({backend: 'memory'})").await;
    let args = js("({p: {id: 1}, v: {n: 1}})");
    let (p, v) = (get(&args, "p"), get(&args, "v"));
    let set = c.set("ns".into(), p.clone(), v.clone(), JsValue::UNDEFINED);
    js("(a) => { a.p.id = 2; a.v.n = 2; }")
        .unchecked_into::<Function>()
        .call1(&JsValue::UNDEFINED, &args)
        .unwrap();
    ok(set).await;
    assert!(deep_equal(
        &ok(c.get("ns".into(), js("{id: 1}"))).await,
        &js("({n: 1})")
    ));
    assert!(ok(c.get("ns".into(), js("{id: 2}"))).await.is_undefined());
    // A call made after close() rejects, even before close() settles.
    let closing = c.close();
    assert_eq!(
        err(c.get("ns".into(), js("{id: 1}"))).await.1,
        "the cache is closed"
    );
    ok(closing).await;
}

#[wasm_bindgen_test]
async fn raw_stores_a_uint8array_as_bytes() {
    let c = open("({backend: 'memory'})").await;
    let bytes = js("new Uint8Array([0, 1, 255])");
    ok(c.set("b".into(), js("1"), bytes.clone(), js("{raw: true}"))).await;
    assert!(deep_equal(&ok(c.get("b".into(), js("1"))).await, &bytes));
    let f: JsValue = Function::new_no_args("return new Uint8Array([7])").into();
    let got = ok(c.get_or_compute("b".into(), js("2"), f, js("{raw: true}"))).await;
    assert!(deep_equal(&got, &js("new Uint8Array([7])")));
    assert_eq!(
        err(c.set("b".into(), js("3"), js("[1]"), js("{raw: true}"))).await,
        (
            "TypeError".into(),
            "value: with raw: true the value must be a Uint8Array, not an array".into()
        )
    );
    let f: JsValue = Function::new_no_args("return 'text'").into();
    let e = err(c.get_or_compute("b".into(), js("4"), f, js("{raw: true}"))).await;
    assert_eq!(e.0, "TypeError");
    assert_eq!(
        err(c.set("b".into(), js("5"), bytes, js("{raw: 1}"))).await,
        (
            "TypeError".into(),
            "set options: raw must be a boolean, not a number".into()
        )
    );
    let s = ok(c.stats()).await;
    assert_eq!(get(&s, "entries").as_f64(), Some(2.0));
}

#[wasm_bindgen_test]
async fn without_a_memory_tier_reads_come_from_the_store() {
    let c = open("({backend: 'memory', memoryBytes: 0})").await;
    let v = js("({big: new Float64Array([1.5, -0]), n: 10n ** 30n})");
    ok(c.set("m".into(), js("'k'"), v.clone(), JsValue::UNDEFINED)).await;
    assert!(deep_equal(&ok(c.get("m".into(), js("'k'"))).await, &v));
    // Node's Buffer is a Uint8Array: the same key as the plain bytes.
    let a = larder_wasm::key_hash(
        "m".into(),
        js("globalThis.Buffer ? Buffer.from([1, 2]) : new Uint8Array([1, 2])"),
    );
    let b = larder_wasm::key_hash("m".into(), js("new Uint8Array([1, 2])"));
    assert_eq!(a.ok(), b.ok());
}

#[wasm_bindgen_test]
async fn fs_backend_persists_in_the_directory() {
    let dir = tmp_dir().await.as_string().unwrap();
    let options = format!("({{backend: 'fs', dir: {dir:?}, maxBytes: '100MB', ttl: '1h'}})");
    let c = open(&options).await;
    let value = js("({name: 'Ada', langs: new Set(['en']), n: 42n})");
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

    // The larder-fs layout: <dir>/larder-v1/entries/<2 hex>/<32 hex>.
    let hex = larder_wasm::key_hash("users".into(), js("{id: 1}")).unwrap();
    let shard = format!("{dir}/larder-v1/entries/{}", &hex[..2]);
    assert_eq!(strings(names(&shard).await), vec![hex.clone()]);

    // A new cache on the same directory finds the value.
    let c = open(&options).await;
    assert!(deep_equal(
        &ok(c.get("users".into(), js("{id: 1}"))).await,
        &value
    ));
    let listed = ok(c.entries(JsValue::UNDEFINED)).await;
    assert_eq!(Array::from(&listed).length(), 1);
    let stats = ok(c.stats()).await;
    assert_eq!(get(&stats, "entries").as_f64(), Some(1.0));
    ok(c.close()).await;
    remove(&dir).await;
}

#[wasm_bindgen_test]
async fn backend_options_are_checked() {
    let (n, m) = open_error("({backend: 'fs'})").await;
    assert_eq!(n, "TypeError");
    assert!(m.contains("backend \"fs\" needs a dir option"), "{m}");
    let (n, m) = open_error("({backend: 'indexeddb', name: 5})").await;
    assert_eq!(n, "TypeError");
    assert!(m.contains("name must be a non-empty string"), "{m}");
    let (n, m) = open_error("({backend: 'fs', dir: ''})").await;
    assert_eq!(n, "TypeError");
    assert!(m.contains("dir must be a non-empty string"), "{m}");
    assert_eq!(
        open_error("({backend: 'fs', dir: ['/tmp']})").await.0,
        "TypeError"
    );
    assert_eq!(
        open_error("({backend: 'indexeddb', name: ''})").await.0,
        "TypeError"
    );
    // A backend's option is ignored by the others, so one options object
    // works in every runtime.
    let c = open("({backend: 'memory', name: 'app', dir: '/nonexistent'})").await;
    ok(c.close()).await;
}

#[wasm_bindgen_test]
async fn larder_dir_is_the_default_directory() {
    let dir = tmp_dir().await.as_string().unwrap();
    js(&format!("process.env.LARDER_DIR = {dir:?}"));
    let fs = Cache::open(js("({backend: 'fs'})")).await;
    // Without a backend, Node gets "fs" in LARDER_DIR too.
    let default = Cache::open(JsValue::UNDEFINED).await;
    js("delete process.env.LARDER_DIR");
    let (fs, default) = (fs.map_err(|e| message(&e)).unwrap(), default.unwrap());
    ok(fs.set("ns".into(), js("1"), js("'one'"), JsValue::UNDEFINED)).await;
    ok(fs.close()).await;
    assert_eq!(ok(default.get("ns".into(), js("1"))).await, "one");
    ok(default.close()).await;
    assert_eq!(strings(names(&format!("{dir}/larder-v1")).await).len(), 2);
    remove(&dir).await;
}
