//! # larder-wasm
//!
//! larder for JavaScript (browsers, Node, Deno) through wasm-bindgen: the
//! [`Cache`] class over larder-core, keys from JS values by the rules of
//! docs/FORMAT.md ([`params`]), and values stored with codec 2, the structured
//! JS value encoding ([`value`]).
//!
//! The crate also builds natively (as an rlib, so `cargo test --workspace`
//! compiles it), but its JS-facing functions only work inside a JS host.

mod clock;
mod js;
pub mod params;
pub mod value;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use larder_core::cache::Filter;
use larder_core::frame::codec;
use larder_core::units::{parse_duration, parse_size};
use larder_core::{Config, Entry, Error, ErrorKind, KeyHash, MemoryStore, PutOptions, Store};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};

pub use clock::JsClock;

use crate::js::{Kind, classify, core_error, plain_error, range_error, type_error};

type CoreCache = larder_core::Cache<Box<dyn Store>, JsClock>;

/// The default cache name of the `"indexeddb"` and `"opfs"` backends.
pub const DEFAULT_NAME: &str = "default";

/// The environment variable the `"fs"` backend takes its directory from when
/// `dir` is not given.
pub const DIR_ENV: &str = "LARDER_DIR";

/// The JS runtime the module is running in, as far as the backend default is
/// concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Runtime {
    /// Node or Deno: the filesystem.
    Server,
    /// A browser (window or worker) with IndexedDB.
    Browser,
    /// Anything else.
    Other,
}

fn global_get(obj: &JsValue, name: &str) -> JsValue {
    if !(obj.is_object() || obj.is_function()) {
        return JsValue::UNDEFINED;
    }
    Reflect::get(obj, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

fn runtime() -> Runtime {
    let g: JsValue = js_sys::global().into();
    let process = global_get(&g, "process");
    let node = global_get(&global_get(&process, "versions"), "node").is_string();
    let deno = global_get(&g, "Deno").is_object();
    if node || deno {
        Runtime::Server
    } else if !global_get(&g, "indexedDB").is_undefined() && !global_get(&g, "indexedDB").is_null()
    {
        Runtime::Browser
    } else {
        Runtime::Other
    }
}

/// `process.env[name]` (Node, and Deno's compatibility layer), if it is a
/// non-empty string. Deno without `--allow-env` throws: then there is none.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn env_var(name: &str) -> Option<String> {
    let g: JsValue = js_sys::global().into();
    let env = global_get(&global_get(&g, "process"), "env");
    global_get(&env, name).as_string().filter(|s| !s.is_empty())
}

/// The backend when the `backend` option is absent: IndexedDB in a browser,
/// the filesystem in Node and Deno, memory elsewhere.
fn default_backend() -> &'static str {
    match runtime() {
        Runtime::Browser => "indexeddb",
        Runtime::Server => "fs",
        Runtime::Other => "memory",
    }
}

/// The store for a `backend` option. Every backend is a `Box<dyn Store>`: a
/// backend crate plugs in with one match arm here. `name` is the
/// `"indexeddb"` and `"opfs"` cache name, `dir` the `"fs"` directory (each ignored by the
/// other backends, so one options object works in every runtime);
/// `defaulted` says the backend was chosen by runtime detection.
async fn open_store(
    backend: &str,
    name: Option<String>,
    dir: Option<String>,
    defaulted: bool,
) -> Result<Box<dyn Store>, JsValue> {
    match backend {
        "memory" => Ok(Box::new(MemoryStore::new())),
        #[cfg(target_arch = "wasm32")]
        "indexeddb" => {
            let name = name.unwrap_or_else(|| DEFAULT_NAME.to_string());
            let store = larder_indexeddb::IndexedDbStore::open(&name)
                .await
                .map_err(|e| core_error(&e))?;
            Ok(Box::new(store))
        }
        #[cfg(target_arch = "wasm32")]
        "fs" => {
            if runtime() != Runtime::Server {
                return Err(js::kind_error(
                    ErrorKind::Unsupported,
                    "the \"fs\" backend is not available here: it needs Node or Deno; in a browser use backend: \"indexeddb\"",
                ));
            }
            let Some(dir) = dir.or_else(|| env_var(DIR_ENV)) else {
                let why = if defaulted {
                    "the default backend in Node and Deno is \"fs\", which"
                } else {
                    "backend \"fs\""
                };
                return Err(type_error(&format!(
                    "Cache.open options: {why} needs a dir option (or the {DIR_ENV} environment variable); or pass backend: \"memory\""
                )));
            };
            let store = larder_nodefs::NodeFsStore::open(&dir)
                .await
                .map_err(|e| core_error(&e))?;
            Ok(Box::new(store))
        }
        #[cfg(not(target_arch = "wasm32"))]
        "indexeddb" | "fs" => {
            let _ = (name, dir, defaulted);
            Err(js::kind_error(
                ErrorKind::Unsupported,
                &format!("the \"{backend}\" backend needs the wasm32 build of larder"),
            ))
        }
        #[cfg(all(target_arch = "wasm32", feature = "opfs"))]
        "opfs" => {
            let name = name.unwrap_or_else(|| DEFAULT_NAME.to_string());
            let store = larder_opfs::OpfsStore::open(&name)
                .await
                .map_err(|e| core_error(&e))?;
            Ok(Box::new(store))
        }
        #[cfg(not(all(target_arch = "wasm32", feature = "opfs")))]
        "opfs" => Err(js::kind_error(
            ErrorKind::Unsupported,
            "the \"opfs\" backend is not in this build of larder (it needs wasm32 and the larder-wasm feature \"opfs\"); use backend: \"indexeddb\" or \"memory\"",
        )),
        other => Err(type_error(&format!(
            "unknown backend {other:?}: expected \"memory\", \"indexeddb\", \"opfs\" or \"fs\""
        ))),
    }
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** Options of `Cache.open`. Sizes are bytes or strings like "100MB"; ttl is ms or a string like "1h". */
export interface OpenOptions {
  /** Default: "indexeddb" in a browser, "fs" in Node and Deno, else "memory". */
  backend?: "memory" | "indexeddb" | "opfs" | "fs";
  /** The "indexeddb" and "opfs" cache name (database or OPFS directory `larder-<name>`); default "default". */
  name?: string;
  /** The "fs" cache directory; default: the LARDER_DIR environment variable. */
  dir?: string;
  maxBytes?: number | string;
  maxEntries?: number;
  ttl?: number | string;
  memoryBytes?: number | string;
}
/** Options of `set` and `getOrCompute`. `meta` is any storable value. */
export interface SetOptions {
  ttl?: number | string;
  tags?: string[];
  meta?: unknown;
}
/** Filter of `entries`. */
export interface EntriesFilter {
  namespace?: string;
  tag?: string;
}
/** What `stats()` returns. */
export interface CacheStats {
  hits: number;
  misses: number;
  hitRate: number;
  evictions: number;
  spills: number;
  expired: number;
  corrupt: number;
  errors: number;
  entries: number;
  storeBytes: number;
  memoryEntries: number;
  memoryBytes: number;
  timeSavedMs: number;
}
/** One item of `entries()`; times are ms since the epoch. */
export interface CacheEntry {
  namespace: string;
  params: unknown;
  size: number;
  created: number;
  lastAccess: number;
  expires: number | null;
  tags: string[];
  meta: unknown;
}
"#;

/// A persistent cache for the results of expensive computations.
///
/// Every method returns a Promise. Bad input rejects with a `TypeError` or
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
    pending: RefCell<HashMap<KeyHash, Pending>>,
    next_error: Cell<u64>,
}

const ERROR_TOKEN: &str = "js-error#";

impl Inner {
    fn core(&self) -> Result<Rc<CoreCache>, JsValue> {
        self.cache
            .borrow()
            .clone()
            .ok_or_else(|| js::kind_error(ErrorKind::Closed, "the cache is closed"))
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
            .and_then(|id| id.parse::<u64>().ok());
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

/// Run `f` as a Promise.
fn promise<F>(f: F) -> Promise
where
    F: std::future::Future<Output = Result<JsValue, JsValue>> + 'static,
{
    future_to_promise(f)
}

#[wasm_bindgen]
impl Cache {
    /// `Cache.open({ backend, name, dir, maxBytes, maxEntries, ttl, memoryBytes })`.
    ///
    /// `backend` is `"indexeddb"` (cache `name`, default `"default"`), `"fs"`
    /// (directory `dir`, default the `LARDER_DIR` environment variable),
    /// `"memory"`, or `"opfs"` (cache `name`, default `"default"`: OPFS
    /// directory `larder-<name>`, sync access handles in a dedicated worker).
    /// Without `backend`:
    /// `"indexeddb"` in a browser, `"fs"` in Node and Deno, `"memory"`
    /// elsewhere. Sizes are numbers of bytes or strings like `"100MB"`; `ttl`
    /// (the default time to live) is milliseconds or a string like `"1h"`.
    pub async fn open(
        #[wasm_bindgen(unchecked_optional_param_type = "OpenOptions")] options: JsValue,
    ) -> Result<Cache, JsValue> {
        let opts = Options::read(&options, "Cache.open options", OPEN_OPTIONS)?;
        let (backend, defaulted) = match opts.get("backend")? {
            None => (default_backend().to_string(), true),
            Some(v) => (
                v.as_string()
                    .ok_or_else(|| type_error("options.backend must be a string"))?,
                false,
            ),
        };
        let name = opts.non_empty_string("name")?;
        let dir = opts.non_empty_string("dir")?;
        let mut config = Config {
            max_bytes: opts.size("maxBytes", false)?,
            max_entries: opts.size("maxEntries", false)?,
            default_ttl_ms: opts.ttl()?,
            ..Config::default()
        };
        if let Some(m) = opts.size("memoryBytes", true)? {
            config.memory_bytes = m;
        }
        let store = open_store(&backend, name, dir, defaulted).await?;
        let cache = CoreCache::with_clock(store, JsClock, config).map_err(|e| core_error(&e))?;
        Ok(Cache {
            inner: Rc::new(Inner {
                cache: RefCell::new(Some(Rc::new(cache))),
                pending: RefCell::default(),
                next_error: Cell::new(0),
            }),
        })
    }

    /// The value stored for (namespace, params), or `undefined`.
    #[wasm_bindgen(unchecked_return_type = "Promise<unknown>")]
    pub fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] namespace: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] params: JsValue,
    ) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let key = params::key(&namespace, &params)?;
            let c = inner.core()?;
            match c.get(&key).await.map_err(|e| core_error(&e))? {
                Some(e) => decode_entry(&e),
                None => Ok(JsValue::UNDEFINED),
            }
        })
    }

    /// Store `value` for (namespace, params); options `{ ttl, tags, meta }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn set(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] namespace: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] params: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SetOptions")] options: JsValue,
    ) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let key = params::key(&namespace, &params)?;
            let opts = put_options(&options, "set options")?;
            let payload = value::encode(&value, "value")?;
            let c = inner.core()?;
            c.put(&key, payload, &opts)
                .await
                .map_err(|e| core_error(&e))?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// The value for (namespace, params), computing it with `compute` (which
    /// may return a Promise) on a miss. Concurrent calls for one key run
    /// `compute` once; if it throws or rejects, every waiting call rejects with
    /// that error and nothing is stored. Options `{ ttl, tags, meta }`.
    #[wasm_bindgen(js_name = getOrCompute, unchecked_return_type = "Promise<unknown>")]
    pub fn get_or_compute(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] namespace: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] params: JsValue,
        #[wasm_bindgen(unchecked_param_type = "() => unknown")] compute: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SetOptions")] options: JsValue,
    ) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let key = params::key(&namespace, &params)?;
            let Some(compute) = compute.dyn_ref::<Function>().cloned() else {
                return Err(type_error(&format!(
                    "getOrCompute: the compute argument must be a function, not {}",
                    params::describe(&compute)
                )));
            };
            let mut opts = put_options(&options, "getOrCompute options")?;
            opts.codec = codec::JS;
            let c = inner.core()?;
            let h = key.hash();
            inner.enter(h);
            let run = {
                let inner = inner.clone();
                move || async move {
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
                    value::encode(&v, "value").map_err(|e| inner.stash(h, e))
                }
            };
            let out = match c.get_or_compute(&key, &opts, run).await {
                Ok(entry) => decode_entry(&entry),
                Err(e) => Err(inner.unstash(h, &e)),
            };
            inner.leave(h);
            out
        })
    }

    /// Whether a fresh entry exists for (namespace, params).
    #[wasm_bindgen(unchecked_return_type = "Promise<boolean>")]
    pub fn has(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] namespace: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] params: JsValue,
    ) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let key = params::key(&namespace, &params)?;
            let c = inner.core()?;
            let found = c.contains(&key).await.map_err(|e| core_error(&e))?;
            Ok(JsValue::from_bool(found))
        })
    }

    /// Remove the entry for (namespace, params); `true` if there was one.
    #[wasm_bindgen(unchecked_return_type = "Promise<boolean>")]
    pub fn delete(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] namespace: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] params: JsValue,
    ) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let key = params::key(&namespace, &params)?;
            let c = inner.core()?;
            let removed = c.remove(&key).await.map_err(|e| core_error(&e))?;
            Ok(JsValue::from_bool(removed))
        })
    }

    /// Remove every entry carrying `tag`; how many were removed.
    #[wasm_bindgen(js_name = invalidateTag, unchecked_return_type = "Promise<number>")]
    pub fn invalidate_tag(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] tag: JsValue,
    ) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let tag = tag
                .as_string()
                .ok_or_else(|| type_error("invalidateTag: the tag must be a string"))?;
            let c = inner.core()?;
            let n = c.invalidate_tag(&tag).await.map_err(|e| core_error(&e))?;
            Ok(JsValue::from_f64(n as f64))
        })
    }

    /// Remove every entry of `namespace`; how many were removed.
    #[wasm_bindgen(js_name = invalidateNamespace, unchecked_return_type = "Promise<number>")]
    pub fn invalidate_namespace(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] namespace: JsValue,
    ) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let ns = namespace
                .as_string()
                .ok_or_else(|| type_error("invalidateNamespace: the namespace must be a string"))?;
            let c = inner.core()?;
            let n = c
                .invalidate_namespace(&ns)
                .await
                .map_err(|e| core_error(&e))?;
            Ok(JsValue::from_f64(n as f64))
        })
    }

    /// Remove expired entries (and enforce the limits); how many were removed.
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn prune(&self) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let c = inner.core()?;
            let n = c.prune().await.map_err(|e| core_error(&e))?;
            Ok(JsValue::from_f64(n as f64))
        })
    }

    /// Remove every entry.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn clear(&self) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let c = inner.core()?;
            c.clear().await.map_err(|e| core_error(&e))?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Counters and sizes: `{ hits, misses, hitRate, evictions, spills, expired,
    /// corrupt, errors, entries, storeBytes, memoryEntries, memoryBytes,
    /// timeSavedMs }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<CacheStats>")]
    pub fn stats(&self) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let c = inner.core()?;
            let s = c.stats().await.map_err(|e| core_error(&e))?;
            let obj = Object::new();
            let n = |x: u64| JsValue::from_f64(x as f64);
            for (k, v) in [
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
            ] {
                Reflect::set(&obj, &k.into(), &v)?;
            }
            Ok(obj.into())
        })
    }

    /// The entries, most recently used first, optionally filtered by
    /// `{ namespace, tag }`: `[{ namespace, params, size, created, lastAccess,
    /// expires, tags, meta }]` (times in ms since the epoch, `expires` null for
    /// never).
    #[wasm_bindgen(unchecked_return_type = "Promise<CacheEntry[]>")]
    pub fn entries(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "EntriesFilter")] filter: JsValue,
    ) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let opts = Options::read(&filter, "entries filter", &["namespace", "tag"])?;
            let filter = Filter {
                namespace: opts.string("namespace")?,
                tag: opts.string("tag")?,
            };
            let c = inner.core()?;
            let list = c.entries(&filter).await.map_err(|e| core_error(&e))?;
            let out = Array::new();
            for e in list {
                let obj = Object::new();
                let params = e
                    .params
                    .as_ref()
                    .map_or(JsValue::UNDEFINED, params::from_canon);
                let tags: Array = e.tags.iter().map(|t| JsValue::from_str(t)).collect();
                let ms = |x: u64| JsValue::from_f64(x as f64);
                for (k, v) in [
                    ("namespace", JsValue::from_str(&e.namespace)),
                    ("params", params),
                    ("size", ms(e.size)),
                    ("created", ms(e.created_ms)),
                    ("lastAccess", ms(e.last_access_ms)),
                    ("expires", e.expires_ms.map_or(JsValue::NULL, ms)),
                    ("tags", tags.into()),
                    ("meta", decode_meta(&e.meta)),
                ] {
                    Reflect::set(&obj, &k.into(), &v)?;
                }
                out.push(&obj);
            }
            Ok(out.into())
        })
    }

    /// Write pending recency and release the cache; every later call rejects
    /// with "the cache is closed". Closing twice is harmless.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&self) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let c = inner.cache.borrow_mut().take();
            if let Some(c) = c {
                c.flush().await.map_err(|e| core_error(&e))?;
            }
            Ok(JsValue::UNDEFINED)
        })
    }
}

/// The hex XXH3-128 hash of the key for (namespace, params), as every larder
/// implementation computes it (docs/FORMAT.md, "Key bytes and hash").
#[wasm_bindgen(js_name = keyHash)]
pub fn key_hash(
    #[wasm_bindgen(unchecked_param_type = "string")] namespace: JsValue,
    #[wasm_bindgen(unchecked_param_type = "unknown")] params: JsValue,
) -> Result<String, JsValue> {
    Ok(params::key(&namespace, &params)?.hash().to_hex())
}

fn is_thenable(v: &JsValue) -> bool {
    (v.is_object() || v.is_function())
        && Reflect::get(v, &"then".into()).is_ok_and(|t| t.is_function())
}

/// An entry's value as JS: codec 2 decoded, raw bytes (codec 0, e.g. written by
/// Rust) as a Uint8Array.
fn decode_entry(e: &Entry) -> Result<JsValue, JsValue> {
    match e.codec {
        codec::JS => value::decode(e.payload()),
        codec::BYTES => Ok(Uint8Array::from(e.payload()).into()),
        other => Err(plain_error(&format!(
            "this entry's value uses codec {other} (postcard, written by Rust); read it from Rust"
        ))),
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

const OPEN_OPTIONS: &[&str] = &[
    "backend",
    "name",
    "dir",
    "maxBytes",
    "maxEntries",
    "ttl",
    "memoryBytes",
];

/// An options object: `undefined`/`null` or a plain object with known keys.
struct Options {
    obj: Option<Object>,
    what: &'static str,
}

impl Options {
    fn read(v: &JsValue, what: &'static str, known: &[&str]) -> Result<Options, JsValue> {
        match classify(v) {
            Kind::Undefined | Kind::Null => Ok(Options { obj: None, what }),
            Kind::Plain => {
                let obj: Object = v.clone().unchecked_into();
                for k in Object::keys(&obj).iter() {
                    let k = k.as_string().unwrap_or_default();
                    if !known.contains(&k.as_str()) {
                        return Err(type_error(&format!(
                            "{what}: unknown option {k:?} (known: {})",
                            known.join(", ")
                        )));
                    }
                }
                Ok(Options {
                    obj: Some(obj),
                    what,
                })
            }
            _ => Err(type_error(&format!(
                "{what} must be an object, not {}",
                params::describe(v)
            ))),
        }
    }

    /// The option's value; `undefined` is absent.
    fn get(&self, name: &str) -> Result<Option<JsValue>, JsValue> {
        let Some(obj) = &self.obj else {
            return Ok(None);
        };
        let v = Reflect::get(obj, &name.into())?;
        Ok((!v.is_undefined()).then_some(v))
    }

    fn string(&self, name: &str) -> Result<Option<String>, JsValue> {
        self.get(name)?
            .map(|v| {
                v.as_string()
                    .ok_or_else(|| type_error(&format!("{}: {name} must be a string", self.what)))
            })
            .transpose()
    }

    /// A string option that must not be empty.
    fn non_empty_string(&self, name: &str) -> Result<Option<String>, JsValue> {
        let Some(v) = self.get(name)? else {
            return Ok(None);
        };
        match v.as_string() {
            Some(s) if !s.is_empty() => Ok(Some(s)),
            _ => Err(type_error(&format!(
                "{}: {name} must be a non-empty string, not {}",
                self.what,
                params::describe(&v)
            ))),
        }
    }

    /// A byte size (or count): a positive integer, or a string like "100MB".
    fn size(&self, name: &str, zero_ok: bool) -> Result<Option<u64>, JsValue> {
        let Some(v) = self.get(name)? else {
            return Ok(None);
        };
        let what = self.what;
        let n = if let Some(s) = v.as_string() {
            parse_size(&s).map_err(|e| range_error(&format!("{what}: {name}: {}", e.message())))?
        } else if let Some(x) = v.as_f64() {
            if !(x.is_finite() && x.fract() == 0.0 && (0.0..=9_007_199_254_740_992.0).contains(&x))
            {
                return Err(range_error(&format!(
                    "{what}: {name} must be a non-negative integer, not {x}"
                )));
            }
            x as u64
        } else {
            return Err(type_error(&format!(
                "{what}: {name} must be a number or a string like \"100MB\", not {}",
                params::describe(&v)
            )));
        };
        if n == 0 && !zero_ok {
            return Err(range_error(&format!(
                "{what}: {name} must be greater than zero"
            )));
        }
        Ok(Some(n))
    }

    /// A time to live: positive milliseconds, or a string like "1h".
    fn ttl(&self) -> Result<Option<u64>, JsValue> {
        let Some(v) = self.get("ttl")? else {
            return Ok(None);
        };
        let what = self.what;
        let ms = if let Some(s) = v.as_string() {
            parse_duration(&s).map_err(|e| range_error(&format!("{what}: ttl: {}", e.message())))?
        } else if let Some(x) = v.as_f64() {
            if !(x.is_finite() && x > 0.0) {
                return Err(range_error(&format!(
                    "{what}: ttl must be a positive number of milliseconds, not {x}"
                )));
            }
            // Fractions of a millisecond round up, so a ttl is never 0.
            x.ceil().min(u64::MAX as f64) as u64
        } else {
            return Err(type_error(&format!(
                "{what}: ttl must be a number of milliseconds or a string like \"1h\", not {}",
                params::describe(&v)
            )));
        };
        if ms == 0 {
            return Err(range_error(&format!(
                "{what}: ttl must be greater than zero"
            )));
        }
        Ok(Some(ms))
    }
}

/// `{ ttl, tags, meta }` for set and getOrCompute.
fn put_options(v: &JsValue, what: &'static str) -> Result<PutOptions, JsValue> {
    let opts = Options::read(v, what, &["ttl", "tags", "meta"])?;
    let mut out = PutOptions::new().codec(codec::JS);
    out.ttl_ms = opts.ttl()?;
    if let Some(tags) = opts.get("tags")? {
        if !Array::is_array(&tags) {
            return Err(type_error(&format!(
                "{what}: tags must be an array of strings"
            )));
        }
        for (i, t) in Array::from(&tags).iter().enumerate() {
            let t = t
                .as_string()
                .ok_or_else(|| type_error(&format!("{what}: tags[{i}] must be a string")))?;
            out.tags.push(t);
        }
    }
    if let Some(meta) = opts.get("meta")? {
        out.meta = value::encode(&meta, "meta")?;
    }
    larder_core::frame::validate(&out.tags, &out.meta).map_err(|e| core_error(&e))?;
    Ok(out)
}
