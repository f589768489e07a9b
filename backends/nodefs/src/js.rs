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

export function larder_nodefs_import_fs_callbacks() {
    return import(/* webpackIgnore: true */ /* @vite-ignore */ "node:fs");
}

// Scratch buffers for the first read of an entry, reused: a new Uint8Array
// costs µs per KiB in Node 20 (zeroed, counted by the GC), a view of one
// almost nothing. A read holds one alone until its bytes are copied out.
const SCRATCH = 65536;
const scratch = [];
const takeScratch = () => scratch.pop() || new Uint8Array(SCRATCH);
const giveScratch = (b) => { if (scratch.length < 8) scratch.push(b); };

// `bytes` from larder_nodefs_read_file are copied out: their buffer may serve
// the next read.
export function larder_nodefs_release(bytes) {
    if (bytes.buffer.byteLength === SCRATCH) {
        giveScratch(new Uint8Array(bytes.buffer));
    }
}

// Whether a read waits for its file's close. Node: no; the bytes are in hand
// and close's errors would be ignored anyway, so its trip to the thread pool
// (a third of a read) would only delay the caller. Deno: yes; its close runs
// on a timer, which Deno.test's sanitizer reports as leaked when a test ends
// right after a read.
const WAIT_FOR_CLOSE = typeof Deno !== "undefined";
const ignore = () => {};

// The whole file at `path`, read with node:fs's callback API in two trips to
// the thread pool (open, read; then close; a file past the scratch size also
// takes an fstat and one more read). fs.promises costs more per trip (a
// FileHandle per open) and its readFile takes more trips. Resolves to the
// bytes (to be handed to larder_nodefs_release once copied), or to null
// where what was read is not plainly a whole file (empty, a read error, not
// a regular file, changing size): the caller then looks the careful way.
// Rejects with open's error.
export function larder_nodefs_read_file(fs, path, flags) {
    return new Promise((resolve, reject) => {
        fs.open(path, flags, (err, fd) => {
            if (err) {
                reject(err);
                return;
            }
            const done = (bytes) => {
                if (WAIT_FOR_CLOSE) {
                    fs.close(fd, () => resolve(bytes));
                } else {
                    fs.close(fd, ignore);
                    resolve(bytes);
                }
            };
            const buf = takeScratch();
            fs.read(fd, buf, 0, SCRATCH, 0, (err, n) => {
                if (err || n === 0) {
                    giveScratch(buf);
                    done(null);
                    return;
                }
                if (n < SCRATCH) {
                    done(buf.subarray(0, n));
                    return;
                }
                fs.fstat(fd, (err, st) => {
                    let out = null;
                    if (!err && st.isFile() && st.size >= n) {
                        try {
                            out = new Uint8Array(st.size);
                            out.set(buf);
                        } catch {
                            out = null; // too large to hold: the careful way says so
                        }
                    }
                    giveScratch(buf);
                    if (out === null || n === out.length) {
                        done(out);
                    } else {
                        readRest(fs, fd, out, n, done);
                    }
                });
            });
        });
    });
}

// Fill `out` from offset `at`; hand `done` the bytes, or null if the file
// ended early or a read failed.
function readRest(fs, fd, out, at, done) {
    fs.read(fd, out, at, out.length - at, at, (err, n) => {
        if (err || n === 0) {
            done(null);
        } else if (at + n === out.length) {
            done(out);
        } else {
            readRest(fs, fd, out, at + n, done);
        }
    });
}
"#)]
extern "C" {
    #[wasm_bindgen(catch)]
    async fn larder_nodefs_import_fs() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn larder_nodefs_import_fs_callbacks() -> Result<JsValue, JsValue>;
    fn larder_nodefs_release(bytes: &Uint8Array);
    #[wasm_bindgen(catch)]
    async fn larder_nodefs_read_file(
        fs: &FsCallbacks,
        path: &str,
        flags: &JsValue,
    ) -> Result<JsValue, JsValue>;
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

    /// The `node:fs` module object (its callback API).
    #[derive(Debug, Clone)]
    pub(crate) type FsCallbacks;

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

/// Hand back the bytes of [`read_file`] once copied out, for reuse.
pub(crate) fn release(bytes: &Uint8Array) {
    larder_nodefs_release(bytes);
}

/// Import `node:fs`, whose callback API reads an entry in fewer, cheaper
/// trips to the thread pool than `node:fs/promises` (see [`read_file`]).
pub(crate) async fn load_fs_callbacks() -> Result<FsCallbacks, JsValue> {
    Ok(larder_nodefs_import_fs_callbacks().await?.unchecked_into())
}

/// The whole file at `path`, opened with `flags`, in one call into JS: `Ok(None)`
/// where what was read is not plainly a whole regular file (the caller then
/// looks with [`FsPromises`], which tells why); `Err` is open's error.
pub(crate) async fn read_file(
    fs: &FsCallbacks,
    path: &str,
    flags: &JsValue,
) -> Result<Option<Uint8Array>, JsValue> {
    Ok(larder_nodefs_read_file(fs, path, flags)
        .await?
        .dyn_into()
        .ok())
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
