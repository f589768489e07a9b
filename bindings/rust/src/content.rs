//! Content keys: a file or a directory tree stands in a key for the hash of
//! its bytes, not for its name, so a moved file still hits and an edited one
//! misses.
//!
//! A file hashes as XXH3-128 of its bytes. A directory hashes its entries in
//! a stable order (sorted by their path relative to it, `/`-separated, as
//! bytes): each entry's kind, relative path, and for a file its content hash,
//! for a symbolic link its target (links are not followed, so a tree can hold
//! a loop). Names and bytes count; permissions and times do not. A FIFO,
//! socket or device is an error. Large trees are hashed on several threads.
//!
//! ```
//! # let dir = tempfile::tempdir().unwrap();
//! use larder::content::{Content, hash_path};
//! let a = dir.path().join("a.txt");
//! std::fs::write(&a, "hello").unwrap();
//! let before = hash_path(&a).unwrap();
//! let b = dir.path().join("renamed.txt");
//! std::fs::rename(&a, &b).unwrap();
//! assert_eq!(hash_path(&b).unwrap(), before, "the name does not count");
//! std::fs::write(&b, "hello!").unwrap();
//! assert_ne!(hash_path(&b).unwrap(), before, "the bytes do");
//!
//! // In a key: `Content` serializes as the hash of what the path holds.
//! let key = larder::Key::new("wc", &(Content(&b), "words")).unwrap();
//! ```

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Serialize, Serializer};
use xxhash_rust::xxh3::Xxh3;

use crate::{Error, ErrorKind, Result};

/// Trees with at least this many files, or bytes, are hashed on several threads.
const PARALLEL_FILES: usize = 64;
const PARALLEL_BYTES: u64 = 8 << 20;
const MAX_THREADS: usize = 8;

/// The hash of a file's or directory tree's content. Serializes as 16 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ContentHash(pub u128);

impl ContentHash {
    /// 32 lowercase hex digits.
    ///
    /// ```
    /// assert_eq!(larder::content::ContentHash(255).to_hex().len(), 32);
    /// ```
    pub fn to_hex(&self) -> String {
        format!("{:032x}", self.0)
    }
}

impl Serialize for ContentHash {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0.to_be_bytes())
    }
}

/// A path that serializes as the [`ContentHash`] of what it holds (hashed
/// each time it is serialized). Reading it can fail; the key is then not
/// built and the error names the path.
#[derive(Clone, Copy, Debug)]
pub struct Content<P>(pub P);

impl<P: AsRef<Path>> Serialize for Content<P> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match hash_path(self.0.as_ref()) {
            Ok(h) => h.serialize(s),
            Err(e) => Err(serde::ser::Error::custom(e)),
        }
    }
}

/// The content hash of the file or directory at `path` (a link at `path`
/// itself is followed).
pub fn hash_path(path: impl AsRef<Path>) -> Result<ContentHash> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_THREADS));
    hash_with(path.as_ref(), PARALLEL_FILES, PARALLEL_BYTES, threads)
}

fn io_error(path: &Path, e: &io::Error) -> Error {
    let kind = match e.kind() {
        io::ErrorKind::NotFound => ErrorKind::InvalidInput,
        io::ErrorKind::PermissionDenied => ErrorKind::PermissionDenied,
        _ => ErrorKind::Storage,
    };
    Error::new(kind, "hash content", e.to_string()).with_context(path.display().to_string())
}

/// Hash with trees of `par_files` files or `par_bytes` bytes on `threads` threads.
fn hash_with(path: &Path, par_files: usize, par_bytes: u64, threads: usize) -> Result<ContentHash> {
    let meta = fs::metadata(path).map_err(|e| io_error(path, &e))?;
    if meta.is_dir() {
        hash_dir(path, par_files, par_bytes, threads).map(ContentHash)
    } else if meta.is_file() {
        hash_file(path).map(ContentHash)
    } else {
        Err(not_a_file(path))
    }
}

fn not_a_file(path: &Path) -> Error {
    Error::invalid("hash content", "not a regular file, directory or link")
        .with_context(path.display().to_string())
}

fn hash_file(path: &Path) -> Result<u128> {
    let mut f = File::open(path).map_err(|e| io_error(path, &e))?;
    let mut h = Xxh3::new();
    let mut buf = vec![0u8; 256 << 10];
    loop {
        match f.read(&mut buf) {
            Ok(0) => return Ok(h.digest128()),
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(path, &e)),
        }
    }
}

enum Kind {
    Dir,
    File(PathBuf, u64),
    Link(Vec<u8>),
}

/// Every entry under `root`, with its `/`-separated relative path, sorted.
fn walk(root: &Path) -> Result<Vec<(Vec<u8>, Kind)>> {
    let mut out = Vec::new();
    let mut todo = vec![(root.to_path_buf(), Vec::new())];
    while let Some((dir, rel)) = todo.pop() {
        let read = fs::read_dir(&dir).map_err(|e| io_error(&dir, &e))?;
        for entry in read {
            let entry = entry.map_err(|e| io_error(&dir, &e))?;
            let path = entry.path();
            let mut name = rel.clone();
            if !name.is_empty() {
                name.push(b'/');
            }
            name.extend_from_slice(entry.file_name().as_encoded_bytes());
            let ft = entry.file_type().map_err(|e| io_error(&path, &e))?;
            let kind = if ft.is_symlink() {
                let target = fs::read_link(&path).map_err(|e| io_error(&path, &e))?;
                Kind::Link(target.as_os_str().as_encoded_bytes().to_vec())
            } else if ft.is_dir() {
                todo.push((path, name.clone()));
                Kind::Dir
            } else if ft.is_file() {
                let len = entry.metadata().map_err(|e| io_error(&path, &e))?.len();
                Kind::File(path, len)
            } else {
                // Opening a FIFO would block until a writer came; a device or
                // socket has no content to hash either.
                return Err(not_a_file(&path));
            };
            out.push((name, kind));
        }
    }
    out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn hash_dir(root: &Path, par_files: usize, par_bytes: u64, threads: usize) -> Result<u128> {
    let entries = walk(root)?;
    let files: Vec<&Path> = entries
        .iter()
        .filter_map(|(_, k)| match k {
            Kind::File(p, _) => Some(p.as_path()),
            _ => None,
        })
        .collect();
    let bytes: u64 = entries
        .iter()
        .map(|(_, k)| if let Kind::File(_, n) = k { *n } else { 0 })
        .sum();
    let hashes = if threads > 1 && (files.len() >= par_files || bytes >= par_bytes) {
        hash_files_parallel(&files, threads.min(files.len()))?
    } else {
        files
            .iter()
            .map(|p| hash_file(p))
            .collect::<Result<Vec<_>>>()?
    };
    let mut h = Xxh3::new();
    h.update(b"larder directory v1\0");
    let mut file_hashes = hashes.into_iter();
    for (name, kind) in &entries {
        let (tag, extra): (u8, Vec<u8>) = match kind {
            Kind::Dir => (b'd', Vec::new()),
            Kind::File(..) => {
                let fh = file_hashes.next().unwrap_or_default();
                (b'f', fh.to_be_bytes().to_vec())
            }
            Kind::Link(target) => (b'l', target.clone()),
        };
        h.update(&[tag]);
        h.update(&(name.len() as u64).to_le_bytes());
        h.update(name);
        h.update(&(extra.len() as u64).to_le_bytes());
        h.update(&extra);
    }
    Ok(h.digest128())
}

/// Hash `files` on `threads` threads; each takes the next file in turn.
fn hash_files_parallel(files: &[&Path], threads: usize) -> Result<Vec<u128>> {
    let next = AtomicUsize::new(0);
    let parts: Vec<Result<Vec<(usize, u128)>>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(p) = files.get(i) else {
                            return Ok(mine);
                        };
                        mine.push((i, hash_file(p)?));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join().unwrap_or_else(|_| {
                    Err(Error::new(
                        ErrorKind::Compute,
                        "hash content",
                        "a hashing thread panicked",
                    ))
                })
            })
            .collect()
    });
    let mut out = vec![0u128; files.len()];
    for part in parts {
        for (i, h) in part? {
            out[i] = h;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_and_sequential_hashing_agree() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..40 {
            let sub = dir.path().join(format!("d{}", i % 5));
            fs::create_dir_all(&sub).unwrap();
            fs::write(sub.join(format!("f{i}")), vec![i as u8; 1000 + i]).unwrap();
        }
        let seq = hash_with(dir.path(), usize::MAX, u64::MAX, 1).unwrap();
        for threads in [2, 3, 8] {
            assert_eq!(seq, hash_with(dir.path(), 1, 0, threads).unwrap());
        }
    }
}
