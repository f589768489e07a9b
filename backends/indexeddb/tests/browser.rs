//! The conformance suite and IndexedDB-specific behaviour, in a real browser:
//! `CHROMEDRIVER=/usr/bin/chromedriver
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
//! cargo test -p larder-indexeddb --target wasm32-unknown-unknown`
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, missing_docs)]

use std::cell::Cell;
use std::future::Future;

use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use larder_core::{
    Cache, Config, ErrorKind, Key, KeyHash, ManualClock, PutItem, PutOptions, Store,
};
use larder_indexeddb::{ACCESS, ENTRIES, IndexedDbStore, database_name};
use larder_tests::fixtures::{entry, payload};

use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

thread_local! {
    static SEQ: Cell<u32> = const { Cell::new(0) };
}

/// A cache name no other test (or earlier run) uses.
fn unique(test: &str) -> String {
    let n = SEQ.with(|s| {
        s.set(s.get() + 1);
        s.get()
    });
    format!("{test}-{}-{n}", js_sys::Date::now() as u64)
}

async fn fresh(test: &str) -> IndexedDbStore {
    IndexedDbStore::open(&unique(test)).await.unwrap()
}

/// The schema version larder-indexeddb creates.
const VERSION: u32 = 2;

/// A second, raw connection to the store's database (its version, no upgrade).
async fn raw(store: &IndexedDbStore) -> Database {
    Database::open(store.database_name())
        .with_version(VERSION)
        .await
        .unwrap()
}

/// The value under `key` in object store `name`, bypassing the store.
async fn raw_get(db: &Database, name: &str, key: &str) -> JsValue {
    let tx = db.transaction(name).build().unwrap();
    let s = tx.object_store(name).unwrap();
    let v: Option<JsValue> = s.get(key.to_owned()).primitive().unwrap().await.unwrap();
    v.unwrap_or(JsValue::UNDEFINED)
}

/// Replace the frame `f` of the record under `key` with `frame`, keeping its
/// metadata.
async fn raw_set_frame(db: &Database, key: &str, frame: JsValue) {
    let rec = raw_get(db, ENTRIES, key).await;
    js_sys::Reflect::set(&rec, &"f".into(), &frame).unwrap();
    raw_put(db, ENTRIES, key, rec).await;
}

/// Put `value` under `key` in object store `name`, bypassing the store.
async fn raw_put(db: &Database, name: &str, key: &str, value: JsValue) {
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

async fn raw_count(db: &Database, name: &str) -> u32 {
    let tx = db.transaction(name).build().unwrap();
    let s = tx.object_store(name).unwrap();
    s.count().await.unwrap()
}

#[wasm_bindgen_test]
async fn conformance() {
    let store = fresh("conformance").await;
    larder_tests::run_all(&store).await;
}

#[wasm_bindgen_test]
async fn conformance_through_dyn() {
    let store: Box<dyn Store> = Box::new(fresh("dyn").await);
    larder_tests::round_trip(&*store).await;
    larder_tests::batch_calls_agree_with_single_calls(&*store).await;
}

#[wasm_bindgen_test]
async fn put_many_is_one_transaction() {
    let store = fresh("batch").await;
    let items: Vec<PutItem> = (0..1000).map(|i| entry(i, &payload(i, 64))).collect();
    // Readers started while the batch is being written see none of it or all
    // of it, never a part: IndexedDB orders a transaction that starts after
    // a readwrite one on the same stores after it, and the batch is one.
    let observed = std::cell::RefCell::new(Vec::new());
    let readers = async {
        for _ in 0..20 {
            let n = store.list().await.unwrap().len();
            observed.borrow_mut().push(n);
            // Let the writer run between reads.
            wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&JsValue::NULL))
                .await
                .unwrap();
        }
    };
    let writer = async { store.put_many(&items).await.unwrap() };
    larder_tests::join_all(vec![
        Box::pin(writer) as std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>,
        Box::pin(readers),
    ])
    .await;
    for n in observed.borrow().iter() {
        assert!(*n == 0 || *n == 1000, "a reader saw {n} of 1000 entries");
    }
    assert_eq!(store.list().await.unwrap().len(), 1000);

    // A batch with a bad item writes nothing.
    let mut bad: Vec<PutItem> = (1000..1010).map(|i| entry(i, b"x")).collect();
    bad[5].meta.size += 1;
    let e = store.put_many(&bad).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert_eq!(store.list().await.unwrap().len(), 1000);
    assert!(store.get(bad[0].meta.key).await.unwrap().is_none());
}

#[wasm_bindgen_test]
async fn list_reads_metadata_not_frames() {
    let store = fresh("nopayload").await;
    let e = entry(1, &payload(1, 4000));
    store.put(&e.meta, &e.frame).await.unwrap();
    // Replace the frame with something that is not a frame at all: list,
    // which only reads the index of metadata, still reports the entry.
    let db = raw(&store).await;
    raw_set_frame(&db, &e.meta.key.to_hex(), JsValue::from_str("garbage")).await;
    let listed = store.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].size, e.frame.len() as u64);
    assert_eq!(store.take_corrupt(), 0);
    // get finds the damage: a miss, removed, counted.
    assert!(store.get(e.meta.key).await.unwrap().is_none());
    assert_eq!(store.take_corrupt(), 1);
    assert!(store.list().await.unwrap().is_empty());
    assert_eq!(raw_count(&db, ENTRIES).await, 0);
    db.close();
}

/// A JS value from a JS expression (test data).
fn js(expr: &str) -> JsValue {
    js_sys::eval(expr).unwrap()
}

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
    assert_eq!(raw_count(&db, ENTRIES).await, 1);
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

#[wasm_bindgen_test]
async fn an_older_layout_is_replaced_on_open() {
    // Version 1 kept frames and metadata in two object stores.
    let name = unique("v1");
    let old = Database::open(database_name(&name).as_str())
        .with_version(1u32)
        .with_on_upgrade_needed(|_, db: Database| {
            db.create_object_store("frames").build()?;
            db.create_object_store("meta").build()?;
            Ok(())
        })
        .await
        .unwrap();
    old.close();
    let store = IndexedDbStore::open(&name).await.unwrap();
    assert!(store.list().await.unwrap().is_empty());
    let e = entry(1, b"after the upgrade");
    store.put(&e.meta, &e.frame).await.unwrap();
    assert_eq!(store.list().await.unwrap().len(), 1);
    let db = raw(&store).await;
    let names: Vec<String> = db.object_store_names().collect();
    let mut names = names;
    names.sort();
    assert_eq!(names, vec![ACCESS.to_owned(), ENTRIES.to_owned()]);
    db.close();
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
async fn data_persists_across_reopen() {
    let name = unique("persist");
    let e = entry(7, &payload(7, 3000));
    {
        let store = IndexedDbStore::open(&name).await.unwrap();
        store.put(&e.meta, &e.frame).await.unwrap();
        store
            .touch_many(&[(e.meta.key, e.meta.last_access_ms + 5000)])
            .await
            .unwrap();
    }
    let store = IndexedDbStore::open(&name).await.unwrap();
    assert_eq!(database_name(&name), store.database_name());
    assert_eq!(
        store.get(e.meta.key).await.unwrap().as_deref(),
        Some(&e.frame[..])
    );
    let listed = store.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].last_access_ms, e.meta.last_access_ms + 5000);
    // Recency only moves forward.
    store.touch_many(&[(e.meta.key, 1)]).await.unwrap();
    assert_eq!(
        store.list().await.unwrap()[0].last_access_ms,
        e.meta.last_access_ms + 5000
    );
    store.close();
    let err = store.get(e.meta.key).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
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
    assert_eq!(raw_count(&db, ENTRIES).await, 2);
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
    assert_eq!(raw_count(&db, ENTRIES).await, 2);
    db.close();
}

#[wasm_bindgen_test]
async fn touch_many_updates_records_in_place_and_skips_the_rest() {
    let name = unique("touch");
    let (old, newer, bad) = (entry(1, b"old"), entry(2, b"newer"), entry(3, b"bad"));
    let missing = entry(4, b"missing");
    let base = old.meta.last_access_ms;
    {
        let store = IndexedDbStore::open(&name).await.unwrap();
        for e in [&old, &newer, &bad] {
            store.put(&e.meta, &e.frame).await.unwrap();
        }
        store
            .touch_many(&[(newer.meta.key, base + 9_000)])
            .await
            .unwrap();
        // A record of the wrong shape: touch_many must leave it to `list`.
        let db = raw(&store).await;
        raw_put(&db, ENTRIES, &bad.meta.key.to_hex(), JsValue::from_f64(1.0)).await;
        db.close();
        store
            .touch_many(&[
                (old.meta.key, base + 5_000),
                (old.meta.key, base + 7_000), // the latest time of a key wins
                (newer.meta.key, base + 8_000), // older than its record: kept
                (missing.meta.key, base + 5_000), // absent: nothing created
                (bad.meta.key, base + 5_000),
            ])
            .await
            .unwrap();
    }
    // Written, not just queued: a new connection sees it.
    let store = IndexedDbStore::open(&name).await.unwrap();
    let listed = store.list().await.unwrap();
    let at = |k: KeyHash| listed.iter().find(|m| m.key == k).map(|m| m.last_access_ms);
    assert_eq!(at(old.meta.key), Some(base + 7_000));
    assert_eq!(at(newer.meta.key), Some(base + 9_000));
    assert_eq!(at(missing.meta.key), None);
    // The malformed record was still there for `list` to remove and count.
    assert_eq!(at(bad.meta.key), None);
    assert_eq!(store.take_corrupt(), 1);
    assert_eq!(listed.len(), 2);
    // The untouched fields of a touched record are unchanged.
    let m = listed.iter().find(|m| m.key == old.meta.key).unwrap();
    assert_eq!(
        (m.size, m.created_ms, &m.namespace),
        (old.meta.size, old.meta.created_ms, &old.meta.namespace)
    );
}

#[wasm_bindgen_test]
async fn cache_recency_reaches_the_store_and_survives_reopen() {
    let name = unique("recency");
    let clock = ManualClock::new(1_000_000);
    let key = Key::new("recency", &7).unwrap();
    let config = Config::default().memory_bytes(0);
    {
        let store = IndexedDbStore::open(&name).await.unwrap();
        let cache = Cache::with_clock(store, clock.clone(), config.clone()).unwrap();
        cache
            .put(&key, b"value".to_vec(), &PutOptions::new())
            .await
            .unwrap();
        // Past the recency granularity: this read is written back on flush.
        clock.advance_ms(2 * config.recency_granularity_ms);
        assert!(cache.get(&key).await.unwrap().is_some());
        cache.flush().await.unwrap();
    }
    let store = IndexedDbStore::open(&name).await.unwrap();
    let listed = store.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].last_access_ms,
        1_000_000 + 2 * config.recency_granularity_ms
    );
    // And a cache on the reopened store reads the value through IndexedDB.
    let cache = Cache::with_clock(store, clock, config).unwrap();
    assert_eq!(cache.get(&key).await.unwrap().unwrap().payload(), b"value");
}

#[wasm_bindgen(inline_js = "export function count_page_errors() {
    const seen = { n: 0 };
    globalThis.addEventListener('error', () => { seen.n += 1; });
    return seen;
}")]
extern "C" {
    fn count_page_errors() -> JsValue;
}

#[wasm_bindgen_test]
async fn a_call_dropped_mid_flight_leaves_nothing_behind() {
    let store = fresh("dropped").await;
    let e = entry(1, b"value");
    store.put(&e.meta, &e.frame).await.unwrap();
    let errors = count_page_errors();
    // Start a get and a put (their requests are made on the first poll), then
    // drop both before IndexedDB answers: their listeners must be unhooked,
    // or the answers would call freed closures (an error on the page).
    let noop = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(noop);
    let other = entry(2, b"other");
    {
        let mut get = Box::pin(store.get(e.meta.key));
        let mut put = Box::pin(store.put(&other.meta, &other.frame));
        assert!(get.as_mut().poll(&mut cx).is_pending());
        assert!(put.as_mut().poll(&mut cx).is_pending());
    }
    // Let both answers arrive.
    wasm_bindgen_futures::JsFuture::from(js_sys::Promise::new(&mut |ok, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&ok, 200)
            .unwrap();
    }))
    .await
    .unwrap();
    let n = js_sys::Reflect::get(&errors, &"n".into()).unwrap();
    assert_eq!(n.as_f64(), Some(0.0), "errors on the page");
    // The store works on, and the dropped put was still written: dropping a
    // call only stops waiting for it.
    assert!(store.get(e.meta.key).await.unwrap().is_some());
    assert!(store.get(other.meta.key).await.unwrap().is_some());
}

/// The page's read-only transactions, watched until `stop`: how many open,
/// how many calls on a transaction or its object store throw (a read that
/// tried a finished transaction would throw there, and be caught), and
/// `first_completed`. Wraps `IDBDatabase.prototype.transaction`,
/// `IDBTransaction.prototype.objectStore` and `IDBObjectStore.prototype.get`.
struct ReadWatch(JsValue);

impl ReadWatch {
    fn start() -> Self {
        let install = js_sys::Function::new_no_args(
            "const db = IDBDatabase.prototype, tx = IDBTransaction.prototype, os = IDBObjectStore.prototype;
             const orig = [db.transaction, tx.objectStore, os.get];
             const w = { opened: 0, throws: 0, restore() { [db.transaction, tx.objectStore, os.get] = orig; } };
             let done;
             w.completed = new Promise((ok) => { done = ok; });
             const counting = (f) => function () {
               try { return f.apply(this, arguments); } catch (e) { w.throws++; throw e; }
             };
             db.transaction = function (s, mode) {
               const t = orig[0].apply(this, arguments);
               if (mode === undefined || mode === 'readonly') {
                 w.opened++;
                 t.addEventListener('complete', () => setTimeout(done, 0));
               }
               return t;
             };
             tx.objectStore = counting(orig[1]);
             os.get = counting(orig[2]);
             return w;",
        );
        ReadWatch(install.call0(&JsValue::NULL).unwrap())
    }

    fn field(&self, name: &str) -> JsValue {
        js_sys::Reflect::get(&self.0, &name.into()).unwrap()
    }

    /// A task after the first watched transaction's `complete` event, when
    /// every listener of it has run.
    async fn first_completed(&self) {
        let completed: js_sys::Promise = self.field("completed").unchecked_into();
        wasm_bindgen_futures::JsFuture::from(completed)
            .await
            .unwrap();
    }

    /// Put the wrapped methods back: (transactions opened, calls that threw).
    fn stop(self) -> (u32, u32) {
        let (opened, throws) = (self.field("opened"), self.field("throws"));
        self.field("restore")
            .unchecked_into::<js_sys::Function>()
            .call0(&self.0)
            .unwrap();
        (
            opened.as_f64().unwrap() as u32,
            throws.as_f64().unwrap() as u32,
        )
    }
}

/// Count the read-only transactions the page opens while `f` runs.
async fn read_transactions_during<F: Future>(f: F) -> (F::Output, u32) {
    let watch = ReadWatch::start();
    let out = f.await;
    (out, watch.stop().0)
}

#[wasm_bindgen_test]
async fn reads_in_a_row_share_a_transaction_a_bounded_number_of_times() {
    let store = fresh("reuse").await;
    let e = entry(1, b"read again and again");
    store.put(&e.meta, &e.frame).await.unwrap();
    // Each get is made from the success event of the one before: it joins
    // that transaction, up to REUSE_READS reads (or REUSE_MS) per transaction
    // (fast.js's limits). So READS reads open READS / REUSE_READS
    // transactions, plus one for each REUSE_MS they took (a slow machine ends
    // transactions by age, not count), plus one for a read whose transaction
    // ended between two events.
    const READS: u32 = 200;
    const REUSE_READS: u32 = 64;
    const REUSE_MS: f64 = 16.0;
    let started = js_sys::Date::now();
    let (frames, opened) = read_transactions_during(async {
        let mut frames = Vec::new();
        for _ in 0..READS {
            frames.push(store.get(e.meta.key).await.unwrap());
        }
        frames
    })
    .await;
    let took_ms = js_sys::Date::now() - started;
    assert!(frames.iter().all(|f| f.as_deref() == Some(&e.frame[..])));
    let by_count = READS.div_ceil(REUSE_READS);
    assert!(
        opened >= by_count,
        "at most {REUSE_READS} reads per transaction: {opened} for {READS}"
    );
    let bound = by_count + (took_ms / REUSE_MS).ceil() as u32 + 1;
    assert!(
        opened <= bound,
        "reads in a row share transactions: {opened} for {READS} in {took_ms} ms (at most {bound})"
    );
}

#[wasm_bindgen_test]
async fn reads_asked_for_in_one_task_share_one_transaction() {
    let store = fresh("one-task").await;
    let items: Vec<PutItem> = (0..300).map(|i| entry(i, &payload(i, 16))).collect();
    store.put_many(&items).await.unwrap();
    // Three batches of 100 (more than REUSE_READS each) and a single get,
    // all asked for in the first poll, as a getMany's parts are: one
    // transaction, so they read one state of the database.
    let keys: Vec<_> = items.iter().map(|it| it.meta.key).collect();
    type Read<'a> =
        std::pin::Pin<Box<dyn Future<Output = larder_core::Result<Vec<Option<Vec<u8>>>>> + 'a>>;
    let mut reads: Vec<Read<'_>> = vec![Box::pin(async {
        store.get(keys[7]).await.map(|f| vec![f])
    })];
    reads.extend(
        keys.chunks(100)
            .map(|part| Box::pin(store.get_many(part)) as Read<'_>),
    );
    let (found, opened) = read_transactions_during(larder_tests::join_all(reads)).await;
    assert_eq!(
        opened, 1,
        "reads asked for in one task open one transaction"
    );
    let frames: Vec<_> = found.into_iter().flat_map(|r| r.unwrap()).collect();
    assert_eq!(frames.len(), 301);
    assert_eq!(frames[0].as_deref(), Some(&items[7].frame[..]));
    for (f, it) in frames[1..].iter().zip(&items) {
        assert_eq!(f.as_deref(), Some(&it.frame[..]));
    }
}

#[wasm_bindgen_test]
async fn a_read_made_after_a_write_sees_it_even_within_a_read_chain() {
    let store = fresh("reuse-write").await;
    let (a, b) = (entry(1, b"a"), entry(2, b"b"));
    store.put(&a.meta, &a.frame).await.unwrap();
    // Within the success event of a read (its transaction still takes
    // requests), a write starts, then a read: the read must not join the old
    // transaction, which IndexedDB orders before the write.
    assert!(store.get(a.meta.key).await.unwrap().is_some());
    let (got_b, got_a) = (std::cell::RefCell::new(None), std::cell::RefCell::new(None));
    let steps: Vec<std::pin::Pin<Box<dyn Future<Output = ()> + '_>>> = vec![
        Box::pin(async { store.put(&b.meta, &b.frame).await.unwrap() }),
        Box::pin(async { *got_b.borrow_mut() = Some(store.get(b.meta.key).await.unwrap()) }),
        Box::pin(async { assert!(store.delete(a.meta.key).await.unwrap()) }),
        Box::pin(async { *got_a.borrow_mut() = Some(store.get(a.meta.key).await.unwrap()) }),
    ];
    larder_core::join_all(steps).await;
    assert_eq!(got_b.into_inner(), Some(Some(b.frame.to_vec())));
    assert_eq!(got_a.into_inner(), Some(None));
}

#[wasm_bindgen_test]
async fn a_read_after_its_transaction_completed_does_not_try_it() {
    let store = fresh("reuse-complete").await;
    let e = entry(1, b"read, wait, read");
    store.put(&e.meta, &e.frame).await.unwrap();
    let watch = ReadWatch::start();
    assert!(store.get(e.meta.key).await.unwrap().is_some());
    watch.first_completed().await;
    // A task later: within the 16 ms for which a read may join the one
    // before, but for a stalled machine.
    assert!(store.get(e.meta.key).await.unwrap().is_some());
    let (opened, throws) = watch.stop();
    assert_eq!(opened, 2, "each read opens a transaction");
    assert_eq!(throws, 0, "no read tried the completed one");
}
