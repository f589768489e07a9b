//! Walking the shard directories: listing entry metadata from frame headers, and
//! removing whatever cannot be an entry.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use larder_core::frame::{self, FrameHeader, HeaderRead};
use larder_core::{EntryMeta, KeyHash, Result, layout};

use crate::errors::io_error;

/// How much of a file `list` reads first; headers are almost always shorter.
const HEADER_PREFIX: usize = 4096;

/// The shard directories under `entries`, each a name of two lowercase hex digits.
pub(crate) fn shard_dirs(entries: &Path, op: &'static str) -> Result<Vec<PathBuf>> {
    let iter = match fs::read_dir(entries) {
        Ok(it) => it,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error(op, entries, e)),
    };
    let mut out = Vec::new();
    for entry in iter {
        let entry = entry.map_err(|e| io_error(op, entries, e))?;
        let is_shard = entry
            .file_name()
            .to_str()
            .is_some_and(layout::is_shard_name);
        if is_shard && entry.file_type().is_ok_and(|t| t.is_dir()) {
            out.push(entry.path());
        }
    }
    Ok(out)
}

/// Every entry file (or misplaced directory) in `shard`, with its key.
pub(crate) fn entries_in(shard: &Path, op: &'static str) -> Result<Vec<(KeyHash, fs::DirEntry)>> {
    let iter = match fs::read_dir(shard) {
        Ok(it) => it,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error(op, shard, e)),
    };
    let shard_name = shard
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let mut out = Vec::new();
    for entry in iter {
        let entry = entry.map_err(|e| io_error(op, shard, e))?;
        if let Some(key) = entry
            .file_name()
            .to_str()
            .and_then(|n| layout::entry_key(shard_name, n))
        {
            out.push((key, entry));
        }
    }
    Ok(out)
}

/// Result of listing one shard.
#[derive(Default)]
pub(crate) struct ShardScan {
    pub(crate) metas: Vec<EntryMeta>,
    pub(crate) corrupt: u64,
}

/// List one shard: metadata of every readable entry; damaged entries are removed
/// and counted; files that vanish or cannot be opened meanwhile are skipped.
pub(crate) fn scan_shard(shard: &Path) -> Result<ShardScan> {
    let mut out = ShardScan::default();
    for (key, entry) in entries_in(shard, "list")? {
        let path = entry.path();
        match read_meta(&path, key) {
            Found::Meta(m) => out.metas.push(m),
            Found::Skip => {}
            Found::Damaged(md) => {
                remove_damaged(&path, md.as_ref());
                out.corrupt += 1;
            }
        }
    }
    Ok(out)
}

enum Found {
    Meta(EntryMeta),
    /// Gone or unreadable for now; not ours to judge.
    Skip,
    /// Not a valid entry; carries the metadata of what was examined.
    Damaged(Option<fs::Metadata>),
}

fn read_meta(path: &Path, key: KeyHash) -> Found {
    let md = match fs::symlink_metadata(path) {
        Ok(md) => md,
        Err(_) => return Found::Skip,
    };
    if !md.is_file() {
        return Found::Damaged(Some(md));
    }
    let Ok(mut file) = File::open(path) else {
        return Found::Skip;
    };
    // Metadata of the open file: a concurrent rename cannot mix two files' facts.
    let Ok(md) = file.metadata() else {
        return Found::Skip;
    };
    let len = md.len();
    let header = match read_header(&mut file, len) {
        Ok(Some(h)) => h,
        Ok(None) => return Found::Damaged(Some(md)),
        Err(_) => return Found::Skip,
    };
    if header.key != key || header.frame_len() != len {
        return Found::Damaged(Some(md));
    }
    let mtime = md.modified().map_or(0, crate::time::to_ms);
    Found::Meta(header.to_meta(mtime))
}

/// Decode the header at the start of `file` (of length `len`), reading only as
/// much as the header needs. `Ok(None)`: not a valid header.
pub(crate) fn read_header(file: &mut File, len: u64) -> io::Result<Option<FrameHeader>> {
    let mut buf = Vec::new();
    let mut want = HEADER_PREFIX;
    loop {
        read_up_to(file, &mut buf, want)?;
        match frame::decode_header(&buf) {
            Ok(HeaderRead::Complete(h)) => return Ok(Some(h)),
            Ok(HeaderRead::NeedBytes(n)) if n > buf.len() && n as u64 <= len => want = n,
            _ => return Ok(None),
        }
    }
}

/// Read from `file` until `buf` holds `want` bytes or the file ends.
fn read_up_to(file: &mut File, buf: &mut Vec<u8>, want: usize) -> io::Result<()> {
    if buf.len() < want {
        let more = (want - buf.len()) as u64;
        file.take(more).read_to_end(buf)?;
    }
    Ok(())
}

/// Remove what sits at `path` if it is still the thing examined (`md`), so that
/// an entry another process just renamed into place survives.
pub(crate) fn remove_damaged(path: &Path, md: Option<&fs::Metadata>) {
    let Ok(now) = fs::symlink_metadata(path) else {
        return;
    };
    if let Some(md) = md {
        if !same_file(md, &now) {
            return;
        }
    }
    let _ = if now.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
}

#[cfg(unix)]
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    a.len() == b.len() && a.modified().ok() == b.modified().ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Between `list` examining a damaged file and removing it, another process
    /// may rename a good entry over it: that entry must survive.
    #[test]
    fn remove_damaged_spares_a_file_renamed_over_the_one_examined() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("entry");
        fs::write(&path, b"damaged").unwrap();
        let examined = fs::symlink_metadata(&path).unwrap();
        let fresh = dir.path().join("fresh");
        fs::write(&fresh, b"a good entry").unwrap();
        fs::rename(&fresh, &path).unwrap();

        remove_damaged(&path, Some(&examined));
        assert_eq!(fs::read(&path).unwrap(), b"a good entry");
        let now = fs::symlink_metadata(&path).unwrap();
        remove_damaged(&path, Some(&now));
        assert!(
            fs::symlink_metadata(&path).is_err(),
            "the examined file goes"
        );
    }
}
