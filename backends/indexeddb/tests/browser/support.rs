//! What the browser tests share: fresh stores, and a raw connection that
//! reads and writes records behind the store's back.

use std::cell::Cell;

use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use larder_indexeddb::{ENTRIES, IndexedDbStore};
use wasm_bindgen::JsValue;

thread_local! {
    static SEQ: Cell<u32> = const { Cell::new(0) };
}

/// A cache name no other test (or earlier run) uses.
pub fn unique(test: &str) -> String {
    let n = SEQ.with(|s| {
        s.set(s.get() + 1);
        s.get()
    });
    format!("{test}-{}-{n}", js_sys::Date::now() as u64)
}

pub async fn fresh(test: &str) -> IndexedDbStore {
    IndexedDbStore::open(&unique(test)).await.unwrap()
}

/// The schema version larder-indexeddb creates.
pub const VERSION: u32 = 3;

/// A second, raw connection to the store's database (its version, no upgrade).
pub async fn raw(store: &IndexedDbStore) -> Database {
    Database::open(store.database_name())
        .with_version(VERSION)
        .await
        .unwrap()
}

/// The value under `key` in object store `name`, bypassing the store.
pub async fn raw_get(db: &Database, name: &str, key: &str) -> JsValue {
    let tx = db.transaction(name).build().unwrap();
    let s = tx.object_store(name).unwrap();
    let v: Option<JsValue> = s.get(key.to_owned()).primitive().unwrap().await.unwrap();
    v.unwrap_or(JsValue::UNDEFINED)
}

/// Replace the frame `f` of the record under `key` with `frame`, keeping its
/// metadata.
pub async fn raw_set_frame(db: &Database, key: &str, frame: JsValue) {
    let rec = raw_get(db, ENTRIES, key).await;
    js_sys::Reflect::set(&rec, &"f".into(), &frame).unwrap();
    raw_put(db, ENTRIES, key, rec).await;
}

/// Run the JS `body` as an async function of `db`, a raw connection to the
/// store's database, and return what it returns.
async fn with_db(store: &IndexedDbStore, body: &str) -> JsValue {
    let expr = format!(
        "new Promise((ok, fail) => {{
            const r = indexedDB.open({name:?});
            r.onerror = () => fail(r.error);
            r.onsuccess = () => {{
                const db = r.result;
                const done = (q) => new Promise((ok, fail) => {{ q.onsuccess = () => ok(q.result); q.onerror = () => fail(q.error); }});
                const written = (tx) => new Promise((ok, fail) => {{ tx.oncomplete = ok; tx.onabort = () => fail(tx.error); }});
                (async () => {{ {body} }})().then(ok, fail).finally(() => db.close());
            }};
        }})",
        name = store.database_name()
    );
    let promise = js_sys::Promise::from(js(&expr));
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap()
}

/// The records of the store's journal (the number keys of `entries`).
pub async fn journal(store: &IndexedDbStore) -> js_sys::Array {
    let body = "return done(db.transaction('entries').objectStore('entries').getAll(IDBKeyRange.bound(-Infinity, Infinity)));";
    with_db(store, body).await.into()
}

/// How many records the store holds (the string keys of `entries`).
pub async fn records(store: &IndexedDbStore) -> u32 {
    let body = "return done(db.transaction('entries').objectStore('entries').count(IDBKeyRange.lowerBound('')));";
    with_db(store, body).await.as_f64().unwrap() as u32
}

/// Add the journal record the JS expression `record` makes, behind the
/// store's back.
pub async fn add_journal(store: &IndexedDbStore, record: &str) {
    let body = format!(
        "const tx = db.transaction('entries', 'readwrite');
         tx.objectStore('entries').add({record});
         await written(tx);"
    );
    with_db(store, &body).await;
}

/// Put `value` under `key` in object store `name`, bypassing the store.
pub async fn raw_put(db: &Database, name: &str, key: &str, value: JsValue) {
    let tx = db
        .transaction(name)
        .with_mode(TransactionMode::Readwrite)
        .build()
        .unwrap();
    let s = tx.object_store(name).unwrap();
    s.put(value)
        .with_key(key.to_owned())
        .without_key_type()
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

pub async fn raw_count(db: &Database, name: &str) -> u32 {
    let tx = db.transaction(name).build().unwrap();
    let s = tx.object_store(name).unwrap();
    s.count().await.unwrap()
}

/// A JS value from a JS expression (test data).
pub fn js(expr: &str) -> JsValue {
    js_sys::eval(expr).unwrap()
}
