//! The in-process view of the store (byte accounting, LRU order, expiry
//! order) and the memory tier. Pure bookkeeping: no I/O happens here, the
//! [`Cache`](crate::cache::Cache) decides what to delete with what it returns.

use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::cache::Entry;
use crate::cache::reserved;
use crate::key::KeyHash;
use crate::lru::{KeyMap, Lru};
use crate::store::EntryMeta;

/// Index entry: what eviction and invalidation need, never the payload.
pub(crate) struct Indexed {
    pub size: u64,
    pub expires_ms: Option<u64>,
    pub namespace: Arc<str>,
    pub tags: Vec<String>,
    /// Sequence number of the insert, so a re-sync keeps entries written meanwhile.
    pub seq: u64,
    /// When this process last queued the entry's access for write-back (0: never).
    pub queued_ms: u64,
    /// It carries dependency tags.
    pub has_deps: bool,
}

fn has_deps(tags: &[String]) -> bool {
    tags.iter().any(|t| reserved::dep_of(t).is_some())
}

/// The store as this process believes it to be.
#[derive(Default)]
pub(crate) struct Index {
    lru: Lru<Indexed>,
    expiry: BTreeSet<(u64, KeyHash)>,
    bytes: u64,
    seq: u64,
    /// Entries with `has_deps`: while there are none, invalidation skips the
    /// search for dependents.
    with_deps: usize,
    pub loaded: bool,
    pub last_sync_ms: u64,
    /// Listings in progress (see [`Index::begin_listing`]).
    listings: usize,
    /// While one is: keys removed since, with the sequence number of the
    /// removal, so that [`Index::replace`] does not bring back an entry the
    /// listing read before it was removed.
    removed: KeyMap<u64>,
    /// The sequence number of the last [`Index::clear`], so that
    /// [`Index::replace`] drops all that a listing begun before it read.
    cleared: u64,
}

impl Index {
    pub fn len(&self) -> usize {
        self.lru.len()
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn contains(&self, key: &KeyHash) -> bool {
        self.lru.contains(key)
    }

    /// Record a write (or a discovered entry) as most recently used.
    pub fn insert(&mut self, meta: &EntryMeta) {
        self.remove(&meta.key);
        self.seq += 1;
        let e = Indexed {
            size: meta.size,
            expires_ms: meta.expires_ms,
            namespace: Arc::from(meta.namespace.as_str()),
            tags: meta.tags.clone(),
            seq: self.seq,
            // A write records the access itself.
            queued_ms: meta.last_access_ms,
            has_deps: has_deps(&meta.tags),
        };
        self.add(meta.key, e, true);
    }

    fn add(&mut self, key: KeyHash, e: Indexed, front: bool) {
        self.bytes += e.size;
        self.with_deps += usize::from(e.has_deps);
        if let Some(t) = e.expires_ms {
            self.expiry.insert((t, key));
        }
        if front {
            self.lru.insert(key, e);
        } else {
            self.lru.insert_back(key, e);
        }
    }

    /// A listing of the store starts: returns the sequence number to hand
    /// [`Index::replace`] with it, or [`Index::end_listing`] if it fails.
    pub fn begin_listing(&mut self) -> u64 {
        self.listings += 1;
        self.seq
    }

    /// A listing ended without [`Index::replace`].
    pub fn end_listing(&mut self) {
        self.listings = self.listings.saturating_sub(1);
        if self.listings == 0 {
            self.removed = KeyMap::default();
        }
    }

    pub fn remove(&mut self, key: &KeyHash) -> Option<Indexed> {
        if self.listings > 0 {
            // Whether or not this index holds the key: the listing may.
            self.seq += 1;
            self.removed.insert(*key, self.seq);
        }
        let e = self.lru.remove(key)?;
        self.bytes -= e.size;
        self.with_deps -= usize::from(e.has_deps);
        if let Some(t) = e.expires_ms {
            self.expiry.remove(&(t, *key));
        }
        Some(e)
    }

    /// Mark a read; the entry, if the key is known here.
    pub fn touch(&mut self, key: &KeyHash) -> Option<&mut Indexed> {
        self.lru.get_mut(key)
    }

    /// Replace the index with a fresh listing (whose recency is current: the
    /// cache flushes its touches first), keeping entries this process inserted
    /// after the listing started (`since_seq`, from [`Index::begin_listing`]),
    /// which the listing may miss, and leaving out the entries it removed
    /// since, which the listing may still hold.
    pub fn replace(&mut self, mut listed: Vec<EntryMeta>, since_seq: u64, now_ms: u64) {
        let mut old = core::mem::take(&mut self.lru);
        let removed = core::mem::take(&mut self.removed);
        let (seq, listings, cleared) = (self.seq, self.listings, self.cleared);
        *self = Index {
            seq,
            loaded: true,
            last_sync_ms: now_ms,
            ..Index::default()
        };
        if cleared > since_seq {
            listed.clear();
        }
        listed.retain(|m| removed.get(&m.key).is_none_or(|&at| at <= since_seq));
        // Most recent first, each pushed to the back: the newest ends up in front.
        listed.sort_unstable_by_key(|m| core::cmp::Reverse(m.last_access_ms));
        for m in &listed {
            let e = Indexed {
                size: m.size,
                expires_ms: m.expires_ms,
                namespace: Arc::from(m.namespace.as_str()),
                tags: m.tags.clone(),
                seq: 0,
                queued_ms: m.last_access_ms,
                has_deps: has_deps(&m.tags),
            };
            self.add(m.key, e, false);
        }
        let newer: Vec<(KeyHash, Indexed)> = core::iter::from_fn(|| old.pop_lru())
            .filter(|(_, e)| e.seq > since_seq)
            .collect();
        for (k, e) in newer {
            self.remove(&k);
            self.add(k, e, true);
        }
        // Other listings still in progress need the removals too.
        (self.listings, self.removed, self.cleared) = (listings, removed, cleared);
        self.end_listing();
    }

    /// The least recently used entry.
    pub fn lru_peek(&self) -> Option<(KeyHash, &Indexed)> {
        self.lru.peek_lru()
    }

    /// The least recently used key, if the index is over either limit.
    pub fn over_limit(&self, max_bytes: Option<u64>, max_entries: Option<u64>) -> Option<KeyHash> {
        let over_bytes = max_bytes.is_some_and(|m| self.bytes > m);
        let over_count = max_entries.is_some_and(|m| self.lru.len() as u64 > m);
        if over_bytes || over_count {
            self.lru.peek_lru().map(|(k, _)| k)
        } else {
            None
        }
    }

    /// Up to `limit` keys that expired at or before `now_ms`, soonest first.
    pub fn expired(&self, now_ms: u64, limit: usize) -> Vec<KeyHash> {
        self.expiry
            .iter()
            .take_while(|(t, _)| *t <= now_ms)
            .take(limit)
            .map(|(_, k)| *k)
            .collect()
    }

    /// Every entry that depends on one of `roots`, directly or through other
    /// entries (the roots themselves left out). A cycle of dependencies ends
    /// where it comes back to an entry already found.
    pub fn dependents(&self, roots: &[KeyHash]) -> Vec<KeyHash> {
        if self.with_deps == 0 || roots.is_empty() {
            return Vec::new();
        }
        let mut by_dep: KeyMap<Vec<KeyHash>> = KeyMap::default();
        for (k, e) in self.lru.iter().filter(|(_, e)| e.has_deps) {
            for d in e.tags.iter().filter_map(|t| reserved::dep_of(t)) {
                by_dep.entry(d).or_default().push(k);
            }
        }
        let mut seen: KeyMap<()> = roots.iter().map(|k| (*k, ())).collect();
        let mut todo = roots.to_vec();
        let mut out = Vec::new();
        while let Some(k) = todo.pop() {
            for d in by_dep.get(&k).into_iter().flatten() {
                if seen.insert(*d, ()).is_none() {
                    out.push(*d);
                    todo.push(*d);
                }
            }
        }
        out
    }

    pub fn keys_where(&self, mut pred: impl FnMut(&Indexed) -> bool) -> Vec<KeyHash> {
        self.lru
            .iter()
            .filter(|(_, e)| pred(e))
            .map(|(k, _)| k)
            .collect()
    }

    /// Forget every entry. A listing in progress read the store before it
    /// was cleared: its [`Index::replace`] keeps only later writes.
    pub fn clear(&mut self) {
        self.seq += 1;
        *self = Index {
            seq: self.seq,
            loaded: true,
            last_sync_ms: self.last_sync_ms,
            listings: self.listings,
            cleared: self.seq,
            ..Index::default()
        };
    }
}

/// Hot entries in RAM under a byte budget; the store always holds them too
/// (write-through), so leaving RAM ("spilling") loses nothing.
pub(crate) struct MemTier {
    lru: Lru<Arc<Entry>>,
    bytes: u64,
    budget: u64,
}

/// Bookkeeping bytes charged per memory entry on top of its payload.
const MEM_OVERHEAD: u64 = 96;

fn mem_cost(e: &Entry) -> u64 {
    let tags: usize = e.tags.iter().map(String::len).sum();
    (e.data.len() + e.meta.len() + tags) as u64 + MEM_OVERHEAD
}

impl MemTier {
    pub fn new(budget: u64) -> Self {
        MemTier {
            lru: Lru::default(),
            bytes: 0,
            budget,
        }
    }

    pub fn len(&self) -> usize {
        self.lru.len()
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn get(&mut self, key: &KeyHash) -> Option<Arc<Entry>> {
        self.lru.get_mut(key).cloned()
    }

    pub fn peek(&self, key: &KeyHash) -> Option<&Arc<Entry>> {
        self.lru.peek(key)
    }

    /// Insert and spill least recently used entries past the budget; returns
    /// how many spilled. An entry larger than the whole budget is not kept.
    pub fn insert(&mut self, key: KeyHash, e: Arc<Entry>) -> u64 {
        self.remove(&key);
        let cost = mem_cost(&e);
        if cost > self.budget {
            return 0;
        }
        self.bytes += cost;
        self.lru.insert(key, e);
        let mut spilled = 0;
        while self.bytes > self.budget {
            match self.lru.pop_lru() {
                Some((_, old)) => {
                    self.bytes -= mem_cost(&old);
                    spilled += 1;
                }
                None => break,
            }
        }
        spilled
    }

    pub fn remove(&mut self, key: &KeyHash) -> bool {
        match self.lru.remove(key) {
            Some(old) => {
                self.bytes -= mem_cost(&old);
                true
            }
            None => false,
        }
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&KeyHash, &Entry) -> bool) {
        let drop: Vec<KeyHash> = self
            .lru
            .iter()
            .filter(|(k, e)| !keep(k, e))
            .map(|(k, _)| k)
            .collect();
        for k in drop {
            self.remove(&k);
        }
    }

    pub fn clear(&mut self) {
        self.lru.clear();
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    fn meta(n: u128, tags: Vec<String>) -> EntryMeta {
        EntryMeta {
            key: KeyHash(n),
            size: 10,
            created_ms: 0,
            expires_ms: None,
            last_access_ms: 1,
            namespace: "ns".to_string(),
            tags,
            cost_us: 0,
        }
    }

    fn plain(n: u128) -> EntryMeta {
        meta(n, Vec::new())
    }

    #[test]
    fn a_listing_drops_what_was_written_before_it_began_and_keeps_what_came_after() {
        let mut idx = Index::default();
        idx.insert(&plain(1));
        let since = idx.begin_listing();
        idx.insert(&plain(2));
        // Another process deleted 1 before the listing read the store; the
        // listing missed 2, written after it read.
        idx.replace(Vec::new(), since, 5);
        assert!(!idx.contains(&KeyHash(1)), "gone from the store");
        assert!(idx.contains(&KeyHash(2)), "written during the listing");
        assert_eq!((idx.len(), idx.bytes()), (1, 10));
    }

    #[test]
    fn removals_outlive_an_overlapping_listing_that_ends_first() {
        let mut idx = Index::default();
        idx.insert(&plain(1));
        let first = idx.begin_listing();
        idx.begin_listing();
        idx.remove(&KeyHash(1));
        // The second listing fails; the first read key 1 before its removal.
        idx.end_listing();
        idx.replace(vec![plain(1)], first, 5);
        assert!(!idx.contains(&KeyHash(1)));
    }

    #[test]
    fn a_listing_that_lands_first_leaves_the_other_its_order() {
        let mut idx = Index::default();
        // Enough writes that the sequence number is well past its start.
        for n in 1..=5 {
            idx.insert(&plain(n));
        }
        let first = idx.begin_listing();
        let second = idx.begin_listing();
        idx.replace(vec![plain(1)], first, 5);
        // While the second listing still runs: 2 is written, 1 removed.
        idx.insert(&plain(2));
        idx.remove(&KeyHash(1));
        // The second listing read the store before either.
        idx.replace(vec![plain(1)], second, 6);
        assert!(idx.contains(&KeyHash(2)), "written after the listing began");
        assert!(
            !idx.contains(&KeyHash(1)),
            "removed after the listing began"
        );
    }

    #[test]
    fn a_clear_during_listings_keeps_only_what_was_written_after_it() {
        let mut idx = Index::default();
        for n in 1..=3 {
            idx.insert(&plain(n));
        }
        let first = idx.begin_listing();
        let second = idx.begin_listing();
        idx.clear();
        idx.insert(&plain(4));
        // Both listings read the store before it was cleared.
        for since in [first, second] {
            idx.replace(vec![plain(1), plain(2), plain(3)], since, 5);
            let keys: Vec<KeyHash> = idx.keys_where(|_| true);
            assert_eq!((keys, idx.bytes()), (vec![KeyHash(4)], 10));
        }
        // A listing begun after the clear is taken as it is.
        let since = idx.begin_listing();
        idx.replace(vec![plain(4), plain(5)], since, 6);
        assert_eq!(idx.len(), 2);
    }

    #[test]
    fn a_listing_begun_after_a_clear_keeps_its_removals_when_an_older_one_lands() {
        let mut idx = Index::default();
        idx.insert(&plain(1));
        let before = idx.begin_listing();
        idx.clear();
        idx.insert(&plain(2));
        let after = idx.begin_listing();
        idx.remove(&KeyHash(2));
        idx.replace(vec![plain(1)], before, 5);
        // The later listing read 2 before its removal.
        idx.replace(vec![plain(2)], after, 6);
        assert_eq!(idx.len(), 0);
    }

    #[test]
    fn removals_are_logged_only_while_a_listing_runs() {
        // The log would otherwise grow with every removal for the life of
        // the process.
        let mut idx = Index::default();
        for n in 1..=3 {
            idx.insert(&plain(n));
        }
        idx.remove(&KeyHash(1));
        assert!(idx.removed.is_empty(), "no listing");
        idx.begin_listing();
        idx.remove(&KeyHash(2));
        assert_eq!(idx.removed.len(), 1);
        idx.end_listing();
        assert!(idx.removed.is_empty(), "the listing failed");
        let since = idx.begin_listing();
        idx.replace(vec![plain(3)], since, 5);
        idx.remove(&KeyHash(3));
        assert!(idx.removed.is_empty(), "the listing landed");
    }

    #[test]
    fn only_entries_with_dependencies_are_counted_for_the_dependents_search() {
        let dep = || vec![reserved::dep(KeyHash(9)), "user".to_string()];
        let mut idx = Index::default();
        idx.insert(&plain(1));
        idx.insert(&meta(2, dep()));
        idx.insert(&meta(3, dep()));
        assert_eq!(idx.with_deps, 2);
        idx.remove(&KeyHash(2));
        assert_eq!(idx.with_deps, 1);
        let since = idx.begin_listing();
        idx.replace(vec![plain(1), meta(3, dep()), meta(4, dep())], since, 5);
        assert_eq!(idx.with_deps, 2);
        idx.remove(&KeyHash(3));
        idx.remove(&KeyHash(4));
        assert_eq!(idx.with_deps, 0, "the search is skipped again");
        assert_eq!(idx.dependents(&[KeyHash(9)]), []);
    }
}
