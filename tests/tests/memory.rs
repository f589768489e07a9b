//! The conformance suite against the reference `MemoryStore`.

mod common;

use std::sync::Arc;

use larder_core::{MemoryStore, Store};

#[tokio::test]
async fn memory_store_passes_the_suite() {
    larder_tests::run_all(&MemoryStore::new()).await;
}

#[tokio::test]
async fn memory_store_passes_as_dyn_store() {
    let store: Box<dyn Store> = Box::new(MemoryStore::new());
    larder_tests::run_all(store.as_ref()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_store_concurrent_writers_on_threads() {
    let store = Arc::new(MemoryStore::new());
    common::writers_on_threads(std::slice::from_ref(&store)).await;
    larder_tests::check_concurrent_writers(&*store, 8).await;
}
