//! Reading frame headers without the payload (`list`, `get_header`): headers
//! longer than the first read, and files whose header does not match the name
//! or the length they have.
#![allow(clippy::unwrap_used)]

use std::fs;

use larder_core::{ErrorKind, Store, block_on};
use larder_fs::FsStore;
use larder_tests::fixtures::{Extras, entry, entry_with, payload};

/// 40 tags of 200 bytes: a header of about 8 KiB, past the 4 KiB that `list`
/// and `get_header` read first.
fn long_tags() -> Extras {
    Extras {
        tags: (0..40)
            .map(|i| format!("{i:03}-{}", "t".repeat(196)))
            .collect(),
        ..Extras::default()
    }
}

#[test]
fn headers_longer_than_the_first_read_are_listed_and_read() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsStore::open(dir.path()).unwrap();
    let extras = long_tags();
    let e = entry_with(1, &payload(1, 100), &extras);
    let tags_len: usize = extras.tags.iter().map(String::len).sum();
    assert!(tags_len > 4096, "the header must outgrow the first read");
    block_on(store.put(&e.meta, &e.frame)).unwrap();

    let listed = block_on(store.list()).unwrap();
    assert_eq!(listed.len(), 1, "the entry is listed, not taken for damage");
    assert_eq!(listed[0].key, e.meta.key);
    assert_eq!(listed[0].tags, extras.tags);
    assert_eq!(listed[0].size, e.frame.len() as u64);
    let h = block_on(store.get_header(e.meta.key)).unwrap().unwrap();
    assert_eq!(h.tags, extras.tags);
    assert_eq!(store.take_corrupt(), 0);
}

#[test]
fn a_long_header_cut_short_is_damage_for_list() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsStore::open(dir.path()).unwrap();
    let e = entry_with(1, &payload(1, 100), &long_tags());
    let path = store.entry_path(e.meta.key);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    // Past the first 4 KiB read, short of the header's end.
    fs::write(&path, &e.frame[..6000]).unwrap();
    assert!(block_on(store.list()).unwrap().is_empty());
    assert_eq!(store.take_corrupt(), 1);
    assert!(!path.exists(), "the damaged file is removed");
}

/// `get_header` promises a verified header: a valid frame under another key's
/// name, or a frame cut short, is a corrupt-entry error, never that header.
#[test]
fn get_header_refuses_a_foreign_or_truncated_frame() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsStore::open(dir.path()).unwrap();
    let (a, b) = (entry(1, &payload(1, 500)), entry(2, &payload(2, 500)));
    block_on(store.put_many(&[a.clone(), b.clone()])).unwrap();
    fs::write(store.entry_path(a.meta.key), &b.frame).unwrap();
    let err = block_on(store.get_header(a.meta.key)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
    assert!(err.to_string().contains(&a.meta.key.to_hex()), "{err}");

    fs::write(store.entry_path(b.meta.key), &b.frame[..b.frame.len() - 1]).unwrap();
    let err = block_on(store.get_header(b.meta.key)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
}

#[test]
fn get_header_of_a_directory_in_place_of_an_entry_is_none() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsStore::open(dir.path()).unwrap();
    let e = entry(1, b"x");
    fs::create_dir_all(store.entry_path(e.meta.key)).unwrap();
    assert!(block_on(store.get_header(e.meta.key)).unwrap().is_none());
}
