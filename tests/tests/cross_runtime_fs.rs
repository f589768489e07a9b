//! Native halves of the cross-runtime check between larder-fs and larder-nodefs
//! (Node or Deno), run by `backends/nodefs/cross_runtime.sh`:
//!
//! 1. `LARDER_CROSS_STEP=write`: larder-fs writes entries 0..20 into `$LARDER_CROSS_DIR`;
//! 2. the wasm test `cross_runtime_with_larder_fs` reads them and writes 20..40;
//! 3. `LARDER_CROSS_STEP=verify`: larder-fs reads all 40 back, with their metadata.
//!
//! Without those variables both tests pass without doing anything.

use larder_core::Store;
use larder_fs::FsStore;
use larder_tests::fixtures::cross_runtime_entry;

fn step(want: &str) -> Option<String> {
    let dir = std::env::var("LARDER_CROSS_DIR").ok()?;
    (std::env::var("LARDER_CROSS_STEP").ok()? == want).then_some(dir)
}

#[tokio::test]
async fn cross_runtime_native_write() {
    let Some(dir) = step("write") else { return };
    let store = FsStore::open(&dir).expect("open the cross-runtime directory");
    for i in 0..20 {
        let e = cross_runtime_entry(i);
        store.put(&e.meta, &e.frame).await.expect("put");
    }
}

#[tokio::test]
async fn cross_runtime_native_verify() {
    let Some(dir) = step("verify") else { return };
    let store = FsStore::open(&dir).expect("open the cross-runtime directory");
    let listed = store.list().await.expect("list");
    assert_eq!(listed.len(), 40, "entries from both runtimes");
    for i in 0..40 {
        let e = cross_runtime_entry(i);
        let got = store.get(e.meta.key).await.expect("get");
        assert_eq!(got.as_ref(), Some(&e.frame), "entry {i} bytes");
        let m = listed.iter().find(|m| m.key == e.meta.key);
        assert_eq!(m, Some(&e.meta), "entry {i} metadata (mtime = last access)");
    }
    assert_eq!(store.take_corrupt(), 0);
}
