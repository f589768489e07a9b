//! [`IndexedDbStore`]: the [`Store`] implementation.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use async_trait::async_trait;
use indexed_db_futures::database::Database;
use indexed_db_futures::internals::SystemRepr;
use indexed_db_futures::object_store::ObjectStore;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::{
    Transaction, TransactionDurability, TransactionMode, TransactionOptions,
};
use js_sys::Uint8Array;
use larder_core::frame::{self, HeaderRead};
use larder_core::{Capabilities, EntryMeta, Error, KeyHash, PutItem, Result, Store};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::{error, open, record};

/// Name of the object store holding frames.
pub const FRAMES: &str = "frames";
/// Name of the object store holding metadata records.
pub const META: &str = "meta";

/// The IndexedDB database name of the cache called `name`.
pub fn database_name(name: &str) -> String {
    format!("larder-{name}")
}

/// Shared with the event handlers: why the connection was closed, if it was.
#[derive(Default)]
struct State {
    closed: Cell<Option<&'static str>>,
}

/// A larder store in IndexedDB. See the crate docs for the layout.
pub struct IndexedDbStore {
    db: Database,
    name: String,
    state: Rc<State>,
    corrupt: Cell<u64>,
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

/// The keys and values of one `get_all`, as text keys and raw JS values.
type Records = Vec<(String, JsValue)>;

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
        let db = open::open_db(&db_name, timeout_ms).await?;
        let state = Rc::new(State::default());
        let sys: web_sys::IdbDatabase = db.as_sys().clone().unchecked_into();
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
            db,
            name: db_name,
            state,
            corrupt: Cell::new(0),
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
        self.sys().close();
    }

    fn sys(&self) -> web_sys::IdbDatabase {
        self.db.as_sys().clone().unchecked_into()
    }

    fn check_open(&self, op: &'static str) -> Result<()> {
        match self.state.closed.get() {
            Some(why) => Err(error::closed(op, why)),
            None => Ok(()),
        }
    }

    /// Map an IndexedDB error, preferring the clear "closed" error when the
    /// connection went away under the call.
    fn fail(
        &self,
        op: &'static str,
        key: Option<&str>,
        e: &indexed_db_futures::error::Error,
    ) -> Error {
        match self.state.closed.get() {
            Some(why) => error::closed(op, why),
            None => error::storage(op, key, e),
        }
    }

    fn tx(&self, op: &'static str, stores: &[&str], write: bool) -> Result<Transaction<'_>> {
        self.check_open(op)?;
        let mode = if write {
            TransactionMode::Readwrite
        } else {
            TransactionMode::Readonly
        };
        // Relaxed durability: the commit does not wait for the OS to flush.
        let opts = TransactionOptions::new().with_durability(TransactionDurability::Relaxed);
        self.db
            .transaction(stores)
            .with_mode(mode)
            .with_options(opts)
            .build()
            .map_err(|e| self.fail(op, None, &e))
    }

    fn store<'t>(
        &self,
        op: &'static str,
        tx: &'t Transaction<'_>,
        name: &str,
    ) -> Result<ObjectStore<'t>> {
        tx.object_store(name).map_err(|e| self.fail(op, None, &e))
    }

    /// Commit `tx`, mapping an abort to the error that caused it (a full quota
    /// aborts the transaction with `QuotaExceededError`).
    async fn commit(&self, op: &'static str, key: Option<&str>, tx: Transaction<'_>) -> Result<()> {
        let sys: web_sys::IdbTransaction = tx.as_sys().clone().unchecked_into();
        match tx.commit().await {
            Ok(()) => Ok(()),
            Err(e) => Err(match (self.state.closed.get(), sys.error()) {
                (Some(why), _) => error::closed(op, why),
                (None, Some(dom)) => error::from_parts(op, key, Some(&dom.name()), &dom.message()),
                (None, None) => error::storage(op, key, &e),
            }),
        }
    }

    /// Read every key and value of `store` in `tx`.
    async fn read_all(&self, op: &'static str, store: &ObjectStore<'_>) -> Result<Records> {
        let keys_req = store
            .get_all_keys::<JsValue>()
            .primitive()
            .map_err(|e| self.fail(op, None, &e))?;
        let vals_req = store
            .get_all::<JsValue>()
            .primitive()
            .map_err(|e| self.fail(op, None, &e))?;
        let keys = keys_req.await.map_err(|e| self.fail(op, None, &e))?;
        let vals = vals_req.await.map_err(|e| self.fail(op, None, &e))?;
        let mut out = Vec::new();
        for (k, v) in keys.zip(vals) {
            let k = k.map_err(|e| self.fail(op, None, &e))?;
            let v = v.map_err(|e| self.fail(op, None, &e))?;
            // A non-string key cannot be ours; keep it (as "") so it is removed.
            out.push((k.as_string().unwrap_or_default(), v));
        }
        Ok(out)
    }

    async fn frame_keys(&self, op: &'static str, store: &ObjectStore<'_>) -> Result<Vec<JsValue>> {
        let req = store
            .get_all_keys::<JsValue>()
            .primitive()
            .map_err(|e| self.fail(op, None, &e))?;
        let keys = req.await.map_err(|e| self.fail(op, None, &e))?;
        keys.map(|k| k.map_err(|e| self.fail(op, None, &e)))
            .collect()
    }

    /// One pass of `list` in `tx`. With `repair`, damaged records are removed
    /// and missing ones rebuilt in the same (readwrite) transaction; without,
    /// the pass returns `None` as soon as it finds anything to repair.
    async fn scan(&self, tx: &Transaction<'_>, repair: bool) -> Result<Option<Vec<EntryMeta>>> {
        const OP: &str = "list";
        let meta_store = self.store(OP, tx, META)?;
        let frames = self.store(OP, tx, FRAMES)?;
        let frame_keys_req = self.frame_keys(OP, &frames);
        let records = self.read_all(OP, &meta_store).await?;
        let frame_keys: HashSet<String> = frame_keys_req
            .await?
            .into_iter()
            .map(|k| k.as_string().unwrap_or_default())
            .collect();
        let mut out = Vec::with_capacity(records.len());
        let mut bad: Vec<JsValue> = Vec::new();
        let mut listed: HashSet<&str> = HashSet::with_capacity(records.len());
        for (k, v) in &records {
            let parsed = KeyHash::from_hex(k)
                .ok()
                .filter(|h| h.to_hex() == *k)
                .and_then(|h| record::from_js(h, v));
            match parsed {
                Some(m) if frame_keys.contains(k) => {
                    listed.insert(k);
                    out.push(m);
                }
                _ => bad.push(JsValue::from_str(k)),
            }
        }
        let orphans: Vec<&String> = frame_keys
            .iter()
            .filter(|k| !listed.contains(k.as_str()) && !records.iter().any(|(rk, _)| rk == *k))
            .collect();
        if bad.is_empty() && orphans.is_empty() {
            return Ok(Some(out));
        }
        if !repair {
            return Ok(None);
        }
        let mut damaged = bad.len() as u64;
        for k in &bad {
            // Records under keys that are not ours may not even be strings;
            // delete by the exact stored key.
            let fail =
                |e: indexed_db_futures::error::Error| self.fail(OP, k.as_string().as_deref(), &e);
            queued(meta_store.delete(k.clone()).primitive().map_err(fail)?);
            queued(frames.delete(k.clone()).primitive().map_err(fail)?);
        }
        // Frames without a record (written by something that is not this
        // store): rebuild the record from the verified header, or remove.
        for k in orphans {
            let got = frames
                .get::<JsValue, String, _>(k.clone())
                .primitive()
                .map_err(|e| self.fail(OP, Some(k), &e))?
                .await
                .map_err(|e| self.fail(OP, Some(k), &e))?;
            let meta =
                got.as_ref()
                    .and_then(bytes_of)
                    .and_then(|b| match frame::decode_header(&b) {
                        Ok(HeaderRead::Complete(h))
                            if h.key.to_hex() == *k && h.frame_len() == b.len() as u64 =>
                        {
                            Some(h.to_meta(h.created_ms))
                        }
                        _ => None,
                    });
            match meta {
                Some(m) => {
                    queued(
                        meta_store
                            .put(record::to_js(&m))
                            .with_key(k.clone())
                            .without_key_type()
                            .primitive()
                            .map_err(|e| self.fail(OP, Some(k), &e))?,
                    );
                    out.push(m);
                }
                None => {
                    damaged += 1;
                    queued(
                        frames
                            .delete(k.clone())
                            .primitive()
                            .map_err(|e| self.fail(OP, Some(k), &e))?,
                    );
                }
            }
        }
        self.corrupt.set(self.corrupt.get() + damaged);
        Ok(Some(out))
    }

    /// Remove a damaged entry found by `get` and count it.
    async fn remove_damaged(&self, hex: &str) -> Result<()> {
        const OP: &str = "get";
        let tx = self.tx(OP, &[FRAMES, META], true)?;
        for name in [FRAMES, META] {
            queued(
                self.store(OP, &tx, name)?
                    .delete(hex.to_owned())
                    .primitive()
                    .map_err(|e| self.fail(OP, Some(hex), &e))?,
            );
        }
        self.commit(OP, Some(hex), tx).await?;
        self.corrupt.set(self.corrupt.get() + 1);
        Ok(())
    }
}

impl Drop for IndexedDbStore {
    fn drop(&mut self) {
        let sys = self.sys();
        sys.set_onversionchange(None);
        sys.set_onclose(None);
        sys.close();
    }
}

/// A request already sent in a transaction whose result we do not need:
/// a failure aborts the transaction and surfaces from its commit.
fn queued<F>(request: F) {
    drop(request);
}

/// The bytes of a stored frame value: a `Uint8Array` (what we write) or an
/// `ArrayBuffer`; anything else is not a frame.
fn bytes_of(v: &JsValue) -> Option<Vec<u8>> {
    if let Some(a) = v.dyn_ref::<Uint8Array>() {
        Some(a.to_vec())
    } else if v.is_instance_of::<js_sys::ArrayBuffer>() {
        Some(Uint8Array::new(v).to_vec())
    } else {
        None
    }
}

/// The key of an item to write; the frame length must match the metadata.
fn check_item(meta: &EntryMeta, frame: &[u8]) -> Result<String> {
    if meta.size != frame.len() as u64 {
        return Err(Error::invalid(
            "put",
            format!(
                "metadata says the frame is {} bytes but it is {}",
                meta.size,
                frame.len()
            ),
        )
        .with_context(format!("key {}", meta.key)));
    }
    Ok(meta.key.to_hex())
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
            // QuotaExceededError: make room and retry once.
            evict_when_full: true,
        }
    }

    fn take_corrupt(&self) -> u64 {
        self.corrupt.replace(0)
    }

    async fn get(&self, key: KeyHash) -> Result<Option<Vec<u8>>> {
        Ok(self.get_many(&[key]).await?.pop().flatten())
    }

    async fn get_many(&self, keys: &[KeyHash]) -> Result<Vec<Option<Vec<u8>>>> {
        const OP: &str = "get";
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let hexes: Vec<String> = keys.iter().map(|k| k.to_hex()).collect();
        let tx = self.tx(OP, &[FRAMES], false)?;
        let frames = self.store(OP, &tx, FRAMES)?;
        let mut reqs = Vec::with_capacity(keys.len());
        for hex in &hexes {
            reqs.push(
                frames
                    .get::<JsValue, String, _>(hex.clone())
                    .primitive()
                    .map_err(|e| self.fail(OP, Some(hex), &e))?,
            );
        }
        let mut values = Vec::with_capacity(keys.len());
        for (req, hex) in reqs.into_iter().zip(&hexes) {
            values.push(req.await.map_err(|e| self.fail(OP, Some(hex), &e))?);
        }
        drop(frames);
        // Read-only: ending it early is harmless.
        drop(tx);
        let mut out = Vec::with_capacity(keys.len());
        for (v, hex) in values.into_iter().zip(&hexes) {
            match v {
                None => out.push(None),
                Some(v) => match bytes_of(&v) {
                    Some(b) => out.push(Some(b)),
                    None => {
                        self.remove_damaged(hex).await?;
                        out.push(None);
                    }
                },
            }
        }
        Ok(out)
    }

    async fn put(&self, meta: &EntryMeta, frame: &[u8]) -> Result<()> {
        const OP: &str = "put";
        let hex = check_item(meta, frame)?;
        let tx = self.tx(OP, &[FRAMES, META], true)?;
        self.write(OP, &tx, &hex, meta, frame)?;
        self.commit(OP, Some(&hex), tx).await
    }

    async fn put_many(&self, items: &[PutItem]) -> Result<()> {
        const OP: &str = "put_many";
        if items.is_empty() {
            return Ok(());
        }
        let hexes = items
            .iter()
            .map(|it| check_item(&it.meta, &it.frame))
            .collect::<Result<Vec<String>>>()?;
        // Every item in one transaction: all written, or (on abort) none.
        let tx = self.tx(OP, &[FRAMES, META], true)?;
        for (it, hex) in items.iter().zip(&hexes) {
            self.write(OP, &tx, hex, &it.meta, &it.frame)?;
        }
        let ctx = (items.len() == 1).then(|| hexes[0].as_str());
        self.commit(OP, ctx, tx).await
    }

    async fn delete(&self, key: KeyHash) -> Result<bool> {
        Ok(self.delete_many(&[key]).await? == 1)
    }

    async fn delete_many(&self, keys: &[KeyHash]) -> Result<usize> {
        const OP: &str = "delete";
        if keys.is_empty() {
            return Ok(0);
        }
        let tx = self.tx(OP, &[FRAMES, META], true)?;
        let frames = self.store(OP, &tx, FRAMES)?;
        let meta = self.store(OP, &tx, META)?;
        let mut counts = Vec::with_capacity(keys.len());
        for k in keys {
            let hex = k.to_hex();
            let fail = |e: indexed_db_futures::error::Error| self.fail(OP, Some(&hex), &e);
            counts.push(
                frames
                    .count()
                    .with_query::<String, _>(hex.clone())
                    .primitive()
                    .map_err(fail)?,
            );
            queued(frames.delete(hex.clone()).primitive().map_err(fail)?);
            queued(meta.delete(hex.clone()).primitive().map_err(fail)?);
        }
        let mut n = 0;
        for c in counts {
            if c.await.map_err(|e| self.fail(OP, None, &e))? > 0 {
                n += 1;
            }
        }
        drop((frames, meta));
        self.commit(OP, None, tx).await?;
        Ok(n)
    }

    async fn list(&self) -> Result<Vec<EntryMeta>> {
        // The usual case reads in a read-only transaction; only when something
        // needs repair is the scan redone in a readwrite one, so that the
        // repair sees (and fixes) a consistent state even with other tabs.
        {
            let tx = self.tx("list", &[FRAMES, META], false)?;
            if let Some(out) = self.scan(&tx, false).await? {
                return Ok(out);
            }
        }
        let tx = self.tx("list", &[FRAMES, META], true)?;
        let out = self.scan(&tx, true).await?;
        self.commit("list", None, tx).await?;
        Ok(out.unwrap_or_default())
    }

    async fn touch_many(&self, touches: &[(KeyHash, u64)]) -> Result<()> {
        const OP: &str = "touch_many";
        // The latest time per key; recency only moves forward.
        let mut latest: HashMap<KeyHash, u64> = HashMap::with_capacity(touches.len());
        for &(k, at) in touches {
            let e = latest.entry(k).or_insert(at);
            *e = (*e).max(at);
        }
        if latest.is_empty() {
            return Ok(());
        }
        let tx = self.tx(OP, &[META], true)?;
        let meta = self.store(OP, &tx, META)?;
        let mut reqs = Vec::with_capacity(latest.len());
        for (k, at) in latest {
            let hex = k.to_hex();
            let req = meta
                .get::<JsValue, String, _>(hex.clone())
                .primitive()
                .map_err(|e| self.fail(OP, Some(&hex), &e))?;
            reqs.push((hex, at, req));
        }
        for (hex, at, req) in reqs {
            let Some(rec) = req.await.map_err(|e| self.fail(OP, Some(&hex), &e))? else {
                continue; // a missing key is ignored
            };
            let Ok(k) = KeyHash::from_hex(&hex) else {
                continue;
            };
            // A malformed record is left for `list` to remove and count.
            let Some(mut m) = record::from_js(k, &rec) else {
                continue;
            };
            if m.last_access_ms < at {
                m.last_access_ms = at;
                queued(
                    meta.put(record::to_js(&m))
                        .with_key(hex.clone())
                        .without_key_type()
                        .primitive()
                        .map_err(|e| self.fail(OP, Some(&hex), &e))?,
                );
            }
        }
        drop(meta);
        self.commit(OP, None, tx).await
    }

    async fn clear(&self) -> Result<()> {
        const OP: &str = "clear";
        let tx = self.tx(OP, &[FRAMES, META], true)?;
        for name in [FRAMES, META] {
            queued(
                self.store(OP, &tx, name)?
                    .clear()
                    .map_err(|e| self.fail(OP, None, &e))?,
            );
        }
        self.commit(OP, None, tx).await
    }
}

impl IndexedDbStore {
    /// Queue the two writes of one entry in `tx`. Errors of the requests
    /// themselves abort the transaction and surface from its commit.
    fn write(
        &self,
        op: &'static str,
        tx: &Transaction<'_>,
        hex: &str,
        meta: &EntryMeta,
        frame: &[u8],
    ) -> Result<()> {
        let fail = |e: indexed_db_futures::error::Error| self.fail(op, Some(hex), &e);
        let bytes: JsValue = Uint8Array::from(frame).into();
        queued(
            self.store(op, tx, FRAMES)?
                .put(bytes)
                .with_key(hex.to_owned())
                .without_key_type()
                .primitive()
                .map_err(fail)?,
        );
        queued(
            self.store(op, tx, META)?
                .put(record::to_js(meta))
                .with_key(hex.to_owned())
                .without_key_type()
                .primitive()
                .map_err(fail)?,
        );
        Ok(())
    }
}
