//! Real entries for the suite: keys, payloads and frames made with the core's
//! own encoder, so stores that parse frame headers (like the fs store) see
//! exactly what the cache would write.

use larder_core::frame::{self, FrameInput, HeaderRead, codec};
use larder_core::{Key, PutItem};

/// Namespace of every suite key.
pub const NAMESPACE: &str = "larder-conformance";
/// `created_ms` of every suite entry (plus its index), a fixed time.
pub const CREATED_MS: u64 = 1_700_000_000_000;

/// Key number `i`. Its version varies with `i` as well as its params, so the
/// keys stay distinct whatever the parameter encoding does.
pub fn key(i: u32) -> Key {
    match Key::with_version(NAMESPACE, i, &i) {
        Ok(k) => k,
        Err(e) => panic!("conformance fixture: cannot build key {i}: {e}"),
    }
}

/// `len` bytes derived from `seed` (xorshift), so that they barely compress.
pub fn payload(seed: u32, len: usize) -> Vec<u8> {
    let mut x = u64::from(seed) ^ 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// What goes into an entry besides its key and payload.
#[derive(Clone, Debug, Default)]
pub struct Extras {
    /// Tags.
    pub tags: Vec<String>,
    /// Expiry, ms since the epoch.
    pub expires_ms: Option<u64>,
    /// Compute cost, µs.
    pub cost_us: u64,
}

/// Entry `i` holding `payload`, with no tags and no expiry.
pub fn entry(i: u32, payload: &[u8]) -> PutItem {
    entry_with(i, payload, &Extras::default())
}

/// Entry `i` holding `payload` with `extras`; its metadata is read back from
/// the encoded frame's header (so it is exactly what a store can list), with
/// `last_access_ms` = `created_ms`.
pub fn entry_with(i: u32, payload: &[u8], extras: &Extras) -> PutItem {
    let key = key(i);
    let created_ms = CREATED_MS + u64::from(i);
    let frame = frame::encode(&FrameInput {
        key: &key,
        created_ms,
        expires_ms: extras.expires_ms,
        cost_us: extras.cost_us,
        codec: codec::BYTES,
        tags: &extras.tags,
        meta: b"",
        payload,
    });
    let frame =
        frame.unwrap_or_else(|e| panic!("conformance fixture: cannot encode entry {i}: {e}"));
    let meta = match frame::decode_header(&frame) {
        Ok(HeaderRead::Complete(h)) => h.to_meta(created_ms),
        other => panic!("conformance fixture: entry {i} header does not decode: {other:?}"),
    };
    PutItem { meta, frame }
}

/// Entry `i` of the cross-runtime exchange between native larder-fs and
/// larder-nodefs (Node, Deno) through one cache directory: payload sizes vary
/// with `i` (some compress), and `last_access_ms` differs from `created_ms`, so
/// that the mtime round trip is checked too.
pub fn cross_runtime_entry(i: u32) -> PutItem {
    let mut e = entry(i, &payload(i, 100 + 37 * i as usize));
    e.meta.last_access_ms = CREATED_MS + 500_000 + u64::from(i);
    e
}
