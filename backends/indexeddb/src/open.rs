//! Opening the database: schema creation, and a bounded wait when blocked.

use std::cell::Cell;
use std::future::{Future, IntoFuture, poll_fn};
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;

use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use larder_core::{Error, ErrorKind, Result};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::error;
use crate::store::{FRAMES, META};

/// How long [`crate::IndexedDbStore::open`] waits for the database before it
/// fails (ms). An open that is blocked (another tab keeps an old connection
/// during an upgrade) or queued behind another tab's pending delete or upgrade
/// would otherwise wait forever.
pub const OPEN_TIMEOUT_MS: u32 = 10_000;

/// The schema version this code creates and reads.
pub(crate) const DB_VERSION: u32 = 1;

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

#[derive(Default)]
struct Blocked {
    fired: Cell<bool>,
}

/// Open (creating if needed) database `db_name` at [`DB_VERSION`].
pub(crate) async fn open_db(db_name: &str, timeout_ms: u32) -> Result<Database> {
    let blocked = Rc::new(Blocked::default());
    let on_blocked = {
        let blocked = Rc::clone(&blocked);
        move |_evt| {
            blocked.fired.set(true);
            Ok(())
        }
    };
    let request = Database::open(db_name)
        .with_version(DB_VERSION)
        .with_on_blocked(on_blocked)
        .with_on_upgrade_needed(|_evt, db: Database| {
            // Version 1 is the only schema: create what is missing (an
            // upgrade from 0, or a half-created database).
            let names: Vec<String> = db.object_store_names().collect();
            for name in [FRAMES, META] {
                if !names.iter().any(|n| n == name) {
                    db.create_object_store(name).build()?;
                }
            }
            Ok(())
        })
        .build()
        .map_err(|e| error::open(db_name, &e))?;
    let mut request = Some(Box::pin(request.into_future()));
    let mut timer = sleep(timeout_ms);
    poll_fn(|cx| {
        let Some(req) = request.as_mut() else {
            return Poll::Pending; // not reached: Ready is returned once
        };
        if let Poll::Ready(r) = req.as_mut().poll(cx) {
            return Poll::Ready(r.map_err(|e| error::open(db_name, &e)));
        }
        if Pin::new(&mut timer).poll(cx).is_pending() {
            return Poll::Pending;
        }
        // Give up, but do not leak the connection if the open succeeds later:
        // an unclosed connection would block the other tabs' upgrades.
        if let Some(late) = request.take() {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(db) = late.await {
                    db.close();
                }
            });
        }
        let why = if blocked.fired.get() {
            "it was blocked by a connection another tab keeps open to an older \
             version; close the other tabs of this site and try again"
        } else {
            "another tab may be deleting or upgrading it; close the other tabs \
             of this site and try again"
        };
        Poll::Ready(Err(Error::new(
            ErrorKind::Storage,
            "open",
            format!("IndexedDB did not open the database within {timeout_ms} ms: {why}"),
        )
        .with_context(format!("database {db_name}"))))
    })
    .await
}
