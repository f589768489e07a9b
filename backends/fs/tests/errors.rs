//! Faults that are not damage to one entry: every call on such a key reports an
//! error naming the path, rather than passing it off as a miss.
#![allow(clippy::unwrap_used)]

use std::fs;

use larder_core::{ErrorKind, Store, block_on};
use larder_fs::FsStore;
use larder_tests::fixtures::entry;

/// A regular file where a shard directory should be is not an entry that can be
/// discarded: `get`, `get_header`, `delete` and `touch_many` all fail with the
/// entry's path (ENOTDIR), as `put` does, instead of saying "absent".
#[test]
fn a_file_in_place_of_a_shard_is_an_error_for_every_call() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsStore::open(dir.path()).unwrap();
    let e = entry(1, b"x");
    let path = store.entry_path(e.meta.key);
    let shard = path.parent().unwrap();
    fs::write(shard, b"a file where the shard directory goes").unwrap();
    let hex = e.meta.key.to_hex();

    let check = |what: &str, err: larder_core::Error| {
        assert_eq!(err.kind(), ErrorKind::Storage, "{what}: {err}");
        assert!(err.to_string().contains(&hex), "{what}: {err}");
    };
    check("get", block_on(store.get(e.meta.key)).unwrap_err());
    check(
        "get_header",
        block_on(store.get_header(e.meta.key)).unwrap_err(),
    );
    check("delete", block_on(store.delete(e.meta.key)).unwrap_err());
    let later = e.meta.last_access_ms + 1000;
    check(
        "touch_many",
        block_on(store.touch_many(&[(e.meta.key, later)])).unwrap_err(),
    );
    assert_eq!(store.take_corrupt(), 0, "nothing was taken for damage");
    assert_eq!(
        fs::read(shard).unwrap(),
        b"a file where the shard directory goes",
        "the file is left alone"
    );
}
