//! Shared by the integration tests: the suite's concurrent writers, each on a
//! tokio task of a multi-threaded runtime.

use std::sync::Arc;

use larder_core::Store;

/// Run 8 writers at once, writer `w` on `stores[w % stores.len()]`, and wait
/// for all of them (the caller then checks what they wrote).
pub async fn writers_on_threads<S: Store + 'static>(stores: &[Arc<S>]) {
    let tasks: Vec<_> = (0..8)
        .map(|w| {
            let store = Arc::clone(&stores[w as usize % stores.len()]);
            tokio::spawn(async move { larder_tests::concurrent_writer(&*store, w).await })
        })
        .collect();
    for t in tasks {
        t.await.expect("writer task panicked");
    }
}
