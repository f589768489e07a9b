//! `list`: one pass over the records' own metadata (a key cursor over the
//! index `meta`), the journal of batches, the records' keys and the access
//! times, which never reads a frame; the repair of what it finds damaged;
//! and the journal's compaction.

use js_sys::Array;
use larder_core::{EntryMeta, KeyHash, Result};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::IdbTransaction;

use crate::idb;
use crate::record;
use crate::store::IndexedDbStore;

/// Entries per journal record that compaction writes.
pub(crate) const CHUNK: u32 = 1024;

/// A primary key that is a key hash's exact hex text.
fn key_hash(k: &JsValue) -> Option<KeyHash> {
    let text = k.as_string()?;
    KeyHash::from_hex(&text).ok().filter(|h| h.to_hex() == text)
}

/// Whether a journal of `records` records holding `total` entries, `live`
/// of them current, is worth rewriting: too many records (each batch adds
/// one) or too many superseded entries. Loose, so that a compaction, which
/// reads the whole journal, comes once per many batches. fast.js
/// `worthCompacting` is the same rule.
pub(crate) fn worth_compacting(records: usize, total: usize, live: usize) -> bool {
    records > live.div_ceil(CHUNK as usize) + (live / 8).max(1024) || total > 4 * live + 4096
}

impl IndexedDbStore {
    /// One pass of `list` in `tx`. With `repair` (a readwrite `tx`), damaged
    /// records are removed and the journal is compacted when that is due;
    /// without, the pass returns `None` as soon as either is needed.
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
        let [keys, metas, w_keys, w_metas, records, access_keys, times] =
            [0, 1, 2, 3, 6, 7, 8].map(|i| Array::from(&listed.get(i)));
        let count = |i| listed.get(i).as_f64().unwrap_or(0.0) as usize;
        // Malformed journal records (fast.js skips them), and all of them.
        let (malformed, journal_records) = (count(4), count(5));
        // Access times by key hash, sorted for binary search.
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
        // Where each key's metadata is: by key hash and position in the
        // arrays read, sorted for binary search (the wasm carries no hash
        // table, and one sort of (KeyHash, u64) serves all three). First the
        // records' own (single puts); a key that is not a key hash is found
        // among the records below.
        let at_of = |ks: &Array| -> Vec<(KeyHash, u64)> {
            ks.iter()
                .enumerate()
                .filter_map(|(i, k)| key_hash(&k).map(|h| (h, i as u64)))
                .collect()
        };
        let mut own = at_of(&keys);
        own.sort_unstable();
        // Then the journal's words, numbered newest first (fast.js): sorted
        // by key and number, the first of each run is the last one written.
        // Only that one is parsed, and only for a record with no metadata of
        // its own. Something in the journal that only a compaction removes
        // makes it untidy.
        let total = w_keys.length() as usize;
        let mut words = at_of(&w_keys);
        let untidy = malformed > 0 || words.len() < total;
        words.sort_unstable();
        words.dedup_by_key(|w| w.0);
        let find = |at: &[(KeyHash, u64)], h: KeyHash| {
            at.binary_search_by_key(&h, |w| w.0)
                .ok()
                .map(|i| at[i].1 as u32)
        };
        // Every record needs metadata: its own, else the journal's. One
        // without (under a key that is not a key hash, a batch's record that
        // the journal does not name, or a record whose `m` is not a valid
        // key and so in no index), or whose metadata is malformed, is damage.
        let mut out: Vec<EntryMeta> = Vec::with_capacity(records.length() as usize);
        let mut journaled: Vec<(JsValue, JsValue)> = Vec::new();
        let mut bad: Vec<JsValue> = Vec::new();
        for k in records.iter() {
            let Some(h) = key_hash(&k) else {
                bad.push(k);
                continue;
            };
            let meta = match find(&own, h) {
                Some(i) => record::parse(h, &metas.get(i), touched_at(h)),
                None => find(&words, h).and_then(|i| {
                    let m = w_metas.get(i);
                    let meta = record::parse(h, &m, touched_at(h))?;
                    journaled.push((w_keys.get(i), m));
                    Some(meta)
                }),
            };
            match meta {
                Some(meta) => out.push(meta),
                None => bad.push(k),
            }
        }
        let mut live: Vec<KeyHash> = out.iter().map(|m| m.key).collect();
        live.sort_unstable();
        for (h, _) in &touched {
            if live.binary_search(h).is_err() {
                stale.push(idb::key(*h));
            }
        }
        // What the journal says of keys whose record is gone (deleted) is
        // dropped, uncounted, when the journal is next compacted.
        let compact =
            untidy || !bad.is_empty() || worth_compacting(journal_records, total, journaled.len());
        if compact || !stale.is_empty() {
            if !repair {
                return Ok(None);
            }
            self.repair(tx, &bad, &stale, compact.then_some(&journaled))?;
        }
        let n = journaled.len();
        if compact {
            self.journal_compacted(n);
        } else {
            self.journal_scanned(n, journal_records, total);
        }
        Ok(Some(out))
    }

    /// Delete the records `bad` (counted as corrupt) with their access
    /// times, the access times `stale`, and rewrite the journal to hold
    /// `journaled` (key text and metadata) alone if given: requests in the
    /// readwrite `tx`, whose commit reports them.
    fn repair(
        &self,
        tx: &IdbTransaction,
        bad: &[JsValue],
        stale: &[JsValue],
        journaled: Option<&Vec<(JsValue, JsValue)>>,
    ) -> Result<()> {
        const OP: &str = "list";
        let (entries, access) = self.both(tx, OP, None)?;
        for k in bad {
            // A failed delete aborts the transaction and surfaces from its commit.
            entries
                .delete(k)
                .and_then(|_| access.delete(k))
                .map_err(|e| self.abandon(tx, OP, k.as_string().as_deref(), &e))?;
        }
        for k in stale {
            access
                .delete(k)
                .map_err(|e| self.abandon(tx, OP, k.as_string().as_deref(), &e))?;
        }
        if let Some(journaled) = journaled {
            let keys: Array = journaled.iter().map(|(k, _)| k).collect();
            let metas: Array = journaled.iter().map(|(_, m)| m).collect();
            idb::rewrite_journal(&entries, &keys, &metas, CHUNK)
                .map_err(|e| self.abandon(tx, OP, None, &e))?;
        }
        self.corrupt.set(self.corrupt.get() + bad.len() as u64);
        Ok(())
    }

    /// [`Store::list`](larder_core::Store::list).
    pub(crate) async fn list_entries(&self) -> Result<Vec<EntryMeta>> {
        // The usual case reads in a read-only transaction; only when something
        // needs repair or compaction is the scan redone in a readwrite one, so
        // that the rewrite sees (and keeps) a consistent state even with other
        // tabs writing.
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
