//! larder-nodefs under Node (and Deno): the conformance suite, the larder-fs
//! layout byte for byte, damage handling, permissions, temp clean-up, and the
//! cross-runtime step with native larder-fs (`cross_runtime.sh`).
//!
//! Run with `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
//! cargo test -p larder-nodefs --target wasm32-unknown-unknown`.

#![cfg(target_arch = "wasm32")]
#![allow(missing_docs, clippy::unwrap_used)]

use js_sys::Uint8Array;
use larder_core::frame::{self, FrameInput, codec};
use larder_core::{ErrorKind, KeyHash, Store};
use larder_nodefs::NodeFsStore;
use larder_tests::fixtures::{Extras, entry, entry_with, payload};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

// Node itself, used to check what the store did independently of it.
#[wasm_bindgen(inline_js = r#"
const fsp = () => import("node:fs/promises");
export async function tmp_dir() {
    const os = await import("node:os");
    return (await fsp()).mkdtemp(os.tmpdir() + "/larder-nodefs-");
}
export async function read_bytes(p) { return new Uint8Array(await (await fsp()).readFile(p)); }
export async function write_bytes(p, b) {
    const fs = await fsp();
    await fs.mkdir(p.substring(0, p.lastIndexOf("/")), { recursive: true, mode: 0o700 });
    await fs.writeFile(p, b);
}
export async function make_dir(p) { await (await fsp()).mkdir(p, { recursive: true }); }
export async function mode_of(p) { return (await (await fsp()).stat(p)).mode & 0o777; }
export async function mtime_ms(p) { return (await (await fsp()).stat(p)).mtimeMs; }
export async function set_mtime(p, s) { await (await fsp()).utimes(p, s, s); }
export async function exists(p) {
    try { await (await fsp()).lstat(p); return true; } catch (e) { return false; }
}
export async function names(p) { return (await (await fsp()).readdir(p)).sort(); }
export async function remove(p) { await (await fsp()).rm(p, { recursive: true, force: true }); }
export function env(name) {
    // Deno without --allow-env throws: then there is no such variable.
    try {
        const v = globalThis.process?.env?.[name];
        return typeof v === "string" ? v : undefined;
    } catch (e) { return undefined; }
}
export function own_pid() { return globalThis.process?.pid ?? globalThis.Deno?.pid ?? 0; }
"#)]
extern "C" {
    async fn tmp_dir() -> JsValue;
    async fn read_bytes(p: &str) -> JsValue;
    async fn write_bytes(p: &str, b: &Uint8Array);
    async fn make_dir(p: &str);
    async fn mode_of(p: &str) -> JsValue;
    async fn mtime_ms(p: &str) -> JsValue;
    async fn set_mtime(p: &str, secs: f64);
    async fn exists(p: &str) -> JsValue;
    async fn names(p: &str) -> JsValue;
    async fn remove(p: &str);
    fn env(name: &str) -> Option<String>;
    fn own_pid() -> u32;
}

async fn fresh_dir() -> String {
    tmp_dir().await.as_string().unwrap()
}

async fn bytes_at(p: &str) -> Vec<u8> {
    Uint8Array::from(read_bytes(p).await).to_vec()
}

async fn plant(p: &str, bytes: &[u8]) {
    write_bytes(p, &Uint8Array::from(bytes)).await;
}

/// Where larder-fs keeps `key` under `root`.
fn fs_path(root: &str, key: KeyHash) -> String {
    let hex = key.to_hex();
    format!("{root}/larder-v1/entries/{}/{hex}", &hex[..2])
}

#[wasm_bindgen_test]
async fn conformance_suite() {
    let dir = fresh_dir().await;
    let store = NodeFsStore::open(&dir).await.unwrap();
    larder_tests::run_all(&store).await;
    assert_eq!(store.take_corrupt(), 0);
    remove(&dir).await;
}

#[wasm_bindgen_test]
async fn conformance_suite_with_fsync() {
    let dir = fresh_dir().await;
    let store = NodeFsStore::builder(&dir).fsync(true).open().await.unwrap();
    larder_tests::round_trip(&store).await;
    larder_tests::batch_calls_agree_with_single_calls(&store).await;
    remove(&dir).await;
}

#[wasm_bindgen_test]
async fn writes_the_larder_fs_file_byte_for_byte() {
    let dir = fresh_dir().await;
    let store = NodeFsStore::open(&dir).await.unwrap();
    let mut e = entry(7, &payload(7, 3000));
    e.meta.last_access_ms = 1_700_000_123_457;
    // The frame as the core encodes it, independently of the fixture.
    let key = larder_tests::fixtures::key(7);
    let encoded = frame::encode(&FrameInput {
        key: &key,
        created_ms: e.meta.created_ms,
        expires_ms: None,
        cost_us: 0,
        codec: codec::BYTES,
        tags: &[],
        meta: b"",
        payload: &payload(7, 3000),
    })
    .unwrap();
    assert_eq!(encoded, e.frame);
    store.put(&e.meta, &e.frame).await.unwrap();
    let path = fs_path(&dir, e.meta.key);
    assert_eq!(store.entry_path(e.meta.key), path);
    assert_eq!(bytes_at(&path).await, encoded, "file bytes are the frame");
    // mtime = last access, to the ms.
    let m = mtime_ms(&path).await.as_f64().unwrap();
    assert_eq!(m.floor() as u64, e.meta.last_access_ms);
    // Nothing but the entry and the (empty) tmp dir.
    let tmp = names(&format!("{dir}/larder-v1/tmp")).await;
    assert_eq!(js_sys::Array::from(&tmp).length(), 0);
    remove(&dir).await;
}

#[wasm_bindgen_test]
async fn reads_a_frame_planted_at_the_larder_fs_path() {
    let dir = fresh_dir().await;
    let e = entry(11, &payload(11, 500));
    let path = fs_path(&dir, e.meta.key);
    plant(&path, &e.frame).await;
    set_mtime(&path, 1_700_000_999.0).await;
    let store = NodeFsStore::open(&dir).await.unwrap();
    assert_eq!(store.get(e.meta.key).await.unwrap(), Some(e.frame.clone()));
    let list = store.list().await.unwrap();
    assert_eq!(list.len(), 1);
    let mut want = e.meta.clone();
    want.last_access_ms = 1_700_000_999_000;
    assert_eq!(list[0], want);
    let h = store.get_header(e.meta.key).await.unwrap().unwrap();
    assert_eq!(h.key, e.meta.key);
    assert_eq!(store.take_corrupt(), 0);
    remove(&dir).await;
}

/// Damaged things at entry names: garbage, a truncated frame, an empty file, a
/// directory, and a valid frame under another key's name.
async fn plant_damage(dir: &str) -> Vec<KeyHash> {
    let keys: Vec<KeyHash> = (0..5u32)
        .map(|i| larder_tests::fixtures::key(100 + i).hash())
        .collect();
    let good = entry(100, &payload(100, 400));
    plant(&fs_path(dir, keys[0]), b"definitely not a larder frame").await;
    let e1 = entry(101, &payload(101, 400));
    plant(&fs_path(dir, keys[1]), &e1.frame[..e1.frame.len() - 10]).await;
    plant(&fs_path(dir, keys[2]), b"").await;
    make_dir(&format!("{}/inner", fs_path(dir, keys[3]))).await;
    plant(&fs_path(dir, keys[4]), &good.frame).await; // entry 100's frame under key 104
    keys
}

#[wasm_bindgen_test]
async fn damage_is_a_miss_removed_and_counted() {
    let dir = fresh_dir().await;
    let store = NodeFsStore::open(&dir).await.unwrap();
    let ok = entry(1, b"fine");
    store.put(&ok.meta, &ok.frame).await.unwrap();
    // A name that is not an entry name is left alone.
    let stray = format!("{dir}/larder-v1/entries/00/README");
    plant(&stray, b"hi").await;

    // Through get: a directory is a miss, removed and counted; a whole file is
    // returned as it is (garbage, truncated frame, empty): the core verifies
    // frames when it decodes them, exactly as with larder-fs.
    let keys = plant_damage(&dir).await;
    assert_eq!(store.get(keys[3]).await.unwrap(), None);
    assert_eq!(store.get(keys[2]).await.unwrap(), Some(Vec::new()));
    assert_eq!(store.take_corrupt(), 1, "the directory is removed by get");
    assert!(!exists(&fs_path(&dir, keys[3])).await.as_bool().unwrap());

    // Through list: every damaged one is skipped, removed and counted.
    let keys = plant_damage(&dir).await;
    let list = store.list().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].key, ok.meta.key);
    assert_eq!(store.take_corrupt(), 5);
    for k in keys {
        assert!(!exists(&fs_path(&dir, k)).await.as_bool().unwrap());
        assert_eq!(store.get(k).await.unwrap(), None);
    }
    assert!(exists(&stray).await.as_bool().unwrap());
    // get_header of a bad file is a corrupt error, not a panic.
    let bad = larder_tests::fixtures::key(200).hash();
    plant(&fs_path(&dir, bad), b"LRDRjunk").await;
    let err = store.get_header(bad).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupt);
    remove(&dir).await;
}

/// `get` reads a file at an entry name in one go when it is one whole frame of
/// its key, else the careful way; either way every regular file comes back
/// whole, as it is: frames just under, at and over the first read's 64 KiB,
/// and files that are not one whole frame of the key (the core rejects those).
#[wasm_bindgen_test]
async fn get_returns_each_file_whole_around_the_first_read_size() {
    let dir = fresh_dir().await;
    let store = NodeFsStore::open(&dir).await.unwrap();
    for (i, len) in [(301, 65_535), (302, 65_536), (303, 65_537), (304, 200_000)] {
        let overhead = entry(i, &payload(i, 100)).frame.len() - 100;
        let e = entry(i, &payload(i, len - overhead));
        assert_eq!(e.frame.len(), len);
        store.put(&e.meta, &e.frame).await.unwrap();
        assert_eq!(
            store.get(e.meta.key).await.unwrap(),
            Some(e.frame),
            "{len} bytes"
        );
    }
    let small = entry(310, &payload(310, 400)).frame;
    let big = entry(311, &payload(311, 100_000)).frame;
    for (k, bytes) in [
        (312, b"definitely not a larder frame".to_vec()),
        (313, small[..small.len() - 1].to_vec()),
        (314, [&small[..], b"tail"].concat()),
        (315, big[..70_000].to_vec()),
        (316, [&big[..], &[0; 10]].concat()),
        (317, small.clone()), // entry 310's frame under key 317
    ] {
        let key = larder_tests::fixtures::key(k).hash();
        plant(&fs_path(&dir, key), &bytes).await;
        assert_eq!(store.get(key).await.unwrap(), Some(bytes), "key {k}");
    }
    assert_eq!(store.take_corrupt(), 0);
    remove(&dir).await;
}

#[wasm_bindgen_test]
async fn directories_are_0700_and_files_0600() {
    let dir = fresh_dir().await;
    let store = NodeFsStore::open(&dir).await.unwrap();
    let e = entry(3, b"private");
    store.put(&e.meta, &e.frame).await.unwrap();
    let path = fs_path(&dir, e.meta.key);
    for d in [
        format!("{dir}/larder-v1"),
        format!("{dir}/larder-v1/entries"),
        format!("{dir}/larder-v1/tmp"),
        path[..path.len() - 33].to_owned(),
    ] {
        assert_eq!(mode_of(&d).await.as_f64(), Some(f64::from(0o700)), "{d}");
    }
    assert_eq!(mode_of(&path).await.as_f64(), Some(f64::from(0o600)));
    remove(&dir).await;
}

#[wasm_bindgen_test]
async fn open_cleans_temps_of_dead_writers_and_old_temps() {
    let dir = fresh_dir().await;
    drop(NodeFsStore::open(&dir).await.unwrap());
    let tmp = format!("{dir}/larder-v1/tmp");
    let pid = own_pid();
    let dead = format!("{tmp}/2147483646.0.00000000000000ff.tmp");
    let old = format!("{tmp}/{pid}.5.00000000000000ff.tmp");
    let live = format!("{tmp}/{pid}.6.00000000000000ff.tmp");
    let other = format!("{tmp}/notes.txt");
    for p in [&dead, &old, &live, &other] {
        plant(p, b"x").await;
    }
    set_mtime(&old, 1_000_000_000.0).await;
    set_mtime(&other, 1_000_000_000.0).await;
    drop(NodeFsStore::open(&dir).await.unwrap());
    for (p, kept) in [(&dead, false), (&old, false), (&live, true), (&other, true)] {
        assert_eq!(exists(p).await.as_bool(), Some(kept), "{p}");
    }
    remove(&dir).await;
}

#[wasm_bindgen_test]
async fn a_file_as_root_is_invalid_input() {
    let dir = fresh_dir().await;
    let file = format!("{dir}/not-a-dir");
    plant(&file, b"x").await;
    let err = NodeFsStore::open(&file).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.context(), Some(file.as_str()));
    remove(&dir).await;
}

/// As larder-fs (its tests/errors.rs): a regular file where a shard directory
/// goes is a fault, not a damaged entry: every call on a key under it fails
/// with the entry's path, nothing is counted as damage, the file stays.
#[wasm_bindgen_test]
async fn a_file_in_place_of_a_shard_is_an_error_for_every_call() {
    let dir = fresh_dir().await;
    let store = NodeFsStore::open(&dir).await.unwrap();
    let e = entry(1, b"x");
    let path = fs_path(&dir, e.meta.key);
    let shard = &path[..path.rfind('/').unwrap()];
    plant(shard, b"a file where the shard directory goes").await;
    let hex = e.meta.key.to_hex();
    let check = |what: &str, err: larder_core::Error| {
        assert_eq!(err.kind(), ErrorKind::Storage, "{what}: {err}");
        assert!(err.to_string().contains(&hex), "{what}: {err}");
    };
    check("get", store.get(e.meta.key).await.unwrap_err());
    check(
        "get_header",
        store.get_header(e.meta.key).await.unwrap_err(),
    );
    check("delete", store.delete(e.meta.key).await.unwrap_err());
    let later = e.meta.last_access_ms + 1000;
    check(
        "touch_many",
        store.touch_many(&[(e.meta.key, later)]).await.unwrap_err(),
    );
    assert_eq!(store.take_corrupt(), 0, "nothing was taken for damage");
    assert_eq!(
        bytes_at(shard).await,
        b"a file where the shard directory goes"
    );
    remove(&dir).await;
}

/// As larder-fs (its tests/foreign.rs): what larder did not put under
/// `entries/` is left alone by `list` and `clear`.
#[wasm_bindgen_test]
async fn list_and_clear_skip_what_is_not_a_shard_directory() {
    let dir = fresh_dir().await;
    let store = NodeFsStore::open(&dir).await.unwrap();
    let e = entry(1, b"kept");
    store.put(&e.meta, &e.frame).await.unwrap();
    let entries = format!("{dir}/larder-v1/entries");
    let hex = e.meta.key.to_hex();
    let file = format!("{entries}/{}", if &hex[..2] == "00" { "01" } else { "00" });
    let other = format!("{entries}/backup/{hex}");
    plant(&file, b"not a shard").await;
    plant(&other, &e.frame).await;
    let listed = store.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].key, e.meta.key);
    assert_eq!(store.take_corrupt(), 0);
    store.clear().await.unwrap();
    assert!(store.list().await.unwrap().is_empty());
    assert_eq!(bytes_at(&file).await, b"not a shard");
    assert_eq!(bytes_at(&other).await, e.frame);
    remove(&dir).await;
}

/// As larder-fs (its tests/headers.rs): a header longer than the 4 KiB that
/// `list` reads first is read whole, and one cut short past them is damage.
#[wasm_bindgen_test]
async fn headers_longer_than_the_first_read_are_listed_and_read() {
    let dir = fresh_dir().await;
    let store = NodeFsStore::open(&dir).await.unwrap();
    let extras = Extras {
        tags: (0..40)
            .map(|i| format!("{i:03}-{}", "t".repeat(196)))
            .collect(),
        ..Extras::default()
    };
    let long = entry_with(1, &payload(1, 100), &extras);
    store.put(&long.meta, &long.frame).await.unwrap();
    let listed = store.list().await.unwrap();
    assert_eq!(listed.len(), 1, "listed, not taken for damage");
    assert_eq!(listed[0].tags, extras.tags);
    let h = store.get_header(long.meta.key).await.unwrap().unwrap();
    assert_eq!(h.tags, extras.tags);
    // The same header cut short past the first read: damage, removed.
    let cut = entry_with(2, &payload(2, 100), &extras);
    let path = fs_path(&dir, cut.meta.key);
    plant(&path, &cut.frame[..6000]).await;
    assert_eq!(store.list().await.unwrap().len(), 1);
    assert_eq!(store.take_corrupt(), 1);
    assert!(!exists(&path).await.as_bool().unwrap(), "removed");
    remove(&dir).await;
}

/// The middle step of `cross_runtime.sh`: with `LARDER_CROSS_DIR` set, read the
/// entries native larder-fs wrote (0..20) and add 20..40 for it to read back.
#[wasm_bindgen_test]
async fn cross_runtime_with_larder_fs() {
    let Some(dir) = env("LARDER_CROSS_DIR") else {
        return;
    };
    let store = NodeFsStore::open(&dir).await.unwrap();
    for i in 0..20 {
        let e = larder_tests::fixtures::cross_runtime_entry(i);
        let got = store.get(e.meta.key).await.unwrap();
        assert_eq!(got.as_ref(), Some(&e.frame), "native entry {i}");
    }
    let listed = store.list().await.unwrap();
    for i in 0..20 {
        let e = larder_tests::fixtures::cross_runtime_entry(i);
        let m = listed.iter().find(|m| m.key == e.meta.key).unwrap();
        assert_eq!(m, &e.meta, "native entry {i} metadata");
    }
    for i in 20..40 {
        let e = larder_tests::fixtures::cross_runtime_entry(i);
        store.put(&e.meta, &e.frame).await.unwrap();
    }
    assert_eq!(store.take_corrupt(), 0);
}
