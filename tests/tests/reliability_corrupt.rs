//! Corruption: at least 10,000 random damages to entry files of a `larder`
//! cache over larder-fs: flipped bits, truncation, zero-length files, appended
//! or replaced bytes, two entries' files swapped, another entry's file copied
//! over, a directory or a symlink where the file should be. Every get returns
//! the right value or a miss (a damaged entry is always a miss), the `corrupt`
//! count grows by exactly one per damaged entry, whichever path finds it (a
//! read, or a listing), damaged files are removed, and nothing panics.
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use larder_tests::reliability::{Rng, figures, values};

const NS: &str = "corrupt";
const KEYS: u64 = 64;
const MAX_VALUE: usize = 4096;
const CORRUPTIONS: u64 = 10_000;

/// The ways an entry file gets damaged.
#[derive(Clone, Copy, Debug)]
enum Damage {
    FlipBits,
    Truncate,
    ZeroLength,
    Append,
    Garbage,
    /// Two entries' files exchanged (damages both).
    Swap,
    /// Another entry's valid file copied over this one.
    Foreign,
    Directory,
    Symlink,
}

const DAMAGES: [Damage; 9] = [
    Damage::FlipBits,
    Damage::Truncate,
    Damage::ZeroLength,
    Damage::Append,
    Damage::Garbage,
    Damage::Swap,
    Damage::Foreign,
    Damage::Directory,
    Damage::Symlink,
];

fn random_bytes(rng: &mut Rng, n: usize) -> Vec<u8> {
    (0..n).map(|_| rng.next_u64() as u8).collect()
}

/// Damage `path` (an intact entry file) in the way `d`; `other` is another
/// intact entry's file; `outside` a directory outside the cache for link targets.
/// Returns how many entries were damaged (two for a swap).
fn damage(rng: &mut Rng, d: Damage, path: &Path, other: &Path, outside: &Path) -> u64 {
    let bytes = fs::read(path).unwrap();
    match d {
        Damage::FlipBits => {
            let mut b = bytes;
            // Distinct bits: flipping one twice would undo the damage.
            let mut bits: Vec<usize> = (0..1 + rng.below(4))
                .map(|_| rng.index(b.len() * 8))
                .collect();
            bits.sort_unstable();
            bits.dedup();
            for bit in bits {
                b[bit / 8] ^= 1 << (bit % 8);
            }
            fs::write(path, b).unwrap();
        }
        Damage::Truncate => fs::write(path, &bytes[..1 + rng.index(bytes.len() - 1)]).unwrap(),
        Damage::ZeroLength => fs::write(path, b"").unwrap(),
        Damage::Append => {
            let mut b = bytes;
            let n = 1 + rng.index(64);
            b.extend(random_bytes(rng, n));
            fs::write(path, b).unwrap();
        }
        Damage::Garbage => fs::write(path, random_bytes(rng, bytes.len())).unwrap(),
        Damage::Swap => {
            let parked = outside.join("swap");
            fs::rename(path, &parked).unwrap();
            fs::rename(other, path).unwrap();
            fs::rename(&parked, other).unwrap();
            return 2;
        }
        Damage::Foreign => {
            fs::copy(other, path).unwrap();
        }
        Damage::Directory => {
            fs::remove_file(path).unwrap();
            fs::create_dir(path).unwrap();
            if rng.percent(50) {
                fs::write(path.join("inner"), &bytes).unwrap();
            }
        }
        Damage::Symlink => {
            // A link to a copy of the entry's own, valid bytes: still never followed.
            let target = outside.join(format!("target-{}", rng.next_u64()));
            fs::write(&target, &bytes).unwrap();
            fs::remove_file(path).unwrap();
            std::os::unix::fs::symlink(&target, path).unwrap();
        }
    }
    1
}

#[test]
#[ignore = "slow in a debug build: `cargo xtask test` runs it optimized (stage reliability)"]
fn ten_thousand_random_corruptions_are_misses_counted_exactly_once() {
    let mut rng = Rng::for_test("corrupt");
    let sandbox = tempfile::tempdir().unwrap();
    let (root, outside) = (sandbox.path().join("cache"), sandbox.path().join("outside"));
    fs::create_dir(&outside).unwrap();
    let cache = larder::Cache::builder()
        .dir(&root)
        .memory_bytes(0u64)
        .open()
        .unwrap()
        .blocking();
    let store = larder::FsStore::open(&root).unwrap();
    let path_of =
        |k: u64| -> PathBuf { store.entry_path(cache.r#async().key(NS, &k).unwrap().hash()) };
    let vals = values(KEYS, MAX_VALUE);
    let started = Instant::now();
    let (mut damaged_total, mut rounds, mut by_listing) = (0u64, 0u64, 0u64);
    let (mut right, mut wrong, mut first_wrong) = (0u64, 0u64, None);
    let mut miscount = None;
    let mut per_kind = [0u64; DAMAGES.len()];
    let mut damaged: Vec<Option<Damage>> = vec![Some(Damage::ZeroLength); KEYS as usize];
    while damaged_total < CORRUPTIONS {
        rounds += 1;
        // Rewrite what the last round damaged (and removed).
        for k in 0..KEYS {
            if damaged[k as usize].is_some() {
                cache.put(NS, &k, &vals[k as usize]).unwrap();
            }
        }
        damaged.iter_mut().for_each(|d| *d = None);
        // Damage about half of the keys, each at most once a round.
        let mut intact: Vec<u64> = (0..KEYS).collect();
        let mut this_round = 0;
        while intact.len() > KEYS as usize / 2 {
            let k = intact.swap_remove(rng.index(intact.len()));
            let o = intact[rng.index(intact.len())];
            let kind = rng.index(DAMAGES.len());
            let n = damage(&mut rng, DAMAGES[kind], &path_of(k), &path_of(o), &outside);
            per_kind[kind] += n;
            this_round += n;
            damaged[k as usize] = Some(DAMAGES[kind]);
            if n == 2 {
                damaged[o as usize] = Some(DAMAGES[kind]);
                intact.retain(|&x| x != o);
            }
        }
        let corrupt_before = cache.stats().unwrap().corrupt;
        // Every other round a listing (prune re-lists the store) finds the
        // damage it can see from headers first; reads find the rest.
        if rounds % 2 == 0 {
            cache.prune().unwrap();
            by_listing += cache.stats().unwrap().corrupt - corrupt_before;
        }
        for k in 0..KEYS {
            let got = cache.get::<_, Vec<u8>>(NS, &k).unwrap();
            let ok = if damaged[k as usize].is_some() {
                got.is_none() && fs::symlink_metadata(path_of(k)).is_err()
            } else {
                got.as_ref() == Some(&vals[k as usize])
            };
            if ok {
                right += 1;
            } else {
                wrong += 1;
                let what = format!("round {rounds}, key {k}, damage {:?}", damaged[k as usize]);
                first_wrong.get_or_insert(what);
            }
        }
        damaged_total += this_round;
        let corrupt = cache.stats().unwrap().corrupt;
        if corrupt != damaged_total && miscount.is_none() {
            miscount = Some(format!(
                "round {rounds}: {corrupt} counted, {damaged_total} damaged"
            ));
        }
    }
    let s = cache.stats().unwrap();
    let kinds: Vec<String> = DAMAGES
        .iter()
        .zip(per_kind)
        .map(|(d, n)| format!("{d:?}:{n}"))
        .collect();
    figures(
        "corrupt",
        &[
            ("corruptions", &damaged_total),
            ("counted", &s.corrupt),
            ("found_by_listing", &by_listing),
            ("rounds", &rounds),
            ("right", &right),
            ("wrong", &wrong),
            ("kinds", &kinds.join(",")),
            ("secs", &format!("{:.1}", started.elapsed().as_secs_f64())),
        ],
    );
    assert_eq!(
        wrong, 0,
        "a damaged entry was a hit or stayed, or an intact one was wrong; first: {first_wrong:?}"
    );
    assert_eq!(miscount, None, "the corrupt count is off");
    assert_eq!(s.errors, 0);
}
