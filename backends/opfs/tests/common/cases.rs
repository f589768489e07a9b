//! Test bodies that run in both a dedicated worker (sync access handles) and
//! the main thread (async API): the caller says which access it expects.
#![allow(dead_code)]

use larder_core::frame::FrameHeader;
use larder_core::{Cache, Config, ErrorKind, Key, KeyHash, PutOptions, Store};
use larder_opfs::{Access, OpfsStore};
use larder_tests::fixtures::{entry, payload};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::FileSystemFileHandle;

use super::*;

pub async fn open(test: &str, access: Access) -> OpfsStore {
    let store = OpfsStore::open(&unique(test)).await.unwrap();
    assert_eq!(store.access(), access, "access detected at open");
    store
}

pub async fn conformance(access: Access) {
    let store = open("conformance", access).await;
    larder_tests::run_all(&store).await;
}

/// Entries, their metadata and recency survive closing and reopening.
pub async fn persists_across_reopen(access: Access) {
    let name = unique("persist");
    let (a, b) = (entry(1, &payload(1, 3000)), entry(2, b"second"));
    {
        let store = OpfsStore::open(&name).await.unwrap();
        store.put(&a.meta, &a.frame).await.unwrap();
        store.put(&b.meta, &b.frame).await.unwrap();
        let later = a.meta.last_access_ms + 86_400_000;
        store.touch_many(&[(a.meta.key, later)]).await.unwrap();
        // Recency never moves back.
        store.touch_many(&[(a.meta.key, later - 5)]).await.unwrap();
    }
    let store = OpfsStore::open(&name).await.unwrap();
    assert_eq!(store.access(), access);
    assert_eq!(store.get(a.meta.key).await.unwrap(), Some(a.frame.clone()));
    assert_eq!(store.get(b.meta.key).await.unwrap(), Some(b.frame.clone()));
    let mut list = store.list().await.unwrap();
    list.sort_by_key(|m| m.key);
    let mut want = vec![a.meta.clone(), b.meta.clone()];
    want[0].last_access_ms += 86_400_000;
    want.sort_by_key(|m| m.key);
    assert_eq!(list, want, "metadata and recency after reopening");
    let h: FrameHeader = store.get_header(a.meta.key).await.unwrap().unwrap();
    assert_eq!(h.frame_len(), a.frame.len() as u64);
    assert_eq!(store.take_corrupt(), 0);
}

/// The entry file of `key` from the OPFS root.
pub fn path(store: &OpfsStore, key: KeyHash) -> String {
    store.entry_path(key)
}

/// `get` and `get_header` treat what is not an entry as a miss (or, for the
/// header, a corrupt error), remove it, and count it.
pub async fn damage_found_by_get(access: Access) {
    let store = open("damage-get", access).await;
    let root = opfs_root().await;
    // Too short to be an entry file.
    let short = entry(1, b"x");
    write_raw(&root, &path(&store, short.meta.key), b"abc").await;
    assert_eq!(store.get(short.meta.key).await.unwrap(), None);
    assert!(
        !exists(&root, &path(&store, short.meta.key)).await,
        "short file removed"
    );
    assert_eq!(store.take_corrupt(), 1);
    // A directory (with a file in it) where the entry file should be.
    let squat = entry(2, b"y");
    write_raw(
        &root,
        &format!("{}/inner", path(&store, squat.meta.key)),
        b"z",
    )
    .await;
    assert_eq!(store.get(squat.meta.key).await.unwrap(), None);
    assert!(
        !exists(&root, &path(&store, squat.meta.key)).await,
        "directory removed"
    );
    assert_eq!(store.take_corrupt(), 1);
    // A foreign file: get hands its bytes to the cache (which verifies);
    // get_header verifies by itself and reports it corrupt.
    let foreign = entry(3, b"z");
    write_raw(&root, &path(&store, foreign.meta.key), &payload(3, 700)).await;
    let e = store.get_header(foreign.meta.key).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
    assert!(!exists(&root, &path(&store, foreign.meta.key)).await);
    assert_eq!(store.take_corrupt(), 1);
    // A squatting directory under the name of a put: replaced by the entry.
    write_raw(
        &root,
        &format!("{}/inner", path(&store, squat.meta.key)),
        b"z",
    )
    .await;
    store.put(&squat.meta, &squat.frame).await.unwrap();
    assert_eq!(
        store.get(squat.meta.key).await.unwrap(),
        Some(squat.frame.clone())
    );
    assert_eq!(store.take_corrupt(), 1);
}

/// `list` leaves out, removes and counts every kind of damage, and leaves
/// names that are not entries alone.
pub async fn damage_found_by_list(access: Access) {
    let store = open("damage-list", access).await;
    let root = opfs_root().await;
    let good: Vec<_> = (0..5).map(|i| entry(i, &payload(i, 200))).collect();
    for e in &good {
        store.put(&e.meta, &e.frame).await.unwrap();
    }
    let truncated = entry(10, &payload(10, 5000));
    store.put(&truncated.meta, &truncated.frame).await.unwrap();
    let p = path(&store, truncated.meta.key);
    let bytes = read_raw(&root, &p).await.unwrap();
    write_raw(&root, &p, &bytes[..bytes.len() / 2]).await;
    // A valid entry file of one key under another key's name.
    let (moved, victim) = (entry(11, b"moved"), entry(12, b"victim"));
    store.put(&moved.meta, &moved.frame).await.unwrap();
    let moved_bytes = read_raw(&root, &path(&store, moved.meta.key))
        .await
        .unwrap();
    write_raw(&root, &path(&store, victim.meta.key), &moved_bytes).await;
    // Noise and a directory.
    let foreign = entry(13, b"f");
    write_raw(&root, &path(&store, foreign.meta.key), &payload(13, 300)).await;
    let dir = entry(14, b"d");
    write_raw(&root, &format!("{}/x", path(&store, dir.meta.key)), b"1").await;
    // Not entry names: left alone.
    let shard_dir = split(&path(&store, good[0].meta.key)).0.to_owned();
    let entries_dir = split(&shard_dir).0.to_owned();
    write_raw(&root, &format!("{shard_dir}/notes.txt"), b"mine").await;
    write_raw(&root, &format!("{entries_dir}/README"), b"mine").await;

    let mut keys: Vec<KeyHash> = store.list().await.unwrap().iter().map(|m| m.key).collect();
    keys.sort();
    let mut want: Vec<KeyHash> = good.iter().chain([&moved]).map(|e| e.meta.key).collect();
    want.sort();
    assert_eq!(keys, want, "list keeps exactly the valid entries");
    assert_eq!(
        store.take_corrupt(),
        4,
        "truncated, misplaced, foreign, directory"
    );
    for bad in [&truncated, &victim, &foreign, &dir] {
        assert!(!exists(&root, &path(&store, bad.meta.key)).await);
    }
    assert!(exists(&root, &format!("{shard_dir}/notes.txt")).await);
    assert!(exists(&root, &format!("{entries_dir}/README")).await);
    assert_eq!(store.list().await.unwrap().len(), 6);
    assert_eq!(store.take_corrupt(), 0);
}

fn key(i: u32) -> Key {
    Key::with_version("damage", 0, &i).unwrap()
}

/// Through the cache: a truncated or foreign file is a miss, removed and
/// counted in `stats().corrupt`; the other entries are still hits.
pub async fn damage_through_the_cache(access: Access) {
    let store = open("damage-cache", access).await;
    let (p0, p1) = (
        store.entry_path(key(0).hash()),
        store.entry_path(key(1).hash()),
    );
    let cache = Cache::with_clock(store, clock(), Config::default().memory_bytes(0)).unwrap();
    for i in 0..3 {
        cache
            .put(&key(i), payload(i, 4000), &PutOptions::new())
            .await
            .unwrap();
    }
    let root = opfs_root().await;
    let bytes = read_raw(&root, &p0).await.unwrap();
    write_raw(&root, &p0, &bytes[..bytes.len() - 100]).await;
    let mut flipped = read_raw(&root, &p1).await.unwrap();
    flipped[200] ^= 0x40;
    write_raw(&root, &p1, &flipped).await;
    assert!(
        cache.get(&key(0)).await.unwrap().is_none(),
        "truncated entry is a miss"
    );
    assert!(
        cache.get(&key(1)).await.unwrap().is_none(),
        "flipped bit is a miss"
    );
    let hit = cache.get(&key(2)).await.unwrap().expect("intact entry");
    assert_eq!(hit.payload(), &payload(2, 4000)[..]);
    let stats = cache.stats().await.unwrap();
    assert_eq!(
        (stats.corrupt, stats.entries, stats.hits),
        (2, 1, 1),
        "{stats:?}"
    );
    assert!(!exists(&root, &p0).await);
}

/// A real quota (a storage bucket of 1 MiB): a put past it is `StorageFull`
/// and leaves nothing behind; the cache evicts and retries by itself.
pub async fn quota_full_is_storage_full(access: Access) {
    let bucket = unique("quota");
    let root = small_bucket(&bucket, 1 << 20).await;
    let store = OpfsStore::builder("q")
        .root(root.clone())
        .open()
        .await
        .unwrap();
    assert_eq!(store.access(), access);
    let small = entry(1, &payload(1, 300 << 10));
    store.put(&small.meta, &small.frame).await.unwrap();
    let big = entry(2, &payload(2, 2 << 20));
    let e = store.put(&big.meta, &big.frame).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::StorageFull, "{e}");
    assert!(e.to_string().contains("quota"), "{e}");
    assert_eq!(
        names(&root, "larder-q/larder-v1/tmp").await,
        Vec::<String>::new(),
        "temp removed"
    );
    assert_eq!(store.get(big.meta.key).await.unwrap(), None);
    assert_eq!(
        store.get(small.meta.key).await.unwrap(),
        Some(small.frame.clone())
    );

    // The cache makes room: evicts the old entry, writes the new one.
    let cache = Cache::with_clock(store, clock(), Config::default().memory_bytes(0)).unwrap();
    cache
        .put(&key(1), payload(1, 300 << 10), &PutOptions::new())
        .await
        .unwrap();
    cache
        .put(&key(2), payload(2, 600 << 10), &PutOptions::new())
        .await
        .unwrap();
    let stats = cache.stats().await.unwrap();
    assert!(stats.evictions >= 1, "{stats:?}");
    assert!(cache.get(&key(2)).await.unwrap().is_some());
    drop(cache);
    drop_bucket(&bucket).await;
}

/// Something that holds the lock of a file, as another tab would.
pub enum Lock {
    /// A sync access handle (dedicated workers).
    Handle(web_sys::FileSystemSyncAccessHandle),
    /// An open writable stream (anywhere).
    Stream(web_sys::FileSystemWritableFileStream),
}

impl Lock {
    pub async fn take(file: &FileSystemFileHandle, sync: bool) -> Lock {
        if sync {
            let h = JsFuture::from(file.create_sync_access_handle())
                .await
                .unwrap();
            Lock::Handle(h.unchecked_into())
        } else {
            let w = JsFuture::from(file.create_writable()).await.unwrap();
            Lock::Stream(w.unchecked_into())
        }
    }

    pub async fn release(self) {
        match self {
            Lock::Handle(h) => h.close(),
            Lock::Stream(w) => {
                JsFuture::from(w.abort()).await.unwrap();
            }
        }
    }
}

/// A locked entry: writes, reads and deletes retry for the budget, then fail
/// with a clear error; nothing is half-written; touches are skipped. Once
/// the lock goes, everything works, and a lock released during the retries
/// lets the write through.
pub async fn locked_entry(access: Access, sync_lock: bool) {
    let name = unique("locked");
    let store = OpfsStore::builder(&name)
        .lock_timeout_ms(300)
        .open()
        .await
        .unwrap();
    assert_eq!(store.access(), access);
    let (old, new) = (entry(1, b"old value"), entry(1, b"a new value"));
    store.put(&old.meta, &old.frame).await.unwrap();
    let root = opfs_root().await;
    let file = file_at(&root, &store.entry_path(old.meta.key), false)
        .await
        .unwrap();

    let lock = Lock::take(&file, sync_lock).await;
    let started = js_sys::Date::now();
    let e = expect_err(
        store.put(&new.meta, &new.frame).await,
        ErrorKind::Storage,
        "put on a locked entry",
    );
    assert!(
        js_sys::Date::now() - started >= 300.0,
        "gave up before the budget"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("locked") && msg.contains("300 ms") && msg.contains(&old.meta.key.to_hex()),
        "{msg}"
    );
    let e = expect_err(
        store.delete(old.meta.key).await,
        ErrorKind::Storage,
        "delete on a locked entry",
    );
    assert!(e.to_string().contains("locked"), "{e}");
    if sync_lock {
        // A readwrite handle keeps readers out too (a writable stream does not).
        let e = expect_err(
            store.get(old.meta.key).await,
            ErrorKind::Storage,
            "get on a locked entry",
        );
        assert!(e.to_string().contains("locked"), "{e}");
    }
    // Recency is advisory: a locked entry is skipped, not an error.
    store
        .touch_many(&[(old.meta.key, old.meta.last_access_ms + 10)])
        .await
        .unwrap();
    lock.release().await;
    assert_eq!(
        store.get(old.meta.key).await.unwrap(),
        Some(old.frame.clone()),
        "old frame intact"
    );
    assert_eq!(
        names(&root, &format!("larder-{name}/larder-v1/tmp")).await,
        Vec::<String>::new()
    );

    // Released while the store waits: the write goes through.
    let lock = Lock::take(&file, sync_lock).await;
    let patient = OpfsStore::builder(&name)
        .lock_timeout_ms(10_000)
        .open()
        .await
        .unwrap();
    wasm_bindgen_futures::spawn_local(async move {
        sleep(100).await;
        lock.release().await;
    });
    patient.put(&new.meta, &new.frame).await.unwrap();
    assert_eq!(
        store.get(new.meta.key).await.unwrap(),
        Some(new.frame.clone())
    );
}

/// Rough timings of put and get at 1 KiB and 1 MiB (printed, never
/// asserted: benchmarks measure speed, tests check behaviour). Run with
/// `-- --include-ignored timings --nocapture`.
pub async fn timings(access: Access) {
    let store = open("timings", access).await;
    for (label, size, n) in [("1 KiB", 1usize << 10, 200u32), ("1 MiB", 1 << 20, 20)] {
        let items: Vec<_> = (0..n).map(|i| entry(i, &payload(i, size))).collect();
        let mut puts = Vec::new();
        for e in &items {
            let t = perf_now();
            store.put(&e.meta, &e.frame).await.unwrap();
            puts.push(perf_now() - t);
        }
        let mut gets = Vec::new();
        for e in &items {
            let t = perf_now();
            let got = store.get(e.meta.key).await.unwrap();
            gets.push(perf_now() - t);
            assert_eq!(got.as_ref(), Some(&e.frame));
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        wasm_bindgen_test::console_log!(
            "timings {access:?} {label}: put median {:.2} ms, get median {:.2} ms ({n} each)",
            median(&mut puts),
            median(&mut gets)
        );
    }
    store.clear().await.unwrap();
}

/// Another tab clears the site's data (the cache's directory goes) while
/// the store is open: reads are misses, the listing is empty, and the next
/// put brings the directories back.
pub async fn survives_removal_of_its_directory(access: Access) {
    let name = unique("removed");
    let store = OpfsStore::open(&name).await.unwrap();
    assert_eq!(store.access(), access);
    let (a, b) = (entry(1, b"before"), entry(2, b"after"));
    store.put(&a.meta, &a.frame).await.unwrap();
    assert!(store.get(a.meta.key).await.unwrap().is_some());
    let root = opfs_root().await;
    wait(
        root.remove_entry_with_options(&format!("larder-{name}"), &{
            let o = web_sys::FileSystemRemoveOptions::new();
            o.set_recursive(true);
            o
        })
        .into(),
    )
    .await
    .unwrap();
    assert_eq!(store.get(a.meta.key).await.unwrap(), None);
    assert!(!store.delete(a.meta.key).await.unwrap());
    assert_eq!(store.list().await.unwrap(), Vec::new());
    store.put(&b.meta, &b.frame).await.unwrap();
    assert_eq!(store.get(b.meta.key).await.unwrap(), Some(b.frame.clone()));
    assert_eq!(store.list().await.unwrap().len(), 1);
    assert_eq!(store.take_corrupt(), 0);
}

/// `get` returns each entry file whole, minus its trailer, on both sides of
/// the sync handle's 64 KiB first read (files of 65,535, 65,536 and 65,537
/// bytes, and a larger one), and when a file's header claims another length
/// than the file has (extra bytes after the trailer) or another key: then
/// the careful read gives the cache every byte, to verify and reject.
pub async fn whole_files_around_the_first_read(access: Access) {
    let store = open("first-read", access).await;
    let root = opfs_root().await;
    let base = entry(1, b"").frame.len();
    for (i, total) in [(1u32, 65_535usize), (2, 65_536), (3, 65_537), (4, 200_000)] {
        let e = entry(i, &payload(i, total - 8 - base));
        assert_eq!(e.frame.len() + 8, total, "file of {total} bytes");
        store.put(&e.meta, &e.frame).await.unwrap();
        let raw = read_raw(&root, &path(&store, e.meta.key)).await.unwrap();
        assert_eq!(raw.len(), total);
        assert_eq!(
            store.get(e.meta.key).await.unwrap().as_deref(),
            Some(&e.frame[..]),
            "file of {total} bytes"
        );
    }
    // Bytes after the trailer: the header's length no longer matches.
    let long = entry(5, &payload(5, 300));
    store.put(&long.meta, &long.frame).await.unwrap();
    let mut raw = read_raw(&root, &path(&store, long.meta.key)).await.unwrap();
    raw.extend_from_slice(b"tail");
    write_raw(&root, &path(&store, long.meta.key), &raw).await;
    assert_eq!(
        store.get(long.meta.key).await.unwrap().as_deref(),
        Some(&raw[..raw.len() - 8]),
    );
    // Another entry's file under this key: its header names the other key.
    let here = entry(6, b"here");
    let other = entry(7, &payload(7, 100));
    store.put(&other.meta, &other.frame).await.unwrap();
    let raw = read_raw(&root, &path(&store, other.meta.key))
        .await
        .unwrap();
    write_raw(&root, &path(&store, here.meta.key), &raw).await;
    assert_eq!(
        store.get(here.meta.key).await.unwrap().as_deref(),
        Some(&other.frame[..]),
    );
}
