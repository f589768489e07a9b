//! larder reports hits, misses, stale hits, evictions, errors and uncached
//! memoized calls through `tracing`.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Collects "LEVEL message" for every event.
#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Vec<String>>>);

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl Subscriber for Collect {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut m = Message(String::new());
        event.record(&mut m);
        self.0
            .lock()
            .unwrap()
            .push(format!("{} {}", event.metadata().level(), m.0));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn hit_miss_eviction_and_corruption_are_traced() {
    let dir = tempfile::tempdir().unwrap();
    let collect = Collect::default();
    tracing::subscriber::with_default(collect.clone(), || {
        let cache = larder::Cache::builder()
            .dir(dir.path())
            .max_entries(1)
            .memory_bytes(0u64)
            .open()
            .unwrap()
            .blocking();
        cache.get::<_, u8>("t", &1).unwrap();
        cache.put("t", &1, &1u8).unwrap();
        cache.get::<_, u8>("t", &1).unwrap();
        cache.put("t", &2, &2u8).unwrap(); // evicts 1
        let hex = cache.r#async().key("t", &2).unwrap().hash().to_hex();
        let path = dir
            .path()
            .join("larder-v1/entries")
            .join(&hex[..2])
            .join(&hex);
        std::fs::write(path, b"garbage").unwrap();
        cache.get::<_, u8>("t", &2).unwrap();
        // A real storage fault: the temp directory replaced by a file. The
        // computed value is still returned; the failed write is logged.
        let tmp = dir.path().join("larder-v1/tmp");
        std::fs::remove_dir_all(&tmp).unwrap();
        std::fs::write(&tmp, b"not a directory").unwrap();
        assert_eq!(cache.get_or_compute("t", &3, || 3u8).unwrap(), 3);
    });
    let events = collect.0.lock().unwrap().clone();
    for want in [
        "DEBUG larder miss",
        "DEBUG larder hit",
        "DEBUG larder eviction",
        "WARN larder removed a corrupt entry",
        "WARN larder storage error",
    ] {
        assert!(
            events.iter().any(|e| e == want),
            "no {want:?} in {events:?}"
        );
    }
}

#[test]
fn a_stale_hit_is_traced() {
    let clock = larder::ManualClock::new(0);
    let collect = Collect::default();
    let cache = larder::Cache::builder()
        .in_memory()
        .clock(clock.clone())
        .spawner(drop) // the refresh is not needed here
        .open()
        .unwrap();
    let opts = larder::PutOptions::new()
        .ttl_ms(1_000)
        .stale_while_revalidate_ms(60_000);
    let get = |v: u8| {
        let f = move || async move { Ok::<u8, larder::Error>(v) };
        larder::block_on(cache.get_or_revalidate("s", &1, &opts, f)).unwrap()
    };
    tracing::subscriber::with_default(collect.clone(), || {
        assert_eq!(get(1), 1);
        clock.advance_ms(2_000);
        assert_eq!(get(2), 1, "served stale");
    });
    let events = collect.0.lock().unwrap().clone();
    assert!(
        events
            .iter()
            .any(|e| e == "DEBUG larder served a stale entry"),
        "{events:?}"
    );
}

static UNCACHED: std::sync::LazyLock<larder::Cache> =
    std::sync::LazyLock::new(|| larder::Cache::builder().in_memory().open().unwrap());

#[larder::memoize(cache = &*UNCACHED, content = [input])]
fn byte_len(input: &std::path::Path) -> u64 {
    std::fs::metadata(input).map_or(0, |m| m.len())
}

#[test]
fn running_uncached_warns_once_then_logs_at_debug() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let collect = Collect::default();
    tracing::subscriber::with_default(collect.clone(), || {
        for _ in 0..3 {
            assert_eq!(byte_len(&missing), 0);
        }
    });
    let events = collect.0.lock().unwrap().clone();
    let count = |level: &str| {
        events
            .iter()
            .filter(|e| e.starts_with(level) && e.contains("running uncached"))
            .count()
    };
    assert_eq!((count("WARN"), count("DEBUG")), (1, 2), "{events:?}");
}
