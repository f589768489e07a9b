//! `list`: one pass over the metadata (and the keys of the frames), which
//! never reads a payload; and the repair of what it finds damaged.
//! Rare next to gets and puts, so written with indexed_db_futures.

use std::collections::HashSet;

use indexed_db_futures::internals::SystemRepr;
use indexed_db_futures::object_store::ObjectStore;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::{
    Transaction, TransactionDurability, TransactionMode, TransactionOptions,
};
use larder_core::frame::{self, HeaderRead};
use larder_core::{EntryMeta, Error, KeyHash, Result};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::store::{FRAMES, IndexedDbStore, META, bytes_of};
use crate::{error, record};

/// The keys and values of one `get_all`, as text keys and raw JS values.
type Records = Vec<(String, JsValue)>;

/// A request already sent in a transaction whose result we do not need:
/// a failure aborts the transaction and surfaces from its commit.
fn queued<F>(request: F) {
    drop(request);
}

impl IndexedDbStore {
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

    /// [`Store::list`](larder_core::Store::list).
    pub(crate) async fn list_entries(&self) -> Result<Vec<EntryMeta>> {
        // The usual case reads in a read-only transaction; only when something
        // needs repair is the scan redone in a readwrite one, so that the
        // repair sees (and fixes) a consistent state even with other tabs.
        {
            let tx = self.tx("list", &[FRAMES, META], false)?;
            if let Some(out) = self.scan(&tx, false).await? {
                // Read-only: committing ends it without an abort.
                return self.commit("list", None, tx).await.map(|()| out);
            }
        }
        let tx = self.tx("list", &[FRAMES, META], true)?;
        let out = self.scan(&tx, true).await?;
        self.commit("list", None, tx).await?;
        Ok(out.unwrap_or_default())
    }
}
