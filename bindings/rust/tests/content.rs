//! Content keys on real files and directories: a moved file still hits, an
//! edited one misses; directories hash in a stable order.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use larder::Cache;
use larder::content::hash_path;

static CACHE: LazyLock<Cache> = LazyLock::new(|| Cache::builder().in_memory().open().unwrap());
static RUNS: AtomicUsize = AtomicUsize::new(0);

/// Counts words: keyed by the file's bytes, not its name.
#[larder::memoize(cache = &*CACHE, content = [input])]
fn word_count(input: &Path, min_len: usize) -> usize {
    RUNS.fetch_add(1, SeqCst);
    fs::read_to_string(input)
        .unwrap_or_default()
        .split_whitespace()
        .filter(|w| w.len() >= min_len)
        .count()
}

#[test]
fn a_moved_file_hits_and_an_edited_one_misses() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.txt");
    fs::write(&a, "the quick brown fox").unwrap();
    assert_eq!(word_count(&a, 4), 2);
    let moved = dir.path().join("elsewhere").join("b.txt");
    fs::create_dir_all(moved.parent().unwrap()).unwrap();
    fs::rename(&a, &moved).unwrap();
    assert_eq!(word_count(&moved, 4), 2);
    assert_eq!(RUNS.load(SeqCst), 1, "the moved file hit");
    fs::write(&moved, "the quick brown fox jumps").unwrap();
    assert_eq!(word_count(&moved, 4), 3);
    assert_eq!(RUNS.load(SeqCst), 2, "the edited file missed");
    // A file that cannot be read: the function runs uncached.
    assert_eq!(word_count(&dir.path().join("missing"), 1), 0);
    assert_eq!(word_count(&dir.path().join("missing"), 1), 0);
    assert_eq!(RUNS.load(SeqCst), 4);
}

fn tree(root: &Path, files: &[(&str, &str)]) {
    for (name, body) in files {
        let p = root.join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, body).unwrap();
    }
}

#[test]
fn directories_hash_their_names_and_bytes_in_a_stable_order() {
    let files = [
        ("src/main.rs", "fn main() {}"),
        ("src/lib/a.rs", "pub fn a() {}"),
        ("README", "hi"),
        ("z/empty", ""),
    ];
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    tree(one.path(), &files);
    let mut reversed = files;
    reversed.reverse(); // created in another order, in another place
    tree(two.path(), &reversed);
    let h = hash_path(one.path()).unwrap();
    assert_eq!(h, hash_path(two.path()).unwrap());

    let changed = |edit: &dyn Fn(&Path)| {
        let d = tempfile::tempdir().unwrap();
        tree(d.path(), &files);
        edit(d.path());
        hash_path(d.path()).unwrap()
    };
    assert_ne!(h, changed(&|d| fs::write(d.join("README"), "ho").unwrap()));
    assert_ne!(
        h,
        changed(&|d| fs::rename(d.join("README"), d.join("README.md")).unwrap())
    );
    assert_ne!(h, changed(&|d| fs::create_dir(d.join("new")).unwrap()));
    assert_ne!(
        h,
        changed(&|d| std::os::unix::fs::symlink("src", d.join("link")).unwrap())
    );
    // A file and a directory never share a hash by accident of layout.
    assert_ne!(
        hash_path(one.path().join("README")).unwrap(),
        hash_path(one.path().join("z")).unwrap()
    );
}

#[test]
fn large_trees_hash_the_same_on_many_threads() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..300 {
        let p = dir.path().join(format!("d{}/f{i}", i % 17));
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, vec![(i % 251) as u8; 512 + i]).unwrap();
    }
    // Hashed in parallel (300 files); a copy made file by file agrees.
    let copy = tempfile::tempdir().unwrap();
    copy_tree(dir.path(), copy.path());
    assert_eq!(
        hash_path(dir.path()).unwrap(),
        hash_path(copy.path()).unwrap()
    );
    fs::write(dir.path().join("d3/f3"), b"changed").unwrap();
    assert_ne!(
        hash_path(dir.path()).unwrap(),
        hash_path(copy.path()).unwrap()
    );
}

fn copy_tree(from: &Path, to: &Path) {
    let mut entries: Vec<PathBuf> = fs::read_dir(from)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            fs::create_dir_all(&dest).unwrap();
            copy_tree(&p, &dest);
        } else {
            fs::copy(&p, &dest).unwrap();
        }
    }
}

#[test]
fn a_missing_path_is_a_clear_error() {
    let e = hash_path("/nonexistent/larder/input").unwrap_err();
    assert_eq!(e.kind(), larder::ErrorKind::InvalidInput);
    assert!(e.to_string().contains("/nonexistent/larder/input"), "{e}");
}

#[test]
fn a_file_in_a_directory_and_one_beside_it_never_share_a_name() {
    // `a/bc` and `abc` beside an empty `a`: the same kinds, names that run
    // together without the separator, and the same bytes.
    let nested = tempfile::tempdir().unwrap();
    tree(nested.path(), &[("a/bc", "x")]);
    let beside = tempfile::tempdir().unwrap();
    fs::create_dir(beside.path().join("a")).unwrap();
    tree(beside.path(), &[("abc", "x")]);
    assert_ne!(
        hash_path(nested.path()).unwrap(),
        hash_path(beside.path()).unwrap()
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_is_an_error_naming_it_not_a_read_that_never_returns() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path(), &[("a", "x")]);
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    for path in [dir.path(), fifo.as_path()] {
        let e = hash_path(path).unwrap_err();
        assert_eq!(e.kind(), larder::ErrorKind::InvalidInput, "{e}");
        assert!(e.to_string().contains("pipe"), "{e}");
    }
}
