//! Short strings seen before in the same decoded value, so that the JS side
//! makes each once (object keys repeat in every element of an array).

/// Longer strings are not worth a lookup.
pub(super) const MAX_LEN: usize = 32;
/// Distinct strings kept per value, which bounds the table and what the JS
/// side holds on to while it builds.
const MAX_STRINGS: usize = 4096;

/// Open addressing over strings of the decoded input, by position.
#[derive(Default)]
pub(super) struct Interner {
    /// Index + 1 into `strings`, 0 for an empty slot; a power of two long.
    slots: Vec<u32>,
    /// Where each string sits in the input: (start, len).
    strings: Vec<(u32, u32)>,
}

/// What to do with a string.
pub(super) enum Seen {
    /// Name it by this number.
    Before(u32),
    /// Make it; `keep`: it now has the next number.
    New { keep: bool },
}

#[inline(always)]
fn hash(s: &[u8]) -> u32 {
    // FNV-1a: a few bytes each, no setup.
    let mut h: u32 = 0x811c_9dc5;
    for &b in s {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    h
}

impl Interner {
    /// Look up `input[start..start + len]`, remembering it when it is new.
    pub(super) fn see(&mut self, input: &[u8], start: usize, len: usize) -> Seen {
        if len > MAX_LEN {
            return Seen::New { keep: false };
        }
        if self.slots.is_empty() {
            self.slots = vec![0; 64];
        }
        let s = &input[start..start + len];
        let mask = self.slots.len() - 1;
        let mut i = hash(s) as usize & mask;
        loop {
            match self.slots[i] {
                0 => break,
                id => {
                    let (a, n) = self.strings[id as usize - 1];
                    if &input[a as usize..(a + n) as usize] == s {
                        return Seen::Before(id - 1);
                    }
                }
            }
            i = (i + 1) & mask;
        }
        if self.strings.len() >= MAX_STRINGS {
            return Seen::New { keep: false };
        }
        self.strings.push((start as u32, len as u32));
        self.slots[i] = self.strings.len() as u32;
        if self.strings.len() * 2 > self.slots.len() {
            self.grow(input);
        }
        Seen::New { keep: true }
    }

    /// Double the slots, keeping the load under a half.
    fn grow(&mut self, input: &[u8]) {
        let mut slots = vec![0u32; self.slots.len() * 2];
        let mask = slots.len() - 1;
        for (k, &(a, n)) in self.strings.iter().enumerate() {
            let mut i = hash(&input[a as usize..(a + n) as usize]) as usize & mask;
            while slots[i] != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = k as u32 + 1;
        }
        self.slots = slots;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The numbers the interner gives `words` (laid end to end in one input),
    /// `None` where it says to make the string anew.
    fn ids(words: &[&str]) -> (Vec<Option<u32>>, Vec<bool>) {
        let input: Vec<u8> = words.concat().into_bytes();
        let mut t = Interner::default();
        let (mut ids, mut kept) = (Vec::new(), Vec::new());
        let mut at = 0;
        for w in words {
            match t.see(&input, at, w.len()) {
                Seen::Before(id) => {
                    ids.push(Some(id));
                    kept.push(false);
                }
                Seen::New { keep } => {
                    ids.push(None);
                    kept.push(keep);
                }
            }
            at += w.len();
        }
        (ids, kept)
    }

    #[test]
    fn equal_strings_share_a_number_and_different_ones_never_do() {
        let (ids, kept) = ids(&["a", "b", "ab", "a", "ba", "b", "", "", "ab", "é", "é"]);
        assert_eq!(
            ids,
            [
                None,
                None,
                None,
                Some(0),
                None,
                Some(1),
                None,
                Some(4),
                Some(2),
                None,
                Some(5)
            ]
        );
        assert_eq!(kept.iter().filter(|k| **k).count(), 6);
    }

    #[test]
    fn long_strings_are_never_kept() {
        let long = "x".repeat(MAX_LEN + 1);
        let edge = "y".repeat(MAX_LEN);
        let (ids, kept) = ids(&[&long, &long, &edge, &edge]);
        assert_eq!(ids, [None, None, None, Some(0)]);
        assert_eq!(kept, [false, false, true, false]);
    }

    #[test]
    fn many_strings_grow_the_table_then_stop_being_kept() {
        let words: Vec<String> = (0..MAX_STRINGS + 100).map(|i| format!("k{i}")).collect();
        let mut all: Vec<&str> = words.iter().map(String::as_str).collect();
        // Then each again: the kept ones by the number they were given in order.
        all.extend(words.iter().map(String::as_str));
        let (ids, kept) = ids(&all);
        let n = words.len();
        assert!(ids[..n].iter().all(Option::is_none));
        assert!(kept[..MAX_STRINGS].iter().all(|k| *k));
        assert!(kept[MAX_STRINGS..n].iter().all(|k| !*k));
        for (i, id) in ids[n..].iter().enumerate() {
            let want = (i < MAX_STRINGS).then_some(i as u32);
            assert_eq!(*id, want, "word {i}");
        }
    }
}
