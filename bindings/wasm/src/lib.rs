//! # larder-wasm
//!
//! larder for JavaScript (browsers, Node, Deno) through wasm-bindgen: the
//! [`Cache`] class over larder-core, keys from JS values by the rules of
//! docs/FORMAT.md ([`params`]), and values stored with codec 2, the structured
//! JS value encoding ([`value`]).
//!
//! The crate also builds natively (as an rlib, so `cargo test --workspace`
//! compiles it), but its JS-facing functions only work inside a JS host.

mod backends;
mod batch;
pub use batch::{decode_value_js, encode_value_js};
mod clock;
mod js;
mod options;
pub mod params;
mod task;
pub mod value;
mod walk;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use larder_core::cache::Filter;
use larder_core::frame::codec;
use larder_core::{Computed, Config, Entry, Error, ErrorKind, KeyHash, KeyMap, Served, Store};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

pub use clock::JsClock;

use crate::backends::{default_backend, open_store};
use crate::js::{Kind, classify, core_error, type_error};
use crate::options::{Options, put_options, string_value};
use crate::task::promise;
use crate::walk::Root;

type CoreCache = larder_core::Cache<Box<dyn Store>, JsClock>;

/// The default cache name of the `"indexeddb"` and `"opfs"` backends.
pub const DEFAULT_NAME: &str = "default";

/// The environment variable the `"fs"` backend takes its directory from when
/// `dir` is not given.
pub const DIR_ENV: &str = "LARDER_DIR";

/// A persistent cache for the results of expensive computations.
///
/// Every method returns a Promise. Each checks and converts its arguments
/// (the key, the value, the options) before it returns, so changing them
/// afterwards cannot change the call; bad input rejects with a `TypeError` or
/// `RangeError` saying what was wrong, and nothing is written.
#[wasm_bindgen]
pub struct Cache {
    inner: Rc<Inner>,
}

/// JS errors thrown by compute functions, kept until every caller waiting on
/// that computation has seen them (the core passes its own `Error` to the
/// waiters; this turns it back into the original JS value).
#[derive(Default)]
struct Pending {
    calls: usize,
    errors: Vec<(u64, JsValue)>,
}

struct Inner {
    cache: RefCell<Option<Rc<CoreCache>>>,
    pending: RefCell<KeyMap<Pending>>,
    next_error: Cell<u64>,
}

const ERROR_TOKEN: &str = "js-error#";

impl Inner {
    fn core(&self) -> Result<Rc<CoreCache>, JsValue> {
        self.cache.borrow().clone().ok_or_else(|| {
            let err = type_error("the cache is closed");
            js::set_kind(&err, ErrorKind::Closed);
            err
        })
    }

    fn enter(&self, h: KeyHash) {
        self.pending.borrow_mut().entry(h).or_default().calls += 1;
    }

    fn leave(&self, h: KeyHash) {
        let mut p = self.pending.borrow_mut();
        if let Some(e) = p.get_mut(&h) {
            e.calls -= 1;
            if e.calls == 0 {
                p.remove(&h);
            }
        }
    }

    /// Keep a JS error thrown while computing `h`; the core error stands for it.
    fn stash(&self, h: KeyHash, error: JsValue) -> Error {
        let id = self.next_error.get();
        self.next_error.set(id + 1);
        if let Some(p) = self.pending.borrow_mut().get_mut(&h) {
            p.errors.push((id, error));
        }
        Error::new(
            ErrorKind::Compute,
            "getOrCompute",
            "the compute function threw",
        )
        .with_context(format!("{ERROR_TOKEN}{id}"))
    }

    /// The JS error for a core error: the compute function's own error when the
    /// core error stands for one.
    fn unstash(&self, h: KeyHash, e: &Error) -> JsValue {
        let id = e
            .context()
            .and_then(|c| c.strip_prefix(ERROR_TOKEN))
            .and_then(|id| larder_core::parse_u64(id, 10));
        if let (ErrorKind::Compute, Some(id)) = (e.kind(), id) {
            if let Some(p) = self.pending.borrow().get(&h) {
                if let Some((_, js)) = p.errors.iter().find(|(i, _)| *i == id) {
                    return js.clone();
                }
            }
        }
        core_error(e)
    }
}

/// Core results as JS results.
trait OrJs<T> {
    fn js(self) -> Result<T, JsValue>;
}

impl<T> OrJs<T> for larder_core::Result<T> {
    fn js(self) -> Result<T, JsValue> {
        self.map_err(|e| core_error(&e))
    }
}

fn count(n: usize) -> Result<JsValue, JsValue> {
    Ok(JsValue::from_f64(n as f64))
}

#[wasm_bindgen]
impl Cache {
    /// The steps every method starts with, done before it returns: `prepare`
    /// checks and converts the arguments, then the cache must be open; `run`
    /// is the work the returned Promise does with the core cache.
    fn call<T, Fut>(
        &self,
        prepare: impl FnOnce() -> Result<T, JsValue>,
        run: impl FnOnce(Rc<CoreCache>, T) -> Fut,
    ) -> Promise
    where
        Fut: std::future::Future<Output = Result<JsValue, JsValue>> + 'static,
    {
        match prepare().and_then(|args| Ok((self.inner.core()?, args))) {
            Ok((core, args)) => {
                let run = run(core.clone(), args);
                promise(Box::pin(async move {
                    let out = run.await;
                    write_back(core);
                    out
                }))
            }
            Err(e) => Promise::reject(&e),
        }
    }

    /// `Cache.open({ backend, name, dir, maxBytes, maxEntries, ttl, memoryBytes })`.
    ///
    /// `backend` is `"indexeddb"` (cache `name`, default `"default"`), `"fs"`
    /// (directory `dir`, default the `LARDER_DIR` environment variable),
    /// `"memory"`, or `"opfs"` (cache `name`, default `"default"`: OPFS
    /// directory `larder-<name>`, sync access handles in a dedicated worker).
    /// Without `backend`: `"indexeddb"` in a browser,
    /// `"fs"` in Node and Deno, `"memory"` elsewhere. Sizes are numbers of
    /// bytes or strings like `"100MB"`; `ttl` (the default time to live) is
    /// milliseconds or a string like `"1h"`. The TypeScript types of the whole
    /// API are written by hand in `npm/larder.d.ts`.
    pub async fn open(options: JsValue) -> Result<Cache, JsValue> {
        let opts = Options::read(&options, "Cache.open options", options::OPEN_OPTIONS)?;
        let (backend, defaulted) = match opts.get("backend")? {
            None => (default_backend().to_string(), true),
            Some(v) => (
                v.as_string().ok_or_else(|| {
                    type_error(&format!(
                        "Cache.open options: backend must be a string, not {}",
                        params::describe(&v)
                    ))
                })?,
                false,
            ),
        };
        let name = opts.non_empty_string("name")?;
        let dir = opts.non_empty_string("dir")?;
        let mut config = Config {
            max_bytes: opts.size("maxBytes", false)?,
            max_entries: opts.size("maxEntries", false)?,
            default_ttl_ms: opts.ttl("ttl")?,
            // A read returns without waiting on recency's write-back, which
            // `write_back` starts once the read is done.
            background_write_back: true,
            ..Config::default()
        };
        if let Some(m) = opts.size("memoryBytes", true)? {
            config.memory_bytes = m;
        }
        let store = open_store(&backend, name, dir, defaulted).await?;
        let cache = CoreCache::with_clock(store, JsClock, config).js()?;
        Ok(Cache {
            inner: Rc::new(Inner {
                cache: RefCell::new(Some(Rc::new(cache))),
                pending: RefCell::default(),
                next_error: Cell::new(0),
            }),
        })
    }

    /// The value stored for (namespace, params), or `undefined`.
    pub fn get(&self, namespace: JsValue, params: JsValue) -> Promise {
        self.call(
            || params::key(&namespace, &params),
            |c, key| async move {
                match c.get(&key).await.js()? {
                    Some(e) => decode_entry(&e),
                    None => Ok(JsValue::UNDEFINED),
                }
            },
        )
    }

    /// Store `value` for (namespace, params); options `{ ttl, tags, meta, raw,
    /// staleWhileRevalidate, dependsOn }` (see `put_options`).
    pub fn set(
        &self,
        namespace: JsValue,
        params: JsValue,
        value: JsValue,
        options: JsValue,
    ) -> Promise {
        self.call(
            || {
                let key = params::key(&namespace, &params)?;
                let opts = put_options(&options, "set options")?;
                let payload = encode_value(&value, opts.codec, "value")?;
                Ok((key, opts, payload))
            },
            |c, (key, opts, payload)| async move {
                c.put(&key, payload, &opts).await.js()?;
                Ok(JsValue::UNDEFINED)
            },
        )
    }

    /// The value for (namespace, params), computing it with `compute` (which
    /// may return a Promise) on a miss. Concurrent calls for one key run
    /// `compute` once; if it throws or rejects, every waiting call rejects with
    /// that error and nothing is stored. Options `{ ttl, tags, meta, raw,
    /// staleWhileRevalidate, dependsOn }`: with `staleWhileRevalidate`, an entry past its
    /// ttl and within that grace period is returned at once, and one call of
    /// `compute` refreshes it in the background.
    #[wasm_bindgen(js_name = getOrCompute)]
    pub fn get_or_compute(
        &self,
        namespace: JsValue,
        params: JsValue,
        compute: JsValue,
        options: JsValue,
    ) -> Promise {
        let inner = self.inner.clone();
        self.call(
            || {
                let key = params::key(&namespace, &params)?;
                let Some(compute) = compute.dyn_ref::<Function>().cloned() else {
                    return Err(type_error(&format!(
                        "getOrCompute: the compute argument must be a function, not {}",
                        params::describe(&compute)
                    )));
                };
                Ok((key, compute, put_options(&options, "getOrCompute options")?))
            },
            |c, (key, compute, opts)| async move {
                if opts.stale_ms.is_some() {
                    if let Some(v) = serve_stale(&inner, &c, &key, &compute, &opts).await {
                        return v;
                    }
                }
                let h = key.hash();
                inner.enter(h);
                let run = computation(inner.clone(), h, compute, opts.codec);
                // get_or_compute_with, as the background refresh's recompute,
                // takes the same computation type: one copy of the core's
                // compute path in the .wasm, not two.
                let out = match c.get_or_compute_with(&key, &opts, run).await {
                    Ok(entry) => decode_entry(&entry),
                    Err(e) => Err(inner.unstash(h, &e)),
                };
                inner.leave(h);
                out
            },
        )
    }

    /// Whether a fresh entry exists for (namespace, params).
    pub fn has(&self, namespace: JsValue, params: JsValue) -> Promise {
        self.call(
            || params::key(&namespace, &params),
            |c, key| async move { Ok(JsValue::from_bool(c.contains(&key).await.js()?)) },
        )
    }

    /// Remove the entry for (namespace, params); `true` if there was one.
    pub fn delete(&self, namespace: JsValue, params: JsValue) -> Promise {
        self.call(
            || params::key(&namespace, &params),
            |c, key| async move { Ok(JsValue::from_bool(c.remove(&key).await.js()?)) },
        )
    }

    /// Remove every entry carrying `tag`; how many were removed.
    #[wasm_bindgen(js_name = invalidateTag)]
    pub fn invalidate_tag(&self, tag: JsValue) -> Promise {
        self.call(
            || string_value(&tag, format_args!("invalidateTag: the tag")),
            |c, tag| async move { count(c.invalidate_tag(&tag).await.js()?) },
        )
    }

    /// Remove every entry of the namespace `name`, of every version; how many
    /// were removed.
    #[wasm_bindgen(js_name = invalidateNamespace)]
    pub fn invalidate_namespace(&self, name: JsValue) -> Promise {
        self.call(
            || string_value(&name, format_args!("invalidateNamespace: the namespace")),
            |c, ns| async move { count(c.invalidate_namespace(&ns).await.js()?) },
        )
    }

    /// Remove expired entries (and enforce the limits); how many were removed.
    pub fn prune(&self) -> Promise {
        self.call(
            || Ok(()),
            |c, ()| async move { count(c.prune().await.js()?) },
        )
    }

    /// Remove every entry.
    pub fn clear(&self) -> Promise {
        self.call(
            || Ok(()),
            |c, ()| async move {
                c.clear().await.js()?;
                Ok(JsValue::UNDEFINED)
            },
        )
    }

    /// Counters and sizes: `{ hits, misses, hitRate, evictions, spills, expired,
    /// corrupt, errors, entries, storeBytes, memoryEntries, memoryBytes,
    /// timeSavedMs }`.
    pub fn stats(&self) -> Promise {
        self.call(
            || Ok(()),
            |c, ()| async move {
                let s = c.stats().await.js()?;
                let n = |x: u64| JsValue::from_f64(x as f64);
                object(&[
                    ("hits", n(s.hits)),
                    ("misses", n(s.misses)),
                    ("hitRate", JsValue::from_f64(s.hit_rate)),
                    ("evictions", n(s.evictions)),
                    ("spills", n(s.spills)),
                    ("expired", n(s.expired)),
                    ("corrupt", n(s.corrupt)),
                    ("errors", n(s.errors)),
                    ("entries", n(s.entries)),
                    ("storeBytes", n(s.store_bytes)),
                    ("memoryEntries", n(s.memory_entries)),
                    ("memoryBytes", n(s.memory_bytes)),
                    (
                        "timeSavedMs",
                        JsValue::from_f64(s.time_saved_us as f64 / 1000.0),
                    ),
                ])
            },
        )
    }

    /// The entries, most recently used first, optionally filtered by
    /// `{ namespace, tag }`: `[{ namespace, version, params, size, created,
    /// lastAccess, expires, tags, meta }]` (times in ms since the epoch,
    /// `expires` null for never).
    pub fn entries(&self, filter: JsValue) -> Promise {
        self.call(
            || {
                let opts = Options::read(&filter, "entries filter", &["namespace", "tag"])?;
                Ok(Filter {
                    namespace: opts.string("namespace")?,
                    tag: opts.string("tag")?,
                })
            },
            |c, filter| async move {
                let out = Array::new();
                for e in c.entries(&filter).await.js()? {
                    let params = e
                        .params
                        .as_ref()
                        .map_or(JsValue::UNDEFINED, params::from_canon);
                    let tags: Array = e.tags.iter().map(|t| JsValue::from_str(t)).collect();
                    let ms = |x: u64| JsValue::from_f64(x as f64);
                    out.push(&object(&[
                        ("namespace", JsValue::from_str(&e.namespace)),
                        ("version", JsValue::from_f64(f64::from(e.version))),
                        ("params", params),
                        ("size", ms(e.size)),
                        ("created", ms(e.created_ms)),
                        ("lastAccess", ms(e.last_access_ms)),
                        ("expires", e.expires_ms.map_or(JsValue::NULL, ms)),
                        ("tags", tags.into()),
                        ("meta", decode_meta(&e.meta)),
                    ])?);
                }
                Ok(out.into())
            },
        )
    }

    /// Write pending recency and release the cache; every later call (made
    /// after this one, even before its Promise settles) rejects with
    /// "the cache is closed". Closing twice is harmless.
    pub fn close(&self) -> Promise {
        let c = self.inner.cache.borrow_mut().take();
        promise(Box::pin(async move {
            if let Some(c) = c {
                c.flush().await.js()?;
            }
            Ok(JsValue::UNDEFINED)
        }))
    }
}

/// Start writing back pending recency when it is due (the core leaves it to
/// us: see `background_write_back`), from a microtask (task::spawn), so
/// that the call that made it due does not wait on a write.
fn write_back(core: Rc<CoreCache>) {
    if core.write_back_due() {
        task::spawn(Box::pin(async move {
            core.flush_quietly().await;
            Ok(JsValue::UNDEFINED)
        }));
    }
}

/// The hex XXH3-128 hash of the key for (namespace, params), as every larder
/// implementation computes it (docs/FORMAT.md, "Key bytes and hash").
#[wasm_bindgen(js_name = keyHash)]
pub fn key_hash(namespace: JsValue, params: JsValue) -> Result<String, JsValue> {
    Ok(params::key(&namespace, &params)?.hash().to_hex())
}

/// A plain object with these properties.
fn object(props: &[(&str, JsValue)]) -> Result<JsValue, JsValue> {
    let obj = Object::new();
    for (k, v) in props {
        Reflect::set(&obj, &(*k).into(), v)?;
    }
    Ok(obj.into())
}

fn is_thenable(v: &JsValue) -> bool {
    (v.is_object() || v.is_function())
        && Reflect::get(v, &"then".into()).is_ok_and(|t| t.is_function())
}

/// The payload of `value` for the codec the options chose: codec 2 (any
/// structured value), or codec 0 (`raw: true`: the bytes of a Uint8Array as
/// they are, which Rust's `get_bytes` reads).
fn encode_value(value: &JsValue, codec: u8, root: impl Into<Root>) -> Result<Vec<u8>, JsValue> {
    let root = root.into();
    if codec != codec::BYTES {
        return value::encode_at(value, root);
    }
    match classify(value) {
        Kind::View(js::Elem::Uint8) => Ok(value.unchecked_ref::<Uint8Array>().to_vec()),
        _ => Err(type_error(&format!(
            "{root}: with raw: true the value must be a Uint8Array, not {}",
            params::describe(value)
        ))),
    }
}

/// An entry's value as JS: codec 2 decoded, raw bytes (codec 0, written with
/// `raw: true` or by Rust's `put_bytes`) as a Uint8Array.
fn decode_entry(e: &Entry) -> Result<JsValue, JsValue> {
    match e.codec {
        codec::JS => value::decode(e.payload()),
        codec::BYTES => Ok(Uint8Array::from(e.payload()).into()),
        codec::POSTCARD => Err(js::kind_error(
            ErrorKind::Codec,
            "this entry's value is postcard (codec 1, written by Rust's typed put), which only Rust can read; to share a value with JS, write it from Rust with put_bytes",
        )),
        other => Err(js::kind_error(
            ErrorKind::Codec,
            &format!(
                "this entry's value uses codec {other}, which this version of larder does not know"
            ),
        )),
    }
}

/// Metadata is a codec-2 value when JS wrote it; bytes written by others come
/// back as a Uint8Array; no metadata is `undefined`.
fn decode_meta(meta: &[u8]) -> JsValue {
    if meta.is_empty() {
        return JsValue::UNDEFINED;
    }
    value::decode(meta).unwrap_or_else(|_| Uint8Array::from(meta).into())
}

/// Run the JS compute function for key `h` as a core computation: its value
/// (awaited if it is a Promise) encoded, or its error stashed for the waiters.
fn computation(
    inner: Rc<Inner>,
    h: KeyHash,
    compute: Function,
    codec: u8,
) -> impl FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = larder_core::Result<Computed>>>>
{
    move || {
        Box::pin(async move {
            let v = compute
                .call0(&JsValue::UNDEFINED)
                .map_err(|e| inner.stash(h, e))?;
            let v = if is_thenable(&v) {
                JsFuture::from(Promise::resolve(&v))
                    .await
                    .map_err(|e| inner.stash(h, e))?
            } else {
                v
            };
            encode_value(&v, codec, "value")
                .map(Computed::from)
                .map_err(|e| inner.stash(h, e))
        })
    }
}

/// The stale-while-revalidate read: a fresh or stale entry's value, and for
/// a stale one, when this caller holds the refresh, `compute` run once in
/// the background to replace it. `None`: nothing servable, compute now.
async fn serve_stale(
    inner: &Rc<Inner>,
    c: &Rc<CoreCache>,
    key: &larder_core::Key,
    compute: &Function,
    opts: &larder_core::PutOptions,
) -> Option<Result<JsValue, JsValue>> {
    let (entry, refresh) = match c.get_stale(key).await {
        Ok(Some(Served::Fresh(e))) => (e, None),
        Ok(Some(Served::Stale { entry, refresh })) => (entry, refresh),
        // Nothing to serve, or a read error: the ordinary path decides.
        Ok(None) | Err(_) => return None,
    };
    // An entry that does not decode (another codec) is the ordinary path's
    // to report.
    let value = decode_entry(&entry).ok()?;
    if let Some(refresh) = refresh {
        let (inner, c, key, opts) = (inner.clone(), c.clone(), key.clone(), opts.clone());
        let compute = compute.clone();
        // It always resolves, so the dropped Promise never rejects unhandled.
        task::spawn(Box::pin(async move {
            let h = key.hash();
            inner.enter(h);
            let run = computation(inner.clone(), h, compute, opts.codec);
            // A failed refresh leaves the stale entry; the next reader after
            // this claim is dropped tries again.
            let _ = c.recompute(&key, &opts, run).await;
            inner.leave(h);
            drop(refresh);
            Ok(JsValue::UNDEFINED)
        }));
    }
    Some(Ok(value))
}

/// Check `cache.memoize`'s cache options (`{ ttl, tags, staleWhileRevalidate
/// }`) when the function is memoized, not at its first call. Used by the
/// package's memoize glue; not re-exported by the package.
#[wasm_bindgen(js_name = checkMemoizeOptions)]
pub fn check_memoize_options(options: JsValue) -> Result<(), JsValue> {
    put_options(&options, "memoize options").map(drop)
}
