//! # larder-tests: the store conformance suite
//!
//! Every [`Store`] must pass [`run_all`]. Each test is also public on its own,
//! takes `&S` for any `S: Store + ?Sized` (so `&dyn Store` works), clears the
//! store first, and panics with a message naming the test on failure.
//!
//! The suite uses no threads and no runtime, so the same functions run on
//! wasm32 (IndexedDB, OPFS, Node) as natively; threaded variants live in this
//! crate's integration tests, built from [`concurrent_writer`] and
//! [`check_concurrent_writers`].

pub mod batches;
pub mod fixtures;

use larder_core::{EntryMeta, KeyHash, PutItem, Result, Store};

pub use larder_core::join_all;

#[cfg(not(target_arch = "wasm32"))]
pub mod processes;
#[cfg(not(target_arch = "wasm32"))]
pub mod reliability;

pub use batches::{put_batch_is_all_or_nothing, put_batch_keeps_each_keys_last_entry};
use fixtures::{Extras, entry, entry_with, key, payload};

/// `get_header` returns the verified header of what was put, `None` when absent.
pub async fn header_matches_the_frame<S: Store + ?Sized>(store: &S) {
    const T: &str = "header_matches_the_frame";
    reset(T, store).await;
    let extras = Extras {
        tags: vec!["t".into()],
        expires_ms: Some(9),
        cost_us: 5,
    };
    let e = entry_with(3, &payload(3, 5000), &extras);
    put(T, store, &e).await;
    let h = must(T, "get_header", store.get_header(e.meta.key).await);
    let h = h.unwrap_or_else(|| panic!("conformance `{T}`: no header for a stored entry"));
    assert_eq!(h.key, e.meta.key, "conformance `{T}`: key");
    assert_eq!(
        h.frame_len(),
        e.frame.len() as u64,
        "conformance `{T}`: frame length"
    );
    assert_eq!(
        (h.tags, h.expires_ms),
        (extras.tags, extras.expires_ms),
        "conformance `{T}`"
    );
    let missing = must(T, "get_header", store.get_header(key(4).hash()).await);
    assert!(
        missing.is_none(),
        "conformance `{T}`: header for a missing key"
    );
}

/// Run the whole suite against `store`, printing each test's name as it starts.
pub async fn run_all<S: Store + ?Sized>(store: &S) {
    macro_rules! run {
        ($($test:ident),* $(,)?) => {$(
            eprintln!("conformance: {}", stringify!($test));
            $test(store).await;
        )*};
    }
    run!(
        round_trip,
        missing_is_none,
        overwrite_replaces,
        delete_reports_presence,
        batch_calls_agree_with_single_calls,
        put_batch_is_all_or_nothing,
        put_batch_keeps_each_keys_last_entry,
        list_returns_metadata,
        header_matches_the_frame,
        touch_updates_last_access,
        clear_empties,
        concurrent_writers,
        empty_and_large_values,
        ten_thousand_keys,
    );
}

/// Unwrap a store call's result, or fail naming the test and the call.
fn must<T>(test: &str, call: &str, r: Result<T>) -> T {
    r.unwrap_or_else(|e| panic!("conformance `{test}`: {call} failed: {e}"))
}

/// Clear `store` and check that it is empty.
async fn reset<S: Store + ?Sized>(test: &str, store: &S) {
    must(test, "clear", store.clear().await);
    let left = must(test, "list", store.list().await).len();
    assert_eq!(
        left, 0,
        "conformance `{test}`: {left} entries left after clear"
    );
}

async fn put<S: Store + ?Sized>(test: &str, store: &S, item: &PutItem) {
    must(test, "put", store.put(&item.meta, &item.frame).await);
}

async fn get<S: Store + ?Sized>(test: &str, store: &S, k: KeyHash) -> Option<Vec<u8>> {
    must(test, "get", store.get(k).await)
}

async fn sorted_list<S: Store + ?Sized>(test: &str, store: &S) -> Vec<EntryMeta> {
    let mut l = must(test, "list", store.list().await);
    l.sort_by_key(|m| m.key);
    l
}

/// A frame put is read back byte for byte.
pub async fn round_trip<S: Store + ?Sized>(store: &S) {
    const T: &str = "round_trip";
    reset(T, store).await;
    let e = entry(1, b"hello, larder");
    put(T, store, &e).await;
    let got = get(T, store, e.meta.key).await;
    assert_eq!(
        got.as_deref(),
        Some(&e.frame[..]),
        "conformance `{T}`: read back differs"
    );
}

/// A key never written reads as `None`, not an error.
pub async fn missing_is_none<S: Store + ?Sized>(store: &S) {
    const T: &str = "missing_is_none";
    reset(T, store).await;
    put(T, store, &entry(1, b"x")).await;
    let got = get(T, store, key(2).hash()).await;
    assert!(
        got.is_none(),
        "conformance `{T}`: a missing key returned {} bytes",
        got.map_or(0, |g| g.len())
    );
}

/// A second put of the same key replaces the first.
pub async fn overwrite_replaces<S: Store + ?Sized>(store: &S) {
    const T: &str = "overwrite_replaces";
    reset(T, store).await;
    let (a, b) = (entry(1, b"first"), entry(1, b"second, longer value"));
    put(T, store, &a).await;
    put(T, store, &b).await;
    let got = get(T, store, a.meta.key).await;
    assert_eq!(
        got.as_deref(),
        Some(&b.frame[..]),
        "conformance `{T}`: old frame read back"
    );
    let list = sorted_list(T, store).await;
    assert_eq!(
        list.len(),
        1,
        "conformance `{T}`: overwrite left {} entries",
        list.len()
    );
    assert_eq!(
        list[0].size,
        b.frame.len() as u64,
        "conformance `{T}`: size of the old frame"
    );
}

/// `delete` returns `true` when the entry was there, then `false`.
pub async fn delete_reports_presence<S: Store + ?Sized>(store: &S) {
    const T: &str = "delete_reports_presence";
    reset(T, store).await;
    let e = entry(1, b"doomed");
    put(T, store, &e).await;
    assert!(
        must(T, "delete", store.delete(e.meta.key).await),
        "conformance `{T}`: first delete said absent"
    );
    assert!(
        get(T, store, e.meta.key).await.is_none(),
        "conformance `{T}`: deleted entry still read"
    );
    assert!(
        !must(T, "delete", store.delete(e.meta.key).await),
        "conformance `{T}`: second delete said present"
    );
}

/// `get_many`, `put_many` and `delete_many` give the results of the single calls.
pub async fn batch_calls_agree_with_single_calls<S: Store + ?Sized>(store: &S) {
    const T: &str = "batch_calls_agree_with_single_calls";
    reset(T, store).await;
    let items: Vec<PutItem> = (0..20)
        .map(|i| entry(i, &payload(i, 100 + i as usize)))
        .collect();
    must(T, "put_many", store.put_many(&items).await);
    let keys: Vec<KeyHash> = (0..25).map(|i| key(i).hash()).collect();
    let many = must(T, "get_many", store.get_many(&keys).await);
    assert_eq!(
        many.len(),
        keys.len(),
        "conformance `{T}`: get_many returned the wrong count"
    );
    for (i, (k, got)) in keys.iter().zip(&many).enumerate() {
        let single = get(T, store, *k).await;
        assert_eq!(
            got, &single,
            "conformance `{T}`: get_many and get disagree on key {i}"
        );
        let want = items.get(i).map(|e| &e.frame);
        assert_eq!(
            got.as_ref(),
            want,
            "conformance `{T}`: get_many wrong for key {i}"
        );
    }
    // Ten present keys and five absent ones.
    let n = must(T, "delete_many", store.delete_many(&keys[10..]).await);
    assert_eq!(n, 10, "conformance `{T}`: delete_many counted {n}, want 10");
    for (i, k) in keys.iter().enumerate() {
        let present = get(T, store, *k).await.is_some();
        assert_eq!(
            present,
            i < 10,
            "conformance `{T}`: key {i} present = {present} after delete_many"
        );
    }
}

/// `list` returns every entry's metadata as written: size, namespace, tags,
/// created, expires and cost.
pub async fn list_returns_metadata<S: Store + ?Sized>(store: &S) {
    const T: &str = "list_returns_metadata";
    reset(T, store).await;
    let mut want = Vec::new();
    for i in 0..12u32 {
        let extras = Extras {
            tags: (0..i % 3).map(|t| format!("tag-{t}-ünï")).collect(),
            expires_ms: (i % 2 == 0).then_some(fixtures::CREATED_MS + 60_000 * u64::from(i)),
            cost_us: u64::from(i) * 1000,
        };
        let e = entry_with(i, &payload(i, 10 * i as usize), &extras);
        put(T, store, &e).await;
        assert_eq!(
            e.meta.size,
            e.frame.len() as u64,
            "conformance `{T}`: fixture size"
        );
        want.push(e.meta);
    }
    want.sort_by_key(|m| m.key);
    let got = sorted_list(T, store).await;
    assert_eq!(
        got.len(),
        want.len(),
        "conformance `{T}`: list has {} entries, want {}",
        got.len(),
        want.len()
    );
    for (g, w) in got.iter().zip(&want) {
        let what = format!("conformance `{T}`: entry {}", w.key);
        assert_eq!(g.key, w.key, "{what}: key");
        assert_eq!(g.size, w.size, "{what}: size");
        assert_eq!(g.namespace, w.namespace, "{what}: namespace");
        assert_eq!(g.tags, w.tags, "{what}: tags");
        assert_eq!(g.created_ms, w.created_ms, "{what}: created_ms");
        assert_eq!(g.expires_ms, w.expires_ms, "{what}: expires_ms");
        assert_eq!(g.cost_us, w.cost_us, "{what}: cost_us");
    }
}

/// With `persistent_recency`, `touch_many` moves `last_access_ms` forward
/// (within 2 s: some filesystems keep coarse times); missing keys are ignored.
pub async fn touch_updates_last_access<S: Store + ?Sized>(store: &S) {
    const T: &str = "touch_updates_last_access";
    if !store.capabilities().persistent_recency {
        return;
    }
    reset(T, store).await;
    let (a, b) = (entry(1, b"touched"), entry(2, b"not touched"));
    put(T, store, &a).await;
    put(T, store, &b).await;
    let later = fixtures::CREATED_MS + 3_600_000;
    let touches = [(a.meta.key, later), (key(3).hash(), later)];
    must(T, "touch_many", store.touch_many(&touches).await);
    let list = sorted_list(T, store).await;
    let find = |k: KeyHash| list.iter().find(|m| m.key == k).map(|m| m.last_access_ms);
    let near = |got: Option<u64>, want: u64| got.is_some_and(|g| g.abs_diff(want) <= 2000);
    assert!(
        near(find(a.meta.key), later),
        "conformance `{T}`: touched entry has last access {:?}, want {later}",
        find(a.meta.key)
    );
    let b_at = b.meta.last_access_ms;
    assert!(
        near(find(b.meta.key), b_at),
        "conformance `{T}`: untouched entry has last access {:?}, want {b_at}",
        find(b.meta.key)
    );
    assert_eq!(
        list.len(),
        2,
        "conformance `{T}`: touching a missing key created it"
    );
}

/// `clear` removes every entry.
pub async fn clear_empties<S: Store + ?Sized>(store: &S) {
    const T: &str = "clear_empties";
    reset(T, store).await;
    let items: Vec<PutItem> = (0..30).map(|i| entry(i, &payload(i, 50))).collect();
    must(T, "put_many", store.put_many(&items).await);
    must(T, "clear", store.clear().await);
    let left = must(T, "list", store.list().await).len();
    assert_eq!(
        left, 0,
        "conformance `{T}`: {left} entries listed after clear"
    );
    for e in &items {
        assert!(
            get(T, store, e.meta.key).await.is_none(),
            "conformance `{T}`: an entry survived clear"
        );
    }
}

/// Keys each writer owns, and keys every writer writes.
const PER_WRITER: u32 = 20;
const SHARED: u32 = 10;
const WRITERS: u32 = 8;

fn own_key_index(writer: u32, j: u32) -> u32 {
    100_000 + writer * 1000 + j
}

fn shared_key_index(j: u32) -> u32 {
    200_000 + j
}

/// One concurrent writer: puts its own keys and the shared keys (whose frames
/// are the same from every writer), reading each back; every read must be
/// `None` or exactly the frame written. Used by [`concurrent_writers`] and by
/// threaded tests.
pub async fn concurrent_writer<S: Store + ?Sized>(store: &S, writer: u32) {
    const T: &str = "concurrent_writers";
    let indices = (0..PER_WRITER).map(|j| own_key_index(writer, j));
    for i in indices.chain((0..SHARED).map(shared_key_index)) {
        let e = entry(i, &payload(i, 256 + (i % 7) as usize * 1000));
        put(T, store, &e).await;
        let got = get(T, store, e.meta.key).await;
        assert!(
            got.is_none() || got.as_ref() == Some(&e.frame),
            "conformance `{T}`: writer {writer} read a wrong frame for key {i}"
        );
    }
}

/// Check the store after `writers` [`concurrent_writer`]s finished: every key is
/// present with exactly its frame, and nothing else is.
pub async fn check_concurrent_writers<S: Store + ?Sized>(store: &S, writers: u32) {
    const T: &str = "concurrent_writers";
    let own = (0..writers).flat_map(|w| (0..PER_WRITER).map(move |j| own_key_index(w, j)));
    let all: Vec<u32> = own.chain((0..SHARED).map(shared_key_index)).collect();
    for &i in &all {
        let e = entry(i, &payload(i, 256 + (i % 7) as usize * 1000));
        let got = get(T, store, e.meta.key).await;
        assert!(
            got.as_ref() == Some(&e.frame),
            "conformance `{T}`: key {i} missing or wrong after all writers finished"
        );
    }
    let listed = must(T, "list", store.list().await).len();
    assert_eq!(
        listed,
        all.len(),
        "conformance `{T}`: list has {listed} entries, want {}",
        all.len()
    );
}

/// Many futures write distinct and shared keys at once.
pub async fn concurrent_writers<S: Store + ?Sized>(store: &S) {
    reset("concurrent_writers", store).await;
    join_all((0..WRITERS).map(|w| concurrent_writer(store, w))).await;
    check_concurrent_writers(store, WRITERS).await;
}

/// An empty value and a 1 MiB value round-trip, and list their sizes.
pub async fn empty_and_large_values<S: Store + ?Sized>(store: &S) {
    const T: &str = "empty_and_large_values";
    reset(T, store).await;
    let (empty, large) = (entry(1, b""), entry(2, &payload(2, 1 << 20)));
    for e in [&empty, &large] {
        put(T, store, e).await;
        let got = get(T, store, e.meta.key).await;
        assert!(
            got.as_ref() == Some(&e.frame),
            "conformance `{T}`: {}-byte frame read back wrong",
            e.frame.len()
        );
    }
    let mut got: Vec<u64> = sorted_list(T, store).await.iter().map(|m| m.size).collect();
    let mut want = vec![empty.frame.len() as u64, large.frame.len() as u64];
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want, "conformance `{T}`: listed sizes");
}

/// 10,000 entries written in batches are all listed, and spot checks read back.
pub async fn ten_thousand_keys<S: Store + ?Sized>(store: &S) {
    const T: &str = "ten_thousand_keys";
    const N: u32 = 10_000;
    reset(T, store).await;
    for chunk in (0..N).collect::<Vec<_>>().chunks(500) {
        let items: Vec<PutItem> = chunk.iter().map(|&i| entry(i, &payload(i, 32))).collect();
        must(T, "put_many", store.put_many(&items).await);
    }
    let listed = must(T, "list", store.list().await);
    assert_eq!(
        listed.len(),
        N as usize,
        "conformance `{T}`: list has {} entries",
        listed.len()
    );
    for i in (0..N).step_by(997) {
        let e = entry(i, &payload(i, 32));
        let got = get(T, store, e.meta.key).await;
        assert!(
            got.as_ref() == Some(&e.frame),
            "conformance `{T}`: entry {i} read back wrong"
        );
    }
    reset(T, store).await;
}
