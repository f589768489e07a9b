//! [`NodeFsStore`]: the larder-fs layout on `node:fs/promises`. Opening,
//! damage handling and the [`Store`] calls here; reading entries in `read`,
//! writing them in `write`.

#![cfg(target_arch = "wasm32")]

use std::cell::Cell;

use async_trait::async_trait;
use larder_core::frame::FrameHeader;
use larder_core::{
    Capabilities, EntryMeta, Error, ErrorKind, KeyHash, PutItem, Result, Store, layout,
};
use wasm_bindgen::{JsCast, JsValue};

use crate::errors::js_error;
use crate::js::{self, FileHandle, FsCallbacks, FsPromises, Stats};
use crate::temp::{self, TempNamer};
use larder_core::join_all;

mod read;
mod write;

use read::{read_header, whole_frame};

/// Name of the versioned directory under the root (as in larder-fs).
pub use larder_core::layout::LAYOUT_DIR;

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
