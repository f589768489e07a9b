//! [`Store::put_batch`]: a batch made while it is written is written whole,
//! or not at all. A store that leaves it unsupported must not touch the
//! batch; the core then makes it whole and calls `put_many`, as here.

use larder_core::{Error, ErrorKind, PutBatch, PutItem, Result, Store};

use crate::fixtures::{entry, key, payload};
use crate::{get, must, put, reset, sorted_list};

/// Entries `ids` (in order), made a few per `make` call; with `fail_at`,
/// making that one fails.
struct Made {
    ids: Vec<u32>,
    fail_at: Option<usize>,
    items: Vec<PutItem>,
    calls: usize,
}

impl Made {
    fn new(ids: Vec<u32>, fail_at: Option<usize>) -> Self {
        Made {
            ids,
            fail_at,
            items: Vec::new(),
            calls: 0,
        }
    }
}

/// Entry `id`'s payload in a batch (differs from the one a single put gives it).
fn batch_payload(id: u32) -> Vec<u8> {
    payload(id + 1000, 200 + id as usize % 50)
}

impl PutBatch for Made {
    fn make(&mut self, n: usize) -> Result<usize> {
        self.calls += 1;
        let from = self.items.len();
        while self.items.len() < self.ids.len() && self.items.len() - from < n {
            let at = self.items.len();
            if self.fail_at == Some(at) {
                return Err(Error::invalid("conformance", "entry made to fail"));
            }
            self.items
                .push(entry(self.ids[at], &batch_payload(self.ids[at])));
        }
        let made = self.items.len() - from;
        if made == 0 {
            // The contract: each key once, its last entry.
            let mut seen = std::collections::HashSet::new();
            let mut keep: Vec<PutItem> = Vec::new();
            for it in self.items.drain(..).rev() {
                if seen.insert(it.meta.key) {
                    keep.push(it);
                }
            }
            keep.reverse();
            self.items = keep;
        }
        Ok(made)
    }

    fn items(&self) -> &[PutItem] {
        &self.items
    }
}

/// What the core does with `batch`: `put_batch`, or for a store that leaves
/// it unsupported, the whole batch made, then `put_many`.
async fn write<S: Store + ?Sized>(test: &str, store: &S, batch: &mut Made) -> Result<()> {
    match store.put_batch(batch).await {
        Err(e) if e.kind() == ErrorKind::Unsupported => {
            assert_eq!(
                batch.calls, 0,
                "conformance `{test}`: put_batch made entries, then said it is unsupported"
            );
            while batch.make(usize::MAX)? > 0 {}
            store.put_many(batch.items()).await
        }
        other => other,
    }
}

/// A batch whose 300th entry fails to be made writes nothing: an entry it
/// would have replaced keeps its frame, and no other key appears.
pub async fn put_batch_is_all_or_nothing<S: Store + ?Sized>(store: &S) {
    const T: &str = "put_batch_is_all_or_nothing";
    reset(T, store).await;
    let before = entry(0, &payload(0, 300));
    put(T, store, &before).await;
    let mut batch = Made::new((0..400).collect(), Some(300));
    let r = write(T, store, &mut batch).await;
    assert!(
        r.is_err(),
        "conformance `{T}`: a batch that failed to make an entry was written"
    );
    assert_eq!(
        get(T, store, key(0).hash()).await.as_deref(),
        Some(&before.frame[..]),
        "conformance `{T}`: the failed batch replaced an entry"
    );
    let listed = sorted_list(T, store).await;
    assert_eq!(
        listed.len(),
        1,
        "conformance `{T}`: {} entries after a failed batch, want the 1 put before",
        listed.len()
    );
    for i in [1, 150, 299] {
        let got = get(T, store, key(i).hash()).await;
        assert!(
            got.is_none(),
            "conformance `{T}`: entry {i} of a failed batch was written"
        );
    }
}

/// A batch made in parts is written whole; a key made twice keeps its last
/// entry, in its frame and in its listed metadata.
pub async fn put_batch_keeps_each_keys_last_entry<S: Store + ?Sized>(store: &S) {
    const T: &str = "put_batch_keeps_each_keys_last_entry";
    reset(T, store).await;
    put(T, store, &entry(7, &payload(7, 64))).await;
    // 0..300, then 5 and 7 again.
    let ids: Vec<u32> = (0..300).chain([5, 7]).collect();
    let mut batch = Made::new(ids, None);
    must(T, "put_batch", write(T, store, &mut batch).await);
    let listed = sorted_list(T, store).await;
    assert_eq!(
        listed.len(),
        300,
        "conformance `{T}`: {} entries listed, want 300",
        listed.len()
    );
    for i in 0..300 {
        let want = entry(i, &batch_payload(i));
        let got = get(T, store, want.meta.key).await;
        assert_eq!(
            got.as_deref(),
            Some(&want.frame[..]),
            "conformance `{T}`: entry {i}'s frame"
        );
        let meta = listed.iter().find(|m| m.key == want.meta.key);
        assert_eq!(
            meta.map(|m| m.size),
            Some(want.meta.size),
            "conformance `{T}`: entry {i}'s listed size"
        );
    }
}
