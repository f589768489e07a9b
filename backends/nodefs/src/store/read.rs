//! Reading entries: a whole frame for `get`, a header for `list`, and the
//! shard and entry names `list` and `clear` walk.

use js_sys::Uint8Array;
use larder_core::frame::{self, FrameHeader, HeaderRead};
use larder_core::{EntryMeta, KeyHash, Result, layout};
use wasm_bindgen::{JsCast, JsValue};

use super::{NodeFsStore, close};
use crate::errors::js_error;
use crate::js::{self, FileHandle, Stats};
use crate::time;

/// How much of a file `list` reads first; headers are almost always shorter.
const HEADER_PREFIX: usize = 4096;

/// Up to this many bytes (the first read's scratch size in js.rs) a `get`
/// copies out of JS without a fallible reservation.
const SMALL_READ: usize = 64 * 1024;

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
pub(super) async fn read_header(
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
pub(super) fn whole_frame(bytes: &Uint8Array, key: KeyHash) -> Option<Vec<u8>> {
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
    /// `get` through a `FileHandle`: the stats of the open file tell a damaged
    /// entry (removed, counted, a miss) from a read that failed (an error).
    pub(super) async fn get_careful(&self, path: &str) -> Result<Option<Vec<u8>>> {
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

    pub(super) async fn open_read(&self, path: &str) -> std::result::Result<FileHandle, JsValue> {
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
    pub(super) async fn shards(&self, op: &'static str) -> Result<Vec<String>> {
        let mut names = self.names(op, &self.entries).await?;
        names.retain(|n| layout::is_shard_name(n));
        Ok(names)
    }

    /// Every entry name in shard `shard`, with its key and path.
    pub(super) async fn entries_in(
        &self,
        op: &'static str,
        shard: &str,
    ) -> Result<Vec<(KeyHash, String)>> {
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
    pub(super) async fn scan_shard(&self, shard: &str) -> Result<Vec<EntryMeta>> {
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
}
