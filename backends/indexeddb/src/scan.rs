//! `list`: one pass over the entries' metadata (a key cursor over the index
//! `meta`) and the access times, which never reads a frame; and the repair
//! of what it finds damaged.

use js_sys::Array;
use larder_core::{EntryMeta, KeyHash, Result};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::IdbTransaction;

use crate::idb;
use crate::record;
use crate::store::IndexedDbStore;

/// A primary key that is a key hash's exact hex text.
fn key_hash(k: &JsValue) -> Option<KeyHash> {
    let text = k.as_string()?;
    KeyHash::from_hex(&text).ok().filter(|h| h.to_hex() == text)
}

impl IndexedDbStore {
    /// One pass of `list` in `tx`. With `repair`, damaged records are removed
    /// in the same (readwrite) transaction; without, the pass returns `None`
    /// as soon as it finds anything to repair.
    async fn scan(&self, tx: &IdbTransaction, repair: bool) -> Result<Option<Vec<EntryMeta>>> {
        const OP: &str = "list";
        let listed = idb::list_meta(tx).map_err(|e| self.abandon(tx, OP, None, &e))?;
        let listed = match JsFuture::from(listed).await {
            Ok(v) => Array::from(&v),
            Err(e) => {
                return Err(match idb::failure(tx, None) {
                    Some(_) => self.aborted(OP, None, tx, None),
                    None => self.thrown(OP, None, &e),
                });
            }
        };
        let [keys, metas, all, access_keys, times] =
            [0, 1, 2, 3, 4].map(|i| Array::from(&listed.get(i)));
        // Access times by key hash, sorted for binary search (this runs once
        // per open and re-sync; the wasm needs no hash table keyed by text).
        let mut touched: Vec<(KeyHash, u64)> = Vec::with_capacity(access_keys.length() as usize);
        let mut stale: Vec<JsValue> = Vec::new();
        for (k, t) in access_keys.iter().zip(times.iter()) {
            match (key_hash(&k), record::as_u64(&t)) {
                (Some(h), Some(t)) => touched.push((h, t)),
                _ => stale.push(k),
            }
        }
        touched.sort_unstable();
        let touched_at = |h: KeyHash| {
            touched
                .binary_search_by(|(k, _)| k.cmp(&h))
                .ok()
                .map(|i| touched[i].1)
        };
        let mut out = Vec::with_capacity(keys.length() as usize);
        let mut bad: Vec<JsValue> = Vec::new();
        let mut indexed: Vec<String> = Vec::with_capacity(keys.length() as usize);
        for (k, m) in keys.iter().zip(metas.iter()) {
            if let Some(text) = k.as_string() {
                indexed.push(text);
            }
            match key_hash(&k).and_then(|h| record::from_index(h, &m, touched_at(h))) {
                Some(meta) => out.push(meta),
                None => bad.push(k),
            }
        }
        // A record whose `m` is not a valid key is in no index: find it by
        // its primary key (the keys, not the records, are read).
        indexed.sort_unstable();
        for k in all.iter() {
            let listed = k
                .as_string()
                .is_some_and(|t| indexed.binary_search(&t).is_ok());
            if !listed {
                bad.push(k);
            }
        }
        // An access time whose entry is gone (written by something else). One
        // of a damaged record is deleted with it below, and again here:
        // deleting twice in one transaction is harmless.
        let mut live: Vec<KeyHash> = out.iter().map(|m| m.key).collect();
        live.sort_unstable();
        for (h, _) in &touched {
            if live.binary_search(h).is_err() {
                stale.push(idb::key(*h));
            }
        }
        if bad.is_empty() && stale.is_empty() {
            return Ok(Some(out));
        }
        if !repair {
            return Ok(None);
        }
        let (entries, access) = self.both(tx, OP, None)?;
        for k in &bad {
            // A failed delete aborts the transaction and surfaces from its commit.
            entries
                .delete(k)
                .and_then(|_| access.delete(k))
                .map_err(|e| self.abandon(tx, OP, k.as_string().as_deref(), &e))?;
        }
        for k in &stale {
            access
                .delete(k)
                .map_err(|e| self.abandon(tx, OP, k.as_string().as_deref(), &e))?;
        }
        self.corrupt.set(self.corrupt.get() + bad.len() as u64);
        Ok(Some(out))
    }

    /// [`Store::list`](larder_core::Store::list).
    pub(crate) async fn list_entries(&self) -> Result<Vec<EntryMeta>> {
        // The usual case reads in a read-only transaction; only when something
        // needs repair is the scan redone in a readwrite one, so that the
        // repair sees (and fixes) a consistent state even with other tabs.
        {
            let tx = self.begin("list", false)?;
            if let Some(out) = self.scan(&tx, false).await? {
                // Read-only: committing ends it without an abort.
                return self.finish("list", None, tx).await.map(|()| out);
            }
        }
        let tx = self.begin("list", true)?;
        let out = self.scan(&tx, true).await?;
        self.finish("list", None, tx).await?;
        Ok(out.unwrap_or_default())
    }
}
