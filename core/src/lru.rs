//! An O(1) LRU map keyed by [`KeyHash`]: a hash map into a slab of nodes
//! threaded on an intrusive doubly linked list (front = most recent).

use alloc::vec::Vec;
use core::hash::{BuildHasherDefault, Hasher};

use hashbrown::HashMap;

use crate::key::KeyHash;

/// Keys are already xxh3-128 outputs, so hashing them again is wasted work:
/// fold the 128 bits into 64.
#[derive(Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u128(&mut self, v: u128) {
        self.0 = (v as u64) ^ ((v >> 64) as u64);
    }
}

/// A hash map keyed by [`KeyHash`], hashing with [`KeyHasher`]. Public so
/// that backends and bindings use the same map types as the core: in a .wasm
/// each (key, value) type of a map is its own copy of the table code.
pub type KeyMap<V> = HashMap<KeyHash, V, BuildHasherDefault<KeyHasher>>;

const NIL: u32 = u32::MAX;

struct Node<V> {
    key: KeyHash,
    value: V,
    prev: u32,
    next: u32,
}

pub(crate) struct Lru<V> {
    map: KeyMap<u32>,
    nodes: Vec<Option<Node<V>>>,
    free: Vec<u32>,
    head: u32,
    tail: u32,
}

impl<V> Default for Lru<V> {
    fn default() -> Self {
        Lru {
            map: KeyMap::default(),
            nodes: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
        }
    }
}

impl<V> Lru<V> {
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn contains(&self, key: &KeyHash) -> bool {
        self.map.contains_key(key)
    }

    pub(crate) fn peek(&self, key: &KeyHash) -> Option<&V> {
        let i = *self.map.get(key)?;
        self.node(i).map(|n| &n.value)
    }

    /// Mark `key` most recently used and return its value.
    pub(crate) fn get_mut(&mut self, key: &KeyHash) -> Option<&mut V> {
        let i = *self.map.get(key)?;
        self.unlink(i);
        self.push_front(i);
        self.node_mut(i).map(|n| &mut n.value)
    }

    /// Insert or replace as most recently used; returns the old value.
    pub(crate) fn insert(&mut self, key: KeyHash, value: V) -> Option<V> {
        if let Some(&i) = self.map.get(&key) {
            self.unlink(i);
            self.push_front(i);
            return self
                .node_mut(i)
                .map(|n| core::mem::replace(&mut n.value, value));
        }
        let node = Node {
            key,
            value,
            prev: NIL,
            next: NIL,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = Some(node);
                i
            }
            None => {
                self.nodes.push(Some(node));
                (self.nodes.len() - 1) as u32
            }
        };
        self.map.insert(key, i);
        self.push_front(i);
        None
    }

    /// Insert as least recently used (for loading an index oldest-last).
    pub(crate) fn insert_back(&mut self, key: KeyHash, value: V) {
        self.insert(key, value);
        if let Some(&i) = self.map.get(&key) {
            self.unlink(i);
            self.push_back(i);
        }
    }

    pub(crate) fn remove(&mut self, key: &KeyHash) -> Option<V> {
        let i = self.map.remove(key)?;
        self.unlink(i);
        self.free.push(i);
        self.nodes[i as usize].take().map(|n| n.value)
    }

    /// The least recently used entry.
    pub(crate) fn peek_lru(&self) -> Option<(KeyHash, &V)> {
        self.node(self.tail).map(|n| (n.key, &n.value))
    }

    pub(crate) fn pop_lru(&mut self) -> Option<(KeyHash, V)> {
        let key = self.node(self.tail)?.key;
        self.remove(&key).map(|v| (key, v))
    }

    pub(crate) fn clear(&mut self) {
        *self = Lru::default();
    }

    /// Entries from most to least recently used.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (KeyHash, &V)> + '_ {
        let mut at = self.head;
        core::iter::from_fn(move || {
            let n = self.node(at)?;
            at = n.next;
            Some((n.key, &n.value))
        })
    }

    fn node(&self, i: u32) -> Option<&Node<V>> {
        self.nodes.get(i as usize).and_then(Option::as_ref)
    }

    fn node_mut(&mut self, i: u32) -> Option<&mut Node<V>> {
        self.nodes.get_mut(i as usize).and_then(Option::as_mut)
    }

    fn unlink(&mut self, i: u32) {
        let Some((prev, next)) = self.node(i).map(|n| (n.prev, n.next)) else {
            return;
        };
        match self.node_mut(prev) {
            Some(p) => p.next = next,
            None => self.head = next,
        }
        match self.node_mut(next) {
            Some(n) => n.prev = prev,
            None => self.tail = prev,
        }
        if let Some(n) = self.node_mut(i) {
            n.prev = NIL;
            n.next = NIL;
        }
    }

    fn push_front(&mut self, i: u32) {
        let old = self.head;
        if let Some(n) = self.node_mut(i) {
            n.prev = NIL;
            n.next = old;
        }
        match self.node_mut(old) {
            Some(o) => o.prev = i,
            None => self.tail = i,
        }
        self.head = i;
    }

    fn push_back(&mut self, i: u32) {
        let old = self.tail;
        if let Some(n) = self.node_mut(i) {
            n.next = NIL;
            n.prev = old;
        }
        match self.node_mut(old) {
            Some(o) => o.next = i,
            None => self.head = i,
        }
        self.tail = i;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    fn order(l: &Lru<u32>) -> Vec<u128> {
        l.iter().map(|(k, _)| k.0).collect()
    }

    #[test]
    fn recency_order_and_eviction() {
        let mut l = Lru::default();
        for k in 1..=3u128 {
            l.insert(KeyHash(k), k as u32);
        }
        assert_eq!(order(&l), vec![3, 2, 1]);
        l.get_mut(&KeyHash(1));
        assert_eq!(order(&l), vec![1, 3, 2]);
        assert_eq!(l.pop_lru(), Some((KeyHash(2), 2)));
        l.insert_back(KeyHash(9), 9);
        assert_eq!(order(&l), vec![1, 3, 9]);
        assert_eq!(l.remove(&KeyHash(3)), Some(3));
        assert_eq!(order(&l), vec![1, 9]);
        assert_eq!(l.insert(KeyHash(9), 10), Some(9));
        assert_eq!(order(&l), vec![9, 1]);
    }

    proptest! {
        /// The slab list agrees with a naive Vec model under any operation sequence.
        #[test]
        fn matches_a_naive_model(ops in proptest::collection::vec((0u8..5, 0u128..16), 0..300)) {
            let mut l = Lru::default();
            let mut model: Vec<u128> = Vec::new(); // front = most recent
            for (op, k) in ops {
                let key = KeyHash(k);
                match op {
                    0 => {
                        l.insert(key, k as u32);
                        model.retain(|&m| m != k);
                        model.insert(0, k);
                    }
                    1 => {
                        let hit = l.get_mut(&key).is_some();
                        prop_assert_eq!(hit, model.contains(&k));
                        if hit {
                            model.retain(|&m| m != k);
                            model.insert(0, k);
                        }
                    }
                    2 => {
                        prop_assert_eq!(l.remove(&key).is_some(), model.contains(&k));
                        model.retain(|&m| m != k);
                    }
                    3 => {
                        let got = l.pop_lru().map(|(k, _)| k.0);
                        prop_assert_eq!(got, model.pop());
                    }
                    _ => {
                        if !model.contains(&k) {
                            l.insert_back(key, k as u32);
                            model.push(k);
                        }
                    }
                }
                prop_assert_eq!(order(&l), model.clone());
                prop_assert_eq!(l.len(), model.len());
            }
        }
    }
}
