//! An entry's metadata in IndexedDB: the array `m` of its record in
//! `entries` (also its key in the index `meta`), or the journal's entry for
//! its key, so that listing reads it without reading the frame.
//!
//! ```text
//! record: { m, f } or { f }
//! journal record: { k: [key, ...], j: [m, ...] }
//! m: [size, created, expires (-1: never), lastAccess, namespace, tags, cost]
//! ```
//! Times are ms since the Unix epoch, `cost` µs; every number is a
//! non-negative integer at most 2^53 (exact in a JS number), `tags` an array
//! of strings. fast.js (`putEntries`) writes it.

use js_sys::Array;
use larder_core::{EntryMeta, KeyHash};
use wasm_bindgen::{JsCast, JsValue};

/// Largest integer a JS number holds exactly.
const MAX_SAFE: u64 = (1 << 53) - 1;

/// `v` as a JS number. Clamped rather than losing precision silently: no real
/// time or size is near 2^53.
pub(crate) fn clamped(v: u64) -> f64 {
    v.min(MAX_SAFE) as f64
}

/// A non-negative integer within 2^53.
pub(crate) fn as_u64(v: &JsValue) -> Option<u64> {
    let f = v.as_f64()?;
    (f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f <= MAX_SAFE as f64).then_some(f as u64)
}

/// Parse the metadata `m` of `key` (its record's, or the journal's), with
/// the later access time `touched` recorded in `access` (the latest of the
/// two wins); `None` when anything about `m` is malformed.
pub(crate) fn parse(key: KeyHash, m: &JsValue, touched: Option<u64>) -> Option<EntryMeta> {
    let m: &Array = m.dyn_ref()?;
    if m.length() != 7 {
        return None;
    }
    let expires = m.get(2);
    let expires_ms = if expires.as_f64() == Some(-1.0) {
        None
    } else {
        Some(as_u64(&expires)?)
    };
    let tags_js = m.get(5);
    let tags = tags_js
        .dyn_ref::<Array>()?
        .iter()
        .map(|t| t.as_string())
        .collect::<Option<Vec<String>>>()?;
    let last_access_ms = as_u64(&m.get(3))?;
    Some(EntryMeta {
        key,
        size: as_u64(&m.get(0))?,
        created_ms: as_u64(&m.get(1))?,
        expires_ms,
        last_access_ms: touched.map_or(last_access_ms, |t| t.max(last_access_ms)),
        namespace: m.get(4).as_string()?,
        tags,
        cost_us: as_u64(&m.get(6))?,
    })
}
