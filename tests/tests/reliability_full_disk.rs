//! Full disk: a `larder` cache on a small tmpfs. Puts past its capacity fail
//! with a clear `StorageFull` error, entries already stored stay readable, no
//! partial or temp file remains, a full cache still opens and computes, and the
//! cache works again once space is freed.
//!
//! Mounting needs root (CI runs as root). Elsewhere the test fails and says so,
//! unless `LARDER_SKIP_TMPFS=1` asks to skip it.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use larder::ErrorKind;
use larder_tests::reliability::{entry_files, figures, temp_files, value};

const OPT_OUT: &str = "LARDER_SKIP_TMPFS";
const NS: &str = "full";
const CAPACITY: &str = "2m";
const MAX_VALUE: usize = 64 * 1024;

/// A tmpfs mounted for the test; unmounted on drop, also when the test panics.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(at).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={size},mode=0700"))
            .arg("larder-test")
            .arg(at)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if out.status.success() {
            Ok(Tmpfs(at.to_path_buf()))
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            // Something still holds a file there: detach it now, freed when released.
            eprintln!("umount {} failed; detaching it lazily", self.0.display());
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

fn open(dir: &Path) -> larder::blocking::Cache {
    // A byte limit far above the disk's size: larder never evicts by itself here.
    larder::Cache::builder()
        .dir(dir)
        .max_bytes("1GiB")
        .memory_bytes(0u64)
        .open()
        .unwrap()
        .blocking()
}

fn assert_storage_full(e: &larder::Error, what: &str) {
    assert_eq!(e.kind(), ErrorKind::StorageFull, "{what}: {e}");
    let text = e.to_string();
    assert!(
        text.contains("free some disk space"),
        "{what}: no advice: {text}"
    );
    assert!(text.contains("larder-v1"), "{what}: no path: {text}");
}

/// Every stored key holds its value; no temp and no other entry file exists.
fn check_all(cache: &larder::blocking::Cache, root: &Path, stored: &[u64]) {
    for &k in stored {
        let got = cache.get::<_, Vec<u8>>(NS, &k).unwrap();
        assert!(
            got == Some(value(k, MAX_VALUE)),
            "stored key {k} is not intact"
        );
    }
    let temps = temp_files(root);
    assert!(temps.is_empty(), "temp files left: {temps:?}");
    assert_eq!(entry_files(root).len(), stored.len(), "partial entry files");
}

#[test]
fn a_full_disk_fails_puts_clearly_and_keeps_what_is_stored() {
    let sandbox = tempfile::tempdir().unwrap();
    let mnt = match Tmpfs::mount(&sandbox.path().join("mnt"), CAPACITY) {
        Ok(m) => m,
        Err(e) if std::env::var_os(OPT_OUT).is_some() => {
            println!("reliability: test=full_disk skipped ({OPT_OUT} is set; mount failed: {e})");
            return;
        }
        Err(e) => panic!(
            "mounting a {CAPACITY} tmpfs failed: {e}\n\
             This test needs root (CI runs as root); set {OPT_OUT}=1 to skip it explicitly."
        ),
    };
    let root = mnt.0.join("cache");
    let started = Instant::now();
    let cache = open(&root);

    // Fill the disk.
    let mut stored = Vec::new();
    let full_at = loop {
        let k = stored.len() as u64;
        assert!(
            k < 1000,
            "a {CAPACITY} disk took 1000 entries without filling"
        );
        match cache.put(NS, &k, &value(k, MAX_VALUE)) {
            Ok(()) => stored.push(k),
            Err(e) => {
                assert_storage_full(&e, "the put that filled the disk");
                break k;
            }
        }
    };
    // Trying again fails the same way and changes nothing.
    let mut refused = 1;
    for _ in 0..5 {
        let k = full_at;
        let e = cache.put(NS, &k, &value(k, MAX_VALUE)).unwrap_err();
        assert_storage_full(&e, "a put on a full disk");
        refused += 1;
    }
    check_all(&cache, &root, &stored);
    assert_eq!(cache.get::<_, Vec<u8>>(NS, &full_at).unwrap(), None);

    // A computation still returns its value; the failed write is counted.
    let errors = cache.stats().unwrap().errors;
    let v: Vec<u8> = cache
        .get_or_compute(NS, &full_at, || value(full_at, MAX_VALUE))
        .unwrap();
    assert!(v == value(full_at, MAX_VALUE));
    assert_eq!(cache.stats().unwrap().errors, errors + 1);

    // A full cache still opens, and reads.
    let again = open(&root);
    check_all(&again, &root, &stored);
    drop(again);

    // Freeing space makes puts work again.
    for &k in &stored[..stored.len() / 2] {
        assert!(cache.remove(NS, &k).unwrap());
    }
    stored.drain(..stored.len() / 2);
    cache.put(NS, &full_at, &value(full_at, MAX_VALUE)).unwrap();
    stored.push(full_at);
    check_all(&cache, &root, &stored);
    let s = cache.stats().unwrap();
    let used: u64 = entry_files(&root).iter().map(|(_, n)| n).sum();
    drop(cache);
    figures(
        "full_disk",
        &[
            ("capacity", &CAPACITY),
            ("entries_when_full", &full_at),
            ("puts_refused", &refused),
            ("entries_after_freeing", &s.entries),
            ("bytes_after_freeing", &used),
            ("temps_left", &temp_files(&root).len()),
            ("secs", &format!("{:.1}", started.elapsed().as_secs_f64())),
        ],
    );
    drop(mnt);
}
