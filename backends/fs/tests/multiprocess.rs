//! Several processes reading and writing one cache directory at once never see
//! a partial or foreign frame. The test binary runs itself as the children.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::env;
use std::path::Path;
use std::sync::OnceLock;

use larder_core::{PutItem, Store, block_on};
use larder_fs::FsStore;
use larder_tests::fixtures::{entry, payload};

const ROLE: &str = "LARDER_FS_TEST_CHILD";
const DIR: &str = "LARDER_FS_TEST_DIR";
const CHILDREN: u32 = 4;
const OWN: u32 = 200;
const SHARED: u32 = 50;
const ROUNDS: u32 = 3;

fn own_index(child: u32, j: u32) -> u32 {
    300_000 + child * 1000 + j
}

fn shared_index(j: u32) -> u32 {
    400_000 + j
}

/// The frame every process writes for key `i`: 1 to 16 KiB, so a torn write shows.
/// Encoded once per process (debug builds encode slowly).
fn item(i: u32) -> &'static PutItem {
    static ITEMS: OnceLock<HashMap<u32, PutItem>> = OnceLock::new();
    let items = ITEMS.get_or_init(|| {
        let own = (0..CHILDREN).flat_map(|c| (0..OWN).map(move |j| own_index(c, j)));
        let all = own.chain((0..SHARED).map(shared_index));
        all.map(|i| (i, entry(i, &payload(i, 1024 * (1 + (i % 16) as usize)))))
            .collect()
    });
    &items[&i]
}

fn check_read(store: &FsStore, i: u32, who: &str) {
    let want = item(i);
    let got = block_on(store.get(want.meta.key)).unwrap();
    assert!(
        got.is_none() || got.as_ref() == Some(&want.frame),
        "{who}: key {i} read back a wrong frame"
    );
}

fn child(id: u32, dir: &Path) {
    let store = FsStore::open(dir).unwrap();
    let who = format!("child {id}");
    for round in 0..ROUNDS {
        for j in 0..OWN.max(SHARED) {
            let mut mine = Vec::new();
            if j < OWN {
                mine.push(own_index(id, j));
            }
            if j < SHARED {
                mine.push(shared_index(j));
            }
            for &i in &mine {
                let e = item(i);
                block_on(store.put(&e.meta, &e.frame)).unwrap();
            }
            // Read what every other process is writing right now.
            for other in 0..CHILDREN {
                check_read(&store, own_index(other, j % OWN), &who);
            }
            check_read(&store, shared_index((j + round) % SHARED), &who);
            if (j + id) % 17 == 0 {
                block_on(store.delete(item(shared_index(j % SHARED)).meta.key)).unwrap();
            }
        }
        assert!(!block_on(store.list()).unwrap().is_empty());
    }
    assert_eq!(store.take_corrupt(), 0, "{who}: list found damaged entries");
}

/// The child's entry point; a no-op unless the parent test set the role.
#[test]
fn child_role() {
    if let (Ok(role), Ok(dir)) = (env::var(ROLE), env::var(DIR)) {
        child(role.parse().unwrap(), Path::new(&dir));
    }
}

#[test]
fn four_processes_share_one_directory() {
    if env::var(ROLE).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    larder_tests::processes::run_children(
        "child_role",
        ROLE,
        CHILDREN.into(),
        &[(DIR, dir.path().as_os_str())],
    );
    let store = FsStore::open(dir.path()).unwrap();
    for id in 0..CHILDREN {
        for j in 0..OWN {
            let e = item(own_index(id, j));
            let got = block_on(store.get(e.meta.key)).unwrap();
            assert!(
                got.as_ref() == Some(&e.frame),
                "key {} of child {id} is missing or wrong",
                j
            );
        }
    }
    for j in 0..SHARED {
        check_read(&store, shared_index(j), "parent");
    }
    let listed = block_on(store.list()).unwrap().len() as u32;
    assert!(
        (CHILDREN * OWN..=CHILDREN * OWN + SHARED).contains(&listed),
        "{listed} entries"
    );
    assert_eq!(store.take_corrupt(), 0);
    let tmp = dir.path().join(larder_fs::LAYOUT_DIR).join("tmp");
    assert_eq!(
        std::fs::read_dir(tmp).unwrap().count(),
        0,
        "temps left behind"
    );
}
