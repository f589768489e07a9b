//! The JavaScript pieces web-sys lacks (or has only behind
//! `web_sys_unstable_apis`), thin promise helpers, and error inspection.

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    FileSystemDirectoryHandle, FileSystemFileHandle, FileSystemGetDirectoryOptions,
    FileSystemGetFileOptions, FileSystemHandle, FileSystemRemoveOptions,
    FileSystemSyncAccessHandle,
};

#[wasm_bindgen]
extern "C" {
    // The global `setTimeout`: present in windows and workers alike.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(f: &js_sys::Function, ms: u32) -> JsValue;

    // A file handle, for the two methods web-sys lacks (methods are
    // structural: `this.move(...)`, whatever the class).
    type Handle;

    // `FileSystemHandle.move(directory, name)`: shipped for OPFS files in
    // Chromium 110, Firefox 111 and Safari 15.2, but not in web-sys.
    #[wasm_bindgen(method, js_name = "move")]
    fn move_into(this: &Handle, dir: &FileSystemDirectoryHandle, name: &str) -> Promise;

    // `createSyncAccessHandle({mode})`: web-sys has the options only behind
    // `web_sys_unstable_apis`. A browser without lock modes ignores the member
    // and opens the usual exclusive handle.
    #[wasm_bindgen(method, js_name = createSyncAccessHandle)]
    fn create_sync_access_handle_with(this: &Handle, options: &Object) -> Promise;
}

/// A future that resolves after `ms` milliseconds.
pub(crate) async fn sleep(ms: u32) {
    let p = Promise::new(&mut |resolve, _reject| {
        set_timeout(&resolve, ms);
    });
    let _ = JsFuture::from(p).await;
}

/// The `name` of a thrown value (a DOMException's or an Error's), if any.
pub(crate) fn error_name(e: &JsValue) -> Option<String> {
    if !e.is_object() {
        return None;
    }
    Reflect::get(e, &JsValue::from_str("name"))
        .ok()
        .and_then(|n| n.as_string())
}

/// Whether `e` is a DOMException (or Error) named `name`.
pub(crate) fn is(e: &JsValue, name: &str) -> bool {
    error_name(e).as_deref() == Some(name)
}

/// A readable message for a thrown value.
pub(crate) fn message(e: &JsValue) -> String {
    let msg = if e.is_object() {
        Reflect::get(e, &JsValue::from_str("message"))
            .ok()
            .and_then(|m| m.as_string())
    } else {
        None
    };
    match (error_name(e), msg) {
        (Some(n), Some(m)) if !m.is_empty() => format!("{n}: {m}"),
        (Some(n), _) => n,
        (None, Some(m)) => m,
        (None, None) => e.as_string().unwrap_or_else(|| format!("{e:?}")),
    }
}

/// `obj[key]`, or `undefined`.
pub(crate) fn get(obj: &JsValue, key: &str) -> JsValue {
    if obj.is_object() || obj.is_function() {
        Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

/// `dir.getDirectoryHandle(name, {create})`.
pub(crate) async fn dir(
    dir: &FileSystemDirectoryHandle,
    name: &str,
    create: bool,
) -> Result<FileSystemDirectoryHandle, JsValue> {
    let opts = FileSystemGetDirectoryOptions::new();
    opts.set_create(create);
    let h = JsFuture::from(dir.get_directory_handle_with_options(name, &opts)).await?;
    Ok(h.unchecked_into())
}

/// `dir.getFileHandle(name, {create})`.
pub(crate) async fn file(
    dir: &FileSystemDirectoryHandle,
    name: &str,
    create: bool,
) -> Result<FileSystemFileHandle, JsValue> {
    let opts = FileSystemGetFileOptions::new();
    opts.set_create(create);
    let h = JsFuture::from(dir.get_file_handle_with_options(name, &opts)).await?;
    Ok(h.unchecked_into())
}

/// `dir.removeEntry(name, {recursive})`.
pub(crate) async fn remove(
    dir: &FileSystemDirectoryHandle,
    name: &str,
    recursive: bool,
) -> Result<(), JsValue> {
    let opts = FileSystemRemoveOptions::new();
    opts.set_recursive(recursive);
    JsFuture::from(dir.remove_entry_with_options(name, &opts)).await?;
    Ok(())
}

/// `handle.move(dir, name)`: atomic, and replaces a file already there.
pub(crate) async fn move_into_dir(
    handle: &FileSystemFileHandle,
    dir: &FileSystemDirectoryHandle,
    name: &str,
) -> Result<(), JsValue> {
    JsFuture::from(handle.unchecked_ref::<Handle>().move_into(dir, name)).await?;
    Ok(())
}

/// A sync access handle on `file`: `read-only` (shared with other readers)
/// or the default exclusive `readwrite`.
pub(crate) async fn sync_handle(
    file: &FileSystemFileHandle,
    read_only: bool,
) -> Result<FileSystemSyncAccessHandle, JsValue> {
    let p = if read_only {
        let opts = Object::new();
        Reflect::set(&opts, &"mode".into(), &"read-only".into())?;
        file.unchecked_ref::<Handle>()
            .create_sync_access_handle_with(&opts)
    } else {
        file.create_sync_access_handle()
    };
    Ok(JsFuture::from(p).await?.unchecked_into())
}

/// Every child of `dir` (files and directories), via `dir.values()`.
pub(crate) async fn children(
    dir: &FileSystemDirectoryHandle,
) -> Result<Vec<FileSystemHandle>, JsValue> {
    let it = dir.values();
    let mut out = Vec::new();
    loop {
        let step = JsFuture::from(it.next()?).await?;
        if get(&step, "done").is_truthy() {
            return Ok(out);
        }
        out.push(get(&step, "value").unchecked_into());
    }
}
