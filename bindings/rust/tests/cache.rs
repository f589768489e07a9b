//! The `larder` crate end to end on a real filesystem.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use larder::{Cache, ErrorKind, Filter, PutOptions};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Report {
    title: String,
    rows: Vec<(u32, f64)>,
}

#[derive(Serialize)]
struct Params {
    year: u32,
    region: &'static str,
}

fn report() -> Report {
    Report {
        title: "q3".into(),
        rows: vec![(1, 0.5), (2, 1.5)],
    }
}

/// Incompressible bytes, so that lz4 cannot shrink them.
fn noise(len: usize, seed: u32) -> Vec<u8> {
    larder_tests::fixtures::payload(seed, len)
}

fn entry_file(dir: &std::path::Path, key: &larder::Key) -> std::path::PathBuf {
    let hex = key.hash().to_hex();
    dir.join("larder-v1")
        .join("entries")
        .join(&hex[..2])
        .join(hex)
}

#[tokio::test]
async fn typed_values_round_trip_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let cache = Cache::open(dir.path()).unwrap();
        cache
            .put(
                "report",
                &Params {
                    year: 2024,
                    region: "eu",
                },
                &report(),
            )
            .await
            .unwrap();
    }
    let cache = Cache::open(dir.path()).unwrap();
    let got: Option<Report> = cache.get("report", &[("region", "eu")]).await.unwrap();
    assert_eq!(got, None, "different params, different key");
    // A map with the same fields, in another order, is the same key.
    let key_struct = cache
        .key(
            "report",
            &Params {
                year: 2024,
                region: "eu",
            },
        )
        .unwrap();
    let key_map = cache.key("report", &as_map_params()).unwrap();
    assert_eq!(key_struct.hash(), key_map.hash());
    let got: Option<Report> = cache
        .get(
            "report",
            &Params {
                year: 2024,
                region: "eu",
            },
        )
        .await
        .unwrap();
    assert_eq!(got, Some(report()));
}

fn as_map_params() -> BTreeMap<&'static str, serde_json::Value> {
    let mut m = BTreeMap::new();
    m.insert("year", serde_json::json!(2024));
    m.insert("region", serde_json::json!("eu"));
    m
}

#[tokio::test]
async fn versions_separate_entries() {
    let cache = Cache::builder().in_memory().open().unwrap();
    cache.put(("f", 1), &1, &"v1").await.unwrap();
    assert_eq!(cache.get::<_, String>(("f", 2), &1).await.unwrap(), None);
    assert_eq!(
        cache
            .get::<_, String>(("f", 1), &1)
            .await
            .unwrap()
            .as_deref(),
        Some("v1")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn get_or_compute_runs_once_for_concurrent_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    let runs = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (cache, runs) = (cache.clone(), runs.clone());
            tokio::spawn(async move {
                cache
                    .get_or_compute("slow", &"k", || async {
                        runs.fetch_add(1, SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        report()
                    })
                    .await
                    .unwrap()
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), report());
    }
    assert_eq!(runs.load(SeqCst), 1);
}

#[test]
fn blocking_api_shares_one_computation_across_threads() {
    let dir = tempfile::tempdir().unwrap();
    let cache = larder::blocking::Cache::open(dir.path()).unwrap();
    let runs = Arc::new(AtomicUsize::new(0));
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                let v: u64 = cache
                    .get_or_compute("sum", &[1u64, 2, 3], || {
                        runs.fetch_add(1, SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        6
                    })
                    .unwrap();
                assert_eq!(v, 6);
            });
        }
    });
    assert_eq!(runs.load(SeqCst), 1);
}

#[tokio::test]
async fn a_failing_computation_caches_nothing() {
    let cache = Cache::builder().in_memory().open().unwrap();
    #[derive(Debug)]
    struct MyError(String);
    impl std::fmt::Display for MyError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(&self.0)
        }
    }
    impl From<larder::Error> for MyError {
        fn from(e: larder::Error) -> Self {
            MyError(e.to_string())
        }
    }
    let r: Result<u32, MyError> = cache
        .try_get_or_compute("f", &1, &PutOptions::new(), || async {
            Err(MyError("nope".into()))
        })
        .await;
    assert_eq!(
        r.unwrap_err().0,
        "nope",
        "the caller gets its own error back"
    );
    assert!(!cache.contains("f", &1).await.unwrap());
}

#[tokio::test]
async fn an_entry_of_another_type_is_recomputed() {
    let cache = Cache::builder().in_memory().open().unwrap();
    cache.put("f", &1, &7u8).await.unwrap();
    let err = cache.get::<_, Report>("f", &1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Codec);
    let v: Report = cache
        .get_or_compute("f", &1, || async { report() })
        .await
        .unwrap();
    assert_eq!(v, report());
    assert_eq!(
        cache.get::<_, Report>("f", &1).await.unwrap(),
        Some(report())
    );
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("never-created");
    let e = Cache::builder()
        .dir(&sub)
        .max_bytes("10XB")
        .open()
        .err()
        .unwrap();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("10XB"), "{e}");
    assert!(!sub.exists(), "a bad option creates nothing");
    let e = Cache::builder().dir(&sub).ttl("soon").open().err().unwrap();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);

    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let e = Cache::open(&file).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("a-file"), "{e}");

    let cache = Cache::builder()
        .dir(dir.path().join("c"))
        .max_bytes(10_000u64)
        .open()
        .unwrap();
    cache.put("ok", &1, &"kept").await.unwrap();

    struct Unserializable;
    impl Serialize for Unserializable {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom(
                "this parameter refuses to serialize",
            ))
        }
    }
    let e = cache.put("p", &Unserializable, &1).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("refuses to serialize"), "{e}");

    let e2 = cache.put("big", &1, &noise(50_000, 1)).await.unwrap_err();
    assert_eq!(e2.kind(), ErrorKind::TooLarge);
    assert_eq!(cache.stats().await.unwrap().entries, 1, "nothing was added");
    assert_eq!(
        cache.get::<_, String>("ok", &1).await.unwrap().as_deref(),
        Some("kept")
    );
}

#[tokio::test]
async fn corrupt_files_are_misses_removed_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::builder()
        .dir(dir.path())
        .memory_bytes(0u64)
        .open()
        .unwrap();
    type Damage = fn(&std::path::Path);
    let damage: [(&str, Damage); 4] = [
        ("flipped bit", |p| {
            let mut b = std::fs::read(p).unwrap();
            b[40] ^= 1;
            std::fs::write(p, b).unwrap();
        }),
        ("truncated", |p| {
            let b = std::fs::read(p).unwrap();
            std::fs::write(p, &b[..b.len() / 2]).unwrap();
        }),
        ("zero length", |p| std::fs::write(p, b"").unwrap()),
        ("foreign file", |p| {
            std::fs::write(p, b"{\"not\": \"larder\"}").unwrap()
        }),
    ];
    for (i, (what, damage)) in damage.iter().enumerate() {
        cache.put("c", &i, &format!("value {i}")).await.unwrap();
        let path = entry_file(dir.path(), &cache.key("c", &i).unwrap());
        damage(&path);
        assert_eq!(
            cache.get::<_, String>("c", &i).await.unwrap(),
            None,
            "{what}"
        );
        assert!(!path.exists(), "{what}: the damaged file is removed");
    }
    // A swapped file: another key's valid entry under this key's name.
    cache.put("c", &"a", &"value a").await.unwrap();
    cache.put("c", &"b", &"value b").await.unwrap();
    let (pa, pb) = (
        entry_file(dir.path(), &cache.key("c", &"a").unwrap()),
        entry_file(dir.path(), &cache.key("c", &"b").unwrap()),
    );
    std::fs::copy(&pb, &pa).unwrap();
    assert_eq!(
        cache.get::<_, String>("c", &"a").await.unwrap(),
        None,
        "never b's value"
    );
    assert!(!pa.exists(), "the misplaced file is removed");
    assert_eq!(
        cache.get::<_, String>("c", &"b").await.unwrap().as_deref(),
        Some("value b")
    );
    assert_eq!(
        cache.stats().await.unwrap().corrupt,
        5,
        "the swapped file counts"
    );
}

#[tokio::test]
async fn entries_and_invalidation() {
    let cache = Cache::builder().in_memory().open().unwrap();
    let tagged = PutOptions::new().tag("eu").meta(b"source=db".to_vec());
    cache
        .put_with(
            "report",
            &Params {
                year: 2024,
                region: "eu",
            },
            &report(),
            &tagged,
        )
        .await
        .unwrap();
    cache.put("other", &1, &2).await.unwrap();
    let eu = cache
        .entries(&Filter {
            tag: Some("eu".into()),
            ..Filter::default()
        })
        .await
        .unwrap();
    assert_eq!(eu.len(), 1);
    assert_eq!(eu[0].meta, b"source=db");
    let params = eu[0].params.as_ref().unwrap().to_string();
    assert!(
        params.contains("region") && params.contains("2024"),
        "{params}"
    );
    assert_eq!(cache.invalidate_tag("eu").await.unwrap(), 1);
    assert_eq!(cache.invalidate_namespace("other").await.unwrap(), 1);
    assert_eq!(cache.stats().await.unwrap().entries, 0);
}

#[tokio::test]
async fn byte_limit_holds_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::builder()
        .dir(dir.path())
        .max_bytes("64KiB")
        .open()
        .unwrap();
    for i in 0..200u32 {
        let value = noise(1000, i);
        cache
            .put_bytes("fill", &i, value, &PutOptions::new())
            .await
            .unwrap();
    }
    let on_disk = bytes_on_disk(dir.path());
    assert!(on_disk <= 64 * 1024, "{on_disk} bytes on disk");
    assert!(cache.stats().await.unwrap().evictions > 100);
    assert!(
        cache.get_bytes("fill", &199u32).await.unwrap().is_some(),
        "the newest stays"
    );
}

/// Bytes of every entry file under `dir`.
fn bytes_on_disk(dir: &std::path::Path) -> u64 {
    let mut on_disk = 0;
    for shard in std::fs::read_dir(dir.join("larder-v1/entries")).unwrap() {
        for f in std::fs::read_dir(shard.unwrap().path()).unwrap() {
            on_disk += f.unwrap().metadata().unwrap().len();
        }
    }
    on_disk
}

#[tokio::test]
async fn caches_sharing_a_directory_keep_its_limit_once_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let open = || {
        Cache::builder()
            .dir(dir.path())
            .max_bytes("64KiB")
            .open()
            .unwrap()
    };
    let (a, b) = (open(), open());
    // Each loads its view of the directory, then writes keys the other never sees.
    for i in 0..50u32 {
        for (c, ns) in [(&a, "a"), (&b, "b")] {
            let value = noise(1000, i);
            c.put_bytes(ns, &i, value, &PutOptions::new())
                .await
                .unwrap();
        }
    }
    assert!(
        bytes_on_disk(dir.path()) > 64 * 1024,
        "together over the limit"
    );
    drop(a);
    assert!(
        bytes_on_disk(dir.path()) <= 64 * 1024,
        "dropping a cache enforces the limit"
    );
    drop(b);
    assert!(bytes_on_disk(dir.path()) <= 64 * 1024);
}

#[tokio::test]
async fn damage_found_while_listing_is_counted_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = {
        let cache = Cache::open(dir.path()).unwrap();
        cache.put("c", &1, &"one").await.unwrap();
        cache.put("c", &2, &"two").await.unwrap();
        entry_file(dir.path(), &cache.key("c", &1).unwrap())
    };
    // Damaged after the writer closed (whose close re-lists the directory).
    std::fs::write(&path, b"garbage").unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    let s = cache.stats().await.unwrap(); // lists the directory
    assert_eq!((s.entries, s.corrupt), (1, 1));
    assert!(!entry_file(dir.path(), &cache.key("c", &1).unwrap()).exists());
}
