//! The journal of batches' metadata beside the records' own: the newest
//! word on a key wins, across connections, and the journal is compacted as
//! it grows.

use larder_core::{EntryMeta, PutItem, Store};
use larder_indexeddb::IndexedDbStore;
use larder_tests::fixtures::{entry, payload};
use wasm_bindgen_test::*;

use crate::support::{fresh, journal, records, unique};

/// Counts the journal compactions' scans while it lives: each reads the
/// keys of the metadata index (`IDBIndex.getAllKeys`, which only fast.js
/// compactJournal calls).
struct ScanCount;

impl ScanCount {
    fn start() -> ScanCount {
        run_js(
            "globalThis.larderTestScans = 0;
            const getAllKeys = IDBIndex.prototype.getAllKeys;
            globalThis.larderTestScansStop = () => { IDBIndex.prototype.getAllKeys = getAllKeys; };
            IDBIndex.prototype.getAllKeys = function (...a) { globalThis.larderTestScans++; return getAllKeys.apply(this, a); };",
        );
        ScanCount
    }

    fn stop(self) -> u32 {
        run_js("globalThis.larderTestScansStop()");
        let n = js_sys::Reflect::get(&js_sys::global(), &"larderTestScans".into()).unwrap();
        n.as_f64().unwrap() as u32
    }
}

impl Drop for ScanCount {
    fn drop(&mut self) {
        run_js("globalThis.larderTestScansStop?.()");
    }
}

fn run_js(body: &str) {
    js_sys::Function::new_no_args(body)
        .call0(&wasm_bindgen::JsValue::NULL)
        .unwrap();
}

fn sorted(keys: impl IntoIterator<Item = u128>) -> Vec<u128> {
    let mut keys: Vec<u128> = keys.into_iter().collect();
    keys.sort_unstable();
    keys
}

fn keys_of(listed: &[EntryMeta]) -> Vec<u128> {
    sorted(listed.iter().map(|m| m.key.0))
}

fn size_of(listed: &[EntryMeta], e: &PutItem) -> Option<u64> {
    listed.iter().find(|m| m.key == e.meta.key).map(|m| m.size)
}

#[wasm_bindgen_test]
async fn the_newest_word_on_a_key_wins_after_reopen() {
    let name = unique("journal");
    let items: Vec<PutItem> = (0..10).map(|i| entry(i, &payload(i, 50))).collect();
    // Entry 3 rewritten by a single put (metadata in its record) after the
    // batch; entry 7 by a batch after a single put; entry 5 deleted, then
    // written again by a batch.
    let three = entry(3, &payload(93, 80));
    let seven = entry(7, &payload(97, 70));
    let five = entry(5, &payload(95, 60));
    {
        let store = IndexedDbStore::open(&name).await.unwrap();
        store.put_many(&items).await.unwrap();
        assert_eq!(journal(&store).await.length(), 1);
        let deleted = [items[1].meta.key, items[2].meta.key];
        assert_eq!(store.delete_many(&deleted).await.unwrap(), 2);
        store.put(&three.meta, &three.frame).await.unwrap();
        store.put(&items[7].meta, &items[7].frame).await.unwrap();
        // Single puts and deletes write no journal record.
        assert_eq!(journal(&store).await.length(), 1);
        store
            .put_many(&[seven.clone(), items[8].clone()])
            .await
            .unwrap();
        store.delete(items[5].meta.key).await.unwrap();
        store
            .put_many(&[five.clone(), items[9].clone()])
            .await
            .unwrap();
    }
    let store = IndexedDbStore::open(&name).await.unwrap();
    let listed = store.list().await.unwrap();
    let want = [0, 3, 4, 5, 6, 7, 8, 9].map(|i| items[i].meta.key.0);
    assert_eq!(keys_of(&listed), sorted(want));
    for e in [&three, &seven, &five, &items[0]] {
        assert_eq!(size_of(&listed, e), Some(e.frame.len() as u64));
        assert_eq!(
            store.get(e.meta.key).await.unwrap().as_deref(),
            Some(&e.frame[..])
        );
    }
    assert_eq!(store.take_corrupt(), 0);
}

#[wasm_bindgen_test]
async fn another_connection_sees_each_write() {
    // Two connections to one database, as two tabs have.
    let a = fresh("tabs-journal").await;
    let name = a.database_name().trim_start_matches("larder-").to_owned();
    let b = IndexedDbStore::open(&name).await.unwrap();
    let [w, x, y, z] = [1, 2, 3, 4].map(|i| entry(i, &payload(i, 30)));
    a.put_many(&[w.clone(), x.clone()]).await.unwrap();
    b.put_many(&[y.clone(), z.clone()]).await.unwrap();
    assert_eq!(keys_of(&a.list().await.unwrap()).len(), 4);
    b.delete(x.meta.key).await.unwrap();
    let bigger = entry(1, &payload(11, 90));
    b.put_many(&[bigger.clone(), z.clone()]).await.unwrap();
    let listed = a.list().await.unwrap();
    assert_eq!(
        keys_of(&listed),
        sorted([w.meta.key.0, y.meta.key.0, z.meta.key.0])
    );
    assert_eq!(size_of(&listed, &bigger), Some(bigger.frame.len() as u64));
    assert_eq!(a.get(x.meta.key).await.unwrap(), None);
    assert_eq!(a.take_corrupt() + b.take_corrupt(), 0);
}

#[wasm_bindgen_test]
async fn batches_are_compacted() {
    let store = fresh("compact-batches").await;
    let items: Vec<PutItem> = (0..2200).map(|i| entry(i, &payload(i, 20))).collect();
    let scans = ScanCount::start();
    for pair in items.chunks(2) {
        store.put_many(pair).await.unwrap();
    }
    let scans = scans.stop();
    // One record a batch, rewritten into records of all the entries once
    // 1024 more than needed had piled up, then one a batch again.
    let n = journal(&store).await.length();
    assert!((3..300).contains(&n), "{n} journal records");
    // The connection counts what a rewrite left, so that the batches after
    // it do not read the whole journal again each.
    assert!(
        (1..=4).contains(&scans),
        "{scans} compaction scans in 1100 batches"
    );
    assert_eq!(store.list().await.unwrap().len(), 2200);
    assert_eq!(records(&store).await, 2200);
    assert_eq!(store.take_corrupt(), 0);
}

#[wasm_bindgen_test]
async fn overwrites_are_compacted() {
    let store = fresh("compact-overwrites").await;
    let batch: Vec<PutItem> = (0..100).map(|i| entry(i, &payload(i, 20))).collect();
    // 60 batches over the same 100 keys: 6000 journal entries, 100 current.
    for _ in 0..60 {
        store.put_many(&batch).await.unwrap();
    }
    let total: u32 = journal(&store)
        .await
        .iter()
        .map(|r| js_sys::Array::from(&js_sys::Reflect::get(&r, &"k".into()).unwrap()).length())
        .sum();
    assert!(
        total <= 4 * 100 + 4096 + 100,
        "{total} journal entries for 100 entries"
    );
    assert_eq!(store.list().await.unwrap().len(), 100);
    assert_eq!(records(&store).await, 100);
}

#[wasm_bindgen_test]
async fn a_growing_journal_is_not_rewritten() {
    let store = fresh("compact-growth").await;
    // 42 batches of 100 new keys: 4200 journal entries, all current. The
    // connection's own count (nothing listed yet) says a compaction may be
    // due; the whole journal says it is not, so its 42 records stay (a
    // rewrite would leave 5 records of at most 1024 entries).
    let items: Vec<PutItem> = (0..4200).map(|i| entry(i, &payload(i, 10))).collect();
    for batch in items.chunks(100) {
        store.put_many(batch).await.unwrap();
    }
    assert_eq!(journal(&store).await.length(), 42);
    assert_eq!(store.list().await.unwrap().len(), 4200);
}
