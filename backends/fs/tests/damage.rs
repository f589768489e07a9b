//! Failed writes and damaged files: nothing partial is ever visible, and whatever
//! cannot be an entry is a miss, is removed, and is counted.
#![allow(clippy::unwrap_used)]

use std::fs;

use larder_core::{ErrorKind, Store, block_on};
use larder_fs::FsStore;
use larder_tests::fixtures::{entry, payload};

fn tmp_files(store: &FsStore) -> usize {
    fs::read_dir(store.root().join(larder_fs::LAYOUT_DIR).join("tmp"))
        .unwrap()
        .count()
}

#[test]
fn a_failed_put_leaves_no_temp_and_the_old_entry() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsStore::open(dir.path()).unwrap();
    let (old, new) = (entry(1, b"old"), entry(1, b"new value"));
    block_on(store.put(&old.meta, &old.frame)).unwrap();
    // A real fault: the temp directory is gone and a file sits in its place.
    let tmp = store.root().join(larder_fs::LAYOUT_DIR).join("tmp");
    fs::remove_dir(&tmp).unwrap();
    fs::write(&tmp, b"not a directory").unwrap();
    let err = block_on(store.put(&new.meta, &new.frame)).unwrap_err();
    assert!(
        err.to_string().contains("tmp"),
        "the error names the path: {err}"
    );
    assert!(block_on(store.put_many(std::slice::from_ref(&new))).is_err());
    assert_eq!(block_on(store.get(old.meta.key)).unwrap(), Some(old.frame));
    fs::remove_file(&tmp).unwrap();
    fs::create_dir(&tmp).unwrap();
    block_on(store.put(&new.meta, &new.frame)).unwrap();
    assert_eq!(block_on(store.get(new.meta.key)).unwrap(), Some(new.frame));
    assert_eq!(tmp_files(&store), 0, "no temp file is left behind");
}

#[test]
fn a_put_that_cannot_rename_removes_its_temp_and_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsStore::open(dir.path()).unwrap();
    let e = entry(1, b"x");
    let shard = store.entry_path(e.meta.key).parent().unwrap().to_path_buf();
    fs::write(&shard, b"a file where the shard directory goes").unwrap();
    let err = block_on(store.put(&e.meta, &e.frame)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
    assert!(err.to_string().contains(&e.meta.key.to_hex()[..2]), "{err}");
    assert_eq!(tmp_files(&store), 0);
}

#[test]
fn list_removes_and_counts_damaged_entries() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsStore::open(dir.path()).unwrap();
    let good: Vec<_> = (0..3).map(|i| entry(i, &payload(i, 1000))).collect();
    block_on(store.put_many(&good)).unwrap();
    let damaged: Vec<_> = (10..15).map(|i| entry(i, &payload(i, 1000))).collect();
    block_on(store.put_many(&damaged)).unwrap();
    let path = |i: usize| store.entry_path(damaged[i].meta.key);
    // A flipped header byte; a truncated frame; an empty file; a directory;
    // a valid frame under another key's name.
    let mut bytes = damaged[0].frame.clone();
    bytes[80] ^= 0x55;
    fs::write(path(0), bytes).unwrap();
    fs::write(path(1), &damaged[1].frame[..damaged[1].frame.len() - 10]).unwrap();
    fs::write(path(2), b"").unwrap();
    fs::remove_file(path(3)).unwrap();
    fs::create_dir(path(3)).unwrap();
    fs::write(path(3).join("inner"), b"junk").unwrap();
    fs::write(path(4), &good[0].frame).unwrap();
    // Unknown names are left alone.
    let shard = path(0).parent().unwrap().to_path_buf();
    let unknown = shard.join("README");
    fs::write(&unknown, b"not an entry").unwrap();

    let mut listed: Vec<_> = block_on(store.list())
        .unwrap()
        .into_iter()
        .map(|m| m.key)
        .collect();
    listed.sort();
    let mut want: Vec<_> = good.iter().map(|e| e.meta.key).collect();
    want.sort();
    assert_eq!(listed, want);
    assert_eq!(store.take_corrupt(), 5);
    assert_eq!(store.take_corrupt(), 0, "the count is taken");
    for i in 0..5 {
        assert!(
            fs::symlink_metadata(path(i)).is_err(),
            "damaged entry {i} was not removed"
        );
    }
    assert!(unknown.exists());
}

#[test]
fn a_directory_in_place_of_an_entry_is_a_miss_and_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsStore::open(dir.path()).unwrap();
    let e = entry(1, b"x");
    let path = store.entry_path(e.meta.key);
    fs::create_dir_all(path.join("sub")).unwrap();
    assert_eq!(block_on(store.get(e.meta.key)).unwrap(), None);
    assert!(!path.exists());
    fs::create_dir_all(&path).unwrap();
    assert!(!block_on(store.delete(e.meta.key)).unwrap());
    assert!(!path.exists());
    // put replaces a squatting directory too.
    fs::create_dir_all(path.join("sub")).unwrap();
    block_on(store.put(&e.meta, &e.frame)).unwrap();
    assert_eq!(block_on(store.get(e.meta.key)).unwrap(), Some(e.frame));
}

#[test]
fn touch_sets_mtime_forward_only_and_ignores_missing_keys() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsStore::open(dir.path()).unwrap();
    let e = entry(1, b"x");
    block_on(store.put(&e.meta, &e.frame)).unwrap();
    let last = || block_on(store.list()).unwrap()[0].last_access_ms;
    assert_eq!(last(), e.meta.last_access_ms);
    let later = e.meta.last_access_ms + 5000;
    let missing = entry(2, b"y").meta.key;
    block_on(store.touch_many(&[(e.meta.key, later), (missing, later)])).unwrap();
    assert_eq!(last(), later);
    block_on(store.touch_many(&[(e.meta.key, later - 1000)])).unwrap();
    assert_eq!(last(), later, "recency moved backwards");
}

#[cfg(unix)]
#[test]
fn a_fifo_or_symlink_in_place_of_an_entry_is_a_miss_that_never_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsStore::open(dir.path()).unwrap();
    let (fifo, link) = (entry(1, b"x"), entry(2, b"y"));
    block_on(store.put_many(&[entry(3, b"z")])).unwrap();
    let fifo_path = store.entry_path(fifo.meta.key);
    fs::create_dir_all(fifo_path.parent().unwrap()).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo_path)
        .status()
        .unwrap();
    assert!(made.success());
    let link_path = store.entry_path(link.meta.key);
    fs::create_dir_all(link_path.parent().unwrap()).unwrap();
    let target = store.entry_path(entry(3, b"z").meta.key);
    std::os::unix::fs::symlink(&target, &link_path).unwrap();

    assert_eq!(block_on(store.get(fifo.meta.key)).unwrap(), None);
    assert_eq!(block_on(store.get(link.meta.key)).unwrap(), None);
    assert!(
        fs::symlink_metadata(&fifo_path).is_err(),
        "the FIFO is removed"
    );
    assert!(
        fs::symlink_metadata(&link_path).is_err(),
        "the symlink is removed"
    );
    assert!(target.is_file(), "the symlink's target is left alone");
    assert_eq!(store.take_corrupt(), 2);
}
