//! What larder did not put under `entries/` is none of its business: names that
//! are not shards are skipped by `list` and `clear`, and a cache whose entries
//! were deleted from under it is simply empty.
#![allow(clippy::unwrap_used)]

use std::fs;

use larder_core::{Store, block_on};
use larder_fs::FsStore;
use larder_tests::fixtures::entry;

#[test]
fn list_and_clear_skip_what_is_not_a_shard_directory() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsStore::open(dir.path()).unwrap();
    let e = entry(1, b"kept");
    block_on(store.put(&e.meta, &e.frame)).unwrap();
    let entries = store.entry_path(e.meta.key);
    let entries = entries.parent().unwrap().parent().unwrap();
    // A file with a shard's name, and a directory without one that holds a
    // valid frame under a valid entry name.
    let taken = &e.meta.key.to_hex()[..2];
    let shard_named_file = entries.join(if taken == "00" { "01" } else { "00" });
    let other_dir = entries.join("backup");
    fs::write(&shard_named_file, b"not a shard").unwrap();
    fs::create_dir(&other_dir).unwrap();
    fs::write(other_dir.join(e.meta.key.to_hex()), &e.frame).unwrap();

    let listed = block_on(store.list()).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].key, e.meta.key);
    assert_eq!(store.take_corrupt(), 0);
    block_on(store.clear()).unwrap();
    assert!(block_on(store.list()).unwrap().is_empty());
    assert_eq!(fs::read(&shard_named_file).unwrap(), b"not a shard");
    assert_eq!(
        fs::read(other_dir.join(e.meta.key.to_hex())).unwrap(),
        e.frame
    );
}

#[test]
fn entries_deleted_from_under_an_open_store_are_an_empty_cache() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsStore::open(dir.path()).unwrap();
    let e = entry(1, b"x");
    block_on(store.put(&e.meta, &e.frame)).unwrap();
    let entries = dir.path().join(larder_fs::LAYOUT_DIR).join("entries");
    fs::remove_dir_all(&entries).unwrap();

    assert!(block_on(store.list()).unwrap().is_empty());
    block_on(store.clear()).unwrap();
    assert_eq!(block_on(store.get(e.meta.key)).unwrap(), None);
    // The next write puts the directories back.
    block_on(store.put(&e.meta, &e.frame)).unwrap();
    assert_eq!(block_on(store.get(e.meta.key)).unwrap(), Some(e.frame));
    assert_eq!(block_on(store.list()).unwrap().len(), 1);
}
