//! Writing entries: a temp file renamed into place, and recency as the
//! file's mtime.

use js_sys::Uint8Array;
use larder_core::{KeyHash, Result};
use wasm_bindgen::{JsCast, JsValue};

use super::{NodeFsStore, close, mkdir_private};
use crate::errors::js_error;
use crate::js::{self, FileHandle, Stats};
use crate::time;

impl NodeFsStore {
    /// Write `frame` as `key`'s entry; returns the shard directory it went to.
    pub(super) async fn put_one(
        &self,
        key: KeyHash,
        last_access_ms: u64,
        frame: &[u8],
    ) -> Result<String> {
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
    pub(super) async fn sync_dir(&self, dir: &str) -> Result<()> {
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

    pub(super) async fn touch_one(&self, key: KeyHash, at_ms: u64) -> Result<()> {
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
