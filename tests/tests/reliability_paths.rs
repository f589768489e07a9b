//! Paths: no namespace, parameter or tag reaches the filesystem except hashed.
//! Hostile names (`../` at every depth, absolute paths inside and outside the
//! sandbox, NUL bytes, the longest names allowed, odd Unicode, reserved
//! names) go through every call that takes them; afterwards the sandbox around
//! the cache holds nothing new outside the cache's hex-named entry files.
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Component, Path};

use larder::{ErrorKind, Filter, PutOptions};
use larder_tests::reliability::{Node, figures, tree, value};

const MAX_VALUE: usize = 512;

/// Names that would escape or confuse a cache that built paths from them.
fn hostile(sandbox: &Path, escape: &Path) -> Vec<String> {
    let mut v: Vec<String> = (1..=6)
        .map(|d| format!("{}outside/escaped", "../".repeat(d)))
        .collect();
    v.extend([
        format!("{}/outside/absolute", sandbox.display()),
        escape.display().to_string(),
        "/".into(),
        ".".into(),
        "..".into(),
        "a/b/c".into(),
        "..\\..\\outside\\escaped".into(),
        "larder-v1/entries/00/../../tmp".into(),
        "nul\0byte".into(),
        "\0".into(),
        "../\0/../outside".into(),
        "x".repeat(1024),
        "é".repeat(512),
        "../".repeat(341),
        "\u{202e}gnp.exe".into(),
        "e\u{301}".into(),
        "\u{feff}\u{200b}\u{fffd}".into(),
        "😀/😀".into(),
        "CON".into(),
        "NUL.txt".into(),
        "~".into(),
        "$HOME".into(),
        "%2e%2e%2f".into(),
        "line\nbreak\r\t".into(),
        " ".into(),
        "*?<>|\"'".into(),
    ]);
    v
}

/// The relative path is an entry file or a shard directory of the cache at `cache/`.
fn is_cache_path(rel: &Path, node: &Node) -> bool {
    let parts: Vec<String> = rel
        .components()
        .map(|c| match c {
            Component::Normal(s) => s.to_string_lossy().into_owned(),
            _ => String::from("/"),
        })
        .collect();
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    match parts.as_slice() {
        ["cache", "larder-v1", "entries", shard] => hex(shard, 2) && *node == Node::Dir,
        ["cache", "larder-v1", "entries", shard, file] => {
            hex(shard, 2)
                && hex(file, 32)
                && file.starts_with(shard)
                && matches!(node, Node::File(_))
        }
        _ => false,
    }
}

#[test]
fn hostile_names_never_write_outside_the_cache_directory() {
    let sandbox = tempfile::tempdir().unwrap();
    let s = sandbox.path();
    let escape = std::env::temp_dir().join(format!("larder-escape-{}", std::process::id()));
    let names = hostile(s, &escape);
    for dir in ["outside", "cwd", "cache"] {
        std::fs::create_dir(s.join(dir)).unwrap();
    }
    // A relative path would land under the sandbox too.
    std::env::set_current_dir(s.join("cwd")).unwrap();
    let cache = larder::Cache::builder()
        .dir(s.join("cache"))
        .open()
        .unwrap()
        .blocking();
    let before = tree(s);

    let mut calls = 0u64;
    for (i, name) in names.iter().enumerate() {
        let k = i as u64;
        let opts = PutOptions::new()
            .tag(name.clone())
            .meta(name.as_bytes().to_vec());
        let params = BTreeMap::from([(name.clone(), name.clone())]);
        cache
            .put_with(name.as_str(), name, &value(k, MAX_VALUE), &opts)
            .unwrap();
        cache
            .put_with("paths", &params, &value(k + 1000, MAX_VALUE), &opts)
            .unwrap();
        let got: Option<Vec<u8>> = cache.get(name.as_str(), name).unwrap();
        assert!(
            got == Some(value(k, MAX_VALUE)),
            "{name:?} as namespace and params"
        );
        let got: Option<Vec<u8>> = cache.get("paths", &params).unwrap();
        assert!(
            got == Some(value(k + 1000, MAX_VALUE)),
            "{name:?} as a map's key"
        );
        let filter = Filter {
            namespace: Some(name.clone()),
            tag: Some(name.clone()),
        };
        let listed = cache.entries(&filter).unwrap();
        assert_eq!(listed.len(), 1, "{name:?}: entries by namespace and tag");
        assert_eq!(listed[0].meta, name.as_bytes());
        assert_eq!(cache.invalidate_tag(name).unwrap(), 2, "{name:?} as a tag");
        cache.put(name.as_str(), &k, &value(k, MAX_VALUE)).unwrap();
        assert_eq!(cache.invalidate_namespace(name).unwrap(), 1);
        cache.put(name.as_str(), &k, &value(k, MAX_VALUE)).unwrap();
        assert!(cache.remove(name.as_str(), &k).unwrap());
        cache
            .put(name.as_str(), name, &value(k, MAX_VALUE))
            .unwrap();
        calls += 13;
    }

    // Past the limits: a clear error, and nothing changes.
    let count = cache.stats().unwrap().entries;
    let too_long = "../".repeat(400);
    let e = cache.put(too_long.as_str(), &1, &1).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let e = cache.put("", &1, &1).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let opts = PutOptions::new().tag(too_long.clone());
    let e = cache.put_with("paths", &1, &1, &opts).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let e = cache.put("paths", &"../".repeat(30_000), &1).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooLarge, "{e}");
    calls += 4;
    assert_eq!(
        cache.stats().unwrap().entries,
        count,
        "a refused put changed the cache"
    );
    drop(cache);

    let after = tree(s);
    let mut strays = Vec::new();
    for (rel, node) in &after {
        if before.get(rel) != Some(node) && !is_cache_path(rel, node) {
            strays.push(format!("{} ({node:?})", rel.display()));
        }
    }
    let vanished: Vec<_> = before.keys().filter(|p| !after.contains_key(*p)).collect();
    let entry_files = after.keys().filter(|p| p.components().count() == 5).count();
    figures(
        "paths",
        &[
            ("names", &names.len()),
            ("calls", &calls),
            ("entry_files", &entry_files),
            ("paths_outside_cache", &strays.len()),
            ("escape_target_exists", &escape.exists()),
        ],
    );
    assert!(
        strays.is_empty(),
        "written outside the cache's entry files: {strays:#?}"
    );
    assert!(vanished.is_empty(), "removed: {vanished:?}");
    assert!(!escape.exists(), "{} was written", escape.display());
    assert!(
        entry_files > 0,
        "the cache wrote nothing: the test proves nothing"
    );
}
