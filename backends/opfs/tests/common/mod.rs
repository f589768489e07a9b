//! Helpers shared by the worker and main-thread test files: unique cache
//! names, and raw OPFS access (bypassing the store) to plant damage and locks.
#![allow(dead_code)]

pub mod cases;

use std::cell::Cell;

use js_sys::{Function, Promise, Uint8Array};
use larder_core::{Error, ErrorKind, ManualClock};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    FileSystemDirectoryHandle, FileSystemFileHandle, FileSystemGetDirectoryOptions,
    FileSystemGetFileOptions, FileSystemWritableFileStream, StorageManager,
};

thread_local! {
    static SEQ: Cell<u32> = const { Cell::new(0) };
}

/// A cache name no other test (or earlier run) uses.
pub fn unique(test: &str) -> String {
    let n = SEQ.with(|s| {
        s.set(s.get() + 1);
        s.get()
    });
    format!("{test}-{}-{n}", js_sys::Date::now() as u64)
}

/// Evaluate a JS expression.
pub fn js(expr: &str) -> JsValue {
    Function::new_no_args(&format!("return ({expr});"))
        .call0(&JsValue::UNDEFINED)
        .unwrap_or_else(|e| panic!("`{expr}` throws: {e:?}"))
}

/// Await the Promise `p`.
pub async fn wait(p: JsValue) -> Result<JsValue, JsValue> {
    JsFuture::from(Promise::from(p)).await
}

pub async fn sleep(ms: u32) {
    wait(js(&format!("new Promise(r => setTimeout(r, {ms}))")))
        .await
        .unwrap();
}

/// A clock at the real time, for a `Cache` over a store in tests.
pub fn clock() -> ManualClock {
    ManualClock::new(js_sys::Date::now() as u64)
}

/// The origin's OPFS root.
pub async fn opfs_root() -> FileSystemDirectoryHandle {
    let storage: StorageManager = js("navigator.storage").unchecked_into();
    JsFuture::from(storage.get_directory())
        .await
        .unwrap()
        .unchecked_into()
}

/// The directory `path` ("a/b/c") under `root`, created if `create`.
pub async fn dir_at(
    root: &FileSystemDirectoryHandle,
    path: &str,
    create: bool,
) -> Result<FileSystemDirectoryHandle, JsValue> {
    let mut dir = root.clone();
    for name in path.split('/').filter(|n| !n.is_empty()) {
        let opts = FileSystemGetDirectoryOptions::new();
        opts.set_create(create);
        dir = JsFuture::from(dir.get_directory_handle_with_options(name, &opts))
            .await?
            .unchecked_into();
    }
    Ok(dir)
}

/// Split "a/b/name" into ("a/b", "name").
pub fn split(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}

/// The file at `path` under `root`.
pub async fn file_at(
    root: &FileSystemDirectoryHandle,
    path: &str,
    create: bool,
) -> Result<FileSystemFileHandle, JsValue> {
    let (dir, name) = split(path);
    let dir = dir_at(root, dir, create).await?;
    let opts = FileSystemGetFileOptions::new();
    opts.set_create(create);
    Ok(
        JsFuture::from(dir.get_file_handle_with_options(name, &opts))
            .await?
            .unchecked_into(),
    )
}

/// Replace the file at `path` with `bytes` (creating directories), through
/// a writable stream: works in windows and workers.
pub async fn write_raw(root: &FileSystemDirectoryHandle, path: &str, bytes: &[u8]) {
    let f = file_at(root, path, true).await.unwrap();
    let w: FileSystemWritableFileStream = JsFuture::from(f.create_writable())
        .await
        .unwrap()
        .unchecked_into();
    JsFuture::from(w.write_with_js_u8_array(&Uint8Array::from(bytes)).unwrap())
        .await
        .unwrap();
    JsFuture::from(w.close()).await.unwrap();
}

/// The bytes of the file at `path`, or `None` if there is no such file.
pub async fn read_raw(root: &FileSystemDirectoryHandle, path: &str) -> Option<Vec<u8>> {
    let f = file_at(root, path, false).await.ok()?;
    let file: web_sys::File = JsFuture::from(f.get_file()).await.unwrap().unchecked_into();
    let buf = JsFuture::from(file.array_buffer()).await.unwrap();
    Some(Uint8Array::new(&buf).to_vec())
}

/// Whether anything (file or directory) is at `path`.
pub async fn exists(root: &FileSystemDirectoryHandle, path: &str) -> bool {
    file_at(root, path, false).await.is_ok() || dir_at(root, path, false).await.is_ok()
}

/// The names in directory `path`.
pub async fn names(root: &FileSystemDirectoryHandle, path: &str) -> Vec<String> {
    let dir = dir_at(root, path, false).await.unwrap();
    let keys = js_sys::Function::new_with_args(
        "d",
        "return (async () => { const out = []; for await (const k of d.keys()) out.push(k); return out; })()",
    )
    .call1(&JsValue::UNDEFINED, &dir)
    .unwrap();
    let arr = wait(keys).await.unwrap();
    js_sys::Array::from(&arr)
        .iter()
        .map(|v| v.as_string().unwrap())
        .collect()
}

/// A storage bucket with a small quota, and its OPFS root: a real quota to
/// run into without filling the disk. Deleted by [`drop_bucket`].
pub async fn small_bucket(name: &str, quota: u32) -> FileSystemDirectoryHandle {
    let b = wait(js(&format!(
        "navigator.storageBuckets.open({name:?}, {{quota: {quota}}})"
    )))
    .await
    .unwrap();
    let get = js_sys::Reflect::get(&b, &"getDirectory".into()).unwrap();
    let dir = get.unchecked_into::<Function>().call0(&b).unwrap();
    wait(dir).await.unwrap().unchecked_into()
}

pub async fn drop_bucket(name: &str) {
    wait(js(&format!("navigator.storageBuckets.delete({name:?})")))
        .await
        .unwrap();
}

/// Unwrap an expected error and check its kind.
pub fn expect_err<T: std::fmt::Debug>(r: Result<T, Error>, kind: ErrorKind, what: &str) -> Error {
    let e = r.expect_err(what);
    assert_eq!(e.kind(), kind, "{what}: {e}");
    e
}

/// `performance.now()`: sub-ms time, in windows and workers.
pub fn perf_now() -> f64 {
    let perf = js_sys::Reflect::get(&js_sys::global(), &"performance".into()).unwrap();
    let now: Function = js_sys::Reflect::get(&perf, &"now".into())
        .unwrap()
        .unchecked_into();
    now.call0(&perf).unwrap().as_f64().unwrap()
}
