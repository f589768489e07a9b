//! Opening the database: schema creation, and a bounded wait when blocked.

use std::cell::Cell;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;

use larder_core::{Error, ErrorKind, Result};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbFactory, IdbOpenDbRequest};

use crate::error;
use crate::idb::{self, Fired};

/// How long [`crate::IndexedDbStore::open`] waits for the database before it
/// fails (ms). An open that is blocked (another tab keeps an old connection
/// during an upgrade) or queued behind another tab's pending delete or upgrade
/// would otherwise wait forever.
pub const OPEN_TIMEOUT_MS: u32 = 10_000;

/// The schema version this code creates and reads.
pub(crate) const DB_VERSION: u32 = 3;

#[wasm_bindgen]
extern "C" {
    // The global `setTimeout`: present in windows and workers alike.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(f: &js_sys::Function, ms: u32) -> JsValue;
}

/// A future that resolves after `ms` milliseconds.
pub(crate) fn sleep(ms: u32) -> JsFuture {
    let p = js_sys::Promise::new(&mut |resolve, _reject| {
        set_timeout(&resolve, ms);
    });
    JsFuture::from(p)
}

/// The global `indexedDB`, where there is one (windows and workers; not
/// Node, and `null` in some private modes).
fn factory() -> Option<IdbFactory> {
    js_sys::Reflect::get(&js_sys::global(), &"indexedDB".into())
        .ok()
        .and_then(|f| f.dyn_into::<IdbFactory>().ok())
}

/// Open (creating if needed) database `db_name` at [`DB_VERSION`].
pub(crate) async fn open_db(db_name: &str, timeout_ms: u32) -> Result<IdbDatabase> {
    let Some(factory) = factory() else {
        return Err(Error::new(
            ErrorKind::Unsupported,
            "open",
            "IndexedDB is not available here (private mode, or not a browser window or worker)",
        )
        .with_context(format!("database {db_name}")));
    };
    let request = factory
        .open_with_u32(db_name, DB_VERSION)
        .map_err(|e| open_error(db_name, &idb::thrown(&e)))?;
    let blocked = Rc::new(Cell::new(false));
    let on_blocked = {
        let blocked = Rc::clone(&blocked);
        Closure::<dyn FnMut(web_sys::Event)>::new(move |_evt: web_sys::Event| blocked.set(true))
    };
    let on_upgrade = {
        let request = request.clone();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |evt: web_sys::Event| {
            let old = evt
                .dyn_ref::<web_sys::IdbVersionChangeEvent>()
                .map_or(0.0, |e| e.old_version());
            upgrade(&request, old)
        })
    };
    request.set_onblocked(Some(on_blocked.as_ref().unchecked_ref()));
    request.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
    let mut opened = Some(Fired::request(request.clone().into()));
    let mut timer = sleep(timeout_ms);
    let ok = poll_fn(|cx| {
        let Some(fired) = opened.as_mut() else {
            return Poll::Ready(None); // not reached: Ready is returned once
        };
        if let Poll::Ready(ok) = Pin::new(fired).poll(cx) {
            return Poll::Ready(Some(ok));
        }
        if Pin::new(&mut timer).poll(cx).is_pending() {
            return Poll::Pending;
        }
        Poll::Ready(None)
    })
    .await;
    let detach = |r: &IdbOpenDbRequest| {
        r.set_onblocked(None);
        r.set_onupgradeneeded(None);
    };
    match ok {
        Some(true) => {
            detach(&request);
            request
                .result()
                .and_then(|db| db.dyn_into::<IdbDatabase>())
                .map_err(|e| open_error(db_name, &idb::thrown(&e)))
        }
        Some(false) => {
            detach(&request);
            let dom = request.error().ok().flatten();
            let (name, message) = match &dom {
                Some(d) => (Some(d.name()), d.message()),
                None => (None, "the open request failed".to_owned()),
            };
            Err(open_error(db_name, &(name, message)))
        }
        None => {
            // Give up, but do not leak the connection if the open succeeds
            // later: an unclosed connection would block the other tabs'
            // upgrades. The handlers stay alive until the request is done.
            drop(opened.take());
            let late = Fired::request(request.clone().into());
            wasm_bindgen_futures::spawn_local(async move {
                if late.await
                    && let Ok(db) = request.result()
                {
                    db.unchecked_into::<IdbDatabase>().close();
                }
                detach(&request);
                drop((on_blocked, on_upgrade));
            });
            let why = if blocked.get() {
                "it was blocked by a connection another tab keeps open to an older \
                 version; close the other tabs of this site and try again"
            } else {
                "another tab may be deleting or upgrading it; close the other tabs \
                 of this site and try again"
            };
            Err(Error::new(
                ErrorKind::Storage,
                "open",
                format!("IndexedDB did not open the database within {timeout_ms} ms: {why}"),
            )
            .with_context(format!("database {db_name}")))
        }
    }
}

/// `upgradeneeded` from `old` (0 for a new database): an older layout is
/// dropped, and what is missing created (fast.js `upgrade`). A failure aborts
/// the upgrade, which fails the open.
fn upgrade(request: &IdbOpenDbRequest, old: f64) {
    let Ok(db) = request.result() else { return };
    if idb::upgrade(db.unchecked_ref(), old).is_err() {
        if let Some(tx) = request.transaction() {
            let _ = tx.abort();
        }
    }
}

/// A larder error for a failed open, from the DOMException's name and message.
fn open_error(db: &str, (name, message): &(Option<String>, String)) -> Error {
    let err = if name.as_deref() == Some("VersionError") {
        Error::new(
            ErrorKind::Storage,
            "open",
            "the database was created by a newer version of larder; \
             use a different cache name or clear the site's data",
        )
    } else {
        error::from_parts("open", None, name.as_deref(), message)
    };
    err.with_context(format!("database {db}"))
}
