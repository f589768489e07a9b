//! # larder-indexeddb: a larder [`Store`](larder_core::Store) on the browser's IndexedDB
//!
//! Only built for `wasm32`: on other targets this crate is empty, so the
//! native workspace build (and clippy) can include it.
//!
//! ## Layout
//!
//! One database, `larder-<name>`, version 1, with two object stores keyed by
//! the 32-hex-digit key hash (the text form in docs/FORMAT.md):
//!
//! - `frames`: the entry frame as a `Uint8Array`. Only `get` reads it.
//! - `meta`: a small record `{size, created, expires, lastAccess, namespace,
//!   tags, cost}` (`expires` is `null` for "never"). `list` reads only this
//!   store (plus the *keys* of `frames`), so listing, stats and eviction never
//!   load a payload.
//!
//! A put writes both stores in one readwrite transaction (a batch: every item
//! in one transaction), with `durability: "relaxed"`: a cache may lose the last
//! writes on a power cut, never consistency, and relaxed commits are several
//! times faster in Chromium.
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
//! Frames are verified by the core. `list` does not trust `meta` blindly: a
//! record whose frame is gone, or that is malformed (wrong types, a key that is
//! not 32 hex digits) is removed and counted (see [`Store::take_corrupt`](larder_core::Store::take_corrupt)); a
//! frame without a record gets its record rebuilt from the frame's header (or is
//! removed when that header is damaged). A frame that is not bytes is removed by
//! `get` and counted.

#![cfg(target_arch = "wasm32")]

mod error;
mod idb;
mod open;
mod record;
mod scan;
mod store;

pub use open::OPEN_TIMEOUT_MS;
pub use store::{FRAMES, IndexedDbStore, META, database_name};
