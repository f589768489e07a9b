//! # larder-opfs: a larder [`Store`](larder_core::Store) on the browser's Origin Private File System
//!
//! Only built for `wasm32`: on other targets this crate is empty, so the
//! native workspace build (and clippy) can include it.
//!
//! ## Two ways in
//!
//! [`OpfsStore::open`] looks at where it runs:
//!
//! - in a **dedicated worker**, it uses synchronous access handles
//!   ([`Access::Sync`]): reads and writes go straight between wasm memory and
//!   the file, the fast path;
//! - anywhere else (a window, a shared or service worker), it uses the async
//!   API ([`Access::Async`]): `getFile()` to read, `createWritable()` to write.
//!
//! Both write the same files, so a cache written from a worker is read from
//! the page and the other way round.
//!
//! ## Layout
//!
//! The larder-fs layout (docs/FORMAT.md, "OPFS layout"), under a directory
//! per cache name in the origin's OPFS root:
//!
//! ```text
//! larder-<name>/larder-v1/entries/<2 hex>/<32 hex>   the frame, then an 8-byte access trailer
//! larder-<name>/larder-v1/tmp/0.<n>.<rand>.tmp        writes in progress
//! ```
//!
//! - **Atomic writes**: a put writes a new temp file and `move()`s it over the
//!   entry's name; readers see the old file or the new one. The async API's
//!   `createWritable()` commits on `close()` as well, but only the move keeps a
//!   half-written *new* entry invisible.
//! - **Recency** is the access trailer (u64 LE ms), because OPFS cannot set a
//!   file's modification time. `list` reads each file's header prefix and
//!   its trailer, never its payload.
//! - **Self-healing**: a truncated or foreign file, or a directory, where an
//!   entry should be is a miss, removed, and counted ([`Store::take_corrupt`](larder_core::Store::take_corrupt)).
//!
//! ## Locks
//!
//! A sync access handle or writable stream locks its file: other tabs and
//! workers get `NoModificationAllowedError` until it closes. This store holds
//! handles for single reads and writes only, and when it meets a locked file
//! it retries with backoff for [`LOCK_TIMEOUT_MS`] (see
//! [`OpfsStoreBuilder::lock_timeout_ms`]), then fails with a
//! [`ErrorKind::Storage`](larder_core::ErrorKind::Storage) error that says
//! the file is locked. It never waits forever.
//!
//! ## Where OPFS is missing
//!
//! Opening fails with [`ErrorKind::Unsupported`](larder_core::ErrorKind::Unsupported)
//! naming the cause (not a browser, an insecure context, a browser without
//! OPFS), or [`ErrorKind::PermissionDenied`](larder_core::ErrorKind::PermissionDenied)
//! when the browser refuses (storage blocked for the site, an opaque origin).
//! A full quota is [`ErrorKind::StorageFull`](larder_core::ErrorKind::StorageFull):
//! the cache evicts and retries.

// The docs above are written for wasm32, where the crate has its items; on
// other targets it is empty and their links have nothing to point to.
#![cfg_attr(not(target_arch = "wasm32"), allow(rustdoc::broken_intra_doc_links))]
#![cfg(target_arch = "wasm32")]

mod error;
mod file;
mod js;
mod open;
mod retry;
mod store;
mod temp;

pub use larder_core::layout::LAYOUT_DIR;
pub use open::{LOCK_TIMEOUT_MS, OpfsStoreBuilder, directory_name};
pub use store::OpfsStore;

/// How the store reaches its files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// `FileSystemSyncAccessHandle`: dedicated workers only; the fast path.
    Sync,
    /// `getFile()` and `createWritable()`: windows and every kind of worker.
    Async,
}
