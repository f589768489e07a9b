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
//! transaction's `complete` or `abort`. Writes call `commit()` once their
//! requests are made, which in Chromium finishes a small readwrite transaction
//! about a fifth sooner; reads let their transaction end by itself (never an
//! abort). Object store names and the options of a relaxed transaction are JS
//! values made once per connection, not per call.

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
    #[wasm_bindgen(js_name = eventOk)]
    fn event_ok(e: &web_sys::Event) -> bool;
    #[wasm_bindgen(catch, js_name = putEntries)]
    fn put_entries(
        db: &IdbDatabase,
        options: &JsValue,
        memory: &JsValue,
        d: &[f64],
        texts: &Array,
    ) -> Result<IdbTransaction, JsValue>;
    #[wasm_bindgen(catch, js_name = listMeta)]
    pub(crate) fn list_meta(tx: &IdbTransaction) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(js_name = frameOf)]
    pub(crate) fn frame_of(record: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = storeNames)]
    fn store_names() -> Array;
    #[wasm_bindgen(catch, js_name = upgrade)]
    pub(crate) fn upgrade(db: &IdbDatabase) -> Result<(), JsValue>;
}

/// Numbers per entry in [`Names::put`]'s description (`ENTRY` in fast.js).
pub(crate) const ENTRY: usize = 13;

/// `k`'s hex text ([`KeyHash::to_hex`]) as a JS string, made on the JS side:
/// a string returned from wasm would go through a TextDecoder.
pub(crate) fn key(k: KeyHash) -> JsValue {
    let v = k.0;
    hex_key(
        (v >> 96) as u32,
        (v >> 64) as u32,
        (v >> 32) as u32,
        v as u32,
    )
}

/// Ask `tx` to commit as soon as its requests are done, without waiting for
/// the page to go idle. Where `commit()` does not exist (older browsers) the
/// transaction commits by itself a moment later, so failing is harmless.
pub(crate) fn commit(tx: &IdbTransaction) {
    let _ = tx.unchecked_ref::<Tx>().commit_now();
}

/// The object store names and transaction options as JS values.
pub(crate) struct Names {
    entries: JsValue,
    access: JsValue,
    both: JsValue,
    relaxed: JsValue,
    memory: JsValue,
}

/// The object stores a transaction covers.
#[derive(Clone, Copy)]
pub(crate) enum Scope {
    Entries,
    Both,
}

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
        }
    }

    /// Make the puts that `d` and `texts` describe (see fast.js) in one
    /// relaxed readwrite transaction on `entries`, and ask it to commit.
    /// Every frame `d` points to must stay in place until this returns.
    pub(crate) fn put(
        &self,
        db: &IdbDatabase,
        d: &[f64],
        texts: &Array,
    ) -> Result<IdbTransaction, JsValue> {
        put_entries(db, &self.relaxed, &self.memory, d, texts)
    }

    /// A transaction on `scope`: read-only, or readwrite with relaxed
    /// durability (the commit does not wait for the OS to flush: a cache may
    /// lose its last writes on a power cut, never its consistency).
    pub(crate) fn tx(
        &self,
        db: &IdbDatabase,
        scope: Scope,
        write: bool,
    ) -> Result<IdbTransaction, JsValue> {
        let stores = match scope {
            Scope::Entries => &self.entries,
            Scope::Both => &self.both,
        };
        let db = db.unchecked_ref::<Db>();
        if write {
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
    waker: RefCell<Option<Waker>>,
}

enum Target {
    Request(IdbRequest),
    Tx(IdbTransaction),
}

/// The first of a request's `success` and `error`, or a transaction's
/// `complete` and `abort`: `true` for success or complete. Dropped before
/// then, it removes its listener.
pub(crate) struct Fired {
    target: Target,
    outcome: Rc<Outcome>,
    _listener: Closure<dyn FnMut(web_sys::Event)>,
}

impl Fired {
    /// Wait for `req` to succeed or fail.
    pub(crate) fn request(req: IdbRequest) -> Self {
        Self::on(Target::Request(req))
    }

    /// Wait for `tx` to complete or abort.
    pub(crate) fn tx(tx: IdbTransaction) -> Self {
        Self::on(Target::Tx(tx))
    }

    fn on(target: Target) -> Self {
        let outcome = Rc::new(Outcome::default());
        let listener = {
            let outcome = Rc::clone(&outcome);
            Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
                if outcome.done.get().is_none() {
                    outcome.done.set(Some(event_ok(&e)));
                }
                if let Some(w) = outcome.waker.borrow_mut().take() {
                    w.wake();
                }
            })
        };
        let f = Some(listener.as_ref().unchecked_ref());
        match &target {
            Target::Request(r) => {
                r.set_onsuccess(f);
                r.set_onerror(f);
            }
            Target::Tx(t) => {
                t.set_oncomplete(f);
                t.set_onabort(f);
            }
        }
        Fired {
            target,
            outcome,
            _listener: listener,
        }
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
        // that nothing calls the listener again and it may simply go.
        if self.outcome.done.get().is_some() {
            return;
        }
        // The listener is freed with us: the target must not call it later.
        match &self.target {
            Target::Request(r) => {
                r.set_onsuccess(None);
                r.set_onerror(None);
            }
            Target::Tx(t) => {
                t.set_oncomplete(None);
                t.set_onabort(None);
            }
        }
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
