//! `#[memoize]` for larder; use it as `larder::memoize` (this crate is an
//! implementation detail of `larder`).
#![forbid(unsafe_code)]

mod expand;
mod hash;
mod options;

use proc_macro::TokenStream;
use syn::{ItemFn, parse_macro_input};

/// Cache a function's results in a larder cache, keyed by its arguments.
///
/// ```
/// use std::sync::LazyLock;
/// use serde::{Deserialize, Serialize};
///
/// static CACHE: LazyLock<larder::Cache> =
///     LazyLock::new(|| larder::Cache::builder().in_memory().open().unwrap());
///
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// struct Stats { words: usize, lines: usize }
///
/// #[larder::memoize(cache = &*CACHE, ttl = "24h", tags = ["stats"], ignore = [verbose])]
/// fn count(text: &str, verbose: bool) -> Stats {
///     if verbose { eprintln!("counting {} bytes", text.len()); }
///     Stats { words: text.split_whitespace().count(), lines: text.lines().count() }
/// }
///
/// let first = count("a b\nc", true);     // computed and stored
/// let again = count("a b\nc", false);    // from the cache: `verbose` is not part of the key
/// assert_eq!(first, again);
/// assert_eq!(count_forget("a b\nc", false).unwrap(), true); // remove the entry
/// let fresh = count_refresh("a b\nc", false); // recompute now, store, return
/// # assert_eq!(fresh, first);
/// ```
///
/// The function can be sync or `async`, free or a method; its arguments must
/// be `Serialize` (they form the key: a map from argument names to values,
/// so it is the same key a struct of them gives) and its return value
/// `Serialize + DeserializeOwned`. A `self` receiver is not part of the key
/// (the receiver's type is): use `key = ...` to key on it. Anything else is
/// a compile error on the argument or return type at fault.
///
/// # Options
///
/// - `namespace = "name"`: default the module path and function name.
/// - `version = 2`: bump it and earlier entries stop matching.
/// - `ttl = "24h"`: checked at compile time (`ms`, `s`, `m`, `h`, `d`, `w`).
/// - `stale_while_revalidate = "1h"` (needs a ttl): for this long after the
///   ttl, a call returns the stale value at once and refreshes it once in the
///   background (a thread, or the tokio runtime with larder's `tokio`
///   feature). Its arguments must be owned, since the refresh outlives the call.
/// - `ignore = [arg, ...]`: arguments left out of the key (a logger, a flag).
/// - `content = [arg, ...]`: `Path`/`PathBuf` arguments keyed by the bytes of
///   the file or directory tree they name, not by the name: a moved file
///   still hits, an edited one misses.
/// - `tags = ["reports", format!("user:{id}")]`: tags for
///   `invalidate_tag`; literals are checked at compile time, other
///   expressions (which may use the arguments) run at each call.
/// - `key = expr`: the key instead of the arguments (it may use `self`).
/// - `cache = expr`: the cache, as a `larder::Cache`, `blocking::Cache`, or a
///   reference, `Arc`, `Box` or `LazyLock` of one; default
///   [`larder::memo::default_cache`](../larder/memo/fn.default_cache.html)
///   (`$LARDER_DIR`, else the platform cache directory).
/// - `code_hash = false`: by default the function's tokens are hashed into
///   the key at compile time, so editing its body or signature misses
///   (functions it calls are not hashed). Turn it off to keep entries across edits.
/// - `cache_err = true`: for a function returning `Result`, cache `Err`
///   values too (then `E` must be `Serialize + DeserializeOwned`). By
///   default only `Ok` values are cached, and `E` must implement
///   `From<larder::Error>` and `Display`.
///
/// # Calls
///
/// Concurrent calls with one key (threads or tasks) run the function once.
/// If it fails or panics, every caller that waited gets the failure (as
/// `E::from(larder::Error)` for a `Result`, as a panic otherwise) and nothing
/// is cached. A value computed while calling other memoized functions depends
/// on their entries: forgetting or invalidating one of them removes it too.
/// The cache never breaks the function: if it cannot be opened or the key
/// cannot be built (an unreadable content path), the function runs uncached
/// and a warning is logged.
///
/// Two companions are generated next to the function, with its arguments and
/// visibility: `<name>_refresh(args)` recomputes and stores now, returning
/// the value; `<name>_forget(args) -> larder::Result<bool>` removes the entry.
/// They are `async` when the function is. (Methods in trait impls cannot be
/// memoized, since the companions are not members of the trait.)
#[proc_macro_attribute]
pub fn memoize(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut opts = options::Options::default();
    let parser = syn::meta::parser(|meta| opts.parse(&meta));
    parse_macro_input!(attr with parser);
    let f = parse_macro_input!(item as ItemFn);
    expand::expand(opts, f)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
