//! Opening a cache directory: layout, permissions, clear errors, temp clean-up.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use larder_core::{ErrorKind, Store, block_on};
use larder_fs::FsStore;
use larder_tests::fixtures::entry;

fn v1(root: &Path) -> std::path::PathBuf {
    root.join(larder_fs::LAYOUT_DIR)
}

#[test]
fn layout_is_versioned_and_sharded_by_hex_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsStore::open(dir.path()).unwrap();
    let e = entry(1, b"x");
    block_on(store.put(&e.meta, &e.frame)).unwrap();
    let hex = e.meta.key.to_hex();
    let want = v1(dir.path()).join("entries").join(&hex[..2]).join(&hex);
    assert_eq!(store.entry_path(e.meta.key), want);
    assert_eq!(fs::read(&want).unwrap(), e.frame);
    assert!(v1(dir.path()).join("tmp").is_dir());
    assert_eq!(store.root(), dir.path());
}

#[cfg(unix)]
#[test]
fn directories_are_0700_and_files_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("cache");
    let store = FsStore::open(&root).unwrap();
    let e = entry(1, b"private");
    block_on(store.put(&e.meta, &e.frame)).unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let file = store.entry_path(e.meta.key);
    let shard = file.parent().unwrap().to_path_buf();
    for d in [
        root.clone(),
        v1(&root),
        v1(&root).join("entries"),
        v1(&root).join("tmp"),
        shard,
    ] {
        assert_eq!(mode(&d), 0o700, "{}", d.display());
    }
    assert_eq!(mode(&file), 0o600);
}

#[test]
fn a_file_as_root_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    fs::write(&file, b"hello").unwrap();
    let err = FsStore::open(&file).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(
        err.to_string().contains("is a file, not a directory"),
        "{err}"
    );
    assert!(err.to_string().contains("not-a-dir"), "{err}");
    assert_eq!(fs::read(&file).unwrap(), b"hello", "the file is untouched");
}

/// The pid of a process that has certainly exited.
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn open_removes_temps_of_dead_writers_and_old_temps() {
    let dir = tempfile::tempdir().unwrap();
    drop(FsStore::open(dir.path()).unwrap());
    let tmp = v1(dir.path()).join("tmp");
    let me = std::process::id();
    let dead = tmp.join(format!("{}.0.00000000000000ff.tmp", dead_pid()));
    let live = tmp.join(format!("{me}.999.00000000000000ff.tmp"));
    let old = tmp.join(format!("{me}.998.00000000000000ff.tmp"));
    let other = tmp.join("not-a-temp");
    for p in [&dead, &live, &old, &other] {
        fs::write(p, b"partial").unwrap();
    }
    let two_hours_ago = SystemTime::now() - Duration::from_secs(7200);
    fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();

    drop(FsStore::open(dir.path()).unwrap());
    if cfg!(target_os = "linux") {
        assert!(!dead.exists(), "temp of a dead pid survived open");
    }
    assert!(!old.exists(), "temp older than an hour survived open");
    assert!(live.exists(), "temp of a live writer was removed");
    assert!(other.exists(), "a file that is not a temp was removed");
}

#[test]
fn open_reads_no_entry_and_list_finds_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsStore::open(dir.path()).unwrap();
    let items: Vec<_> = (0..2000).map(|i| entry(i, b"v")).collect();
    block_on(store.put_many(&items)).unwrap();
    drop(store);
    let store = FsStore::open(dir.path()).unwrap();
    assert_eq!(block_on(store.list()).unwrap().len(), 2000);
}

/// The capabilities the store claims hold: entries and their recency outlive the
/// store (a new one on the directory reads them), and a second store on the same
/// directory sees a write at once.
#[test]
fn capabilities_claim_what_a_reopened_or_second_store_sees() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsStore::open(dir.path()).unwrap();
    let caps = store.capabilities();
    assert!(caps.persistent && caps.persistent_recency && caps.shared);
    let e = entry(1, b"kept");
    block_on(store.put(&e.meta, &e.frame)).unwrap();
    let later = e.meta.last_access_ms + 60_000;
    block_on(store.touch_many(&[(e.meta.key, later)])).unwrap();
    drop(store);

    let store = FsStore::open(dir.path()).unwrap();
    assert_eq!(block_on(store.get(e.meta.key)).unwrap(), Some(e.frame));
    let listed = block_on(store.list()).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].last_access_ms, later);
    let second = FsStore::open(dir.path()).unwrap();
    let f = entry(2, b"shared");
    block_on(second.put(&f.meta, &f.frame)).unwrap();
    assert_eq!(block_on(store.get(f.meta.key)).unwrap(), Some(f.frame));
}
