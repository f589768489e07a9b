//! # larder-core
//!
//! The part of larder that every runtime shares: canonical keys ([`Key`]), the
//! self-checking entry frame ([`frame`]), the TTL/LRU policy, the async [`Store`]
//! trait, the [`Cache`] that ties them together, and an in-process [`MemoryStore`].
//!
//! `#![no_std]` + `alloc`; the default `std` feature adds a real mutex (so a
//! `Cache` is `Send + Sync`), `SystemClock` (natively; in wasm the bindings
//! supply `Date.now()`) and `std::error::Error`.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod block_on;
pub mod cache;
pub mod clock;
pub mod error;
mod flight;
pub mod frame;
mod join;
pub mod key;
pub mod layout;
mod lru;
pub mod memory_store;
mod num_text;
mod policy;
mod quote;
pub mod store;
mod sync;
pub mod units;

pub use block_on::block_on;
pub use cache::{Cache, Computed, Config, Entry, PutOptions, Refresh, Served, Stats};
#[cfg(all(feature = "std", not(target_arch = "wasm32")))]
pub use clock::SystemClock;
pub use clock::{Clock, ManualClock};
pub use error::{Error, ErrorKind, Result};
pub use join::join_all;
pub use key::{Canon, Key, KeyHash};
pub use lru::{KeyHasher, KeyMap};
pub use memory_store::MemoryStore;
pub use num_text::{FloatText, HexText, IntText, parse_u64};
pub use quote::Quoted;
pub use store::{Capabilities, EntryMeta, MaybeSend, MaybeSync, PutBatch, PutItem, Store};
