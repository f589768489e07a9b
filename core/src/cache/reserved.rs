//! Tags that carry larder's own per-entry data (docs/FORMAT.md, "Reserved
//! tags"): what an entry depends on, and until when it is fresh when it may be
//! served stale. Tags are the one variable header field that every store lists
//! without reading payloads and that the index keeps, so invalidation can find
//! dependents and expiry can honour a grace period without a format change.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::error::{Error, Result};
use crate::key::KeyHash;
use crate::quote::Quoted;

/// Every reserved tag starts with this; user tags may not.
pub const PREFIX: &str = "larder:";
/// `larder:dep:<32 hex digits>`: the entry depends on the entry with that key hash.
const DEP: &str = "larder:dep:";
/// `larder:fresh-until:<ms>`: the entry is fresh until then (decimal ms since the
/// epoch), stale but servable until its expiry.
const FRESH: &str = "larder:fresh-until:";

/// The tag recording a dependency on `key`.
pub(crate) fn dep(key: KeyHash) -> String {
    let mut s = String::with_capacity(DEP.len() + 32);
    s.push_str(DEP);
    s.push_str(&key.to_hex());
    s
}

/// The tag recording the end of freshness.
pub(crate) fn fresh(until_ms: u64) -> String {
    format!("{FRESH}{until_ms}")
}

/// The key hash a tag records a dependency on, if it is a dependency tag.
pub(crate) fn dep_of(tag: &str) -> Option<KeyHash> {
    KeyHash::from_hex(tag.strip_prefix(DEP)?).ok()
}

/// An entry's tags, split into the user's and larder's.
#[derive(Default)]
pub(crate) struct Split {
    pub user: Vec<String>,
    pub depends_on: Vec<KeyHash>,
    pub fresh_until_ms: Option<u64>,
}

/// Split tags read from storage. Reserved tags this version does not know (a
/// newer larder's) are dropped; a malformed freshness tag makes the entry
/// stale at once, so it can never be served fresh past its time.
pub(crate) fn split(tags: Vec<String>) -> Split {
    let mut out = Split::default();
    if !tags.iter().any(|t| t.starts_with(PREFIX)) {
        out.user = tags;
        return out;
    }
    for t in tags {
        if let Some(ms) = t.strip_prefix(FRESH) {
            let ms = crate::parse_u64(ms, 10).unwrap_or(0);
            out.fresh_until_ms = Some(out.fresh_until_ms.map_or(ms, |old| old.min(ms)));
        } else if let Some(k) = dep_of(&t) {
            out.depends_on.push(k);
        } else if !t.starts_with(PREFIX) {
            out.user.push(t);
        }
    }
    out
}

/// Refuse user tags in the reserved space.
pub(crate) fn check_user(tags: &[String]) -> Result<()> {
    match tags.iter().find(|t| t.starts_with(PREFIX)) {
        Some(t) => Err(Error::invalid(
            "put",
            format!(
                "tags starting with {} are reserved for larder",
                Quoted(PREFIX)
            ),
        )
        .with_context(format!("tag {}", Quoted(t)))),
        None => Ok(()),
    }
}

/// The tags a frame stores: the user's, then freshness, then dependencies.
pub(crate) fn join(
    user: &[String],
    fresh_until_ms: Option<u64>,
    depends_on: &[KeyHash],
) -> Vec<String> {
    let mut out = Vec::with_capacity(user.len() + 1 + depends_on.len());
    out.extend(user.iter().cloned());
    out.extend(fresh_until_ms.map(fresh));
    out.extend(depends_on.iter().map(|k| dep(*k)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    #[test]
    fn round_trip_and_malformed_tags() {
        let tags = join(&["user".to_string()], Some(1_500), &[KeyHash(7)]);
        assert_eq!(tags[1], "larder:fresh-until:1500");
        assert_eq!(tags[2], "larder:dep:00000000000000000000000000000007");
        let s = split(tags);
        assert_eq!(s.user, vec!["user".to_string()]);
        assert_eq!(s.fresh_until_ms, Some(1_500));
        assert_eq!(s.depends_on, vec![KeyHash(7)]);

        let odd = vec![
            "larder:fresh-until:soon".to_string(),
            "larder:dep:xyz".to_string(),
            "larder:future-feature".to_string(),
            "plain".to_string(),
        ];
        let s = split(odd);
        assert_eq!(
            s.fresh_until_ms,
            Some(0),
            "malformed freshness is stale at once"
        );
        assert!(s.depends_on.is_empty());
        assert_eq!(s.user, vec!["plain".to_string()]);
        assert!(check_user(&["larder:x".to_string()]).is_err());
        assert!(check_user(&["larder".to_string()]).is_ok());
    }
}
