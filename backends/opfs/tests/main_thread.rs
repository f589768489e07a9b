//! larder-opfs on a page's main thread (the async OPFS API), in headless
//! Chromium: `CHROMEDRIVER=/usr/bin/chromedriver
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
//! cargo test -p larder-opfs --target wasm32-unknown-unknown --test main_thread`
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::cases;
use common::*;
use larder_core::ErrorKind;
use larder_opfs::{Access, OpfsStore};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn conformance() {
    cases::conformance(Access::Async).await;
}

#[wasm_bindgen_test]
async fn persists_across_reopen() {
    cases::persists_across_reopen(Access::Async).await;
}

#[wasm_bindgen_test]
async fn survives_removal_of_its_directory() {
    cases::survives_removal_of_its_directory(Access::Async).await;
}

#[wasm_bindgen_test]
async fn damage_found_by_get() {
    cases::damage_found_by_get(Access::Async).await;
}

#[wasm_bindgen_test]
async fn damage_found_by_list() {
    cases::damage_found_by_list(Access::Async).await;
}

#[wasm_bindgen_test]
async fn damage_through_the_cache() {
    cases::damage_through_the_cache(Access::Async).await;
}

#[wasm_bindgen_test]
async fn quota_full_is_storage_full() {
    cases::quota_full_is_storage_full(Access::Async).await;
}

#[wasm_bindgen_test]
async fn entry_locked_by_a_writable_stream() {
    cases::locked_entry(Access::Async, false).await;
}

#[wasm_bindgen_test]
async fn sync_access_needs_a_worker() {
    let e = expect_err(
        OpfsStore::builder("x").access(Access::Sync).open().await,
        ErrorKind::Unsupported,
        "sync access on the main thread",
    );
    assert!(e.to_string().contains("dedicated workers"), "{e}");
}

#[wasm_bindgen_test]
#[ignore = "prints timings; run with --include-ignored"]
async fn timings() {
    cases::timings(Access::Async).await;
}

#[wasm_bindgen_test]
async fn whole_files_around_the_first_read() {
    cases::whole_files_around_the_first_read(Access::Async).await;
}
