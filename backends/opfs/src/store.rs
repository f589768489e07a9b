//! [`OpfsStore`]: the [`Store`] implementation.

use std::cell::{Cell, RefCell};

use async_trait::async_trait;
use larder_core::frame::FrameHeader;
use larder_core::{
    Capabilities, EntryMeta, Error, KeyHash, KeyMap, PutItem, Result, Store, join_all, layout,
    store,
};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    FileSystemDirectoryHandle, FileSystemFileHandle, FileSystemHandle, FileSystemHandleKind,
};

use crate::file::{self, Reader};
use crate::open::{Dirs, OpfsStoreBuilder};
use crate::temp::{self, TempNamer};
use crate::{Access, error, js, retry};

/// Files worked on at once by batch calls and `list`: enough to keep the
/// browser's file I/O busy while each call waits on its promises.
const PARALLEL: usize = 16;

/// Entry file handles kept (a few hundred bytes each); past this the set
/// starts over.
const MAX_HANDLES: usize = 4096;

const NOT_FOUND: &str = "NotFoundError";
const TYPE_MISMATCH: &str = "TypeMismatchError";

/// Shard directory handles, by shard number (a shard's name is its two hex
/// digits): a slot per shard instead of a hash map of names, whose table
/// code would be a .wasm copy of its own.
#[derive(Default)]
struct ShardHandles(Vec<Option<FileSystemDirectoryHandle>>);

impl ShardHandles {
    fn slot(name: &str) -> Option<usize> {
        layout::is_shard_name(name)
            .then(|| u8::from_str_radix(name, 16).ok())
            .flatten()
            .map(usize::from)
    }

    fn get(&self, name: &str) -> Option<&FileSystemDirectoryHandle> {
        self.0.get(Self::slot(name)?)?.as_ref()
    }

    fn insert(&mut self, name: &str, dir: FileSystemDirectoryHandle) {
        if let Some(i) = Self::slot(name) {
            if self.0.len() <= i {
                self.0.resize(i + 1, None);
            }
            self.0[i] = Some(dir);
        }
    }

    fn remove(&mut self, name: &str) {
        if let Some(slot) = Self::slot(name).and_then(|i| self.0.get_mut(i)) {
            *slot = None;
        }
    }
}

/// A larder store in the Origin Private File System. See the crate docs.
pub struct OpfsStore {
    name: String,
    access: Access,
    dirs: Dirs,
    /// Shard directory handles by name, fetched once.
    shards: RefCell<ShardHandles>,
    /// Entry file handles by key. A handle names a path, not a file, so it
    /// stays right whatever happens to the file; it saves a `getFileHandle`
    /// round trip per read.
    files: RefCell<KeyMap<FileSystemFileHandle>>,
    temps: TempNamer,
    lock_ms: u32,
    corrupt: Cell<u64>,
}

impl std::fmt::Debug for OpfsStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpfsStore")
            .field("name", &self.name)
            .field("access", &self.access)
            .field("lock_timeout_ms", &self.lock_ms)
            .finish_non_exhaustive()
    }
}

/// What reading one entry file found.
enum Got<T> {
    Found(T),
    Absent,
    /// Something that is not an entry sits under the entry's name.
    Damaged,
}

impl OpfsStore {
    /// Open (or create) the cache `name`, in directory `larder-<name>` of the
    /// origin's OPFS, with sync access handles in a dedicated worker and the
    /// async API elsewhere. See [`OpfsStoreBuilder::open`] for the errors.
    pub async fn open(name: &str) -> Result<OpfsStore> {
        OpfsStore::builder(name).open().await
    }

    /// Options for opening the cache `name`.
    pub fn builder(name: &str) -> OpfsStoreBuilder {
        OpfsStoreBuilder::new(name)
    }

    pub(crate) fn new(name: String, access: Access, dirs: Dirs, lock_ms: u32) -> Self {
        OpfsStore {
            name,
            access,
            dirs,
            shards: RefCell::default(),
            files: RefCell::default(),
            temps: TempNamer::new(),
            lock_ms,
            corrupt: Cell::new(0),
        }
    }

    /// The cache name this store was opened with.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How this store reaches its files.
    pub fn access(&self) -> Access {
        self.access
    }

    /// Where `key`'s entry file is, from the OPFS root:
    /// `larder-<name>/larder-v1/entries/<2 hex>/<32 hex>`.
    pub fn entry_path(&self, key: KeyHash) -> String {
        let (shard, name) = layout::entry_names(key);
        self.dirs
            .path_of(&format!("{}/{shard}/{name}", layout::ENTRIES_DIR))
    }

    fn fail(&self, op: &'static str, path: &str, e: &JsValue) -> Error {
        error::opfs(op, path, e, self.lock_ms)
    }

    /// The handle of shard directory `shard`, or `None` if it does not exist.
    async fn shard(
        &self,
        shard: &str,
    ) -> std::result::Result<Option<FileSystemDirectoryHandle>, JsValue> {
        if let Some(h) = self.shards.borrow().get(shard) {
            return Ok(Some(h.clone()));
        }
        match js::dir(&self.dirs.entries, shard, false).await {
            Ok(h) => {
                self.shards.borrow_mut().insert(shard, h.clone());
                Ok(Some(h))
            }
            Err(e) if js::is(&e, NOT_FOUND) || js::is(&e, TYPE_MISMATCH) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The handle of shard directory `shard`, created if needed.
    async fn shard_created(
        &self,
        shard: &str,
    ) -> std::result::Result<FileSystemDirectoryHandle, JsValue> {
        if let Some(h) = self.shards.borrow().get(shard) {
            return Ok(h.clone());
        }
        let h = js::dir(&self.dirs.entries, shard, true).await?;
        self.shards.borrow_mut().insert(shard, h.clone());
        Ok(h)
    }

    /// Remove whatever sits under `name` in `dir` (not an entry), and count it.
    async fn discard(&self, dir: &FileSystemDirectoryHandle, name: &str) {
        let _ = retry::busy(self.lock_ms, || js::remove(dir, name, true)).await;
        self.corrupt.set(self.corrupt.get() + 1);
    }

    /// [`OpfsStore::discard`] what sits under `key`'s entry name.
    async fn discard_entry(&self, key: KeyHash) {
        let (shard, name) = layout::entry_names(key);
        if let Ok(Some(dir)) = self.shard(&shard).await {
            self.discard(&dir, &name).await;
        }
    }

    fn remember(&self, key: KeyHash, file: FileSystemFileHandle) {
        let mut files = self.files.borrow_mut();
        if files.len() >= MAX_HANDLES {
            files.clear();
        }
        files.insert(key, file);
    }

    /// The handle of `key`'s entry file, or `None` if there is none.
    async fn entry_file(
        &self,
        key: KeyHash,
    ) -> std::result::Result<Option<FileSystemFileHandle>, JsValue> {
        if let Some(h) = self.files.borrow().get(&key) {
            return Ok(Some(h.clone()));
        }
        let (shard, name) = layout::entry_names(key);
        let Some(dir) = self.shard(&shard).await? else {
            return Ok(None);
        };
        match js::file(&dir, &name, false).await {
            Ok(h) => {
                self.remember(key, h.clone());
                Ok(Some(h))
            }
            Err(e) if js::is(&e, NOT_FOUND) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Open `key`'s entry file and run `read` on it (`Ok(None)`: not an
    /// entry), retrying while it is locked; damage is removed and counted.
    /// `op` names the call in errors.
    async fn read_entry<T, F, Fut>(&self, op: &'static str, key: KeyHash, read: F) -> Result<Got<T>>
    where
        F: Fn(Reader) -> Fut,
        Fut: std::future::Future<Output = std::result::Result<Option<T>, JsValue>>,
    {
        let got = retry::busy(self.lock_ms, || async {
            let Some(fh) = self.entry_file(key).await? else {
                return Ok(Got::Absent);
            };
            Ok(match read(Reader::open(self.access, &fh).await?).await? {
                Some(v) => Got::Found(v),
                None => Got::Damaged,
            })
        })
        .await;
        match got {
            Ok(Got::Damaged) => {
                self.discard_entry(key).await;
                Ok(Got::Damaged)
            }
            Ok(got) => Ok(got),
            Err(e) if js::is(&e, NOT_FOUND) => Ok(Got::Absent),
            Err(e) if js::is(&e, TYPE_MISMATCH) => {
                // A directory where the entry file should be.
                self.discard_entry(key).await;
                Ok(Got::Damaged)
            }
            Err(e) => Err(self.fail(op, &self.entry_path(key), &e)),
        }
    }

    /// Write `frame` as `key`'s entry: a new temp file, moved over the entry.
    async fn put_one(&self, key: KeyHash, last_access_ms: u64, frame: &[u8]) -> Result<()> {
        let tmp_name = self.temps.next_name();
        let tmp_path = self
            .dirs
            .path_of(&format!("{}/{tmp_name}", layout::TMP_DIR));
        let tmp = match js::file(&self.dirs.tmp, &tmp_name, true).await {
            Err(e) if js::is(&e, NOT_FOUND) => {
                // The directories were removed under us (site data cleared).
                self.dirs.recreate().await?;
                js::file(&self.dirs.tmp, &tmp_name, true).await
            }
            other => other,
        }
        .map_err(|e| self.fail("put", &tmp_path, &e))?;
        let res = match file::write_new(self.access, &tmp, frame, last_access_ms).await {
            Ok(()) => self.move_into_place(&tmp, key).await,
            Err(e) => Err(self.fail("put", &tmp_path, &e)),
        };
        if res.is_err() {
            let _ = js::remove(&self.dirs.tmp, &tmp_name, false).await;
        }
        res
    }

    /// Move the finished temp `tmp` over `key`'s entry file.
    async fn move_into_place(&self, tmp: &FileSystemFileHandle, key: KeyHash) -> Result<()> {
        let (shard, name) = layout::entry_names(key);
        let path = self.entry_path(key);
        let fail = |e: JsValue| self.fail("put", &path, &e);
        let mut repaired = false;
        loop {
            let dir = self.shard_created(&shard).await.map_err(fail)?;
            let moved = retry::busy(self.lock_ms, || js::move_into_dir(tmp, &dir, &name)).await;
            let Err(e) = moved else {
                // The moved handle now names the entry file.
                self.remember(key, tmp.clone());
                return Ok(());
            };
            if repaired || retry::is_busy(&e) {
                return Err(fail(e));
            }
            repaired = true;
            if js::is(&e, NOT_FOUND) {
                // The shard (or more) was removed by a clear elsewhere.
                self.shards.borrow_mut().remove(&shard);
                self.dirs.recreate().await?;
            } else if js::dir(&dir, &name, false).await.is_ok() {
                // A directory squats the entry's name.
                self.discard(&dir, &name).await;
            } else {
                return Err(fail(e));
            }
        }
    }

    /// Metadata of the entry file `handle` of `key`, or `Got::Damaged`;
    /// `Got::Absent` if it went away or stayed locked.
    async fn read_meta(&self, key: KeyHash, handle: &FileSystemHandle) -> Got<EntryMeta> {
        if handle.kind() != FileSystemHandleKind::File {
            return Got::Damaged;
        }
        let fh: &FileSystemFileHandle = handle.unchecked_ref();
        let head = retry::busy(self.lock_ms, || async {
            let r = Reader::open(self.access, fh).await?;
            let head = r.head().await;
            r.close();
            head
        })
        .await;
        match head {
            Ok(Some((h, last_access))) if h.key == key => Got::Found(h.to_meta(last_access)),
            Ok(_) => Got::Damaged,
            Err(_) => Got::Absent,
        }
    }

    /// List one shard: metadata of every entry; damage is removed and counted.
    async fn scan_shard(
        &self,
        shard: &str,
        dir: &FileSystemDirectoryHandle,
    ) -> Result<Vec<EntryMeta>> {
        let children = match js::children(dir).await {
            Ok(c) => c,
            // Removed since the shards were listed (a clear elsewhere).
            Err(e) if js::is(&e, NOT_FOUND) => return Ok(Vec::new()),
            Err(e) => {
                let path = self
                    .dirs
                    .path_of(&format!("{}/{shard}", layout::ENTRIES_DIR));
                return Err(self.fail("list", &path, &e));
            }
        };
        let items: Vec<(KeyHash, FileSystemHandle)> = children
            .into_iter()
            .filter_map(|h| layout::entry_key(shard, &h.name()).map(|k| (k, h)))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for batch in items.chunks(PARALLEL) {
            let found = join_all(batch.iter().map(|(k, h)| self.read_meta(*k, h))).await;
            for (got, (_, h)) in found.into_iter().zip(batch) {
                match got {
                    Got::Found(m) => out.push(m),
                    Got::Absent => {}
                    Got::Damaged => self.discard(dir, &h.name()).await,
                }
            }
        }
        Ok(out)
    }

    /// The shard directories that exist now (and remember their handles).
    async fn shard_dirs(
        &self,
        op: &'static str,
    ) -> Result<Vec<(String, FileSystemDirectoryHandle)>> {
        let children = match js::children(&self.dirs.entries).await {
            Ok(c) => c,
            // The whole cache was removed (site data cleared): it is empty,
            // and the next put needs the directories back.
            Err(e) if js::is(&e, NOT_FOUND) => {
                self.dirs.recreate().await?;
                return Ok(Vec::new());
            }
            Err(e) => return Err(self.fail(op, &self.dirs.path_of(layout::ENTRIES_DIR), &e)),
        };
        let mut out = Vec::new();
        for h in children {
            let name = h.name();
            if h.kind() == FileSystemHandleKind::Directory && layout::is_shard_name(&name) {
                let dir: FileSystemDirectoryHandle = h.unchecked_into();
                self.shards.borrow_mut().insert(&name, dir.clone());
                out.push((name, dir));
            }
        }
        Ok(out)
    }

    async fn touch_one(&self, key: KeyHash, at_ms: u64) -> Result<()> {
        let res = async {
            let Some(fh) = self.entry_file(key).await? else {
                return Ok(());
            };
            retry::busy(self.lock_ms, || file::touch(self.access, &fh, at_ms)).await
        }
        .await;
        match res {
            // Gone, a directory, or busy for too long: recency is advisory,
            // and a touch must not stall the cache.
            Err(e) if js::is(&e, NOT_FOUND) || js::is(&e, TYPE_MISMATCH) || retry::is_busy(&e) => {
                Ok(())
            }
            Err(e) => Err(self.fail("touch", &self.entry_path(key), &e)),
            Ok(()) => Ok(()),
        }
    }
}

/// The frame length must match the metadata, as in every store.
fn check_item(meta: &EntryMeta, frame: &[u8]) -> Result<()> {
    if meta.size == frame.len() as u64 {
        return Ok(());
    }
    let msg = format!(
        "metadata says the frame is {} bytes but it is {}",
        meta.size,
        frame.len()
    );
    Err(Error::invalid("put", msg).with_context(format!("key {}", meta.key)))
}

#[async_trait(?Send)]
impl Store for OpfsStore {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            persistent: true,
            // Every tab and worker of the origin sees the same files.
            shared: true,
            native_ttl: false,
            native_batch: false,
            persistent_recency: true,
            // QuotaExceededError: make room and retry (the core evicts more while it stays full).
            evict_when_full: true,
        }
    }

    fn take_corrupt(&self) -> u64 {
        self.corrupt.replace(0)
    }

    async fn get(&self, key: KeyHash) -> Result<Option<Vec<u8>>> {
        let got = self
            .read_entry("get", key, |r| async move {
                let frame = r.frame(key).await;
                r.close();
                frame
            })
            .await?;
        Ok(match got {
            Got::Found(b) => Some(b),
            Got::Absent | Got::Damaged => None,
        })
    }

    async fn get_header(&self, key: KeyHash) -> Result<Option<FrameHeader>> {
        let got = self
            .read_entry("get_header", key, |r| async move {
                let head = r.head().await;
                r.close();
                Ok(head?.filter(|(h, _)| h.key == key))
            })
            .await?;
        match got {
            Got::Found((h, _)) => Ok(Some(h)),
            Got::Absent => Ok(None),
            Got::Damaged => Err(Error::corrupt("get_header", "not a valid entry")
                .with_context(self.entry_path(key))),
        }
    }

    async fn get_many(&self, keys: &[KeyHash]) -> Result<Vec<Option<Vec<u8>>>> {
        let mut out = Vec::with_capacity(keys.len());
        for batch in keys.chunks(PARALLEL) {
            for r in join_all(batch.iter().map(|k| self.get(*k))).await {
                out.push(r?);
            }
        }
        Ok(out)
    }

    async fn put(&self, meta: &EntryMeta, frame: &[u8]) -> Result<()> {
        check_item(meta, frame)?;
        self.put_one(meta.key, meta.last_access_ms, frame).await
    }

    async fn put_many(&self, items: &[PutItem]) -> Result<()> {
        for it in items {
            check_item(&it.meta, &it.frame)?;
        }
        for batch in items.chunks(PARALLEL) {
            let puts = batch
                .iter()
                .map(|it| self.put_one(it.meta.key, it.meta.last_access_ms, &it.frame));
            for r in join_all(puts).await {
                r?;
            }
        }
        Ok(())
    }

    async fn delete(&self, key: KeyHash) -> Result<bool> {
        self.files.borrow_mut().remove(&key);
        let (shard, name) = layout::entry_names(key);
        let path = self.entry_path(key);
        let dir = match self.shard(&shard).await {
            Ok(Some(d)) => d,
            Ok(None) => return Ok(false),
            Err(e) => return Err(self.fail("delete", &path, &e)),
        };
        match retry::busy(self.lock_ms, || js::remove(&dir, &name, false)).await {
            Ok(()) => Ok(true),
            Err(e) if js::is(&e, NOT_FOUND) => Ok(false),
            // A non-empty directory under the entry's name.
            Err(e) if js::is(&e, "InvalidModificationError") => {
                self.discard(&dir, &name).await;
                Ok(false)
            }
            Err(e) => Err(self.fail("delete", &path, &e)),
        }
    }

    async fn delete_many(&self, keys: &[KeyHash]) -> Result<usize> {
        let mut n = 0;
        for batch in keys.chunks(PARALLEL) {
            for r in join_all(batch.iter().map(|k| self.delete(*k))).await {
                n += usize::from(r?);
            }
        }
        Ok(n)
    }

    async fn list(&self) -> Result<Vec<EntryMeta>> {
        let _ = temp::clean_stale(&self.dirs.tmp).await;
        let mut out = Vec::new();
        for (name, dir) in self.shard_dirs("list").await? {
            out.extend(self.scan_shard(&name, &dir).await?);
        }
        Ok(out)
    }

    async fn touch_many(&self, touches: &[(KeyHash, u64)]) -> Result<()> {
        let latest = store::latest_touches(touches);
        let latest: Vec<(KeyHash, u64)> = latest.into_iter().collect();
        for batch in latest.chunks(PARALLEL) {
            for r in join_all(batch.iter().map(|&(k, at)| self.touch_one(k, at))).await {
                r?;
            }
        }
        Ok(())
    }

    async fn clear(&self) -> Result<()> {
        // One recursive removal per shard rather than one call per entry;
        // the next put creates the shard again.
        self.files.borrow_mut().clear();
        for (name, _) in self.shard_dirs("clear").await? {
            self.shards.borrow_mut().remove(&name);
            let res =
                retry::busy(self.lock_ms, || js::remove(&self.dirs.entries, &name, true)).await;
            match res {
                Err(e) if !js::is(&e, NOT_FOUND) => {
                    let path = self
                        .dirs
                        .path_of(&format!("{}/{name}", layout::ENTRIES_DIR));
                    return Err(self.fail("clear", &path, &e));
                }
                _ => {}
            }
        }
        Ok(())
    }
}
