//! # larder-indexeddb: a larder [`Store`](larder_core::Store) on the browser's IndexedDB
//!
//! Only built for `wasm32`: on other targets this crate is empty, so the
//! native workspace build (and clippy) can include it.
//!
//! ## Layout
//!
//! One database, `larder-<name>`, version 3, with two object stores:
//!
//! - `entries`: one record per entry under the 32-hex-digit key hash (the text
//!   form in docs/FORMAT.md), `f` its frame as a `Uint8Array`:
//!   - `{ m, f }` from a put of one entry, `m` its metadata, `[size, created,
//!     expires, lastAccess, namespace, tags, cost]` (`expires` is -1 for
//!     "never"; see `record.rs`). The index `meta` on `m` holds every such
//!     record's metadata as its key, so `list` walks it with a key cursor.
//!   - `{ f }` from a batch, whose metadata is in the **journal**: under
//!     numbers the store generates (which sort before every string), one
//!     record `{ k, j }` per batch, `k` its keys and `j` their metadata.
//!
//!   A record's own `m` wins; without one, the newest journal entry naming
//!   its key (the batch that wrote the record) holds its metadata. Listing,
//!   stats and eviction read the index, the journal, the records' keys and
//!   the access times, never a frame; a put of one entry is one request, a
//!   batch of n is n + 1.
//! - `access`: the later access times `touch_many` records, a number under
//!   the key, so that recency never rewrites a record (and its frame); `list`
//!   takes the later of the two.
//!
//! Deletes leave the journal alone: what it says of a key with no record is
//! dropped when it is next rewritten. It is rewritten into records of 1024
//! current entries when it holds 1024 records (or one per 8 entries) more
//! than that, or more than four times as many entries as are current plus
//! 4096: by `list`, and by a batch once that is due by this connection's
//! own count (fast.js `compactJournal`, in the batch's transaction, which
//! leaves the checks to `list`, and rewrites only if the whole journal
//! confirms it is due), so a connection that never lists keeps it bounded
//! too.
//!
//! A put writes every record of a call (a batch: every item) in one readwrite
//! transaction, with `durability: "relaxed"`: a cache may lose the last
//! writes on a power cut, never consistency, and relaxed commits are several
//! times faster in Chromium. A batch made as it is written
//! ([`Store::put_batch`](larder_core::Store::put_batch), what the core's
//! `put_many_from` and larder-wasm's `setMany` use) is put in parts of 64 as
//! soon as each is made, so that the browser writes the first parts while
//! wasm encodes the rest; an entry that cannot be made aborts the
//! transaction, which then writes nothing. A read joins the read-only transaction of the
//! read before while that still takes requests (a get made from the previous
//! get's success event, as `await get()` in a loop does), for at most 64
//! reads and 16 ms, and never across a write of this connection; so another
//! tab's write waits, and stays unseen, no longer than that. Reads asked for
//! in the task that opened the transaction join it whatever their number: a
//! batch made of several calls (a getMany's parts) reads one state.
//!
//! Version 1 kept frames and metadata in two object stores (two requests per
//! put), version 2 only records `{ m, f }` (no journal); opening either
//! replaces it with the current layout, empty.
//!
//! Why two ways: Chromium clones every record put into a store that has an
//! index, to compute its index key, and writes the index entry. For one
//! entry that costs less than a second request; for a batch, more than one
//! journal record. Two builds on one page (`bench/ab.mjs`, 8 Chromiums each,
//! 2026-12-07), this layout against version 2's records `{ m, f }` for
//! every put: a batch of 1000 puts 0.87× the time, single sets 0.98× and
//! 1.02× (within the instrument's spread), gets unchanged. The journal alone
//! for single puts too made a single set 1.08× version 2's time. The other
//! ways to keep metadata apart, timed by `bindings/wasm/bench/probes.mjs`,
//! do worse:
//! - the metadata in the primary key (an array key `[hash, size, ...]`, no
//!   index; a get by key range): every get about a third slower;
//! - frames and metadata in two object stores, one request each (version 1):
//!   the slowest batches of all;
//! - the index on a smaller key (22 bytes, or a number): what costs is having
//!   an index, not the size of its keys.
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
//! blindly: a record whose metadata (its own, else the journal's) is
//! malformed, that has none (a batch's record the journal does not name, or
//! an `m` that is not a valid IndexedDB key, so in no index), or whose key is
//! not 32 hex digits is removed and counted (see
//! [`Store::take_corrupt`](larder_core::Store::take_corrupt)); a malformed
//! journal record and an access time without its entry are dropped,
//! uncounted, and the journal rewritten. A record whose frame is not bytes
//! is removed by `get` and counted.

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
pub use store::{ACCESS, ENTRIES, IndexedDbStore, META_INDEX, database_name};
