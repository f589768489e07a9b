//! `list`: one pass over the journal of metadata, the frames' keys and the
//! access times, which never reads a frame; the repair of what it finds
//! damaged; and the journal's compaction.

use std::collections::HashMap;

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
/// of them current, is worth rewriting: too many records (each write call
/// adds one) or too many superseded entries. Loose enough that a compaction,
/// which reads the whole journal, comes once per many writes: list reads
/// 1024 small records in about a millisecond.
pub(crate) fn worth_compacting(records: usize, total: usize, live: usize) -> bool {
    records > live.div_ceil(CHUNK as usize) + (live / 8).max(1024) || total > 4 * live + 4096
}

/// What the newest journal record naming a key says of it.
enum Said {
    /// Its metadata, with its key text and `m` as read (for a compaction).
    Live(EntryMeta, JsValue, JsValue),
    /// Deleted, or malformed metadata: no entry.
    Gone,
    Bad,
}

impl IndexedDbStore {
    /// One pass of `list` in `tx`. With `repair` (a readwrite `tx`), damaged
    /// records are removed and the journal is compacted when that is due;
    /// without, the pass returns `None` as soon as either is needed.
    async fn scan(&self, tx: &IdbTransaction, repair: bool) -> Result<Option<Vec<EntryMeta>>> {
        const OP: &str = "list";
        let listed = idb::list_journal(tx).map_err(|e| self.abandon(tx, OP, None, &e))?;
        let listed = match JsFuture::from(listed).await {
            Ok(v) => Array::from(&v),
            Err(e) => {
                return Err(match idb::failure(tx, None) {
                    Some(_) => self.aborted(OP, None, tx, None),
                    None => self.thrown(OP, None, &e),
                });
            }
        };
        let [journal, frames, access_keys, times] =
            [0, 1, 2, 3].map(|i| Array::from(&listed.get(i)));
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
        // The journal newest first: the first word on a key is the last one
        // written, and the older ones are not even parsed.
        let mut said: HashMap<KeyHash, Said> = HashMap::new();
        // Something in the journal that only a compaction removes.
        let mut untidy = false;
        let mut total = 0usize;
        for rec in journal.iter().rev() {
            let Some((keys, metas)) = record::journal_record(&rec) else {
                untidy = true;
                continue;
            };
            for i in (0..keys.length()).rev() {
                total += 1;
                let k = keys.get(i);
                let Some(h) = key_hash(&k) else {
                    untidy = true;
                    continue;
                };
                if said.contains_key(&h) {
                    continue;
                }
                let m = metas.get(i);
                let word = if m.is_null() {
                    Said::Gone
                } else {
                    match record::from_journal(h, &m, touched_at(h)) {
                        Some(meta) => Said::Live(meta, k, m),
                        None => Said::Bad,
                    }
                };
                said.insert(h, word);
            }
        }
        // Every frame needs current metadata; a frame without (under a key
        // that is not a key hash, never journaled, deleted, or whose metadata
        // is malformed) is damage.
        let mut live: Vec<(EntryMeta, JsValue, JsValue)> = Vec::with_capacity(said.len());
        let mut bad: Vec<JsValue> = Vec::new();
        for k in frames.iter() {
            match key_hash(&k).and_then(|h| said.remove(&h)) {
                Some(Said::Live(meta, key, m)) => live.push((meta, key, m)),
                Some(Said::Gone | Said::Bad) | None => bad.push(k),
            }
        }
        // Metadata whose frame is gone (removed by something else): dropped
        // by the compaction, uncounted, like a stray access time.
        untidy |= said.values().any(|s| matches!(s, Said::Live(..)));
        let mut keys: Vec<KeyHash> = live.iter().map(|(m, _, _)| m.key).collect();
        keys.sort_unstable();
        for (h, _) in &touched {
            if keys.binary_search(h).is_err() {
                stale.push(idb::key(*h));
            }
        }
        let compact = untidy
            || !bad.is_empty()
            || worth_compacting(journal.length() as usize, total, live.len());
        if compact || !stale.is_empty() {
            if !repair {
                return Ok(None);
            }
            self.repair(tx, &bad, &stale, compact.then_some(&live))?;
        }
        let n = live.len();
        if compact {
            self.journal_compacted(n);
        } else {
            self.journal_scanned(n, journal.length() as usize, total);
        }
        Ok(Some(live.into_iter().map(|(meta, _, _)| meta).collect()))
    }

    /// Delete the frames `bad` (counted as corrupt) with their access times,
    /// the access times `stale`, and rewrite the journal to hold `live` alone
    /// if given: requests in the readwrite `tx`, whose commit reports them.
    fn repair(
        &self,
        tx: &IdbTransaction,
        bad: &[JsValue],
        stale: &[JsValue],
        live: Option<&Vec<(EntryMeta, JsValue, JsValue)>>,
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
        if let Some(live) = live {
            let keys: Array = live.iter().map(|(_, k, _)| k).collect();
            let metas: Array = live.iter().map(|(_, _, m)| m).collect();
            idb::rewrite_journal(&entries, &keys, &metas, CHUNK)
                .map_err(|e| self.abandon(tx, OP, None, &e))?;
        }
        self.corrupt.set(self.corrupt.get() + bad.len() as u64);
        Ok(())
    }

    /// A write's compaction of the journal (fast.js `compactJournal`): no
    /// checks, nothing parsed in wasm, only the journal rewritten.
    pub(crate) async fn compact(&self) -> Result<()> {
        const OP: &str = "compact";
        let tx = self.begin(OP, true)?;
        let kept = idb::compact_journal(&tx, CHUNK).map_err(|e| self.abandon(&tx, OP, None, &e))?;
        let kept = match JsFuture::from(kept).await {
            Ok(n) => n.as_f64().unwrap_or(0.0) as usize,
            Err(e) => {
                return Err(match idb::failure(&tx, None) {
                    Some(_) => self.aborted(OP, None, &tx, None),
                    None => self.abandon(&tx, OP, None, &e),
                });
            }
        };
        self.finish(OP, None, tx).await?;
        self.journal_compacted(kept);
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
