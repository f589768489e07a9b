//! `Cache::put_many_from`: a batch made as the store writes it. A store that
//! writes parts as they are made (as IndexedDB does) gets them in order, and
//! a bad entry, a batch over the limits or a full quota behave as for
//! `put_many`.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Mutex;

use async_trait::async_trait;
use common::noise;
use larder_core::cache::{Cache, Config, PutOptions};
use larder_core::{
    Capabilities, EntryMeta, Error, ErrorKind, Key, KeyHash, ManualClock, MemoryStore, PutBatch,
    PutItem, Result, Store, block_on,
};

fn key(n: u32) -> Key {
    Key::new("parts", &[("n", n)]).unwrap()
}

/// A [`MemoryStore`] that writes a batch in parts of 10 as they are made,
/// keeping them aside until the batch is whole (a transaction): it notes
/// how many entries were made at each `make`. With `full_once`, its first
/// batch fails as a full quota once every entry is made.
#[derive(Default)]
struct Parts {
    inner: MemoryStore,
    made_at_make: Mutex<Vec<usize>>,
    full_once: Mutex<bool>,
}

#[async_trait]
impl Store for Parts {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            evict_when_full: true,
            ..self.inner.capabilities()
        }
    }
    async fn get(&self, key: KeyHash) -> Result<Option<Vec<u8>>> {
        self.inner.get(key).await
    }
    async fn put(&self, meta: &EntryMeta, frame: &[u8]) -> Result<()> {
        self.inner.put(meta, frame).await
    }
    async fn delete(&self, key: KeyHash) -> Result<bool> {
        self.inner.delete(key).await
    }
    async fn list(&self) -> Result<Vec<EntryMeta>> {
        self.inner.list().await
    }
    async fn put_batch(&self, batch: &mut dyn PutBatch) -> Result<()> {
        let mut staged: Vec<PutItem> = Vec::new();
        loop {
            self.made_at_make.lock().unwrap().push(batch.items().len());
            let from = batch.items().len();
            let made = batch.make(10)?;
            if made == 0 {
                break;
            }
            staged.extend_from_slice(&batch.items()[from..from + made]);
        }
        if std::mem::take(&mut *self.full_once.lock().unwrap()) {
            return Err(Error::new(ErrorKind::StorageFull, "put", "full"));
        }
        // Whole: the last of a repeated key wins, as in a transaction.
        for it in &staged {
            self.inner.put(&it.meta, &it.frame).await?;
        }
        Ok(())
    }
}

fn cache(store: Parts, config: Config) -> Cache<Parts, ManualClock> {
    Cache::with_clock(store, ManualClock::new(1_000), config).unwrap()
}

/// `next` for entries `ns` of 100 bytes, counting its calls; with `bad`, the
/// entry at that position fails to be made.
fn source(
    ns: Vec<u32>,
    bad: Option<usize>,
    calls: &Mutex<usize>,
) -> impl FnMut() -> Option<Result<(Key, Vec<u8>)>> + Send + '_ {
    let mut at = 0;
    move || {
        *calls.lock().unwrap() += 1;
        let n = *ns.get(at)?;
        at += 1;
        if bad == Some(at - 1) {
            return Some(Err(Error::invalid("test", "a bad entry")));
        }
        Some(Ok((key(n), noise(100, u64::from(n)))))
    }
}

fn payload<S: Store>(c: &Cache<S, ManualClock>, n: u32) -> Option<Vec<u8>> {
    block_on(c.get(&key(n)))
        .unwrap()
        .map(|e| e.payload().to_vec())
}

#[test]
fn a_store_writing_parts_gets_each_as_it_is_made() {
    let c = cache(Parts::default(), Config::default());
    let calls = Mutex::new(0);
    let ns: Vec<u32> = (0..35).chain([3]).collect();
    block_on(c.put_many_from(source(ns, None, &calls), &PutOptions::new())).unwrap();
    // Parts of 10, then the last 6, then the call that finds no more.
    assert_eq!(*c.store().made_at_make.lock().unwrap(), [0, 10, 20, 30, 36]);
    assert_eq!(
        *calls.lock().unwrap(),
        37,
        "each entry made once, then None"
    );
    assert_eq!(c.store().inner.len(), 35);
    assert_eq!(block_on(c.stats()).unwrap().entries, 35);
    for n in [0, 3, 34] {
        assert_eq!(payload(&c, n), Some(noise(100, u64::from(n))), "entry {n}");
    }
}

#[test]
fn a_bad_entry_stops_the_batch_and_writes_nothing() {
    for store in [true, false] {
        let calls = Mutex::new(0);
        let next = source((0..40).collect(), Some(25), &calls);
        let e = if store {
            let c = cache(Parts::default(), Config::default());
            let e = block_on(c.put_many_from(next, &PutOptions::new())).unwrap_err();
            assert_eq!(c.store().inner.len(), 0);
            assert_eq!(block_on(c.stats()).unwrap().entries, 0);
            e
        } else {
            let c = Cache::with_clock(MemoryStore::new(), ManualClock::new(0), Config::default())
                .unwrap();
            let e = block_on(c.put_many_from(next, &PutOptions::new())).unwrap_err();
            assert_eq!(c.store().len(), 0);
            e
        };
        assert_eq!(e.message(), "a bad entry", "{e}");
        assert_eq!(
            *calls.lock().unwrap(),
            26,
            "nothing made after the bad entry"
        );
    }
}

#[test]
fn a_batch_over_the_limits_is_refused_once_made_whole() {
    let c = cache(Parts::default(), Config::default().max_bytes(2_000));
    let calls = Mutex::new(0);
    let e = block_on(c.put_many_from(source((0..30).collect(), None, &calls), &PutOptions::new()))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooLarge);
    assert!(e.to_string().contains("the batch takes"), "{e}");
    assert_eq!(c.store().inner.len(), 0);
}

#[test]
fn a_full_quota_evicts_and_writes_the_batch_again() {
    let c = cache(Parts::default(), Config::default());
    let calls = Mutex::new(0);
    block_on(c.put_many_from(source((0..5).collect(), None, &calls), &PutOptions::new())).unwrap();
    *c.store().full_once.lock().unwrap() = true;
    *calls.lock().unwrap() = 0;
    block_on(c.put_many_from(source((10..30).collect(), None, &calls), &PutOptions::new()))
        .unwrap();
    assert_eq!(*calls.lock().unwrap(), 21, "each entry made once");
    for n in 10..30 {
        assert_eq!(payload(&c, n), Some(noise(100, u64::from(n))), "entry {n}");
    }
    assert!(block_on(c.stats()).unwrap().evictions > 0);
}
