//! [`NodeFsStore`]: the larder-fs layout on `node:fs/promises`.

#![cfg(target_arch = "wasm32")]

use std::cell::Cell;

use async_trait::async_trait;
use js_sys::Uint8Array;
use larder_core::frame::{self, FrameHeader, HeaderRead};
use larder_core::{
    Capabilities, EntryMeta, Error, ErrorKind, KeyHash, PutItem, Result, Store, layout,
};
use wasm_bindgen::{JsCast, JsValue};

use crate::errors::js_error;
use crate::js::{self, FileHandle, FsCallbacks, FsPromises, Stats};
use crate::temp::{self, TempNamer};
use crate::time;
use larder_core::join_all;

/// Name of the versioned directory under the root (as in larder-fs).
pub use larder_core::layout::LAYOUT_DIR;

/// How much of a file `list` reads first; headers are almost always shorter.
const HEADER_PREFIX: usize = 4096;

/// Up to this many bytes (the first read's scratch size in js.rs) a `get`
/// copies out of JS without a fallible reservation.
const SMALL_READ: usize = 64 * 1024;

/// Shards listed at once, and entries written at once by `put_many`: enough to
/// keep Node's thread pool (4 threads by default) busy.
const PARALLEL: usize = 8;

/// A [`Store`] keeping one file per entry under a root directory, through
/// `node:fs/promises`. See the crate docs.
#[derive(Debug)]
pub struct NodeFsStore {
    fs: FsPromises,
    /// `node:fs`, for `get`'s one-call read ([`js::read_file`]).
    fs_cb: FsCallbacks,
    root: String,
    entries: String,
    tmp: String,
    fsync: bool,
    read_flags: JsValue,
    temps: TempNamer,
    corrupt: Cell<u64>,
}

/// Options for opening a [`NodeFsStore`]; from [`NodeFsStore::builder`].
#[derive(Clone, Debug)]
pub struct NodeFsStoreBuilder {
    root: String,
    fsync: bool,
}

impl NodeFsStoreBuilder {
    /// Flush every write to the disk before it counts as done (`FileHandle.sync`
    /// of the file, and of its shard directory where the platform allows). Off
    /// by default, as in larder-fs.
    #[must_use]
    pub fn fsync(mut self, on: bool) -> Self {
        self.fsync = on;
        self
    }

    /// Load `node:fs/promises`, create the directories if needed, check that
    /// they are usable, and clean up after crashed writers. Reads no entry.
    pub async fn open(self) -> Result<NodeFsStore> {
        const OP: &str = "open cache directory";
        let fs = js::load_fs().await.map_err(|e| {
            Error::new(
                ErrorKind::Unsupported,
                OP,
                format!(
                    "node:fs/promises is not available here: {}",
                    js::message(&e)
                ),
            )
        })?;
        let fs_cb = js::load_fs_callbacks().await.map_err(|e| {
            Error::new(
                ErrorKind::Unsupported,
                OP,
                format!("node:fs is not available here: {}", js::message(&e)),
            )
        })?;
        let root = self.root;
        match fs.stat(&root).await {
            Ok(st) if !st.unchecked_ref::<Stats>().is_directory() => {
                let msg = format!("{root} is a file, not a directory");
                return Err(Error::invalid(OP, msg).with_context(root));
            }
            Ok(_) => {}
            Err(e) if js::is_code(&e, "ENOENT") => {}
            Err(e) => return Err(js_error(OP, &root, &e)),
        }
        let base = join(&root, LAYOUT_DIR);
        let (entries, tmp) = (
            format!("{base}/{}", layout::ENTRIES_DIR),
            format!("{base}/{}", layout::TMP_DIR),
        );
        for dir in [&entries, &tmp] {
            mkdir_private(&fs, dir)
                .await
                .map_err(|e| js_error(OP, dir, &e))?;
        }
        let store = NodeFsStore {
            read_flags: js::read_flags(&fs),
            fs,
            fs_cb,
            root,
            entries,
            tmp,
            fsync: self.fsync,
            temps: TempNamer::new(),
            corrupt: Cell::new(0),
        };
        store.check_writable().await?;
        temp::clean_stale(&store.fs, &store.tmp)
            .await
            .map_err(|e| js_error(OP, &store.tmp, &e))?;
        Ok(store)
    }
}

/// `root/name`, without doubling a trailing separator.
fn join(root: &str, name: &str) -> String {
    let trimmed = root.trim_end_matches(['/', '\\']);
    if trimmed.is_empty() && !root.is_empty() {
        format!("/{name}")
    } else {
        format!("{trimmed}/{name}")
    }
}

/// `mkdir -p` with mode 0700 for every directory it creates.
async fn mkdir_private(fs: &FsPromises, dir: &str) -> std::result::Result<(), JsValue> {
    let opts = js::options(&[("recursive", JsValue::TRUE), ("mode", JsValue::from(0o700))]);
    fs.mkdir(dir, &opts).await.map(|_| ())
}

/// Close a handle, ignoring errors (the work on it is done or failed already).
async fn close(h: &FileHandle) {
    let _ = h.close().await;
}

/// Read from `h` at offset `buf.len()` until `buf` holds `want` bytes or the file ends.
async fn read_up_to(
    h: &FileHandle,
    buf: &mut Vec<u8>,
    want: usize,
) -> std::result::Result<(), JsValue> {
    while buf.len() < want {
        let n = (want - buf.len()) as u32;
        let chunk = Uint8Array::new_with_length(n);
        let got = js::bytes_read(&h.read(&chunk, 0, n, buf.len() as f64).await?);
        if got == 0 {
            break;
        }
        let at = buf.len();
        buf.resize(at + got as usize, 0);
        chunk.subarray(0, got).copy_to(&mut buf[at..]);
    }
    Ok(())
}

/// Decode the header at the start of `h` (a file of `len` bytes), reading only
/// as much as the header needs. `Ok(None)`: not a valid header.
async fn read_header(
    h: &FileHandle,
    len: u64,
) -> std::result::Result<Option<FrameHeader>, JsValue> {
    let mut buf = Vec::new();
    let mut want = HEADER_PREFIX;
    loop {
        read_up_to(h, &mut buf, want).await?;
        match frame::decode_header(&buf) {
            Ok(HeaderRead::Complete(head)) => return Ok(Some(head)),
            Ok(HeaderRead::NeedBytes(n)) if n > buf.len() && n as u64 <= len => want = n,
            _ => return Ok(None),
        }
    }
}

/// `bytes` copied out of JS if their fixed header claims exactly their length
/// and `key`; `None` otherwise (a short read, a foreign file), or if wasm
/// memory cannot hold them. The caller verifies the frame whole.
fn whole_frame(bytes: &Uint8Array, key: KeyHash) -> Option<Vec<u8>> {
    let len = bytes.length() as usize;
    let out = if len <= SMALL_READ {
        bytes.to_vec()
    } else {
        // A large file: fail softly (the careful way reports it) rather than abort.
        let mut out = Vec::new();
        out.try_reserve_exact(len).ok()?;
        out.resize(len, 0);
        bytes.copy_to(&mut out);
        out
    };
    js::release(bytes);
    (frame::peek(&out) == Some((key, len as u64))).then_some(out)
}

/// What `list` found under one entry name.
enum Found {
    Meta(EntryMeta),
    /// Gone or unreadable for now; not ours to judge.
    Skip,
    /// Not a valid entry; carries the stats of what was examined.
    Damaged(Option<Stats>),
}

/// What `get` read.
enum Read {
    Bytes(Vec<u8>),
    Damaged(Stats),
}

impl NodeFsStore {
    /// Open (creating if needed) the cache under `root` with default options.
    pub async fn open(root: &str) -> Result<NodeFsStore> {
        NodeFsStore::builder(root).open().await
    }

    /// Options for opening the cache under `root`.
    pub fn builder(root: &str) -> NodeFsStoreBuilder {
        NodeFsStoreBuilder {
            root: root.to_owned(),
            fsync: false,
        }
    }

    /// The root directory this store was opened with.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// The file that holds `key`'s frame (it may not exist):
    /// `<root>/larder-v1/entries/<2 hex>/<32 hex>`, as in larder-fs.
    pub fn entry_path(&self, key: KeyHash) -> String {
        let (shard, name) = layout::entry_names(key);
        format!("{}/{shard}/{name}", self.entries)
    }

    async fn check_writable(&self) -> Result<()> {
        const OP: &str = "open cache directory";
        let (path, h) = self
            .temps
            .create(&self.fs, &self.tmp)
            .await
            .map_err(|(_, e)| {
                let err = js_error(OP, &self.tmp, &e);
                if err.kind() == ErrorKind::PermissionDenied {
                    let msg = format!("{} is not writable: {}", self.tmp, js::message(&e));
                    Error::new(ErrorKind::PermissionDenied, OP, msg).with_context(self.tmp.clone())
                } else {
                    err
                }
            })?;
        close(&h).await;
        self.fs
            .unlink(&path)
            .await
            .map(|_| ())
            .map_err(|e| js_error(OP, &path, &e))
    }

    async fn lstat(&self, path: &str) -> std::result::Result<Stats, JsValue> {
        Ok(self.fs.lstat(path).await?.unchecked_into())
    }

    /// Remove what sits at `path` if it is still the thing examined (`seen`),
    /// so that an entry another process just renamed into place survives.
    async fn remove_damaged(&self, path: &str, seen: Option<&Stats>) {
        let Ok(now) = self.lstat(path).await else {
            return;
        };
        if let Some(seen) = seen {
            if seen.ino() != now.ino() || seen.dev() != now.dev() {
                return;
            }
        }
        let _ = if now.is_directory() {
            self.fs.rm(path, &rm_options()).await
        } else {
            self.fs.unlink(path).await
        };
    }

    /// Remove an odd thing sitting where an entry file should be; count it.
    async fn discard(&self, path: &str, seen: Option<&Stats>) {
        self.remove_damaged(path, seen).await;
        self.corrupt.set(self.corrupt.get() + 1);
    }

    /// An entry that exists but cannot be opened: a symlink (refused by
    /// `O_NOFOLLOW`) or anything else that is not a file is damage, removed and
    /// a miss; a regular file we may not read is a real error.
    async fn not_openable<T>(&self, op: &'static str, path: &str, e: JsValue) -> Result<Option<T>> {
        match self.lstat(path).await {
            Ok(st) if !st.is_file() => {
                self.discard(path, Some(&st)).await;
                Ok(None)
            }
            Err(e2) if js::is_code(&e2, "ENOENT") => Ok(None),
            _ => Err(js_error(op, path, &e)),
        }
    }

    /// `get` through a `FileHandle`: the stats of the open file tell a damaged
    /// entry (removed, counted, a miss) from a read that failed (an error).
    async fn get_careful(&self, path: &str) -> Result<Option<Vec<u8>>> {
        let h = match self.open_read(path).await {
            Ok(h) => h,
            Err(e) if js::is_code(&e, "ENOENT") => return Ok(None),
            Err(e) => return self.not_openable("get", path, e).await,
        };
        let read = self.read_whole(&h).await;
        close(&h).await;
        match read {
            Ok(Read::Bytes(b)) => Ok(Some(b)),
            Ok(Read::Damaged(st)) => {
                self.discard(path, Some(&st)).await;
                Ok(None)
            }
            Err(e) => Err(js_error("get", path, &e)),
        }
    }

    async fn open_read(&self, path: &str) -> std::result::Result<FileHandle, JsValue> {
        Ok(self
            .fs
            .open(path, &self.read_flags, 0)
            .await?
            .unchecked_into())
    }

    /// The whole file behind `h`, or the stats of a thing that is not an entry.
    async fn read_whole(&self, h: &FileHandle) -> std::result::Result<Read, JsValue> {
        let st: Stats = h.fstat().await?.unchecked_into();
        if !st.is_file() {
            return Ok(Read::Damaged(st));
        }
        // An entry file never changes after its rename, so its length is its
        // fstat length; a shorter read means a file larder did not write whole.
        let len = st.size() as usize;
        let mut bytes = Vec::new();
        bytes
            .try_reserve_exact(len)
            .map_err(|e| JsValue::from_str(&e.to_string()))?;
        read_up_to(h, &mut bytes, len).await?;
        Ok(if bytes.len() == len {
            Read::Bytes(bytes)
        } else {
            Read::Damaged(st)
        })
    }

    /// Write `frame` as `key`'s entry; returns the shard directory it went to.
    async fn put_one(&self, key: KeyHash, last_access_ms: u64, frame: &[u8]) -> Result<String> {
        let dest = self.entry_path(key);
        let (tmp, h) = self
            .temps
            .create(&self.fs, &self.tmp)
            .await
            .map_err(|(p, e)| js_error("put", &p, &e))?;
        // A copy in JS memory: a view of wasm memory would detach if the
        // memory grew while Node writes it on another thread.
        let data = Uint8Array::from(frame);
        let mut res = h
            .write_file(&data)
            .await
            .map_err(|e| js_error("put", &tmp, &e));
        if res.is_ok() && self.fsync {
            res = h.sync().await.map_err(|e| js_error("put", &tmp, &e));
        }
        let res = match res {
            Ok(_) => self.rename_into_place(&tmp, &dest).await,
            Err(e) => Err(e),
        };
        if let Err(e) = res {
            close(&h).await;
            let _ = self.fs.unlink(&tmp).await;
            return Err(e);
        }
        // The mtime (recency) is set through the still-open handle only after
        // the rename: a temp's mtime must stay "now" while it sits in tmp/, or
        // another process's clean-up would take it for a stale leftover. Best
        // effort, as in larder-fs: the entry is in place either way.
        let at = time::to_secs(last_access_ms);
        if h.futimes(at, at).await.is_err() {
            let _ = self.fs.utimes(&dest, at, at).await;
        }
        close(&h).await;
        Ok(dest[..dest.len() - 33].to_owned())
    }

    /// Rename `tmp` over `dest`, creating the shard directory on first use and
    /// removing a directory squatting on the entry's name.
    async fn rename_into_place(&self, tmp: &str, dest: &str) -> Result<()> {
        let first = match self.fs.rename(tmp, dest).await {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        let shard = &dest[..dest.len() - 33];
        if js::is_code(&first, "ENOENT") {
            mkdir_private(&self.fs, shard)
                .await
                .map_err(|e| js_error("put", shard, &e))?;
        } else if self.lstat(dest).await.is_ok_and(|st| st.is_directory()) {
            self.remove_damaged(dest, None).await;
        } else {
            return Err(js_error("put", dest, &first));
        }
        self.fs
            .rename(tmp, dest)
            .await
            .map(|_| ())
            .map_err(|e| js_error("put", dest, &e))
    }

    /// fsync a directory, so that a rename into it survives a power cut. Not
    /// possible on Windows, where opening a directory fails; skipped there.
    async fn sync_dir(&self, dir: &str) -> Result<()> {
        let h: FileHandle = match self.fs.open(dir, &JsValue::from_str("r"), 0).await {
            Ok(h) => h.unchecked_into(),
            Err(e) if js::is_code(&e, "EISDIR") || js::is_code(&e, "EPERM") => return Ok(()),
            Err(e) => return Err(js_error("put", dir, &e)),
        };
        let res = h.sync().await;
        close(&h).await;
        match res {
            Err(e) if !js::is_code(&e, "EINVAL") && !js::is_code(&e, "EPERM") => {
                Err(js_error("put", dir, &e))
            }
            _ => Ok(()),
        }
    }

    /// The names in `dir` (empty if it does not exist or is not a directory).
    async fn names(&self, op: &'static str, dir: &str) -> Result<Vec<String>> {
        match self.fs.readdir(dir).await {
            Ok(a) => Ok(js_sys::Array::from(&a)
                .iter()
                .filter_map(|n| n.as_string())
                .collect()),
            Err(e) if js::is_code(&e, "ENOENT") || js::is_code(&e, "ENOTDIR") => Ok(Vec::new()),
            Err(e) => Err(js_error(op, dir, &e)),
        }
    }

    /// The shard directories' names: two lowercase hex digits.
    async fn shards(&self, op: &'static str) -> Result<Vec<String>> {
        let mut names = self.names(op, &self.entries).await?;
        names.retain(|n| layout::is_shard_name(n));
        Ok(names)
    }

    /// Every entry name in shard `shard`, with its key and path.
    async fn entries_in(&self, op: &'static str, shard: &str) -> Result<Vec<(KeyHash, String)>> {
        let dir = format!("{}/{shard}", self.entries);
        Ok(self
            .names(op, &dir)
            .await?
            .into_iter()
            .filter_map(|n| layout::entry_key(shard, &n).map(|k| (k, format!("{dir}/{n}"))))
            .collect())
    }

    async fn read_meta(&self, path: &str, key: KeyHash) -> Found {
        let h = match self.open_read(path).await {
            Ok(h) => h,
            Err(e) if js::is_code(&e, "ENOENT") => return Found::Skip,
            // A symlink (ELOOP under O_NOFOLLOW) or other odd thing.
            Err(_) => {
                return match self.lstat(path).await {
                    Ok(st) if !st.is_file() => Found::Damaged(Some(st)),
                    _ => Found::Skip,
                };
            }
        };
        let found = self.read_meta_open(&h, key).await;
        close(&h).await;
        found
    }

    async fn read_meta_open(&self, h: &FileHandle, key: KeyHash) -> Found {
        // Stats of the open file: a concurrent rename cannot mix two files' facts.
        let Ok(st) = h.fstat().await.map(JsCast::unchecked_into::<Stats>) else {
            return Found::Skip;
        };
        if !st.is_file() {
            return Found::Damaged(Some(st));
        }
        let len = st.size() as u64;
        let header = match read_header(h, len).await {
            Ok(Some(head)) => head,
            Ok(None) => return Found::Damaged(Some(st)),
            Err(_) => return Found::Skip,
        };
        if header.key != key || header.frame_len() != len {
            return Found::Damaged(Some(st));
        }
        Found::Meta(header.to_meta(time::from_mtime_ms(st.mtime_ms())))
    }

    /// List one shard: metadata of every readable entry; damaged entries are
    /// removed and counted.
    async fn scan_shard(&self, shard: &str) -> Result<Vec<EntryMeta>> {
        let mut metas = Vec::new();
        for (key, path) in self.entries_in("list", shard).await? {
            match self.read_meta(&path, key).await {
                Found::Meta(m) => metas.push(m),
                Found::Skip => {}
                Found::Damaged(st) => self.discard(&path, st.as_ref()).await,
            }
        }
        Ok(metas)
    }

    async fn touch_one(&self, key: KeyHash, at_ms: u64) -> Result<()> {
        let path = self.entry_path(key);
        let st: Stats = match self.fs.stat(&path).await {
            Ok(st) => st.unchecked_into(),
            Err(e) if js::is_code(&e, "ENOENT") => return Ok(()),
            Err(e) => return Err(js_error("touch", &path, &e)),
        };
        // Recency only moves forward: another process may have touched it later.
        if !st.is_file() || time::from_mtime_ms(st.mtime_ms()) >= at_ms {
            return Ok(());
        }
        let at = time::to_secs(at_ms);
        match self.fs.utimes(&path, at, at).await {
            Ok(_) => Ok(()),
            Err(e) if js::is_code(&e, "ENOENT") => Ok(()),
            Err(e) => Err(js_error("touch", &path, &e)),
        }
    }
}

fn rm_options() -> js_sys::Object {
    js::options(&[("recursive", JsValue::TRUE), ("force", JsValue::TRUE)])
}

#[async_trait(?Send)]
impl Store for NodeFsStore {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            persistent: true,
            shared: true,
            persistent_recency: true,
            ..Capabilities::default()
        }
    }

    fn take_corrupt(&self) -> u64 {
        self.corrupt.replace(0)
    }

    async fn get(&self, key: KeyHash) -> Result<Option<Vec<u8>>> {
        let path = self.entry_path(key);
        // The quick way: open, read, close in one call into JS. One open (no
        // lstat first): it neither follows a symlink nor blocks on a FIFO.
        match js::read_file(&self.fs_cb, &path, &self.read_flags).await {
            Ok(Some(bytes)) => {
                if let Some(frame) = whole_frame(&bytes, key) {
                    return Ok(Some(frame));
                }
            }
            Ok(None) => {}
            Err(e) if js::is_code(&e, "ENOENT") => return Ok(None),
            Err(e) => return self.not_openable("get", &path, e).await,
        }
        // Anything else (an empty or odd file, a directory, a read error, a
        // torn or foreign frame) is judged as before, on a fresh open.
        self.get_careful(&path).await
    }

    async fn get_header(&self, key: KeyHash) -> Result<Option<FrameHeader>> {
        let path = self.entry_path(key);
        let h = match self.open_read(&path).await {
            Ok(h) => h,
            Err(e) if js::is_code(&e, "ENOENT") => return Ok(None),
            Err(e) => {
                return match self.lstat(&path).await {
                    Ok(st) if !st.is_file() => Ok(None),
                    Err(e2) if js::is_code(&e2, "ENOENT") => Ok(None),
                    _ => Err(js_error("get_header", &path, &e)),
                };
            }
        };
        let res = async {
            let st: Stats = h.fstat().await?.unchecked_into();
            if !st.is_file() {
                return Ok((None, 0));
            }
            let len = st.size() as u64;
            Ok::<_, JsValue>((read_header(&h, len).await?, len))
        }
        .await;
        close(&h).await;
        match res {
            Ok((Some(head), len)) if head.key == key && head.frame_len() == len => Ok(Some(head)),
            Ok((None, 0)) => Ok(None),
            Ok(_) => Err(Error::corrupt("get_header", "not a valid entry").with_context(path)),
            Err(e) => Err(js_error("get_header", &path, &e)),
        }
    }

    async fn put(&self, meta: &EntryMeta, frame: &[u8]) -> Result<()> {
        let shard = self.put_one(meta.key, meta.last_access_ms, frame).await?;
        if self.fsync {
            self.sync_dir(&shard).await?;
        }
        Ok(())
    }

    async fn put_many(&self, items: &[PutItem]) -> Result<()> {
        let mut shards = Vec::new();
        for batch in items.chunks(PARALLEL) {
            let puts = batch
                .iter()
                .map(|it| self.put_one(it.meta.key, it.meta.last_access_ms, &it.frame));
            for r in join_all(puts).await {
                shards.push(r?);
            }
        }
        if self.fsync {
            // One directory fsync per shard rather than one per entry.
            shards.sort();
            shards.dedup();
            for shard in &shards {
                self.sync_dir(shard).await?;
            }
        }
        Ok(())
    }

    async fn delete(&self, key: KeyHash) -> Result<bool> {
        let path = self.entry_path(key);
        match self.fs.unlink(&path).await {
            Ok(_) => Ok(true),
            Err(e) if js::is_code(&e, "ENOENT") => Ok(false),
            Err(e) => match self.lstat(&path).await {
                Ok(st) if st.is_directory() => {
                    self.discard(&path, Some(&st)).await;
                    Ok(false)
                }
                _ => Err(js_error("delete", &path, &e)),
            },
        }
    }

    async fn list(&self) -> Result<Vec<EntryMeta>> {
        let _ = temp::clean_stale(&self.fs, &self.tmp).await;
        let shards = self.shards("list").await?;
        let mut metas = Vec::new();
        for batch in shards.chunks(PARALLEL) {
            for r in join_all(batch.iter().map(|s| self.scan_shard(s))).await {
                metas.extend(r?);
            }
        }
        Ok(metas)
    }

    async fn touch_many(&self, touches: &[(KeyHash, u64)]) -> Result<()> {
        for &(key, at) in touches {
            self.touch_one(key, at).await?;
        }
        Ok(())
    }

    async fn clear(&self) -> Result<()> {
        for shard in self.shards("clear").await? {
            for (_, path) in self.entries_in("clear", &shard).await? {
                // rm -rf: one call for a file or a squatting directory; a name
                // already gone is fine.
                if let Err(e) = self.fs.rm(&path, &rm_options()).await {
                    return Err(js_error("clear", &path, &e));
                }
            }
        }
        Ok(())
    }
}
