//! The slice of Node's `node:fs/promises` this store uses, bound with wasm-bindgen.
//!
//! The module is loaded lazily with a dynamic `import()` from an inline snippet,
//! never with a static `#[wasm_bindgen(module = "node:fs/promises")]` import:
//! the same wasm is also loaded by web builds (Deno, bundlers, browsers), where
//! a static import of a `node:` module would fail the whole module at load time
//! even if this store is never used. The bundler comments keep webpack and Vite
//! from trying to resolve the specifier at build time.

#![cfg(target_arch = "wasm32")]

use js_sys::{Function, Object, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
export function larder_nodefs_import_fs() {
    return import(/* webpackIgnore: true */ /* @vite-ignore */ "node:fs/promises");
}
"#)]
extern "C" {
    #[wasm_bindgen(catch)]
    async fn larder_nodefs_import_fs() -> Result<JsValue, JsValue>;
}

#[wasm_bindgen]
extern "C" {
    /// The `node:fs/promises` module object.
    #[derive(Debug, Clone)]
    pub(crate) type FsPromises;

    #[wasm_bindgen(method, catch)]
    pub(crate) async fn mkdir(
        this: &FsPromises,
        path: &str,
        options: &Object,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    pub(crate) async fn stat(this: &FsPromises, path: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    pub(crate) async fn lstat(this: &FsPromises, path: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    pub(crate) async fn open(
        this: &FsPromises,
        path: &str,
        flags: &JsValue,
        mode: u32,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    pub(crate) async fn rename(this: &FsPromises, from: &str, to: &str)
    -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    pub(crate) async fn unlink(this: &FsPromises, path: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    pub(crate) async fn rm(
        this: &FsPromises,
        path: &str,
        options: &Object,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    pub(crate) async fn readdir(this: &FsPromises, path: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    pub(crate) async fn utimes(
        this: &FsPromises,
        path: &str,
        atime: f64,
        mtime: f64,
    ) -> Result<JsValue, JsValue>;

    /// A `FileHandle` from `open`.
    #[derive(Debug, Clone)]
    pub(crate) type FileHandle;

    #[wasm_bindgen(method, catch, js_name = stat)]
    pub(crate) async fn fstat(this: &FileHandle) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    pub(crate) async fn read(
        this: &FileHandle,
        buffer: &Uint8Array,
        offset: u32,
        length: u32,
        position: f64,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = writeFile)]
    pub(crate) async fn write_file(
        this: &FileHandle,
        data: &Uint8Array,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    pub(crate) async fn sync(this: &FileHandle) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = utimes)]
    pub(crate) async fn futimes(
        this: &FileHandle,
        atime: f64,
        mtime: f64,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    pub(crate) async fn close(this: &FileHandle) -> Result<JsValue, JsValue>;

    /// An `fs.Stats`.
    #[derive(Debug, Clone)]
    pub(crate) type Stats;

    #[wasm_bindgen(method, js_name = isFile)]
    pub(crate) fn is_file(this: &Stats) -> bool;
    #[wasm_bindgen(method, js_name = isDirectory)]
    pub(crate) fn is_directory(this: &Stats) -> bool;
    #[wasm_bindgen(method, getter)]
    pub(crate) fn size(this: &Stats) -> f64;
    #[wasm_bindgen(method, getter, js_name = mtimeMs)]
    pub(crate) fn mtime_ms(this: &Stats) -> f64;
    #[wasm_bindgen(method, getter)]
    pub(crate) fn ino(this: &Stats) -> f64;
    #[wasm_bindgen(method, getter)]
    pub(crate) fn dev(this: &Stats) -> f64;
}

/// Import `node:fs/promises` (Node, or Deno's Node compatibility layer).
pub(crate) async fn load_fs() -> Result<FsPromises, JsValue> {
    Ok(larder_nodefs_import_fs().await?.unchecked_into())
}

/// `{ recursive: true }` plus `extra` key/number pairs, for mkdir and rm.
pub(crate) fn options(pairs: &[(&str, JsValue)]) -> Object {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o
}

/// `globalThis[a][b]`, or undefined.
fn global_path(a: &str, b: &str) -> JsValue {
    Reflect::get(&js_sys::global(), &JsValue::from_str(a))
        .ok()
        .filter(|v| v.is_object())
        .and_then(|o| Reflect::get(&o, &JsValue::from_str(b)).ok())
        .unwrap_or(JsValue::UNDEFINED)
}

/// This process's id: `process.pid` (Node, Deno 2), else `Deno.pid`, else 0.
pub(crate) fn pid() -> u32 {
    global_path("process", "pid")
        .as_f64()
        .or_else(|| global_path("Deno", "pid").as_f64())
        .map_or(0, |p| p as u32)
}

/// Whether `pid` may still be running: `process.kill(pid, 0)` throws `ESRCH`
/// only for a process that does not exist (`EPERM` means it exists but is not
/// ours). Without `process.kill`, every pid counts as alive and only age
/// removes its temps, as larder-fs does where it cannot tell.
pub(crate) fn pid_may_be_alive(pid: u32) -> bool {
    if pid == self::pid() {
        return true;
    }
    let Ok(process) = Reflect::get(&js_sys::global(), &JsValue::from_str("process")) else {
        return true;
    };
    let Some(kill) = Reflect::get(&process, &JsValue::from_str("kill"))
        .ok()
        .and_then(|k| k.dyn_into::<Function>().ok())
    else {
        return true;
    };
    match kill.call2(&process, &JsValue::from(pid), &JsValue::from(0)) {
        Ok(_) => true,
        Err(e) => code(&e).as_deref() != Some("ESRCH"),
    }
}

/// A Node error's `code` (`"ENOENT"`, …).
pub(crate) fn code(e: &JsValue) -> Option<String> {
    Reflect::get(e, &JsValue::from_str("code"))
        .ok()?
        .as_string()
}

/// Whether `e` has the error code `c`.
pub(crate) fn is_code(e: &JsValue, c: &str) -> bool {
    code(e).as_deref() == Some(c)
}

/// A JS error's message, or its string form.
pub(crate) fn message(e: &JsValue) -> String {
    Reflect::get(e, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

/// The numeric flags for opening an entry to read: `O_RDONLY | O_NOFOLLOW |
/// O_NONBLOCK` where the platform has them (a symlink is refused, a FIFO does
/// not block), or `"r"` where `constants` is missing.
pub(crate) fn read_flags(fs: &FsPromises) -> JsValue {
    let Ok(c) = Reflect::get(fs, &JsValue::from_str("constants")) else {
        return JsValue::from_str("r");
    };
    if !c.is_object() {
        return JsValue::from_str("r");
    }
    let get = |n: &str| {
        Reflect::get(&c, &JsValue::from_str(n))
            .ok()
            .and_then(|v| v.as_f64())
            .map_or(0, |v| v as u32)
    };
    JsValue::from(get("O_RDONLY") | get("O_NOFOLLOW") | get("O_NONBLOCK"))
}

/// `bytesRead` of a `FileHandle.read` result.
pub(crate) fn bytes_read(result: &JsValue) -> u32 {
    Reflect::get(result, &JsValue::from_str("bytesRead"))
        .ok()
        .and_then(|v| v.as_f64())
        .map_or(0, |v| v as u32)
}
