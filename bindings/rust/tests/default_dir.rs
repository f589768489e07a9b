//! `Cache::open_default` finds its directory in `$LARDER_DIR`, else in the
//! platform cache directory. Each case runs in a child process with its own
//! environment, so no test changes the environment of another.
#![allow(clippy::unwrap_used)]

use std::env;

const ROLE: &str = "LARDER_DEFAULT_DIR_CHILD";

/// The child: open the default cache and write one entry.
#[test]
fn child_role() {
    if env::var(ROLE).is_ok() {
        let cache = larder::blocking::Cache::open_default().unwrap();
        cache.put("default-dir", &1, &"here").unwrap();
    }
}

fn entries_under(root: &std::path::Path) -> usize {
    let entries = root.join("larder-v1/entries");
    std::fs::read_dir(entries)
        .map(|shards| {
            shards
                .flatten()
                .flat_map(|s| std::fs::read_dir(s.path()).unwrap())
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn larder_dir_then_the_platform_cache_directory() {
    if env::var(ROLE).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (chosen, xdg) = (dir.path().join("chosen"), dir.path().join("xdg"));
    larder_tests::processes::run_children(
        "child_role",
        ROLE,
        1,
        &[
            ("LARDER_DIR", chosen.as_os_str()),
            ("XDG_CACHE_HOME", xdg.as_os_str()),
        ],
    );
    assert_eq!(entries_under(&chosen), 1, "$LARDER_DIR is used");
    assert_eq!(entries_under(&xdg.join("larder")), 0);
    if cfg!(target_os = "linux") {
        // An empty LARDER_DIR counts as unset: $XDG_CACHE_HOME/larder.
        larder_tests::processes::run_children(
            "child_role",
            ROLE,
            1,
            &[
                ("LARDER_DIR", "".as_ref()),
                ("XDG_CACHE_HOME", xdg.as_os_str()),
            ],
        );
        assert_eq!(
            entries_under(&xdg.join("larder")),
            1,
            "the platform cache directory"
        );
    }
}
