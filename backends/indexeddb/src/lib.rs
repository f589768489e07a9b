//! # larder-indexeddb: a larder [`Store`](larder_core::Store) on the browser's IndexedDB
//!
//! Only built for `wasm32`: on other targets this crate is empty, so the
//! native workspace build (and clippy) can include it.
//!
//! ## Layout
//!
//! One database, `larder-<name>`, version 3, with two object stores:
//!
//! - `entries`: each entry's frame, a `Uint8Array`, under the 32-hex-digit key
//!   hash (the text form in docs/FORMAT.md); and, under numbers the store
//!   generates (which sort before every string), the **journal**: one record
//!   `{ k, m }` per write call, `k` the keys it wrote or deleted and `m` for
//!   each its metadata, `[size, created, expires, lastAccess, namespace, tags,
//!   cost]` (`expires` is -1 for "never"; see `record.rs`), or `null` for a
//!   delete. A put of one entry or of a batch is its frames and one journal
//!   record, in one transaction. `list` reads the journal (the newest word on
//!   a key wins), the frames' keys and the access times, and never a frame.
//! - `access`: the later access times `touch_many` records, a number under
//!   the key, so that recency never rewrites a frame or the journal; `list`
//!   takes the later of the two.
//!
//! The journal grows by a record per write call. It is rewritten into
//! records of 1024 current entries when it holds 1024 records (or one per 8
//! entries) more than that, or more than four times as many entries as are
//! current plus 4096: by `list`, and by a write once that is due by this
//! connection's own count (fast.js `compactJournal`, which leaves the checks
//! to `list`), so that a connection that never lists keeps it bounded too.
//!
//! A put writes every record of a call (a batch: every item) in one readwrite
//! transaction, with `durability: "relaxed"`: a cache may lose the last
//! writes on a power cut, never consistency, and relaxed commits are several
//! times faster in Chromium. A read joins the read-only transaction of the
//! read before while that still takes requests (a get made from the previous
//! get's success event, as `await get()` in a loop does), for at most 64
//! reads and 16 ms, and never across a write of this connection; so another
//! tab's write waits, and stays unseen, no longer than that. Reads asked for
//! in the task that opened the transaction join it whatever their number: a
//! batch made of several calls (a getMany's parts) reads one state.
//!
//! Version 1 kept frames and metadata in two object stores (two requests per
//! put), version 2 one record `{ m, f }` per entry with an index on `m`;
//! opening either replaces it with the current layout, empty.
//!
//! Why a journal: Chromium clones every record put into a store that has an
//! index, to compute its index keys, and keeps the index up to date.
//! `bindings/wasm/bench/probes.mjs` (bare IndexedDB calls, 4 fresh Chromiums
//! on 2026-12-07, a 1112-byte frame) timed 1000 puts in one transaction at
//! 84–106 ms for frames and a journal record in one store, against 86–118 ms
//! for the frames alone (what idb-keyval stores) and 103–150 ms for version
//! 2's indexed records. Single gets took as long in all three; a single set
//! as long as version 2's (both about a fifth over the frame alone: a
//! second request, or the index). The other ways to keep metadata apart do worse:
//! - the metadata in the primary key (an array key `[hash, size, ...]`, no
//!   index; a get by key range): puts as fast, but every get about a third
//!   slower;
//! - frames and metadata in two object stores, one request each (version 1):
//!   puts 136–189 ms;
//! - the index of version 2 on a smaller key (22 bytes, or a number): puts
//!   94–135 ms. What costs is having an index, not the size of its keys.
//!
//! ## Other tabs
//!
//! The store is shared with every tab of the origin. When another tab opens the
//! database at a newer version, this connection closes itself at once (so the
//! other tab is never blocked) and every later call fails fast with an
//! [`ErrorKind::Storage`](larder_core::ErrorKind::Storage) error saying to reopen the cache. Opening never hangs:
//! if the open is blocked by an old connection elsewhere, or queued behind
//! another tab's pending delete, it fails after [`OPEN_TIMEOUT_MS`] with a
//! clear error.
//!
//! ## Damage
//!
//! Frames are verified by the core. `list` does not trust the journal
//! blindly: a frame whose current metadata is malformed (wrong types or
//! shape), that has none, or whose key is not 32 hex digits is removed and
//! counted (see [`Store::take_corrupt`](larder_core::Store::take_corrupt)); a
//! malformed journal record, metadata whose frame is gone and an access time
//! without its entry are dropped, uncounted. A frame that is not bytes is
//! removed by `get` and counted.

// The docs above are written for wasm32, where the crate has its items; on
// other targets it is empty and their links have nothing to point to.
#![cfg_attr(not(target_arch = "wasm32"), allow(rustdoc::broken_intra_doc_links))]
#![cfg(target_arch = "wasm32")]

mod error;
mod idb;
mod open;
mod record;
mod scan;
mod store;

pub use open::OPEN_TIMEOUT_MS;
pub use store::{ACCESS, ENTRIES, IndexedDbStore, database_name};
