//! The conformance suite against the reference `MemoryStore`.

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
    let tasks: Vec<_> = (0..8)
        .map(|w| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { larder_tests::concurrent_writer(&*store, w).await })
        })
        .collect();
    for t in tasks {
        t.await.expect("writer task panicked");
    }
    larder_tests::check_concurrent_writers(&*store, 8).await;
}
