//! [`IndexedDbStore`]: the [`Store`] implementation.

use std::cell::Cell;
use std::rc::Rc;

use async_trait::async_trait;
use larder_core::{
    Capabilities, EntryMeta, Error, KeyHash, PutBatch, PutItem, Result, Store, store,
};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{IdbDatabase, IdbObjectStore, IdbRequest, IdbTransaction};

use crate::idb::{self, Fired, Names};
use crate::{error, open, record, scan};

mod write;

use write::Ready;

/// Name of the object store holding one record per entry, `{ m, f }` or
/// `{ f }`, and the journal of batches' metadata (see the crate docs).
pub const ENTRIES: &str = "entries";
/// Name of the index on `entries` whose keys are the records' own metadata.
pub const META_INDEX: &str = "meta";
/// Name of the object store holding the access times `touch_many` records.
pub const ACCESS: &str = "access";

/// The IndexedDB database name of the cache called `name`.
pub fn database_name(name: &str) -> String {
    format!("larder-{name}")
}

/// Shared with the event handlers: why the connection was closed, if it was.
#[derive(Default)]
pub(crate) struct State {
    pub(crate) closed: Cell<Option<&'static str>>,
}

/// The journal as this connection knows it: the entries the last `list`
/// found, and the records and entries in the journal since (its own writes
/// added; other tabs' unseen).
#[derive(Clone, Copy, Default)]
struct JournalSize {
    live: usize,
    records: usize,
    total: usize,
}

/// A larder store in IndexedDB. See the crate docs for the layout.
pub struct IndexedDbStore {
    sys: IdbDatabase,
    names: Names,
    name: String,
    pub(crate) state: Rc<State>,
    pub(crate) corrupt: Cell<u64>,
    /// When a compaction may be due (see [`IndexedDbStore::journal_grows`]).
    journal: Cell<JournalSize>,
    // Kept alive as long as the connection's event handlers point at them.
    _on_versionchange: Closure<dyn FnMut(web_sys::Event)>,
    _on_close: Closure<dyn FnMut(web_sys::Event)>,
}

impl std::fmt::Debug for IndexedDbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexedDbStore")
            .field("database", &self.name)
            .field("closed", &self.state.closed.get())
            .finish_non_exhaustive()
    }
}

impl IndexedDbStore {
    /// Open (or create) the cache `name`: database `larder-<name>`.
    ///
    /// Fails with [`larder_core::ErrorKind::InvalidInput`] for an empty name,
    /// [`larder_core::ErrorKind::Unsupported`] where IndexedDB is unavailable, and
    /// [`larder_core::ErrorKind::Storage`] when the open fails or stays blocked by another
    /// tab for [`crate::OPEN_TIMEOUT_MS`].
    pub async fn open(name: &str) -> Result<Self> {
        Self::open_with_timeout(name, open::OPEN_TIMEOUT_MS).await
    }

    /// [`IndexedDbStore::open`], failing after `timeout_ms` instead of
    /// [`crate::OPEN_TIMEOUT_MS`] when the database does not open.
    pub async fn open_with_timeout(name: &str, timeout_ms: u32) -> Result<Self> {
        if name.is_empty() {
            return Err(Error::invalid("open", "the cache name must not be empty"));
        }
        let db_name = database_name(name);
        let sys = open::open_db(&db_name, timeout_ms).await?;
        let state = Rc::new(State::default());
        let on_versionchange = {
            let (state, sys) = (Rc::clone(&state), sys.clone());
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_evt: web_sys::Event| {
                // Another tab wants a newer schema: step aside at once so it is
                // not blocked; our later calls fail with a clear error.
                state.closed.set(Some(error::CLOSED_BY_UPGRADE));
                sys.close();
            })
        };
        let on_close = {
            let state = Rc::clone(&state);
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_evt: web_sys::Event| {
                if state.closed.get().is_none() {
                    state.closed.set(Some(error::CLOSED_BY_BROWSER));
                }
            })
        };
        sys.set_onversionchange(Some(on_versionchange.as_ref().unchecked_ref()));
        sys.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(IndexedDbStore {
            sys,
            names: Names::new(),
            name: db_name,
            state,
            corrupt: Cell::new(0),
            journal: Cell::default(),
            _on_versionchange: on_versionchange,
            _on_close: on_close,
        })
    }

    /// The IndexedDB database name (`larder-<name>`).
    pub fn database_name(&self) -> &str {
        &self.name
    }

    /// Close the connection. Later calls fail with [`larder_core::ErrorKind::Storage`].
    /// Dropping the store closes it too.
    pub fn close(&self) {
        if self.state.closed.get().is_none() {
            self.state.closed.set(Some(error::CLOSED_BY_USER));
        }
        self.sys.close();
    }

    pub(crate) fn check_open(&self, op: &'static str) -> Result<()> {
        match self.state.closed.get() {
            Some(why) => Err(error::closed(op, why)),
            None => Ok(()),
        }
    }

    /// A transaction on both object stores (see [`Names::tx`]).
    pub(crate) fn begin(&self, op: &'static str, write: bool) -> Result<IdbTransaction> {
        self.check_open(op)?;
        self.names
            .tx(&self.sys, write)
            .map_err(|e| self.thrown(op, None, &e))
    }

    /// The error for a JS exception thrown by an IndexedDB call, preferring the
    /// clear "closed" error when the connection went away under the call.
    pub(crate) fn thrown(&self, op: &'static str, key: Option<&str>, e: &JsValue) -> Error {
        if let Some(why) = self.state.closed.get() {
            return error::closed(op, why);
        }
        let (name, message) = idb::thrown(e);
        error::from_parts(op, key, name.as_deref(), &message)
    }

    /// Abort `tx`, so that none of its requests is written, after a request
    /// could not even be made (`e`).
    pub(crate) fn abandon(
        &self,
        tx: &IdbTransaction,
        op: &'static str,
        key: Option<&str>,
        e: &JsValue,
    ) -> Error {
        // Already finished is fine: then nothing is pending either.
        let _ = tx.abort();
        self.thrown(op, key, e)
    }

    /// The error that aborted `tx` (a full quota aborts it with
    /// `QuotaExceededError`: [`ErrorKind::StorageFull`](larder_core::ErrorKind::StorageFull)).
    pub(crate) fn aborted(
        &self,
        op: &'static str,
        key: Option<&str>,
        tx: &IdbTransaction,
        req: Option<&IdbRequest>,
    ) -> Error {
        if let Some(why) = self.state.closed.get() {
            return error::closed(op, why);
        }
        match idb::failure(tx, req) {
            Some((name, message)) => error::from_parts(op, key, Some(&name), &message),
            None => error::from_parts(op, key, None, "the transaction was aborted"),
        }
    }

    /// Commit `tx` and wait until it is written (or aborted).
    pub(crate) async fn finish(
        &self,
        op: &'static str,
        key: Option<&str>,
        tx: IdbTransaction,
    ) -> Result<()> {
        let done = Fired::tx(tx.clone());
        idb::commit(&tx);
        self.written(op, || key.map(String::from), &tx, done).await
    }

    /// Wait for `done`, the end of `tx`: `Ok` if it completed. `key` names
    /// the key in the error, made only if there is one.
    async fn written(
        &self,
        op: &'static str,
        key: impl FnOnce() -> Option<String>,
        tx: &IdbTransaction,
        done: Fired,
    ) -> Result<()> {
        if done.await {
            Ok(())
        } else {
            Err(self.aborted(op, key().as_deref(), tx, None))
        }
    }

    /// The `entries` and `access` object stores of `tx` (which covers both).
    pub(crate) fn both(
        &self,
        tx: &IdbTransaction,
        op: &'static str,
        key: Option<&str>,
    ) -> Result<(IdbObjectStore, IdbObjectStore)> {
        let entries = self.names.entries(tx);
        let access = self.names.access(tx);
        entries
            .and_then(|e| Ok((e, access?)))
            .map_err(|e| self.abandon(tx, op, key, &e))
    }

    /// The reads `issue` makes for `keys`, waited for: the wait, ended in
    /// success, to take the frames from; a failure as the typed error.
    async fn read(
        &self,
        keys: &[KeyHash],
        issue: impl FnOnce(&Names, &IdbDatabase) -> std::result::Result<Fired, JsValue>,
    ) -> Result<Fired> {
        const OP: &str = "get";
        // The requests name keys by text made in JS (idb::key); Rust's hex
        // text is made only for an error's context.
        let ctx = || match keys {
            [k] => Some(k.to_hex()),
            _ => None,
        };
        self.check_open(OP)?;
        let mut read =
            issue(&self.names, &self.sys).map_err(|e| self.thrown(OP, ctx().as_deref(), &e))?;
        // Never committed explicitly: the next read may join the transaction
        // (see fast.js), and it ends with its reads anyway.
        if (&mut read).await {
            return Ok(read);
        }
        let last = read.target_request();
        let ctx = ctx();
        Err(match last.transaction() {
            Some(tx) => self.aborted(OP, ctx.as_deref(), &tx, Some(&last)),
            None => self.thrown(OP, ctx.as_deref(), &JsValue::from_str("the read failed")),
        })
    }

    /// Record what a `list` found: `live` entries, and a journal of
    /// `records` records holding `total` entries (after any compaction).
    pub(crate) fn journal_scanned(&self, live: usize, records: usize, total: usize) {
        self.journal.set(JournalSize {
            live,
            records,
            total,
        });
    }

    /// Record a compaction that left `live` entries in the journal.
    pub(crate) fn journal_compacted(&self, live: usize) {
        self.journal_scanned(live, live.div_ceil(scan::CHUNK as usize), live);
    }

    /// Count a batch of `entries` entries about to add its journal record,
    /// and say whether the batch should compact the journal: whether it
    /// would be worth compacting if no other entry had come since the last
    /// look (other tabs' writes, new keys), so that a connection that never
    /// lists keeps it bounded too.
    fn journal_grows(&self, entries: usize) -> bool {
        let mut j = self.journal.get();
        j.records += 1;
        j.total += entries;
        self.journal.set(j);
        scan::worth_compacting(j.records, j.total, j.live)
    }

    /// Remove a damaged entry found by `get` and count it.
    async fn remove_damaged(&self, k: KeyHash) -> Result<()> {
        const OP: &str = "get";
        let hex = k.to_hex();
        let hex = Some(hex.as_str());
        let tx = self.begin(OP, true)?;
        let key = idb::key(k);
        for store in <[_; 2]>::from(self.both(&tx, OP, hex)?) {
            store
                .delete(&key)
                .map_err(|e| self.abandon(&tx, OP, hex, &e))?;
        }
        self.finish(OP, hex, tx).await?;
        self.corrupt.set(self.corrupt.get() + 1);
        Ok(())
    }
}

impl Drop for IndexedDbStore {
    fn drop(&mut self) {
        self.sys.set_onversionchange(None);
        self.sys.set_onclose(None);
        self.sys.close();
    }
}

#[async_trait(?Send)]
impl Store for IndexedDbStore {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            persistent: true,
            shared: true,
            native_ttl: false,
            native_batch: true,
            persistent_recency: true,
            // QuotaExceededError: make room and retry (the core evicts more while it stays full).
            evict_when_full: true,
        }
    }

    fn take_corrupt(&self) -> u64 {
        self.corrupt.replace(0)
    }

    async fn get(&self, key: KeyHash) -> Result<Option<Vec<u8>>> {
        // get_many's steps for one key, without its arrays: the path of
        // every single get.
        let read = self
            .read(&[key], |names, db| names.get_one(db, key))
            .await?;
        match self.names.frame_of(&read) {
            Ok(frame) => Ok(frame),
            Err(()) => {
                self.remove_damaged(key).await?;
                Ok(None)
            }
        }
    }

    async fn get_many(&self, keys: &[KeyHash]) -> Result<Vec<Option<Vec<u8>>>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let read = self.read(keys, |names, db| names.get(db, keys)).await?;
        let frames = read.value();
        let mut out = Vec::with_capacity(keys.len());
        for (i, k) in keys.iter().enumerate() {
            match self.names.frame(&frames, i as u32) {
                Ok(frame) => out.push(frame),
                Err(()) => {
                    self.remove_damaged(*k).await?;
                    out.push(None);
                }
            }
        }
        Ok(out)
    }

    async fn put(&self, meta: &EntryMeta, frame: &[u8]) -> Result<()> {
        self.check_open("put")?;
        self.put_one("put", meta, frame).await
    }

    async fn put_many(&self, items: &[PutItem]) -> Result<()> {
        self.write("put_many", &mut Ready { items, made: 0 }).await
    }

    async fn put_batch(&self, batch: &mut dyn PutBatch) -> Result<()> {
        self.write("put_many", batch).await
    }

    async fn delete(&self, key: KeyHash) -> Result<bool> {
        Ok(self.delete_many(&[key]).await? == 1)
    }

    async fn delete_many(&self, keys: &[KeyHash]) -> Result<usize> {
        const OP: &str = "delete";
        if keys.is_empty() {
            return Ok(0);
        }
        // The journal is not written: what it says of a key whose record is
        // gone is dropped by the next compaction (a later batch writing the
        // key again writes a newer journal record).
        let tx = self.begin(OP, true)?;
        let (entries, access) = self.both(&tx, OP, None)?;
        let mut counts = Vec::with_capacity(keys.len());
        for k in keys {
            let key = idb::key(*k);
            let count = entries
                .count_with_key(&key)
                .and_then(|c| {
                    entries.delete(&key)?;
                    access.delete(&key)?;
                    Ok(c)
                })
                .map_err(|e| self.abandon(&tx, OP, Some(&k.to_hex()), &e))?;
            counts.push(count);
        }
        self.finish(OP, None, tx).await?;
        // Every request of a completed transaction has its result.
        Ok(counts
            .iter()
            .filter(|c| c.result().ok().and_then(|n| n.as_f64()).unwrap_or(0.0) > 0.0)
            .count())
    }

    async fn list(&self) -> Result<Vec<EntryMeta>> {
        self.list_entries().await
    }

    async fn touch_many(&self, touches: &[(KeyHash, u64)]) -> Result<()> {
        const OP: &str = "touch_many";
        let latest = store::latest_touches(touches);
        if latest.is_empty() {
            return Ok(());
        }
        // A touch is an `access` record: the entry's own record (metadata and
        // frame) is never rewritten for it. `list` takes the later time.
        let tx = self.begin(OP, true)?;
        let (entries, access) = self.both(&tx, OP, None)?;
        let mut reads = Vec::with_capacity(latest.len());
        for (k, at) in latest {
            let key = idb::key(k);
            let reqs = entries
                .count_with_key(&key)
                .and_then(|n| Ok((n, access.get(&key)?)))
                .map_err(|e| self.abandon(&tx, OP, Some(&k.to_hex()), &e))?;
            reads.push((key, at, reqs));
        }
        let last = reads[reads.len() - 1].2.1.clone();
        if !Fired::request(last.clone()).await {
            return Err(self.aborted(OP, None, &tx, Some(&last)));
        }
        // Still inside the last read's success event: the transaction is
        // active, so the writes join it.
        for (key, at, (count, prev)) in reads {
            let present = count
                .result()
                .ok()
                .and_then(|n| n.as_f64())
                .is_some_and(|n| n > 0.0);
            let prev = prev.result().ok().as_ref().and_then(record::as_u64);
            // A missing entry is ignored; recency only moves forward.
            if present && prev.is_none_or(|p| p < at) {
                access
                    .put_with_key(&JsValue::from_f64(record::clamped(at)), &key)
                    .map_err(|e| self.abandon(&tx, OP, None, &e))?;
            }
        }
        self.finish(OP, None, tx).await
    }

    async fn clear(&self) -> Result<()> {
        const OP: &str = "clear";
        let tx = self.begin(OP, true)?;
        for store in <[_; 2]>::from(self.both(&tx, OP, None)?) {
            store.clear().map_err(|e| self.abandon(&tx, OP, None, &e))?;
        }
        self.finish(OP, None, tx).await?;
        self.journal_scanned(0, 0, 0);
        Ok(())
    }
}
