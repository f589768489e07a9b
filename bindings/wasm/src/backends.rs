//! Which store a `backend` option opens, and the default backend of each JS
//! runtime. Each persistent backend sits behind its cargo feature.

use js_sys::Reflect;
use larder_core::{ErrorKind, MemoryStore, Quoted, Store};
use wasm_bindgen::prelude::*;

use crate::js::{self, type_error};

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
#[cfg_attr(not(all(target_arch = "wasm32", feature = "nodefs")), allow(dead_code))]
fn env_var(name: &str) -> Option<String> {
    let g: JsValue = js_sys::global().into();
    let env = global_get(&global_get(&g, "process"), "env");
    global_get(&env, name).as_string().filter(|s| !s.is_empty())
}

/// The backend when the `backend` option is absent: IndexedDB in a browser,
/// the filesystem in Node and Deno, memory elsewhere.
pub(crate) fn default_backend() -> &'static str {
    match runtime() {
        Runtime::Browser => "indexeddb",
        Runtime::Server => "fs",
        Runtime::Other => "memory",
    }
}

/// The store for a `backend` option. Every backend is a `Box<dyn Store>`: a
/// backend crate plugs in with one match arm here, behind its cargo feature,
/// so that a build carries only the backends its runtime can use. `name` is
/// the `"indexeddb"` and `"opfs"` cache name, `dir` the `"fs"` directory (each ignored by
/// the other backends, so one options object works in every runtime);
/// `defaulted` says the backend was chosen by runtime detection.
pub(crate) async fn open_store(
    backend: &str,
    name: Option<String>,
    dir: Option<String>,
    defaulted: bool,
) -> Result<Box<dyn Store>, JsValue> {
    // Unused in builds without the backends that read them.
    let _ = (&name, &dir, defaulted);
    match backend {
        "memory" => Ok(Box::new(MemoryStore::new())),
        #[cfg(all(target_arch = "wasm32", feature = "indexeddb"))]
        "indexeddb" => {
            let name = name.unwrap_or_else(|| crate::DEFAULT_NAME.to_string());
            let store = larder_indexeddb::IndexedDbStore::open(&name)
                .await
                .map_err(|e| js::core_error(&e))?;
            Ok(Box::new(store))
        }
        #[cfg(all(target_arch = "wasm32", feature = "nodefs"))]
        "fs" => {
            if runtime() != Runtime::Server {
                return Err(js::kind_error(
                    ErrorKind::Unsupported,
                    "the \"fs\" backend is not available here: it needs Node or Deno; in a browser use backend: \"indexeddb\"",
                ));
            }
            let Some(dir) = dir.or_else(|| env_var(crate::DIR_ENV)) else {
                let why = if defaulted {
                    "the default backend in Node and Deno is \"fs\", which"
                } else {
                    "backend \"fs\""
                };
                return Err(type_error(&format!(
                    "Cache.open options: {why} needs a dir option (or the {} environment variable); or pass backend: \"memory\"",
                    crate::DIR_ENV
                )));
            };
            let store = larder_nodefs::NodeFsStore::open(&dir)
                .await
                .map_err(|e| js::core_error(&e))?;
            Ok(Box::new(store))
        }
        #[cfg(all(target_arch = "wasm32", feature = "opfs"))]
        "opfs" => {
            let name = name.unwrap_or_else(|| crate::DEFAULT_NAME.to_string());
            let store = larder_opfs::OpfsStore::open(&name)
                .await
                .map_err(|e| js::core_error(&e))?;
            Ok(Box::new(store))
        }
        #[cfg(not(all(target_arch = "wasm32", feature = "indexeddb")))]
        "indexeddb" => Err(not_in_build("indexeddb", "indexeddb")),
        #[cfg(not(all(target_arch = "wasm32", feature = "nodefs")))]
        "fs" => Err(not_in_build("fs", "nodefs")),
        #[cfg(not(all(target_arch = "wasm32", feature = "opfs")))]
        "opfs" => Err(not_in_build("opfs", "opfs")),
        other => Err(type_error(&format!(
            "unknown backend {}: expected \"memory\", \"indexeddb\", \"opfs\" or \"fs\"",
            Quoted(other)
        ))),
    }
}

/// The error for a known backend this build does not carry: a native build has
/// none but memory; a wasm build only those of its cargo features (the npm
/// package's web build has no "fs", its Node and Deno builds no "indexeddb").
#[cfg(not(all(
    target_arch = "wasm32",
    feature = "indexeddb",
    feature = "nodefs",
    feature = "opfs"
)))]
fn not_in_build(backend: &str, feature: &str) -> JsValue {
    // Said for the npm package's users first, who choose a runtime, not features.
    let instead = if backend == "fs" {
        "it is in the Node and Deno builds; in a browser, use \"indexeddb\", \"opfs\" or \"memory\""
    } else {
        "it is in the browser build; in Node and Deno, use \"fs\" or \"memory\""
    };
    let built = if cfg!(target_arch = "wasm32") {
        format!("cargo feature {}", Quoted(feature))
    } else {
        "wasm32 builds only".to_string()
    };
    js::kind_error(
        ErrorKind::Unsupported,
        &format!(
            "the {} backend is not in this build of larder: {instead} ({built})",
            Quoted(backend)
        ),
    )
}
