//! `list`: one pass over the metadata (and the keys of the frames), which
//! never reads a payload; and the repair of what it finds damaged.

use js_sys::Array;
use larder_core::frame::{self, HeaderRead};
use larder_core::{EntryMeta, KeyHash, Result};
use wasm_bindgen::prelude::*;
use web_sys::{IdbRequest, IdbTransaction};

use crate::idb::{Fired, Scope};
use crate::record;
use crate::store::{IndexedDbStore, bytes_of};

impl IndexedDbStore {
    /// Wait for `req`, the last request made so far in `tx` (requests
    /// complete in order, and a failed one aborts the transaction), and take
    /// its result.
    async fn wait(
        &self,
        op: &'static str,
        key: Option<&str>,
        tx: &IdbTransaction,
        req: &IdbRequest,
    ) -> Result<JsValue> {
        if !Fired::request(req.clone()).await {
            return Err(self.aborted(op, key, tx, Some(req)));
        }
        req.result().map_err(|e| self.thrown(op, key, &e))
    }

    /// One pass of `list` in `tx`. With `repair`, damaged records are removed
    /// and missing ones rebuilt in the same (readwrite) transaction; without,
    /// the pass returns `None` as soon as it finds anything to repair.
    async fn scan(&self, tx: &IdbTransaction, repair: bool) -> Result<Option<Vec<EntryMeta>>> {
        const OP: &str = "list";
        let (frames, meta_store) = self.both(tx, OP, None)?;
        let reqs = frames
            .get_all_keys()
            .and_then(|f| Ok((f, meta_store.get_all_keys()?, meta_store.get_all()?)));
        let (frame_keys_req, keys_req, vals_req) =
            reqs.map_err(|e| self.abandon(tx, OP, None, &e))?;
        let vals = Array::from(&self.wait(OP, None, tx, &vals_req).await?);
        let keys = Array::from(&keys_req.result().map_err(|e| self.thrown(OP, None, &e))?);
        let frame_keys = frame_keys_req
            .result()
            .map_err(|e| self.thrown(OP, None, &e))?;
        // Sorted vectors and binary search rather than hash sets: this runs
        // once per open, and the wasm then needs no string-keyed hash table.
        let mut frame_keys: Vec<String> = Array::from(&frame_keys)
            .iter()
            .map(|k| k.as_string().unwrap_or_default())
            .collect();
        frame_keys.sort_unstable();
        // A non-string key cannot be ours; keep it (as "") so it is removed.
        let records: Vec<(String, JsValue)> = keys
            .iter()
            .zip(vals.iter())
            .map(|(k, v)| (k.as_string().unwrap_or_default(), v))
            .collect();
        let mut out = Vec::with_capacity(records.len());
        let mut bad: Vec<JsValue> = Vec::new();
        for (k, v) in &records {
            let parsed = KeyHash::from_hex(k)
                .ok()
                .filter(|h| h.to_hex() == *k)
                .and_then(|h| record::from_js(h, v));
            match parsed {
                Some(m) if frame_keys.binary_search(k).is_ok() => out.push(m),
                _ => bad.push(JsValue::from_str(k)),
            }
        }
        let mut record_keys: Vec<&str> = records.iter().map(|(k, _)| k.as_str()).collect();
        record_keys.sort_unstable();
        let orphans: Vec<&String> = frame_keys
            .iter()
            .filter(|k| record_keys.binary_search(&k.as_str()).is_err())
            .collect();
        if bad.is_empty() && orphans.is_empty() {
            return Ok(Some(out));
        }
        if !repair {
            return Ok(None);
        }
        let mut damaged = bad.len() as u64;
        for k in &bad {
            // A failed delete aborts the transaction and surfaces from its commit.
            meta_store
                .delete(k)
                .and_then(|_| frames.delete(k))
                .map_err(|e| self.abandon(tx, OP, k.as_string().as_deref(), &e))?;
        }
        // Frames without a record (written by something that is not this
        // store): rebuild the record from the verified header, or remove.
        for k in orphans {
            let key = JsValue::from_str(k);
            let req = frames
                .get(&key)
                .map_err(|e| self.abandon(tx, OP, Some(k), &e))?;
            let got = self.wait(OP, Some(k), tx, &req).await?;
            let meta = bytes_of(&got).and_then(|b| match frame::decode_header(&b) {
                Ok(HeaderRead::Complete(h))
                    if h.key.to_hex() == *k && h.frame_len() == b.len() as u64 =>
                {
                    Some(h.to_meta(h.created_ms))
                }
                _ => None,
            });
            match meta {
                Some(m) => {
                    meta_store
                        .put_with_key(&record::to_js(&m), &key)
                        .map_err(|e| self.abandon(tx, OP, Some(k), &e))?;
                    out.push(m);
                }
                None => {
                    damaged += 1;
                    frames
                        .delete(&key)
                        .map_err(|e| self.abandon(tx, OP, Some(k), &e))?;
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
            let tx = self.begin("list", Scope::Both, false)?;
            if let Some(out) = self.scan(&tx, false).await? {
                // Read-only: committing ends it without an abort.
                return self.finish("list", None, tx).await.map(|()| out);
            }
        }
        let tx = self.begin("list", Scope::Both, true)?;
        let out = self.scan(&tx, true).await?;
        self.finish("list", None, tx).await?;
        Ok(out.unwrap_or_default())
    }
}
