//! Opening: names, older layouts, and other tabs that upgrade or delete the
//! database. None of it may hang.

use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use larder_core::{ErrorKind, Store};
use larder_indexeddb::{ACCESS, ENTRIES, IndexedDbStore, database_name};
use larder_tests::fixtures::entry;
use wasm_bindgen_test::*;

use crate::support::{VERSION, fresh, js, raw, unique};
use wasm_bindgen_futures::JsFuture;
#[wasm_bindgen_test]
async fn older_layouts_are_replaced_on_open() {
    // Version 1 kept frames and metadata in two object stores; version 2
    // kept records { m, f } in `entries`, with an index on `m`.
    let v1 = "db.createObjectStore('frames'); db.createObjectStore('meta');";
    let v2 = "db.createObjectStore('entries').createIndex('meta', 'm');
              db.createObjectStore('access');
              const tx = req.transaction;
              tx.objectStore('entries').put({ m: [3, 1, -1, 1, 'ns', [], 0], f: new Uint8Array(3) }, '0123456789abcdef0123456789abcdef');";
    for (version, create) in [(1, v1), (2, v2)] {
        let name = unique(&format!("v{version}"));
        let made = format!(
            "new Promise((ok, fail) => {{
                const req = indexedDB.open({db:?}, {version});
                req.onupgradeneeded = () => {{ const db = req.result; {create} }};
                req.onsuccess = () => {{ req.result.close(); ok(); }};
                req.onerror = () => fail(req.error);
            }})",
            db = database_name(&name)
        );
        JsFuture::from(js_sys::Promise::from(js(&made)))
            .await
            .unwrap();
        let store = IndexedDbStore::open(&name).await.unwrap();
        assert!(store.list().await.unwrap().is_empty(), "v{version}");
        assert_eq!(store.take_corrupt(), 0);
        let e = entry(1, b"after the upgrade");
        store.put(&e.meta, &e.frame).await.unwrap();
        assert_eq!(store.list().await.unwrap().len(), 1);
        let db = raw(&store).await;
        let mut names: Vec<String> = db.object_store_names().collect();
        names.sort();
        assert_eq!(names, vec![ACCESS.to_owned(), ENTRIES.to_owned()]);
        db.close();
    }
}

#[wasm_bindgen_test]
async fn versionchange_closes_and_later_calls_fail_fast() {
    let store = fresh("upgrade").await;
    let e = entry(1, b"before");
    store.put(&e.meta, &e.frame).await.unwrap();
    // Another "tab" upgrades the database: it must not be blocked by us.
    let newer = Database::open(store.database_name())
        .with_version(VERSION + 1)
        .await
        .unwrap();
    let err = store.get(e.meta.key).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
    assert!(
        err.message()
            .contains("another tab upgraded it; reopen the cache"),
        "{err}"
    );
    let err = store.put(&e.meta, &e.frame).await.unwrap_err();
    assert!(err.message().contains("another tab upgraded"), "{err}");
    let err = store.list().await.unwrap_err();
    assert!(err.message().contains("another tab upgraded"), "{err}");
    newer.close();
    // Reopening this (now older) version is refused clearly, not hung.
    let name = store
        .database_name()
        .trim_start_matches("larder-")
        .to_owned();
    let err = IndexedDbStore::open(&name).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
    assert!(err.message().contains("newer version"), "{err}");
}

#[wasm_bindgen_test]
async fn empty_name_is_invalid() {
    let err = IndexedDbStore::open("").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[wasm_bindgen_test]
async fn open_queued_behind_a_blocked_delete_fails_instead_of_hanging() {
    let name = unique("queued");
    let db_name = database_name(&name);
    // Another "tab" holds a connection and ignores versionchange...
    let other = Database::open(db_name.as_str())
        .with_version(1u32)
        .with_on_upgrade_needed(|_, db: Database| {
            db.create_object_store("entries").build()?;
            Ok(())
        })
        .await
        .unwrap();
    // ...so its delete of the database stays pending, and opens queue behind it.
    let delete = Database::delete_by_name(&db_name).unwrap();
    let err = IndexedDbStore::open_with_timeout(&name, 300)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
    assert!(err.message().contains("did not open"), "{err}");
    other.close();
    delete.await.unwrap();
}
