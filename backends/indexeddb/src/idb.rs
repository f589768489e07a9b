//! Lean IndexedDB calls for the paths every get and set takes.
//!
//! indexed_db_futures gives every transaction three listeners and a channel,
//! aborts it on drop, and gives every awaited request a listener and a channel
//! of its own. Profiled in Chromium on a 1 KiB get, the abort of the dropped
//! read-only transaction alone cost about as much main-thread time as the read
//! itself. So these paths talk to `web_sys` directly: a call issues all its
//! requests and waits for one event with one listener: the last request's
//! (requests of a transaction complete in the order they were made, and a
//! failed one aborts the transaction, failing every later one), or the
//! transaction's `complete` or `abort`. That listener is a small JS function
//! (fast.js `listen`) calling one wasm callback made once per thread, with the
//! id of the waiting [`Fired`]: no wasm closure is made per call. Writes call
//! `commit()` once their requests are made, which in Chromium finishes a small
//! readwrite transaction about a fifth sooner; reads let their transaction end
//! by itself (never an abort), and the next read may join it (see fast.js
//! `getEntries`). Object store names and the options of a relaxed transaction
//! are JS values made once per connection, not per call.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use js_sys::Array;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{IdbDatabase, IdbObjectStore, IdbRequest, IdbTransaction, IdbTransactionMode};

use larder_core::KeyHash;

#[cfg(doc)]
use crate::store::{ACCESS, ENTRIES};

#[wasm_bindgen]
extern "C" {
    // The same JS objects as web-sys's types, for the calls web-sys binds
    // only with Rust strings (converted on every call), behind its
    // unstable-API flag (transaction options) or as deprecated (commit).
    #[wasm_bindgen(js_name = IDBDatabase)]
    type Db;
    #[wasm_bindgen(method, catch, js_name = transaction)]
    fn transaction_with(
        this: &Db,
        stores: &JsValue,
        mode: IdbTransactionMode,
        options: &JsValue,
    ) -> Result<IdbTransaction, JsValue>;
    // Read-only: no options to convert (measurably cheaper per call).
    #[wasm_bindgen(method, catch, js_name = transaction)]
    fn transaction_read(this: &Db, stores: &JsValue) -> Result<IdbTransaction, JsValue>;

    #[wasm_bindgen(js_name = IDBTransaction)]
    type Tx;
    #[wasm_bindgen(method, catch, js_name = objectStore)]
    fn object_store_named(this: &Tx, name: &JsValue) -> Result<IdbObjectStore, JsValue>;
    #[wasm_bindgen(method, catch, js_name = commit)]
    fn commit_now(this: &Tx) -> Result<(), JsValue>;
}

#[wasm_bindgen(module = "/src/fast.js")]
extern "C" {
    #[wasm_bindgen(js_name = hexKey)]
    fn hex_key(a: u32, b: u32, c: u32, d: u32) -> JsValue;
    #[wasm_bindgen(js_name = setWake)]
    fn set_wake(f: &JsValue);
    fn listen(target: &JsValue, tx: bool, id: u32);
    fn unlisten(target: &JsValue, tx: bool);
    #[wasm_bindgen(js_name = newReader)]
    fn new_reader() -> JsValue;
    #[wasm_bindgen(js_name = forgetReads)]
    fn forget_reads(reader: &JsValue);
    #[wasm_bindgen(catch, js_name = getEntries)]
    fn get_entries(
        db: &IdbDatabase,
        reader: &JsValue,
        words: &[u32],
        id: u32,
    ) -> Result<IdbRequest, JsValue>;
    #[wasm_bindgen(catch, js_name = getEntry)]
    fn get_entry(
        db: &IdbDatabase,
        reader: &JsValue,
        a: u32,
        b: u32,
        c: u32,
        d: u32,
        id: u32,
    ) -> Result<IdbRequest, JsValue>;
    #[wasm_bindgen(js_name = frameLength)]
    fn frame_length(frames: &JsValue, i: u32) -> i32;
    #[wasm_bindgen(js_name = copyFrame)]
    fn copy_frame(frames: &JsValue, i: u32, memory: &JsValue, ptr: u32);
    #[wasm_bindgen(js_name = copyTo)]
    fn copy_to(frame: &JsValue, memory: &JsValue, ptr: u32);
    #[wasm_bindgen(catch, js_name = putEntries)]
    fn put_entries(
        db: &IdbDatabase,
        tx: &JsValue,
        reader: &JsValue,
        options: &JsValue,
        memory: &JsValue,
        d: &[f64],
        texts: &Array,
        step: i32,
    ) -> Result<IdbTransaction, JsValue>;
    #[wasm_bindgen(catch, js_name = listMeta)]
    pub(crate) fn list_meta(tx: &IdbTransaction) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(catch, js_name = rewriteJournal)]
    pub(crate) fn rewrite_journal(
        entries: &IdbObjectStore,
        keys: &Array,
        metas: &Array,
        chunk: u32,
    ) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = storeNames)]
    fn store_names() -> Array;
    #[wasm_bindgen(catch, js_name = upgrade)]
    pub(crate) fn upgrade(db: &IdbDatabase, old_version: f64) -> Result<(), JsValue>;
}

/// Numbers per entry in [`Names::put`]'s description (`ENTRY` in fast.js).
pub(crate) const ENTRY: usize = 13;

/// [`Names::put`]'s `step` for a part of a batch that more parts follow.
pub(crate) const MORE: i32 = -1;

/// `k`'s hex text ([`KeyHash::to_hex`]) as a JS string, made on the JS side:
/// a string returned from wasm would go through a TextDecoder.
pub(crate) fn key(k: KeyHash) -> JsValue {
    let [a, b, c, d] = words(k);
    hex_key(a, b, c, d)
}

/// `k` as four 32-bit words, most significant first (what hexKey takes).
pub(crate) fn words(k: KeyHash) -> [u32; 4] {
    let v = k.0;
    [
        (v >> 96) as u32,
        (v >> 64) as u32,
        (v >> 32) as u32,
        v as u32,
    ]
}

/// Ask `tx` to commit as soon as its requests are done, without waiting for
/// the page to go idle. Where `commit()` does not exist (older browsers) the
/// transaction commits by itself a moment later, so failing is harmless.
pub(crate) fn commit(tx: &IdbTransaction) {
    let _ = tx.unchecked_ref::<Tx>().commit_now();
}

/// The object store names and transaction options as JS values, and the
/// read-only transaction that reads reuse (`newReader` in fast.js).
pub(crate) struct Names {
    entries: JsValue,
    access: JsValue,
    both: JsValue,
    relaxed: JsValue,
    memory: JsValue,
    reader: JsValue,
    texts: RefCell<Vec<(String, JsValue)>>,
}

/// How many namespace and tag strings [`Names::text`] keeps as JS strings.
const TEXTS: usize = 16;

impl Names {
    pub(crate) fn new() -> Self {
        // Made in fast.js (see storeNames there), the same names as
        // [`ENTRIES`] and [`ACCESS`].
        let names = store_names();
        Names {
            entries: names.get(0),
            access: names.get(1),
            both: names.get(2),
            relaxed: names.get(3),
            memory: wasm_bindgen::memory(),
            reader: new_reader(),
            texts: RefCell::new(Vec::new()),
        }
    }

    /// `s` as a JS string, kept for the last few strings asked for: a
    /// namespace or tag goes into every record, and making its JS string
    /// from wasm memory goes through a TextDecoder (microseconds a call).
    pub(crate) fn text(&self, s: &str) -> JsValue {
        let mut texts = self.texts.borrow_mut();
        if let Some(i) = texts.iter().position(|(t, _)| t == s) {
            return texts[i].1.clone();
        }
        let v = JsValue::from_str(s);
        if texts.len() == TEXTS {
            texts.remove(0);
        }
        texts.push((s.to_owned(), v.clone()));
        v
    }

    /// One `entries.get` request per key, in the read-only transaction of
    /// the previous read while that still takes requests (see fast.js), else
    /// in a new one. The wait ends with the last; on success its
    /// [`Fired::value`] is an array of each key's frame (`getEntries`).
    pub(crate) fn get(&self, db: &IdbDatabase, keys: &[KeyHash]) -> Result<Fired, JsValue> {
        let words: Vec<u32> = keys.iter().flat_map(|k| words(*k)).collect();
        Fired::reserved(|id| get_entries(db, &self.reader, &words, id))
    }

    /// [`Names::get`] for one key, the path of every single get: on success
    /// [`Names::frame_of`] takes the frame (`getEntry`).
    pub(crate) fn get_one(&self, db: &IdbDatabase, key: KeyHash) -> Result<Fired, JsValue> {
        let [a, b, c, d] = words(key);
        Fired::reserved(|id| get_entry(db, &self.reader, a, b, c, d, id))
    }

    /// Frame `i` of `frames` (a [`Names::get`] wait's [`Fired::value`]):
    /// `Ok(None)` for no record, `Err(())` for a record without a frame.
    pub(crate) fn frame(&self, frames: &JsValue, i: u32) -> Result<Option<Vec<u8>>, ()> {
        self.copied(frame_length(frames, i), |ptr| {
            copy_frame(frames, i, &self.memory, ptr)
        })
    }

    /// The frame a [`Names::get_one`] wait ended with, as [`Names::frame`].
    pub(crate) fn frame_of(&self, read: &Fired) -> Result<Option<Vec<u8>>, ()> {
        let frame = read.value();
        self.copied(read.outcome.len.get(), |ptr| {
            copy_to(&frame, &self.memory, ptr)
        })
    }

    /// A frame of `len` bytes (or fast.js NO_RECORD, DAMAGED) that `copy`
    /// writes to the wasm memory address it is given.
    fn copied(&self, len: i32, copy: impl FnOnce(u32)) -> Result<Option<Vec<u8>>, ()> {
        match len {
            // fast.js NO_RECORD
            -1 => Ok(None),
            len if len >= 0 => {
                let mut bytes = vec![0; len as usize];
                // Nothing allocates during the call, so `bytes` stays put.
                copy(bytes.as_mut_ptr() as usize as u32);
                Ok(Some(bytes))
            }
            // fast.js DAMAGED
            _ => Err(()),
        }
    }

    /// Make the puts that `d` and `texts` describe (see fast.js) in `tx`, a
    /// batch's transaction from its part before, or else in a new relaxed
    /// readwrite transaction on `entries`; returns the transaction. With
    /// `step` [`MORE`], more parts follow. Otherwise this is the last part:
    /// a batch's journal record, then with `step` > 0 (the journal's chunk
    /// size) its compaction, then the request to commit.
    /// Every frame `d` points to must stay in place until this returns.
    pub(crate) fn put(
        &self,
        db: &IdbDatabase,
        tx: Option<&IdbTransaction>,
        d: &[f64],
        texts: &Array,
        step: i32,
    ) -> Result<IdbTransaction, JsValue> {
        put_entries(
            db,
            tx.map_or(&JsValue::NULL, |t| t.as_ref()),
            &self.reader,
            &self.relaxed,
            &self.memory,
            d,
            texts,
            step,
        )
    }

    /// A transaction on both object stores: read-only, or readwrite with relaxed
    /// durability (the commit does not wait for the OS to flush: a cache may
    /// lose its last writes on a power cut, never its consistency).
    pub(crate) fn tx(&self, db: &IdbDatabase, write: bool) -> Result<IdbTransaction, JsValue> {
        let stores = &self.both;
        let db = db.unchecked_ref::<Db>();
        if write {
            // Later reads must see this write: none joins an older transaction.
            forget_reads(&self.reader);
            db.transaction_with(stores, IdbTransactionMode::Readwrite, &self.relaxed)
        } else {
            db.transaction_read(stores)
        }
    }

    pub(crate) fn entries(&self, tx: &IdbTransaction) -> Result<IdbObjectStore, JsValue> {
        tx.unchecked_ref::<Tx>().object_store_named(&self.entries)
    }

    pub(crate) fn access(&self, tx: &IdbTransaction) -> Result<IdbObjectStore, JsValue> {
        tx.unchecked_ref::<Tx>().object_store_named(&self.access)
    }
}

#[derive(Default)]
struct Outcome {
    /// `Some(true)` on success or complete, `Some(false)` on error or abort.
    done: Cell<Option<bool>>,
    /// What the listener handed over with the event (fast.js `getEntries`,
    /// `getEntry`), and the length of a frame handed over alone.
    value: RefCell<JsValue>,
    len: Cell<i32>,
    waker: RefCell<Option<Waker>>,
}

/// The outcomes awaited, by the id their listeners (fast.js `listen`) report:
/// every event reaches one callback, made once per thread.
#[derive(Default)]
struct Waiting {
    slots: Vec<Option<Rc<Outcome>>>,
    free: Vec<u32>,
    callback: Option<JsValue>,
}

thread_local! {
    static WAITING: RefCell<Waiting> = RefCell::default();
}

impl Waiting {
    /// A slot for a new wait: its id (for fast.js) and its outcome.
    fn reserve() -> (u32, Rc<Outcome>) {
        let outcome = Rc::new(Outcome::default());
        let id = WAITING.with(|w| w.borrow_mut().add(Rc::clone(&outcome)));
        (id, outcome)
    }

    /// Free the slot of a wait that will never be reported.
    fn release(id: u32) {
        WAITING.with(|w| w.borrow_mut().take(id));
    }

    fn add(&mut self, outcome: Rc<Outcome>) -> u32 {
        if self.callback.is_none() {
            let f = Closure::<dyn FnMut(u32, bool, JsValue, i32)>::new(fired).into_js_value();
            set_wake(&f);
            self.callback = Some(f);
        }
        match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = Some(outcome);
                id
            }
            None => {
                self.slots.push(Some(outcome));
                (self.slots.len() - 1) as u32
            }
        }
    }

    fn take(&mut self, id: u32) -> Option<Rc<Outcome>> {
        let outcome = self.slots.get_mut(id as usize)?.take()?;
        self.free.push(id);
        Some(outcome)
    }
}

/// The callback of every listener: record the outcome, wake its waiter.
fn fired(id: u32, ok: bool, value: JsValue, len: i32) {
    let Some(outcome) = WAITING.with(|w| w.borrow_mut().take(id)) else {
        return;
    };
    outcome.done.set(Some(ok));
    *outcome.value.borrow_mut() = value;
    outcome.len.set(len);
    let waker = outcome.waker.borrow_mut().take();
    if let Some(w) = waker {
        w.wake();
    }
}

/// The first of a request's `success` and `error`, or a transaction's
/// `complete` and `abort`: `true` for success or complete. Dropped before
/// then, it removes its listeners.
pub(crate) struct Fired {
    target: JsValue,
    tx: bool,
    id: u32,
    outcome: Rc<Outcome>,
}

impl Fired {
    /// Wait for `req` to succeed or fail.
    pub(crate) fn request(req: IdbRequest) -> Self {
        Self::on(req.into(), false)
    }

    /// Wait for `tx` to complete or abort.
    pub(crate) fn tx(tx: IdbTransaction) -> Self {
        Self::on(tx.into(), true)
    }

    /// The wait for the request `issue` makes, which reports to the id it
    /// is given.
    fn reserved(issue: impl FnOnce(u32) -> Result<IdbRequest, JsValue>) -> Result<Self, JsValue> {
        let (id, outcome) = Waiting::reserve();
        match issue(id) {
            Ok(req) => Ok(Fired {
                target: req.into(),
                tx: false,
                id,
                outcome,
            }),
            Err(e) => {
                Waiting::release(id);
                Err(e)
            }
        }
    }

    fn on(target: JsValue, tx: bool) -> Self {
        let (id, outcome) = Waiting::reserve();
        listen(&target, tx, id);
        Fired {
            target,
            tx,
            id,
            outcome,
        }
    }

    /// The request waited for (of [`Fired::request`] or [`Names::get`]).
    pub(crate) fn target_request(&self) -> IdbRequest {
        self.target.clone().unchecked_into()
    }

    /// What came with the event (undefined but for [`Names::get`]).
    pub(crate) fn value(&self) -> JsValue {
        self.outcome.value.take()
    }
}

impl Future for Fired {
    type Output = bool;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<bool> {
        match self.outcome.done.get() {
            Some(ok) => Poll::Ready(ok),
            None => {
                *self.outcome.waker.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl Drop for Fired {
    fn drop(&mut self) {
        // A request or transaction fires one of its two events, once: after
        // that the slot is already free and nothing calls the listener again.
        if self.outcome.done.get().is_some() {
            return;
        }
        // Not fired yet: the target must not report to a slot reused later.
        unlisten(&self.target, self.tx);
        Waiting::release(self.id);
    }
}

/// The DOMException that failed `tx` (or, failing that, `req`), as
/// `(name, message)`.
pub(crate) fn failure(tx: &IdbTransaction, req: Option<&IdbRequest>) -> Option<(String, String)> {
    let dom = tx
        .error()
        .or_else(|| req.and_then(|r| r.error().ok().flatten()))?;
    Some((dom.name(), dom.message()))
}

/// The name and message of a thrown DOMException (or other error).
pub(crate) fn thrown(e: &JsValue) -> (Option<String>, String) {
    match e.dyn_ref::<web_sys::DomException>() {
        Some(d) => (Some(d.name()), d.message()),
        None => (
            None,
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
                .or_else(|| e.as_string())
                .unwrap_or_else(|| format!("{e:?}")),
        ),
    }
}
