//! The journal of metadata: deletes and overwrites are read back right,
//! across connections, and it is compacted as it grows.

use larder_core::{PutItem, Store};
use larder_indexeddb::IndexedDbStore;
use larder_tests::fixtures::{entry, payload};
use wasm_bindgen_test::*;

use crate::support::{frames, fresh, journal, unique};

fn keys_of(listed: &[larder_core::EntryMeta]) -> Vec<u128> {
    let mut keys: Vec<u128> = listed.iter().map(|m| m.key.0).collect();
    keys.sort_unstable();
    keys
}

#[wasm_bindgen_test]
async fn deletes_and_overwrites_are_read_back_after_reopen() {
    let name = unique("journal");
    let items: Vec<PutItem> = (0..10).map(|i| entry(i, &payload(i, 50))).collect();
    let newer = entry(3, &payload(99, 80));
    {
        let store = IndexedDbStore::open(&name).await.unwrap();
        store.put_many(&items).await.unwrap();
        assert_eq!(
            store
                .delete_many(&[items[1].meta.key, items[2].meta.key])
                .await
                .unwrap(),
            2
        );
        store.put(&newer.meta, &newer.frame).await.unwrap();
        // Deleted, then written again: the later record wins.
        store.delete(items[5].meta.key).await.unwrap();
        store.put(&items[5].meta, &items[5].frame).await.unwrap();
        // A key that is not there: nothing deleted, nothing journaled.
        let before = journal(&store).await.length();
        assert!(!store.delete(entry(77, b"").meta.key).await.unwrap());
        assert_eq!(journal(&store).await.length(), before);
    }
    let store = IndexedDbStore::open(&name).await.unwrap();
    let listed = store.list().await.unwrap();
    let mut want: Vec<u128> = [0, 3, 4, 5, 6, 7, 8, 9]
        .iter()
        .map(|&i| items[i].meta.key.0)
        .collect();
    want.sort_unstable();
    assert_eq!(keys_of(&listed), want);
    let three = listed.iter().find(|m| m.key == newer.meta.key).unwrap();
    assert_eq!(three.size, newer.frame.len() as u64);
    assert_eq!(
        store.get(newer.meta.key).await.unwrap().as_deref(),
        Some(&newer.frame[..])
    );
    assert_eq!(store.take_corrupt(), 0);
}

#[wasm_bindgen_test]
async fn another_connection_sees_each_write() {
    // Two connections to one database, as two tabs have.
    let a = fresh("tabs-journal").await;
    let name = a.database_name().trim_start_matches("larder-").to_owned();
    let b = IndexedDbStore::open(&name).await.unwrap();
    let (x, y) = (entry(1, b"x"), entry(2, b"y"));
    a.put(&x.meta, &x.frame).await.unwrap();
    b.put(&y.meta, &y.frame).await.unwrap();
    assert_eq!(keys_of(&a.list().await.unwrap()).len(), 2);
    b.delete(x.meta.key).await.unwrap();
    let listed = a.list().await.unwrap();
    assert_eq!(keys_of(&listed), vec![y.meta.key.0]);
    assert_eq!(a.get(x.meta.key).await.unwrap(), None);
    assert_eq!(a.take_corrupt() + b.take_corrupt(), 0);
}

#[wasm_bindgen_test]
async fn single_puts_are_compacted() {
    let store = fresh("compact-puts").await;
    let items: Vec<PutItem> = (0..1100).map(|i| entry(i, &payload(i, 20))).collect();
    for e in &items {
        store.put(&e.meta, &e.frame).await.unwrap();
    }
    // One record a put, rewritten into one record of all the entries once
    // 1024 more than needed had piled up, then one a put again.
    let records = journal(&store).await.length();
    assert!((2..300).contains(&records), "{records} journal records");
    assert_eq!(store.list().await.unwrap().len(), 1100);
    assert_eq!(frames(&store).await, 1100);
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
    let records = journal(&store).await;
    let total: u32 = records
        .iter()
        .map(|r| js_sys::Array::from(&js_sys::Reflect::get(&r, &"k".into()).unwrap()).length())
        .sum();
    assert!(
        total <= 4 * 100 + 4096 + 100,
        "{total} journal entries for 100 entries"
    );
    assert_eq!(store.list().await.unwrap().len(), 100);
    assert_eq!(frames(&store).await, 100);
}
