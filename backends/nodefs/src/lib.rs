//! # larder-nodefs
//!
//! `NodeFsStore`: a larder `Store` on Node's `node:fs/promises` (and Deno's
//! Node compatibility layer), for the wasm build of larder. It reads and writes
//! **exactly** the layout and bytes of the native store, larder-fs, so a cache
//! directory is shared between native Rust, Node and Deno:
//!
//! ```text
//! <root>/larder-v1/entries/<2 hex>/<32 hex>   one raw entry frame per file, 0600
//!                                             (directories 0700); mtime = last access
//! <root>/larder-v1/tmp/<pid>.<n>.<rand>.tmp   writes in progress
//! ```
//!
//! - **Atomic writes**: temp file (`wx`, 0600), optional `sync`, rename over the
//!   entry; a failed write removes its temp.
//! - **Cheap open**: no entry is read; temps of dead writers (`process.kill(pid,
//!   0)` throws `ESRCH`) or older than an hour are removed.
//! - **Self-healing**: a directory, symlink, truncated or foreign file where an
//!   entry should be is a miss, removed, and counted (`take_corrupt`).
//! - **Quick reads**: `get` opens and reads an entry in one call into JS
//!   through `node:fs`'s callback API (see README.md, "How a get reads").
//! - `node:fs/promises` and `node:fs` are imported lazily (a dynamic
//!   `import()`), so the same wasm loads in browsers, where this store is
//!   simply never opened.
//!
//! The crate is wasm32-only; on other targets it is empty.

#[cfg(target_arch = "wasm32")]
mod errors;
#[cfg(target_arch = "wasm32")]
#[cfg(target_arch = "wasm32")]
mod js;
#[cfg(target_arch = "wasm32")]
mod store;
#[cfg(target_arch = "wasm32")]
mod temp;
#[cfg(target_arch = "wasm32")]
mod time;

#[cfg(target_arch = "wasm32")]
pub use store::{LAYOUT_DIR, NodeFsStore, NodeFsStoreBuilder};
