//! The conformance suite against `FsStore` in a temporary directory.

mod common;

use std::sync::Arc;

use larder_core::Store;
use larder_fs::FsStore;

fn open(dir: &tempfile::TempDir) -> FsStore {
    FsStore::open(dir.path()).expect("open FsStore in a tempdir")
}

#[tokio::test]
async fn fs_store_passes_the_suite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir);
    larder_tests::run_all(&store).await;
    assert_eq!(
        store.take_corrupt(),
        0,
        "the suite only writes valid frames"
    );
}

#[tokio::test]
async fn fs_store_with_fsync_passes_the_suite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = FsStore::builder(dir.path())
        .fsync(true)
        .open()
        .expect("open with fsync");
    larder_tests::round_trip(&store).await;
    larder_tests::overwrite_replaces(&store).await;
    larder_tests::batch_calls_agree_with_single_calls(&store).await;
    larder_tests::list_returns_metadata(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fs_store_concurrent_writers_on_threads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(open(&dir));
    common::writers_on_threads(std::slice::from_ref(&store)).await;
    larder_tests::check_concurrent_writers(&*store, 8).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_fs_stores_on_one_directory_share_entries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (Arc::new(open(&dir)), Arc::new(open(&dir)));
    common::writers_on_threads(&[a.clone(), b.clone()]).await;
    larder_tests::check_concurrent_writers(&*a, 8).await;
    larder_tests::check_concurrent_writers(&*b, 8).await;
}
