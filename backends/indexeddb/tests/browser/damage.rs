//! Damaged records: malformed metadata, stray keys and frames that are not
//! bytes are misses, removed and counted, never errors or wrong values.

use indexed_db_futures::database::Database;
use larder_core::{PutItem, Store};
use larder_indexeddb::{ACCESS, ENTRIES, IndexedDbStore};
use larder_tests::fixtures::entry;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

use crate::support::{
    add_journal, fresh, journal, js, raw, raw_count, raw_put, raw_set_frame, records,
};
#[wasm_bindgen_test]
async fn damaged_records_are_skipped_removed_and_counted() {
    let store = fresh("damaged").await;
    let good = entry(1, b"good");
    store.put(&good.meta, &good.frame).await.unwrap();
    store
        .touch_many(&[(good.meta.key, good.meta.last_access_ms + 1)])
        .await
        .unwrap();
    let db = raw(&store).await;
    // Metadata of the wrong types under a real key (still an index key).
    raw_put(
        &db,
        ENTRIES,
        &entry(4, b"").meta.key.to_hex(),
        js("({ m: ['big', 1, -1, 1, 'ns', [], 0], f: new Uint8Array(3) })"),
    )
    .await;
    // A primary key that is not a key hash, with well-formed metadata.
    raw_put(
        &db,
        ENTRIES,
        "not-a-key",
        js("({ m: [3, 1, -1, 1, 'ns', [], 0], f: new Uint8Array(3) })"),
    )
    .await;
    // Metadata that is not a valid IndexedDB key: in no index at all.
    raw_put(
        &db,
        ENTRIES,
        &entry(5, b"").meta.key.to_hex(),
        js("({ m: { size: 3 }, f: new Uint8Array(3) })"),
    )
    .await;
    // An access time whose entry does not exist, and one that is not a time.
    raw_put(
        &db,
        ACCESS,
        &entry(6, b"").meta.key.to_hex(),
        JsValue::from_f64(5.0),
    )
    .await;
    raw_put(
        &db,
        ACCESS,
        &entry(7, b"").meta.key.to_hex(),
        JsValue::from_str("soon"),
    )
    .await;
    let listed = store.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].key, good.meta.key);
    assert_eq!(listed[0].last_access_ms, good.meta.last_access_ms + 1);
    // The three damaged records; a stray access time is not an entry.
    assert_eq!(store.take_corrupt(), 3);
    assert_eq!(records(&store).await, 1);
    assert_eq!(raw_count(&db, ACCESS).await, 1);
    // Everything is repaired: a second list finds nothing more.
    assert_eq!(store.list().await.unwrap().len(), 1);
    assert_eq!(store.take_corrupt(), 0);
    assert_eq!(
        store.get(good.meta.key).await.unwrap().as_deref(),
        Some(&good.frame[..])
    );
    db.close();
}

/// A store holding entries 1, 2 and 3, entry 2 damaged (its frame replaced
/// by a string), and a raw connection to its database.
async fn store_with_damage(test: &str) -> (IndexedDbStore, Database, [PutItem; 3]) {
    let store = fresh(test).await;
    let items = [entry(1, b"one"), entry(2, b"two"), entry(3, b"three")];
    for e in &items {
        store.put(&e.meta, &e.frame).await.unwrap();
    }
    let db = raw(&store).await;
    let damaged = items[1].meta.key.to_hex();
    raw_set_frame(&db, &damaged, JsValue::from_str("not bytes")).await;
    (store, db, items)
}

#[wasm_bindgen_test]
async fn get_many_mixes_hits_misses_and_damage() {
    let (store, db, [a, damaged, b]) = store_with_damage("getmany").await;
    let missing = entry(4, b"never written");
    // One read transaction for all four: results in order, whatever each is.
    let keys = [a.meta.key, missing.meta.key, damaged.meta.key, b.meta.key];
    let got = store.get_many(&keys).await.unwrap();
    assert_eq!(got.len(), 4);
    assert_eq!(got[0].as_deref(), Some(&a.frame[..]));
    assert_eq!(got[1], None);
    assert_eq!(got[2], None);
    assert_eq!(got[3].as_deref(), Some(&b.frame[..]));
    // The damaged entry is gone and counted; the rest stays.
    assert_eq!(store.take_corrupt(), 1);
    assert_eq!(records(&store).await, 2);
    db.close();
}

#[wasm_bindgen_test]
async fn a_single_get_reads_hits_misses_and_damage() {
    // get's own path (fast.js getEntry), not get_many's.
    let (store, db, [a, damaged, buffer]) = store_with_damage("getone").await;
    // A frame kept as an ArrayBuffer is still the frame's bytes.
    let bytes = js_sys::Uint8Array::from(&buffer.frame[..]).buffer();
    raw_set_frame(&db, &buffer.meta.key.to_hex(), bytes.into()).await;
    let get = |e: &PutItem| store.get(e.meta.key);
    assert_eq!(get(&a).await.unwrap().as_deref(), Some(&a.frame[..]));
    assert_eq!(get(&entry(4, b"never written")).await.unwrap(), None);
    assert_eq!(
        get(&buffer).await.unwrap().as_deref(),
        Some(&buffer.frame[..])
    );
    assert_eq!(store.take_corrupt(), 0);
    assert_eq!(get(&damaged).await.unwrap(), None);
    // The damaged entry is gone and counted; the rest stays.
    assert_eq!(store.take_corrupt(), 1);
    assert_eq!(records(&store).await, 2);
    db.close();
}

#[wasm_bindgen_test]
async fn a_damaged_journal_is_rewritten_and_its_records_counted() {
    let store = fresh("journal-damage").await;
    let batch = [entry(1, b"one"), entry(2, b"two"), entry(3, b"three")];
    // Records { f } and one journal record naming all three.
    store.put_many(&batch).await.unwrap();
    let db = raw(&store).await;
    let hex = |i: u32| entry(i, b"").meta.key.to_hex();
    // A newer word on entry 2, malformed, and one on entry 9, which has no
    // record.
    let newer = format!(
        "{{ k: ['{}', '{}'], j: [['big', 1, -1, 1, 'ns', [], 0], [3, 1, -1, 1, 'ns', [], 0]] }}",
        hex(2),
        hex(9)
    );
    add_journal(&store, &newer).await;
    // A batch's record that no journal names.
    raw_put(&db, ENTRIES, &hex(5), js("({ f: new Uint8Array(3) })")).await;
    // Journal records of the wrong shape, and a key that is not a key hash.
    for record in [
        "5",
        "{ k: 'x' }",
        "{ k: ['a'], j: [] }",
        "{ k: [7], j: [[3, 1, -1, 1, 'ns', [], 0]] }",
    ] {
        add_journal(&store, record).await;
    }
    let listed = store.list().await.unwrap();
    let mut keys: Vec<_> = listed.iter().map(|m| m.key).collect();
    keys.sort_unstable();
    let mut want = vec![batch[0].meta.key, batch[2].meta.key];
    want.sort_unstable();
    assert_eq!(keys, want);
    // Entry 2 (malformed metadata) and entry 5 (none) are damage.
    assert_eq!(store.take_corrupt(), 2);
    assert_eq!(records(&store).await, 2);
    // The journal now names entries 1 and 3 alone.
    let rewritten = journal(&store).await;
    assert_eq!(rewritten.length(), 1);
    let named = js_sys::Reflect::get(&rewritten.get(0), &"k".into()).unwrap();
    let mut named: Vec<String> = js_sys::Array::from(&named)
        .iter()
        .map(|k| k.as_string().unwrap())
        .collect();
    named.sort();
    let mut want: Vec<String> = [1, 3].map(hex).to_vec();
    want.sort();
    assert_eq!(named, want);
    assert_eq!(store.list().await.unwrap().len(), 2);
    assert_eq!(store.take_corrupt(), 0);
    for e in [&batch[0], &batch[2]] {
        assert_eq!(
            store.get(e.meta.key).await.unwrap().as_deref(),
            Some(&e.frame[..])
        );
    }
    db.close();
}
