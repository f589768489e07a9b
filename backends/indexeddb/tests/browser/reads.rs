//! Reads sharing read-only transactions: how many join one, and never one
//! that a write or completion has left behind.

use std::future::Future;

use larder_core::{PutItem, Store};
use larder_tests::fixtures::{entry, payload};
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

use crate::support::fresh;
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
