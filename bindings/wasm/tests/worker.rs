//! The "opfs" backend in a dedicated worker of headless Chromium, where
//! larder-opfs uses synchronous access handles:
//! `CHROMEDRIVER=/usr/bin/chromedriver
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
//! cargo test -p larder-wasm --target wasm32-unknown-unknown --test worker`
#![cfg(all(target_arch = "wasm32", feature = "opfs"))]
#![allow(clippy::unwrap_used)]

mod common;

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[wasm_bindgen_test]
async fn opfs_backend_in_a_worker() {
    assert!(
        common::js(
            "typeof FileSystemSyncAccessHandle === 'function' && typeof window === 'undefined'"
        )
        .is_truthy(),
        "a dedicated worker with sync access handles"
    );
    common::opfs_round_trip("worker").await;
}
