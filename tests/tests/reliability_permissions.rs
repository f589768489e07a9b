//! Permissions: a cache directory that cannot be written or read gets a clear
//! error at open or on the call that needs it, never a panic; reads keep
//! working where they can; and a new cache has 0700 directories and 0600
//! files whatever the umask.
//!
//! Root ignores permission bits, so the checks run in a child process (this
//! test binary, copied where any user may run it) that drops to `nobody` when
//! the test runs as root, and under `umask 000` so that no umask hides a mode.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used)]

use std::env;
use std::fs::{self, Permissions};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use larder::ErrorKind;
use larder_tests::processes::{role_args, role_output};
use larder_tests::reliability::{Node, figures, layout_dir, temp_files, tree, value};

const ROLE: &str = "LARDER_PERM_CHILD";
const WORK: &str = "LARDER_PERM_WORK";
/// A cache directory of another user (only when the test runs as root).
const FOREIGN: &str = "LARDER_PERM_FOREIGN";
/// `nobody` on Linux distributions.
const NOBODY: u32 = 65534;
const NS: &str = "perm";
const MAX_VALUE: usize = 2048;

fn open(dir: &Path) -> larder::Result<larder::blocking::Cache> {
    Ok(larder::Cache::builder()
        .dir(dir)
        .memory_bytes(0u64)
        .open()?
        .blocking())
}

fn set_mode(p: &Path, mode: u32) {
    fs::set_permissions(p, Permissions::from_mode(mode)).unwrap();
}

/// `e` is a permission error that names `path` and says what to check.
fn assert_denied(e: &larder::Error, path: &Path, what: &str) {
    let text = e.to_string();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{what}: {text}");
    assert!(
        text.contains(&*path.to_string_lossy()),
        "{what}: path not named: {text}"
    );
    assert!(
        text.contains("permission"),
        "{what}: no explanation: {text}"
    );
    println!("perm-case {what}: {text}");
}

fn put(cache: &larder::blocking::Cache, k: u64) -> larder::Result<()> {
    cache.put(NS, &k, &value(k, MAX_VALUE))
}

fn is_right(cache: &larder::blocking::Cache, k: u64) -> bool {
    cache.get::<_, Vec<u8>>(NS, &k).unwrap() == Some(value(k, MAX_VALUE))
}

/// Everything the unprivileged child checks, in `work` (a directory it owns).
fn child(work: &Path) {
    // A new cache: 0700 directories, 0600 files, though the umask is 000.
    let root = work.join("modes");
    let cache = open(&root).unwrap();
    (0..20).for_each(|k| put(&cache, k).unwrap());
    let mode = |p: &Path| fs::symlink_metadata(p).unwrap().mode() & 0o777;
    assert_eq!(mode(&root), 0o700, "the cache root");
    for (rel, node) in tree(&root) {
        let want = if node == Node::Dir { 0o700 } else { 0o600 };
        assert_eq!(mode(&root.join(&rel)), want, "{}", rel.display());
    }
    println!("perm-case modes: {} paths 0700/0600", tree(&root).len());

    // A parent directory we may not write: open fails and names it.
    let locked = work.join("locked");
    fs::create_dir(&locked).unwrap();
    set_mode(&locked, 0o500);
    let e = open(&locked.join("cache")).err().unwrap();
    assert_denied(&e, &locked, "unwritable parent at open");

    // tmp/ made read-only under an open cache: puts fail, reads and
    // computations work, nothing is left behind; a new open refuses.
    let root = work.join("ro");
    let cache = open(&root).unwrap();
    put(&cache, 1).unwrap();
    let tmp = layout_dir(&root).join("tmp");
    set_mode(&tmp, 0o500);
    let e = put(&cache, 2).unwrap_err();
    assert_denied(&e, &tmp, "read-only tmp on put");
    // Beyond the kind, the message says what to look at.
    assert!(e.to_string().contains("owner"), "no hint: {e}");
    assert!(is_right(&cache, 1));
    let errors = cache.stats().unwrap().errors;
    let v: Vec<u8> = cache
        .get_or_compute(NS, &3, || value(3, MAX_VALUE))
        .unwrap();
    assert!(v == value(3, MAX_VALUE));
    assert_eq!(
        cache.stats().unwrap().errors,
        errors + 1,
        "the failed write is counted"
    );
    let e = open(&root).err().unwrap();
    assert_denied(&e, &tmp, "read-only tmp at open");
    // Open's own check says what is wrong, not only which call failed.
    assert!(e.to_string().contains("is not writable"), "{e}");
    set_mode(&tmp, 0o700);

    // A shard we may not write: the rename fails, its temp is removed, the old entry stays.
    let shard = layout_dir(&root).join("entries");
    let shard = fs::read_dir(shard).unwrap().next().unwrap().unwrap().path();
    set_mode(&shard, 0o500);
    assert_denied(
        &put(&cache, 1).unwrap_err(),
        &shard,
        "read-only shard on put",
    );
    assert!(temp_files(&root).is_empty(), "a temp was left behind");
    assert!(is_right(&cache, 1));
    // Nor can its entries be removed: an error, not "there was nothing".
    let e = cache.remove(NS, &1).unwrap_err();
    assert_denied(&e, &shard, "read-only shard on remove");
    assert_denied(
        &cache.clear().unwrap_err(),
        &shard,
        "read-only shard on clear",
    );
    assert!(is_right(&cache, 1));
    set_mode(&shard, 0o700);

    // An entry we may not read: get is an error naming it; a computation
    // replaces it (the directory is writable) and it reads again.
    let key = cache.r#async().key(NS, &1).unwrap().hash();
    let file = larder::FsStore::open(&root).unwrap().entry_path(key);
    set_mode(&file, 0o200);
    let e = cache.get::<_, Vec<u8>>(NS, &1).unwrap_err();
    assert_denied(&e, &file, "unreadable entry on get");
    // contains reads only the header, and says so too rather than "absent".
    let e = cache.contains(NS, &1).unwrap_err();
    assert_denied(&e, &file, "unreadable entry on contains");
    let v: Vec<u8> = cache
        .get_or_compute(NS, &1, || value(1, MAX_VALUE))
        .unwrap();
    assert!(v == value(1, MAX_VALUE));
    assert!(is_right(&cache, 1), "the recomputed entry reads");

    // entries/ we may not list: listing is an error naming it; known keys still read.
    let entries = layout_dir(&root).join("entries");
    let fresh = open(&root).unwrap();
    set_mode(&entries, 0o300);
    assert_denied(
        &fresh.stats().unwrap_err(),
        &entries,
        "unlistable entries on stats",
    );
    assert!(is_right(&fresh, 1));
    set_mode(&entries, 0o700);
    // Likewise a shard we may not list, named in turn.
    let fresh = open(&root).unwrap();
    set_mode(&shard, 0o300);
    let e = fresh.stats().unwrap_err();
    assert_denied(&e, &shard, "unlistable shard on stats");
    set_mode(&shard, 0o700);

    // Another user's private cache: open fails and names it.
    if let Some(foreign) = env::var_os(FOREIGN) {
        let foreign = Path::new(&foreign);
        let e = open(foreign).err().unwrap();
        assert_denied(&e, foreign, "another user's cache at open");
    }
}

/// The child's entry point; a no-op unless the parent test set the role.
#[test]
fn child_role() {
    if let (Ok(_), Ok(work)) = (env::var(ROLE), env::var(WORK)) {
        child(Path::new(&work));
    }
}

#[test]
fn unwritable_or_unreadable_directories_get_clear_errors_never_panics() {
    if env::var(ROLE).is_ok() {
        return;
    }
    let as_root = fs::metadata("/proc/self").unwrap().uid() == 0;
    let sandbox = tempfile::tempdir().unwrap();
    set_mode(sandbox.path(), 0o755);
    let work = sandbox.path().join("work");
    fs::create_dir(&work).unwrap();
    // The test binary, where `nobody` may run it whatever the checkout's modes.
    let exe = sandbox.path().join("reliability_permissions");
    fs::copy(env::current_exe().unwrap(), &exe).unwrap();
    set_mode(&exe, 0o755);

    let mut cmd = Command::new("sh");
    cmd.args(["-c", "umask 000 && exec \"$0\" \"$@\""])
        .arg(&exe)
        .args(role_args("child_role"))
        .env(ROLE, "1")
        .env(WORK, &work)
        .current_dir(sandbox.path());
    if as_root {
        std::os::unix::fs::chown(&work, Some(NOBODY), Some(NOBODY)).unwrap();
        let foreign = sandbox.path().join("foreign");
        let cache = open(&foreign).unwrap();
        put(&cache, 1).unwrap();
        cmd.env(FOREIGN, &foreign).uid(NOBODY).gid(NOBODY);
    }
    let stdout = role_output(&cmd.output().unwrap(), "the unprivileged child");
    let cases = stdout.lines().filter(|l| l.contains("perm-case ")).count();
    print!("{stdout}");
    let uid = if as_root {
        NOBODY
    } else {
        fs::metadata("/proc/self").unwrap().uid()
    };
    figures("permissions", &[("child_uid", &uid), ("cases", &cases)]);
    assert_eq!(cases, if as_root { 12 } else { 11 }, "every case ran");
}
