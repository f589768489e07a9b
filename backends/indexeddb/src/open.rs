//! Opening the database: schema creation, and a bounded wait when blocked.

use std::cell::{Cell, RefCell};
use std::future::{Future, IntoFuture, poll_fn};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};

use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use larder_core::{Error, ErrorKind, Result};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::error;
use crate::store::{FRAMES, META};

/// How long an open may stay blocked by another tab's old connection before
/// it fails (ms). A blocked open would otherwise wait forever.
pub const BLOCKED_TIMEOUT_MS: i32 = 5_000;

/// The schema version this code creates and reads.
pub(crate) const DB_VERSION: u32 = 1;

#[wasm_bindgen]
extern "C" {
    // The global `setTimeout`: present in windows and workers alike.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(f: &js_sys::Function, ms: i32) -> JsValue;
}

/// A future that resolves after `ms` milliseconds.
pub(crate) fn sleep(ms: i32) -> JsFuture {
    let p = js_sys::Promise::new(&mut |resolve, _reject| {
        set_timeout(&resolve, ms);
    });
    JsFuture::from(p)
}

#[derive(Default)]
struct Blocked {
    fired: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

/// Open (creating if needed) database `db_name` at [`DB_VERSION`].
pub(crate) async fn open_db(db_name: &str) -> Result<Database> {
    let blocked = Rc::new(Blocked::default());
    let on_blocked = {
        let blocked = Rc::clone(&blocked);
        move |_evt| {
            blocked.fired.set(true);
            if let Some(w) = blocked.waker.borrow_mut().take() {
                w.wake();
            }
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
    let mut request = pin!(request.into_future());
    let mut timer: Option<JsFuture> = None;
    poll_fn(|cx| {
        if let Poll::Ready(r) = request.as_mut().poll(cx) {
            return Poll::Ready(r.map_err(|e| error::open(db_name, &e)));
        }
        if blocked.fired.get() {
            let t = timer.get_or_insert_with(|| sleep(BLOCKED_TIMEOUT_MS));
            if std::pin::Pin::new(t).poll(cx).is_ready() {
                return Poll::Ready(Err(Error::new(
                    ErrorKind::Storage,
                    "open",
                    format!(
                        "opening was blocked for {} s by a connection another tab keeps \
                         open to an older version; close the other tabs of this site \
                         and try again",
                        BLOCKED_TIMEOUT_MS / 1000
                    ),
                )
                .with_context(format!("database {db_name}"))));
            }
        } else {
            *blocked.waker.borrow_mut() = Some(cx.waker().clone());
        }
        Poll::Pending
    })
    .await
}
