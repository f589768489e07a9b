//! Names in the file-store layout that larder-fs (native) and larder-nodefs
//! (Node, Deno) share byte for byte, so that either reads what the other
//! wrote. docs/FORMAT.md ("Filesystem layout") is the normative text.

use alloc::format;
use alloc::string::String;

use crate::key::KeyHash;
use crate::num_text::parse_u64;

/// The versioned directory under the cache root; a new layout gets a new name.
pub const LAYOUT_DIR: &str = "larder-v1";
/// Entry files live in `<LAYOUT_DIR>/ENTRIES_DIR/<shard>/<key hex>`.
pub const ENTRIES_DIR: &str = "entries";
/// Writes in progress live in `<LAYOUT_DIR>/TMP_DIR`.
pub const TMP_DIR: &str = "tmp";
/// A temp file older than this is a crashed writer's, whoever its pid.
pub const STALE_TEMP_MS: u64 = 60 * 60 * 1000;

/// The shard directory name and the file name of `key`'s entry.
///
/// ```
/// use larder_core::{KeyHash, layout};
/// let (shard, name) = layout::entry_names(KeyHash(0xab << 120));
/// assert_eq!((shard.as_str(), &name[..4]), ("ab", "ab00"));
/// ```
pub fn entry_names(key: KeyHash) -> (String, String) {
    let hex = key.to_hex();
    (String::from(&hex[..2]), hex)
}

/// Whether `name` is a shard directory's name (two lowercase hex digits).
///
/// ```
/// assert!(larder_core::layout::is_shard_name("0f"));
/// assert!(!larder_core::layout::is_shard_name("0F") && !larder_core::layout::is_shard_name("tmp"));
/// ```
pub fn is_shard_name(name: &str) -> bool {
    name.len() == 2 && is_lower_hex(name)
}

/// The key of entry file `name` in shard `shard`, or `None` if it is not one.
///
/// ```
/// use larder_core::{KeyHash, layout};
/// let (shard, name) = layout::entry_names(KeyHash(7 << 120));
/// assert_eq!(layout::entry_key(&shard, &name), Some(KeyHash(7 << 120)));
/// assert_eq!(layout::entry_key("aa", &name), None);
/// assert_eq!(layout::entry_key(&shard, "README"), None);
/// ```
pub fn entry_key(shard: &str, name: &str) -> Option<KeyHash> {
    (name.len() == 32 && is_lower_hex(name) && name.starts_with(shard))
        .then(|| KeyHash::from_hex(name).ok())
        .flatten()
}

/// A temp file's name: `<pid>.<counter>.<random, 16 hex>.tmp`.
///
/// ```
/// let name = larder_core::layout::temp_name(42, 7, 0xff);
/// assert_eq!(name, "42.7.00000000000000ff.tmp");
/// assert_eq!(larder_core::layout::temp_pid(&name), Some(42));
/// ```
pub fn temp_name(pid: u32, counter: u64, random: u64) -> String {
    format!("{pid}.{counter}.{}.tmp", crate::HexText(random, 16))
}

/// The writer's pid of temp file `name`, or `None` if `name` is not a temp.
///
/// ```
/// use larder_core::layout::temp_pid;
/// assert_eq!(temp_pid("12.3.00ff.tmp"), Some(12));
/// for bad in ["12.3.00ff", "x.3.00ff.tmp", "12.x.00ff.tmp", "12.3.zz.tmp", "12.3.ff.1.tmp"] {
///     assert_eq!(temp_pid(bad), None, "{bad}");
/// }
/// ```
pub fn temp_pid(name: &str) -> Option<u32> {
    let rest = name.strip_suffix(".tmp")?;
    let (pid, rest) = rest.split_once('.')?;
    let (counter, random) = rest.split_once('.')?;
    let pid = u32::try_from(parse_u64(pid, 10)?).ok()?;
    let counter_ok = parse_u64(counter, 10).is_some();
    let random_ok = !random.contains('.') && parse_u64(random, 16).is_some();
    (counter_ok && random_ok).then_some(pid)
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}
