//! The conformance suite and IndexedDB-specific behaviour, in a real browser:
//! `CHROMEDRIVER=/usr/bin/chromedriver
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
//! cargo test -p larder-indexeddb --target wasm32-unknown-unknown --test browser`
//!
//! Here: the suite, batches, listing, persistence, recency and dropped calls;
//! damaged records in `damage`, opening and other tabs in `tabs`, read
//! transactions shared between reads in `reads`.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, missing_docs)]

mod damage;
mod journal;
mod reads;
mod support;
mod tabs;

use std::future::Future;

use larder_core::{
    Cache, Config, ErrorKind, Key, KeyHash, ManualClock, PutItem, PutOptions, Store,
};
use larder_indexeddb::{ENTRIES, IndexedDbStore, database_name};
use larder_tests::fixtures::{entry, payload};
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

use support::{fresh, raw, raw_put, raw_set_frame, records, unique};

wasm_bindgen_test_configure!(run_in_browser);

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

/// Entries made on demand that note, at each `make`, how many `put()`
/// requests the page has made so far.
struct Watched {
    items: Vec<PutItem>,
    want: u32,
    puts_at_make: Vec<(usize, f64)>,
}

fn puts_so_far() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &"larderTestPuts".into())
        .unwrap()
        .as_f64()
        .unwrap()
}

impl larder_core::PutBatch for Watched {
    fn make(&mut self, n: usize) -> larder_core::Result<usize> {
        self.puts_at_make.push((self.items.len(), puts_so_far()));
        let from = self.items.len();
        while self.items.len() < self.want as usize && self.items.len() - from < n {
            let i = self.items.len() as u32;
            self.items.push(entry(i, &payload(i, 100)));
        }
        Ok(self.items.len() - from)
    }

    fn items(&self) -> &[PutItem] {
        &self.items
    }
}

/// A batch's entries are put as soon as each part is made, before the next
/// part is made: IndexedDB writes the first ones while the rest is made.
#[wasm_bindgen_test]
async fn a_batch_is_put_while_it_is_made() {
    let store = fresh("parts").await;
    let count = "globalThis.larderTestPuts = 0;
        const put = IDBObjectStore.prototype.put;
        globalThis.larderTestRestore = () => { IDBObjectStore.prototype.put = put; };
        IDBObjectStore.prototype.put = function (...a) { globalThis.larderTestPuts++; return put.apply(this, a); };";
    js_sys::Function::new_no_args(count)
        .call0(&JsValue::NULL)
        .unwrap();
    let mut batch = Watched {
        items: Vec::new(),
        want: 300,
        puts_at_make: Vec::new(),
    };
    let written = store.put_batch(&mut batch).await;
    js_sys::Function::new_no_args("globalThis.larderTestRestore()")
        .call0(&JsValue::NULL)
        .unwrap();
    written.unwrap();
    let calls = &batch.puts_at_make;
    assert!(calls.len() > 3, "300 entries made in {} calls", calls.len());
    for &(made, puts) in &calls[1..] {
        assert_eq!(
            puts, made as f64,
            "when asked for more after {made} entries, {puts} had been put"
        );
    }
    assert_eq!(store.list().await.unwrap().len(), 300);
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
    assert_eq!(records(&store).await, 0);
    db.close();
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
