//! larder-opfs in a dedicated worker (sync access handles), in headless
//! Chromium: `CHROMEDRIVER=/usr/bin/chromedriver
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
//! cargo test -p larder-opfs --target wasm32-unknown-unknown --test worker`
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::cases;
use common::*;
use larder_core::{ErrorKind, Store};
use larder_opfs::{Access, OpfsStore};
use larder_tests::fixtures::{entry, payload};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[wasm_bindgen_test]
async fn conformance() {
    cases::conformance(Access::Sync).await;
}

#[wasm_bindgen_test]
async fn persists_across_reopen() {
    cases::persists_across_reopen(Access::Sync).await;
}

#[wasm_bindgen_test]
async fn survives_removal_of_its_directory() {
    cases::survives_removal_of_its_directory(Access::Sync).await;
}

#[wasm_bindgen_test]
async fn damage_found_by_get() {
    cases::damage_found_by_get(Access::Sync).await;
}

#[wasm_bindgen_test]
async fn damage_found_by_list() {
    cases::damage_found_by_list(Access::Sync).await;
}

#[wasm_bindgen_test]
async fn damage_through_the_cache() {
    cases::damage_through_the_cache(Access::Sync).await;
}

#[wasm_bindgen_test]
async fn quota_full_is_storage_full() {
    cases::quota_full_is_storage_full(Access::Sync).await;
}

#[wasm_bindgen_test]
async fn entry_locked_by_a_sync_access_handle() {
    cases::locked_entry(Access::Sync, true).await;
}

#[wasm_bindgen_test]
async fn entry_locked_by_a_writable_stream() {
    cases::locked_entry(Access::Sync, false).await;
}

/// What the sync path writes, the async path reads, and the other way round.
#[wasm_bindgen_test]
async fn sync_and_async_share_files() {
    let name = unique("shared");
    let sync = OpfsStore::open(&name).await.unwrap();
    let asyn = OpfsStore::builder(&name)
        .access(Access::Async)
        .open()
        .await
        .unwrap();
    assert_eq!(
        (sync.access(), asyn.access()),
        (Access::Sync, Access::Async)
    );
    let (a, b) = (entry(1, &payload(1, 70_000)), entry(2, &payload(2, 10)));
    sync.put(&a.meta, &a.frame).await.unwrap();
    asyn.put(&b.meta, &b.frame).await.unwrap();
    for s in [&sync, &asyn] {
        assert_eq!(s.get(a.meta.key).await.unwrap(), Some(a.frame.clone()));
        assert_eq!(s.get(b.meta.key).await.unwrap(), Some(b.frame.clone()));
    }
    let later = a.meta.last_access_ms + 1000;
    asyn.touch_many(&[(a.meta.key, later), (b.meta.key, later)])
        .await
        .unwrap();
    let mut list = sync.list().await.unwrap();
    list.sort_by_key(|m| m.key);
    assert_eq!(
        list.iter().map(|m| m.last_access_ms).collect::<Vec<_>>(),
        [later, later]
    );
    assert!(asyn.delete(a.meta.key).await.unwrap());
    assert_eq!(sync.get(a.meta.key).await.unwrap(), None);
}

#[wasm_bindgen_test]
async fn bad_names_are_refused() {
    for bad in ["", "a/b", "a\\b", &"x".repeat(201)] {
        let e = expect_err(
            OpfsStore::open(bad).await,
            ErrorKind::InvalidInput,
            "bad name",
        );
        assert!(e.to_string().contains("cache name"), "{e}");
    }
}

/// Runs `body` with `setup` applied to the worker's globals, then `undo`.
async fn patched<F: std::future::Future<Output = ()>>(setup: &str, undo: &str, body: F) {
    js(setup);
    body.await;
    js(undo);
}

#[wasm_bindgen_test]
async fn opfs_missing_names_the_cause() {
    let proto = "StorageManager.prototype";
    patched(
        &format!("(self.__gd = {proto}.getDirectory, delete {proto}.getDirectory)"),
        &format!("{proto}.getDirectory = self.__gd"),
        async {
            let e = expect_err(
                OpfsStore::open("x").await,
                ErrorKind::Unsupported,
                "no getDirectory",
            );
            assert!(
                e.to_string()
                    .contains("navigator.storage.getDirectory is missing"),
                "{e}"
            );
        },
    )
    .await;
    // What an insecure context looks like: no navigator.storage, isSecureContext false.
    patched(
        "(Object.defineProperty(navigator, 'storage', {value: undefined, configurable: true}), \
          Object.defineProperty(self, 'isSecureContext', {value: false, configurable: true}))",
        "(delete navigator.storage, delete self.isSecureContext)",
        async {
            let e = expect_err(
                OpfsStore::open("x").await,
                ErrorKind::Unsupported,
                "insecure",
            );
            assert!(e.to_string().contains("not a secure context"), "{e}");
        },
    )
    .await;
    assert!(OpfsStore::open(&unique("restored")).await.is_ok());
}

/// `getDirectory()` rejecting, with the browser's own refusal: the
/// SecurityError an opaque-origin (data: URL) worker really gets.
#[wasm_bindgen_test]
async fn opfs_refused_names_the_cause() {
    let refusal = wait(js("new Promise(r => { \
            const w = new Worker('data:text/javascript,navigator.storage.getDirectory()\
                .then(() => postMessage(null), e => postMessage(e))'); \
            w.onmessage = e => { w.terminate(); r(e.data); }; })"))
    .await
    .unwrap();
    assert_eq!(
        js_sys::Reflect::get(&refusal, &"name".into()).unwrap(),
        JsValue::from_str("SecurityError"),
        "an opaque origin is refused OPFS"
    );
    let proto = "StorageManager.prototype";
    js_sys::Reflect::set(&js_sys::global(), &"__refusal".into(), &refusal).unwrap();
    patched(
        &format!("(self.__gd = {proto}.getDirectory, {proto}.getDirectory = () => Promise.reject(self.__refusal))"),
        &format!("{proto}.getDirectory = self.__gd"),
        async {
            let e = expect_err(OpfsStore::open("x").await, ErrorKind::PermissionDenied, "refused");
            let msg = e.to_string();
            assert!(msg.contains("SecurityError") && msg.contains("blocks storage"), "{msg}");
        },
    )
    .await;
}

#[wasm_bindgen_test]
#[ignore = "prints timings; run with --include-ignored"]
async fn timings() {
    cases::timings(Access::Sync).await;
}

#[wasm_bindgen_test]
async fn whole_files_around_the_first_read() {
    cases::whole_files_around_the_first_read(Access::Sync).await;
}
