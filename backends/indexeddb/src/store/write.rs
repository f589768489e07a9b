//! The write path of [`IndexedDbStore`]: a put, a batch made before it is
//! written, or one made while it is written ([`PutBatch`]), each in one
//! readwrite transaction whose records fast.js `putEntries` builds.

use js_sys::Array;
use larder_core::{EntryMeta, Error, PutBatch, PutItem, Result};
use wasm_bindgen::JsValue;
use web_sys::IdbTransaction;

use super::IndexedDbStore;
use crate::idb::{self, Fired};
use crate::{record, scan};

impl IndexedDbStore {
    /// Entries as fast.js putEntries takes them: numbers per entry, and each
    /// namespace and tag list as a JS value made once per run of equal ones.
    fn described(&self, items: &[(&EntryMeta, &[u8])]) -> (Vec<f64>, Array) {
        let texts = Array::new();
        let mut d = Vec::with_capacity(items.len() * idb::ENTRY);
        let mut namespace: Option<(&str, f64)> = None;
        let mut tags: Option<(&[String], f64)> = None;
        for &(m, frame) in items {
            let ns = match namespace {
                Some((text, at)) if text == m.namespace => at,
                _ => {
                    let at = f64::from(texts.push(&self.names.text(&m.namespace)) - 1);
                    namespace = Some((&m.namespace, at));
                    at
                }
            };
            let tag_list = match tags {
                _ if m.tags.is_empty() => -1.0,
                Some((list, at)) if list == m.tags.as_slice() => at,
                _ => {
                    let list: Array = m.tags.iter().map(|t| self.names.text(t)).collect();
                    let at = f64::from(texts.push(&list) - 1);
                    tags = Some((&m.tags, at));
                    at
                }
            };
            let [k0, k1, k2, k3] = idb::words(m.key).map(f64::from);
            d.extend_from_slice(&[
                frame.as_ptr() as usize as f64,
                frame.len() as f64,
                record::clamped(m.size),
                record::clamped(m.created_ms),
                m.expires_ms.map_or(-1.0, record::clamped),
                record::clamped(m.last_access_ms),
                record::clamped(m.cost_us),
                k0,
                k1,
                k2,
                k3,
                ns,
                tag_list,
            ]);
        }
        (d, texts)
    }

    /// Wait until `tx`, whose last part has asked it to commit, is written;
    /// then, if it was asked to compact the journal, record what it did.
    async fn committed(
        &self,
        op: &'static str,
        ctx: impl FnOnce() -> Option<String>,
        tx: IdbTransaction,
        compact: bool,
    ) -> Result<()> {
        let done = Fired::tx(tx.clone());
        self.written(op, ctx, &tx, done).await?;
        if compact {
            // What fast.js compactJournal did: whether it rewrote the
            // journal, and the current entries the journal names.
            let field = |name| js_sys::Reflect::get(&tx, &JsValue::from_str(name)).ok();
            let rewrote = field("rewrote").is_some_and(|v| v.is_truthy());
            let live = field("live").and_then(|n| n.as_f64()).unwrap_or(0.0) as usize;
            if rewrote {
                self.journal_compacted(live);
            } else {
                let j = self.journal.get();
                self.journal_scanned(live, j.records, j.total);
            }
        }
        Ok(())
    }

    /// Write one entry alone in a readwrite transaction of its own and wait
    /// until it is written: its record holds its metadata, and there is no
    /// journal record. The caller has checked that the store is open.
    pub(super) async fn put_one(
        &self,
        op: &'static str,
        meta: &EntryMeta,
        frame: &[u8],
    ) -> Result<()> {
        check_item(meta, frame)?;
        // Rust's hex text of a key is made only for an error's context.
        let ctx = || Some(meta.key.to_hex());
        let (d, texts) = self.described(&[(meta, frame)]);
        let tx = self
            .names
            .put(&self.sys, None, &d, &texts, 0)
            .map_err(|e| self.thrown(op, ctx().as_deref(), &e))?;
        self.committed(op, ctx, tx, false).await
    }

    /// Write `batch` in one readwrite transaction and wait until it is
    /// written: all of it, or none. Each part of [`PART`] entries is put as
    /// soon as it is made; an entry that cannot be made aborts the
    /// transaction. One entry alone is [a single put](Self::put_one).
    pub(super) async fn write(&self, op: &'static str, batch: &mut dyn PutBatch) -> Result<()> {
        let mut made = batch.make(PART)?;
        if made == 0 {
            return Ok(());
        }
        self.check_open(op)?;
        if made == 1 {
            let more = batch.make(PART)?;
            if more == 0 {
                let it = &batch.items()[0];
                return self.put_one(op, &it.meta, &it.frame).await;
            }
            made += more;
        }
        let (mut tx, mut total): (Option<IdbTransaction>, usize) = (None, 0);
        while made > 0 {
            let part = &batch.items()[total..total + made];
            let checked = part
                .iter()
                .try_for_each(|it| check_item(&it.meta, &it.frame));
            let put = checked.and_then(|()| {
                let part: Vec<_> = part.iter().map(|it| (&it.meta, &it.frame[..])).collect();
                let (d, texts) = self.described(&part);
                self.names
                    .put(&self.sys, tx.as_ref(), &d, &texts, idb::MORE)
                    .map_err(|e| self.thrown(op, None, &e))
            });
            // fast.js aborts the transaction when a put throws; the rest here.
            let next = put.and_then(|t| {
                tx = Some(t);
                total += made;
                batch.make(PART)
            });
            made = next.inspect_err(|_| {
                if let Some(t) = &tx {
                    let _ = t.abort();
                }
            })?;
        }
        let Some(tx) = tx else {
            return Ok(());
        };
        // A batch adds a journal record, and compacts the journal when due.
        let compact = self.journal_grows(total);
        let tx = self
            .names
            .put(&self.sys, Some(&tx), &[], &Array::new(), step(compact))
            .map_err(|e| self.thrown(op, None, &e))?;
        self.committed(op, || None, tx, compact).await
    }
}

/// Entries made before the write: a [`PutBatch`] for `put` and `put_many`.
pub(super) struct Ready<'a> {
    pub(super) items: &'a [PutItem],
    pub(super) made: usize,
}

impl PutBatch for Ready<'_> {
    fn make(&mut self, n: usize) -> Result<usize> {
        let more = n.min(self.items.len() - self.made);
        self.made += more;
        Ok(more)
    }

    fn items(&self) -> &[PutItem] {
        &self.items[..self.made]
    }
}

/// Entries a batch puts in each part ([`IndexedDbStore::write`]).
const PART: usize = 64;

/// fast.js putEntries' `step` for the last part of a write: the journal's
/// chunk size if it compacts the journal, else 0.
fn step(compact: bool) -> i32 {
    if compact { scan::CHUNK as i32 } else { 0 }
}

/// An item to write: the frame length must match the metadata.
pub(super) fn check_item(meta: &EntryMeta, frame: &[u8]) -> Result<()> {
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
    Ok(())
}
