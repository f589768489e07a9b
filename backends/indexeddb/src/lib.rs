//! # larder-indexeddb: a larder [`Store`](larder_core::Store) on the browser's IndexedDB
//!
//! Only built for `wasm32`: on other targets this crate is empty, so the
//! native workspace build (and clippy) can include it.
//!
//! ## Layout
//!
//! One database, `larder-<name>`, version 2, keyed by the 32-hex-digit key
//! hash (the text form in docs/FORMAT.md):
//!
//! - `entries`: one record `{ m, f }` per entry. `f` is the entry frame as a
//!   `Uint8Array`; `m` its metadata, `[size, created, expires, lastAccess,
//!   namespace, tags, cost]` (`expires` is -1 for "never"; see `record.rs`).
//!   The index `meta` on `m` holds every entry's metadata as its key, so `list`
//!   walks it with a key cursor: listing, stats and eviction never load a
//!   payload, and a put is one request, not one per object store.
//! - `access`: the later access times `touch_many` records, a number under
//!   the key, so that recency never rewrites a record (and its frame); `list`
//!   takes the later of the two.
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
//! put); opening such a database replaces it with the current layout, empty.
//!
//! The index has a price: Chromium clones every record put into a store with
//! an index to compute its index keys, and keeps the index up to date.
//! `bindings/wasm/bench/probes.mjs` (bare IndexedDB calls, 3 fresh Chromiums
//! on 2026-12-07, a 1112-byte frame) timed 1000 puts at 120–131 ms with the
//! index and 88–107 ms for the frame alone with no metadata (what idb-keyval
//! stores), a single get at 232–271 µs and 227–292 µs. The other ways to
//! keep metadata apart do worse:
//! - the metadata in the primary key (an array key `[hash, size, ...]`, no
//!   index; a get by key range): puts 101–110 ms, but every get 293–387 µs;
//! - frames and metadata in two object stores (version 1): gets as fast,
//!   puts 141–161 ms (two requests an entry).
//!
//! Smaller index keys save little: the same index on a 22-byte key took
//! 111–129 ms, and on a number (no metadata at all) 95–123 ms. What costs is
//! having an index, not the size of its keys.
//!
//! Reads matter more to a cache, so the index stays.
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
//! Frames are verified by the core. `list` does not trust the metadata
//! blindly: a record whose `m` is malformed (wrong types, or not a valid
//! IndexedDB key, so in no index) or whose key is not 32 hex digits is removed
//! and counted (see [`Store::take_corrupt`](larder_core::Store::take_corrupt));
//! an access time without its entry is dropped. A record whose frame is not
//! bytes is removed by `get` and counted.

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
