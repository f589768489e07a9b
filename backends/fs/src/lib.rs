//! # larder-fs
//!
//! [`FsStore`]: a larder [`Store`] on the native filesystem, safe to share
//! between several processes at once.
//!
//! ## On-disk layout
//!
//! ```text
//! <root>/
//!   larder-v1/                 the layout version; a future layout gets larder-v2/ beside it
//!     entries/                 0700
//!       3f/                    shard: the first two hex digits of the key (256 at most), 0700
//!         3fa9…e1              one file per entry, named by the 32-hex-digit key hash, 0600;
//!                              its bytes are the entry frame (see larder_core::frame);
//!                              its mtime is the entry's last access
//!     tmp/                     0700: `<pid>.<counter>.<random>.tmp`, files being written
//! ```
//!
//! Only hex key hashes and fixed names ever reach a path, so no namespace or
//! parameter can name a file outside the cache directory. The same layout is
//! used by the Node/Deno store (larder-nodefs), so either can read the other's cache.
//!
//! ## Guarantees
//!
//! - **Atomic writes.** A frame is written to a temp file in `tmp/` and renamed
//!   over the entry, so readers in any process see the old frame or the new one,
//!   never a partial file. A failed write removes its temp and leaves the old entry.
//! - **Durability is optional** ([`FsStoreBuilder::fsync`]). Without it, a power
//!   loss may lose recent entries or leave a damaged file; the core verifies every
//!   frame's checksum, so damage is a miss, never a wrong value.
//! - **Cheap open.** Opening never scans the entries; [`Store::list`] does.
//!   Open removes temps of writers that died (on Linux, a pid with no
//!   `/proc/<pid>`) and any temp older than an hour.
//! - **Self-healing.** Anything that cannot be an entry where one should be (a
//!   directory, a truncated or foreign file) is a miss and is removed.

mod errors;
mod scan;
mod temp;
mod time;

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use larder_core::frame::FrameHeader;
use larder_core::layout;
use larder_core::{Capabilities, EntryMeta, Error, ErrorKind, KeyHash, PutItem, Result, Store};

use crate::errors::io_error;
use crate::temp::TempNamer;

/// Name of the versioned directory under the root.
pub use larder_core::layout::LAYOUT_DIR;

/// A [`Store`] keeping one file per entry under a root directory. See the crate docs.
///
/// ```
/// # fn main() -> larder_core::Result<()> {
/// let dir = tempfile::tempdir().unwrap();
/// let store = larder_fs::FsStore::open(dir.path())?;
/// assert!(store.entry_path(larder_core::KeyHash(0xab)).starts_with(dir.path()));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct FsStore {
    root: PathBuf,
    entries: PathBuf,
    tmp: PathBuf,
    fsync: bool,
    temps: TempNamer,
    corrupt: AtomicU64,
}

/// Options for opening an [`FsStore`]; from [`FsStore::builder`].
#[derive(Clone, Debug)]
pub struct FsStoreBuilder {
    root: PathBuf,
    fsync: bool,
}

impl FsStoreBuilder {
    /// Flush every write to the disk before it counts as done (`fsync` of the file
    /// and of its directory). Off by default: a cache can lose recent entries in a
    /// power cut, and writes are several times faster without it.
    #[must_use]
    pub fn fsync(mut self, on: bool) -> Self {
        self.fsync = on;
        self
    }

    /// Create the directories if needed, check that they are usable, and clean up
    /// after crashed writers. Does not read any entry.
    pub fn open(self) -> Result<FsStore> {
        let root = self.root;
        if root.exists() && !root.is_dir() {
            let msg = format!("{} is a file, not a directory", root.display());
            return Err(Error::invalid("open cache directory", msg)
                .with_context(root.display().to_string()));
        }
        let base = root.join(LAYOUT_DIR);
        let (entries, tmp) = (base.join(layout::ENTRIES_DIR), base.join(layout::TMP_DIR));
        for dir in [&entries, &tmp] {
            create_private_dir(dir).map_err(|e| io_error("open cache directory", dir, e))?;
        }
        let store = FsStore {
            root,
            entries,
            tmp,
            fsync: self.fsync,
            temps: TempNamer::new(),
            corrupt: AtomicU64::new(0),
        };
        store.check_writable()?;
        temp::clean_stale(&store.tmp)
            .map_err(|e| io_error("open cache directory", &store.tmp, e))?;
        Ok(store)
    }
}

/// `create_dir_all` with mode 0700 for every directory it creates (on unix).
fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Open an entry file for reading without following a symlink or blocking on a
/// FIFO (`O_NOFOLLOW | O_NONBLOCK` on unix; non-blocking has no effect on a
/// regular file). A directory opens too; callers check the handle's type.
fn open_entry(path: &Path) -> io::Result<File> {
    let mut o = fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut o, libc::O_NOFOLLOW | libc::O_NONBLOCK);
    o.open(path)
}

impl FsStore {
    /// Open (creating if needed) the cache under `root` with default options.
    pub fn open(root: impl AsRef<Path>) -> Result<FsStore> {
        FsStore::builder(root).open()
    }

    /// Options for opening the cache under `root`.
    pub fn builder(root: impl AsRef<Path>) -> FsStoreBuilder {
        FsStoreBuilder {
            root: root.as_ref().to_path_buf(),
            fsync: false,
        }
    }

    /// The root directory this store was opened with.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file that holds `key`'s frame (it may not exist).
    pub fn entry_path(&self, key: KeyHash) -> PathBuf {
        let (shard, name) = layout::entry_names(key);
        self.entries.join(shard).join(name)
    }

    fn check_writable(&self) -> Result<()> {
        let op = "open cache directory";
        let (path, file) = self.temps.create(&self.tmp).map_err(|e| match e.kind() {
            io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
                let msg = format!("{} is not writable: {e}", self.tmp.display());
                Error::new(ErrorKind::PermissionDenied, op, msg)
                    .with_context(self.tmp.display().to_string())
            }
            _ => io_error(op, &self.tmp, e),
        })?;
        drop(file);
        fs::remove_file(&path).map_err(|e| io_error(op, &path, e))
    }

    /// Write `frame` as `key`'s entry; returns the shard directory it went to.
    fn put_one(&self, key: KeyHash, last_access_ms: u64, frame: &[u8]) -> Result<PathBuf> {
        let dest = self.entry_path(key);
        let (tmp, mut file) = self
            .temps
            .create(&self.tmp)
            .map_err(|e| io_error("put", &self.tmp, e))?;
        let res = self.fill_temp(&mut file, &tmp, frame);
        let res = res.and_then(|()| self.rename_into_place(&tmp, &dest));
        if res.is_err() {
            drop(file);
            let _ = fs::remove_file(&tmp);
            return res.map(|()| PathBuf::new());
        }
        // The mtime (recency) is set through the still-open handle only after the
        // rename: a temp's mtime must stay "now" while it sits in tmp/, or another
        // process's clean-up would take it for a stale leftover. Best effort: the
        // entry is in place whether or not this succeeds.
        let _ = file.set_modified(time::from_ms(last_access_ms));
        Ok(dest.parent().map(Path::to_path_buf).unwrap_or_default())
    }

    fn fill_temp(&self, file: &mut File, tmp: &Path, frame: &[u8]) -> Result<()> {
        file.write_all(frame).map_err(|e| io_error("put", tmp, e))?;
        if self.fsync {
            file.sync_all().map_err(|e| io_error("put", tmp, e))?;
        }
        Ok(())
    }

    /// Rename `tmp` over `dest`, creating the shard directory on first use and
    /// removing a directory squatting on the entry's name.
    fn rename_into_place(&self, tmp: &Path, dest: &Path) -> Result<()> {
        let first = match fs::rename(tmp, dest) {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        if first.kind() == io::ErrorKind::NotFound {
            if let Some(shard) = dest.parent() {
                create_private_dir(shard).map_err(|e| io_error("put", shard, e))?;
            }
        } else if fs::symlink_metadata(dest).is_ok_and(|m| m.is_dir()) {
            scan::remove_damaged(dest, None);
        } else {
            return Err(io_error("put", dest, first));
        }
        fs::rename(tmp, dest).map_err(|e| io_error("put", dest, e))
    }

    /// Remove an odd thing sitting where an entry file should be; count it.
    fn discard(&self, path: &Path, md: &fs::Metadata) {
        scan::remove_damaged(path, Some(md));
        self.corrupt.fetch_add(1, Ordering::Relaxed);
    }

    fn sync_dir(&self, dir: &Path) -> Result<()> {
        #[cfg(unix)]
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_error("put", dir, e))?;
        let _ = dir;
        Ok(())
    }

    /// An entry that exists but cannot be opened: a symlink (refused by
    /// `O_NOFOLLOW`) or anything else that is not a file is damage, removed and
    /// a miss; a regular file we may not read is a real error.
    fn not_openable<T>(&self, op: &'static str, path: &Path, e: io::Error) -> Result<Option<T>> {
        match fs::symlink_metadata(path) {
            Ok(md) if !md.is_file() => {
                self.discard(path, &md);
                Ok(None)
            }
            Err(e2) if e2.kind() == io::ErrorKind::NotFound => Ok(None),
            _ => Err(io_error(op, path, e)),
        }
    }

    fn touch_one(&self, key: KeyHash, at_ms: u64) -> Result<()> {
        let path = self.entry_path(key);
        let mut opts = fs::OpenOptions::new();
        // Setting times needs write access to the handle on Windows only.
        if cfg!(unix) {
            opts.read(true)
        } else {
            opts.write(true)
        };
        let file = match opts.open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io_error("touch", &path, e)),
        };
        let md = file.metadata().map_err(|e| io_error("touch", &path, e))?;
        // Recency only moves forward: another process may have touched it later.
        if !md.is_file() || md.modified().is_ok_and(|t| time::to_ms(t) >= at_ms) {
            return Ok(());
        }
        file.set_modified(time::from_ms(at_ms))
            .map_err(|e| io_error("touch", &path, e))
    }
}

#[async_trait]
impl Store for FsStore {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            persistent: true,
            shared: true,
            persistent_recency: true,
            ..Capabilities::default()
        }
    }

    fn take_corrupt(&self) -> u64 {
        self.corrupt.swap(0, Ordering::Relaxed)
    }

    async fn get(&self, key: KeyHash) -> Result<Option<Vec<u8>>> {
        let path = self.entry_path(key);
        // One open, then fstat of the handle (no lstat first): `open_entry`
        // neither follows a symlink nor blocks on a FIFO.
        let mut file = match open_entry(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return self.not_openable("get", &path, e),
        };
        let md = file.metadata().map_err(|e| io_error("get", &path, e))?;
        if !md.is_file() {
            drop(file);
            self.discard(&path, &md);
            return Ok(None);
        }
        // An entry file never changes after its rename, so its fstat length is
        // its length: one read of exactly that (`read_to_end` would statx and
        // lseek again for a size hint, then probe for EOF).
        let oom = |e| io_error("get", &path, io::Error::new(io::ErrorKind::OutOfMemory, e));
        let len = usize::try_from(md.len()).map_err(|e| oom(e.to_string()))?;
        let mut bytes = Vec::new();
        bytes
            .try_reserve_exact(len)
            .map_err(|e| oom(e.to_string()))?;
        bytes.resize(len, 0);
        match file.read_exact(&mut bytes) {
            Ok(()) => Ok(Some(bytes)),
            // Shorter than its fstat length: not a file larder wrote whole.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                drop(file);
                self.discard(&path, &md);
                Ok(None)
            }
            Err(e) => Err(io_error("get", &path, e)),
        }
    }

    async fn get_header(&self, key: KeyHash) -> Result<Option<FrameHeader>> {
        let path = self.entry_path(key);
        // lstat first: opening a FIFO squatting on the name would block.
        match fs::symlink_metadata(&path) {
            Ok(md) if md.is_file() => {}
            Ok(_) => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error("get_header", &path, e)),
        }
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error("get_header", &path, e)),
        };
        let md = file
            .metadata()
            .map_err(|e| io_error("get_header", &path, e))?;
        match scan::read_header(&mut file, md.len()) {
            Ok(Some(h)) if h.key == key && h.frame_len() == md.len() => Ok(Some(h)),
            Ok(_) => Err(Error::corrupt("get_header", "not a valid entry")
                .with_context(path.display().to_string())),
            Err(e) => Err(io_error("get_header", &path, e)),
        }
    }

    async fn put(&self, meta: &EntryMeta, frame: &[u8]) -> Result<()> {
        let shard = self.put_one(meta.key, meta.last_access_ms, frame)?;
        if self.fsync {
            self.sync_dir(&shard)?;
        }
        Ok(())
    }

    async fn put_many(&self, items: &[PutItem]) -> Result<()> {
        let mut shards = Vec::new();
        for it in items {
            shards.push(self.put_one(it.meta.key, it.meta.last_access_ms, &it.frame)?);
        }
        if self.fsync {
            // One directory fsync per shard rather than one per entry.
            shards.sort();
            shards.dedup();
            for shard in &shards {
                self.sync_dir(shard)?;
            }
        }
        Ok(())
    }

    async fn delete(&self, key: KeyHash) -> Result<bool> {
        let path = self.entry_path(key);
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => match fs::symlink_metadata(&path) {
                Ok(md) if md.is_dir() => {
                    self.discard(&path, &md);
                    Ok(false)
                }
                _ => Err(io_error("delete", &path, e)),
            },
        }
    }

    async fn list(&self) -> Result<Vec<EntryMeta>> {
        let _ = temp::clean_stale(&self.tmp);
        let shards = scan::shard_dirs(&self.entries, "list")?;
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8);
        let chunk = shards.len().div_ceil(threads).max(1);
        let results: Vec<Result<scan::ShardScan>> = std::thread::scope(|s| {
            let handles: Vec<_> = shards
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || {
                        let mut acc = scan::ShardScan::default();
                        for shard in part {
                            let one = scan::scan_shard(shard)?;
                            acc.metas.extend(one.metas);
                            acc.corrupt += one.corrupt;
                        }
                        Ok(acc)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        let mut metas = Vec::new();
        for r in results {
            let r = r?;
            metas.extend(r.metas);
            self.corrupt.fetch_add(r.corrupt, Ordering::Relaxed);
        }
        Ok(metas)
    }

    async fn touch_many(&self, touches: &[(KeyHash, u64)]) -> Result<()> {
        for &(key, at) in touches {
            self.touch_one(key, at)?;
        }
        Ok(())
    }

    async fn clear(&self) -> Result<()> {
        for shard in scan::shard_dirs(&self.entries, "clear")? {
            for (_, entry) in scan::entries_in(&shard, "clear")? {
                let path = entry.path();
                let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                let res = if is_dir {
                    fs::remove_dir_all(&path)
                } else {
                    fs::remove_file(&path)
                };
                match res {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => {
                        return Err(io_error("clear", &path, e));
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }
}
