//! Reading and writing one OPFS file, with sync access handles (dedicated
//! workers) or the async API (everywhere else).
//!
//! An entry file is the frame followed by an 8-byte **access trailer**: the
//! last access, ms since the epoch, u64 little-endian. OPFS cannot set a
//! file's modification time (larder-fs keeps recency there), so recency
//! lives in the file, where `list` reads it along with the header.

use js_sys::Uint8Array;
use larder_core::frame::{self, FrameHeader, HeaderRead};
use larder_core::{FloatText, KeyHash};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    File, FileSystemCreateWritableOptions, FileSystemFileHandle, FileSystemReadWriteOptions,
    FileSystemSyncAccessHandle, FileSystemWritableFileStream,
};

use crate::Access;
use crate::js;

/// Bytes of the access trailer after the frame.
pub(crate) const TRAILER: u64 = 8;

/// How much of a file `list` reads first; headers are almost always shorter.
const HEADER_PREFIX: usize = 4096;

/// How much of an entry file `get` asks for in its first read on a sync
/// access handle: a file that fits is read whole without a `getSize()` call
/// first (each sync-handle call is a round trip to the browser process).
const FIRST_READ: usize = 64 * 1024;

/// Smallest possible entry file: the smallest frame and the trailer.
pub(crate) const MIN_ENTRY: u64 = frame::MIN_FRAME as u64 + TRAILER;

/// An open file to read: a read-only sync access handle (shared with other
/// readers, exclusive of writers), or a `File` snapshot.
pub(crate) enum Reader {
    Sync(FileSystemSyncAccessHandle),
    Async(File),
}

fn at(offset: u64) -> FileSystemReadWriteOptions {
    let o = FileSystemReadWriteOptions::new();
    o.set_at(offset as f64);
    o
}

/// What the first read of an entry file on a sync access handle found.
enum First {
    /// The whole frame: the file was shorter than the read, and its header
    /// claims exactly that length and the key.
    Whole(Vec<u8>),
    /// The first [`FIRST_READ`] bytes of a larger file.
    Start(Vec<u8>),
    /// Anything else (a short or damaged file): read it the careful way.
    Careful,
}

/// One read of up to [`FIRST_READ`] bytes from the start. What came back is
/// taken as the whole frame only when the frame header claims exactly its
/// length and `key`; the core verifies every frame it is given in any case.
fn first_read(h: &FileSystemSyncAccessHandle, key: KeyHash) -> Result<First, JsValue> {
    let mut buf = vec![0u8; FIRST_READ];
    let n = h.read_with_u8_array_and_options(&mut buf, &at(0))?;
    if n == FIRST_READ as f64 {
        return Ok(First::Start(buf));
    }
    if !(0.0..FIRST_READ as f64).contains(&n) {
        return Ok(First::Careful);
    }
    let Some(len) = (n as usize).checked_sub(TRAILER as usize) else {
        return Ok(First::Careful);
    };
    let frame = &buf[..len];
    Ok(if frame::peek(frame) == Some((key, len as u64)) {
        First::Whole(frame.to_vec())
    } else {
        First::Careful
    })
}

fn short(what: &str) -> JsValue {
    js_sys::Error::new(&format!("short {what}: the file changed size while in use")).into()
}

impl Reader {
    pub(crate) async fn open(access: Access, file: &FileSystemFileHandle) -> Result<Self, JsValue> {
        Ok(match access {
            Access::Sync => Reader::Sync(js::sync_handle(file, true).await?),
            Access::Async => Reader::Async(JsFuture::from(file.get_file()).await?.unchecked_into()),
        })
    }

    pub(crate) fn size(&self) -> Result<u64, JsValue> {
        Ok(match self {
            Reader::Sync(h) => h.get_size()? as u64,
            Reader::Async(f) => f.size() as u64,
        })
    }

    /// Fill `buf` from `offset`; an error if the file ends first.
    pub(crate) async fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), JsValue> {
        match self {
            Reader::Sync(h) => {
                let mut done = 0;
                while done < buf.len() {
                    let n = h.read_with_u8_array_and_options(
                        &mut buf[done..],
                        &at(offset + done as u64),
                    )?;
                    if n < 1.0 || n > (buf.len() - done) as f64 {
                        return Err(short("read"));
                    }
                    done += n as usize;
                }
            }
            Reader::Async(f) => {
                let end = offset + buf.len() as u64;
                let part = if offset == 0 && end == f.size() as u64 {
                    f.clone().into()
                } else {
                    f.slice_with_f64_and_f64(offset as f64, end as f64)?
                };
                let got = Uint8Array::new(&JsFuture::from(part.array_buffer()).await?);
                if got.length() as usize != buf.len() {
                    return Err(short("read"));
                }
                got.copy_to(buf);
            }
        }
        Ok(())
    }

    pub(crate) fn close(self) {
        if let Reader::Sync(h) = self {
            h.close();
        }
    }

    /// The frame of the entry file of `key`: everything but the trailer.
    /// `Ok(None)`: too short to be an entry.
    ///
    /// On a sync access handle the first read asks for [`FIRST_READ`] bytes:
    /// a file that fits is read whole without a `getSize()` call, and a
    /// larger one keeps those bytes and reads only the rest.
    pub(crate) async fn frame(&self, key: KeyHash) -> Result<Option<Vec<u8>>, JsValue> {
        let start = match self {
            Reader::Sync(h) => match first_read(h, key)? {
                First::Whole(frame) => return Ok(Some(frame)),
                First::Start(start) => Some(start),
                First::Careful => None,
            },
            Reader::Async(_) => None,
        };
        let size = self.size()?;
        if size < MIN_ENTRY {
            return Ok(None);
        }
        let len = usize::try_from(size - TRAILER).map_err(|_| short("read"))?;
        let mut bytes = Vec::new();
        bytes
            .try_reserve_exact(len)
            .map_err(|e| JsValue::from(js_sys::Error::new(&e.to_string())))?;
        let done = match start {
            // The file cannot change under a read-only sync handle, so the
            // first read's bytes are still the file's.
            Some(start) if len >= start.len() => {
                bytes.extend_from_slice(&start);
                start.len()
            }
            _ => 0,
        };
        bytes.resize(len, 0);
        self.read_at(done as u64, &mut bytes[done..]).await?;
        Ok(Some(bytes))
    }

    /// The verified header and the access trailer, reading only the header's
    /// bytes and the trailer (one read for a small file). `Ok(None)`: not a
    /// valid entry file (a bad or truncated header, or a length that
    /// disagrees with the header).
    pub(crate) async fn head(&self) -> Result<Option<(FrameHeader, u64)>, JsValue> {
        let size = self.size()?;
        if size < MIN_ENTRY {
            return Ok(None);
        }
        let frame_len = size - TRAILER;
        let mut buf = vec![0; (HEADER_PREFIX as u64).min(size) as usize];
        self.read_at(0, &mut buf).await?;
        let header = loop {
            let have = (buf.len() as u64).min(frame_len) as usize;
            match frame::decode_header(&buf[..have]) {
                Ok(HeaderRead::Complete(h)) => break h,
                Ok(HeaderRead::NeedBytes(n)) if n > have && n as u64 <= frame_len => {
                    let at = buf.len();
                    buf.resize(n, 0);
                    self.read_at(at as u64, &mut buf[at..]).await?;
                }
                _ => return Ok(None),
            }
        };
        if header.frame_len() != frame_len {
            return Ok(None);
        }
        let mut trailer = [0; TRAILER as usize];
        match buf.get(frame_len as usize..size as usize) {
            Some(t) => trailer.copy_from_slice(t),
            None => self.read_at(frame_len, &mut trailer).await?,
        }
        Ok(Some((header, u64::from_le_bytes(trailer))))
    }
}

/// Frames up to this size are written together with their trailer, in one call.
const ONE_WRITE_MAX: usize = 256 * 1024;

/// Write `frame` and its access trailer to the new, empty file `file`.
pub(crate) async fn write_new(
    access: Access,
    file: &FileSystemFileHandle,
    frame: &[u8],
    last_access_ms: u64,
) -> Result<(), JsValue> {
    let trailer = last_access_ms.to_le_bytes();
    match access {
        Access::Sync => {
            let h = js::sync_handle(file, false).await?;
            let res = reserve(&h, frame.len() as u64 + TRAILER).and_then(|()| {
                // Straight from wasm memory: the call is synchronous. Each
                // call on a sync handle is a trip into the browser, so a small
                // frame and its trailer go in one write; a large one is not
                // copied for that.
                if frame.len() <= ONE_WRITE_MAX {
                    let mut whole = Vec::with_capacity(frame.len() + trailer.len());
                    whole.extend_from_slice(frame);
                    whole.extend_from_slice(&trailer);
                    write_all(&h, &whole, 0)
                } else {
                    write_all(&h, frame, 0)?;
                    write_all(&h, &trailer, frame.len() as u64)
                }
            });
            h.close();
            res
        }
        Access::Async => {
            let w: FileSystemWritableFileStream = JsFuture::from(file.create_writable())
                .await?
                .unchecked_into();
            // A copy in JS memory: a view of wasm memory would detach if the
            // memory grew while the stream still holds the chunk.
            let data = Uint8Array::new_with_length((frame.len() + trailer.len()) as u32);
            data.subarray(0, frame.len() as u32).copy_from(frame);
            data.subarray(frame.len() as u32, data.length())
                .copy_from(&trailer);
            let written = match w.write_with_js_u8_array(&data) {
                Ok(p) => JsFuture::from(p).await.map(|_| ()),
                Err(e) => Err(e),
            };
            if let Err(e) = written {
                let _ = JsFuture::from(w.abort()).await;
                return Err(aborted_as_full(e));
            }
            // `close` commits the whole file at once (writes go to a swap file).
            JsFuture::from(w.close())
                .await
                .map(|_| ())
                .map_err(aborted_as_full)
        }
    }
}

/// Grow the empty file behind `h` to `len` bytes before writing, so that a
/// full quota stops the write before it starts. Chromium (156) neither
/// throws nor writes when `truncate` would pass the quota (the size stays),
/// and a `write` past the quota writes part of the data, returns a negative
/// error code as an unsigned number, and can leave the worker hung a moment
/// later; so the size is checked here and nothing past the quota is written.
fn reserve(h: &FileSystemSyncAccessHandle, len: u64) -> Result<(), JsValue> {
    h.truncate_with_f64(len as f64)?;
    if h.get_size()? as u64 == len {
        Ok(())
    } else {
        Err(no_space(&format!(
            "the browser could not grow the file to {len} bytes"
        )))
    }
}

/// A writable stream's `AbortError` as a full quota. Past a quota, Chromium
/// (156) sometimes fails a stream write with "AbortError: Failed to write
/// data to data pipe" instead of a `QuotaExceededError` (its storage side
/// closed the pipe first); as a full quota, the cache evicts and retries,
/// where any other kind would fail the write at once.
fn aborted_as_full(e: JsValue) -> JsValue {
    if js::error_name(&e).as_deref() == Some("AbortError") {
        no_space(&format!(
            "the browser aborted the write ({})",
            js::message(&e)
        ))
    } else {
        e
    }
}

/// A `QuotaExceededError`, as the spec says the browser should have thrown.
fn no_space(why: &str) -> JsValue {
    let msg = format!("{why}: the storage quota is exhausted");
    match web_sys::DomException::new_with_message_and_name(&msg, "QuotaExceededError") {
        Ok(e) => e.into(),
        Err(e) => e,
    }
}

/// `base::File::FILE_ERROR_NO_SPACE` (-8) as the u32 Chromium returns.
const CHROMIUM_NO_SPACE: f64 = 4_294_967_288.0;

fn write_all(h: &FileSystemSyncAccessHandle, bytes: &[u8], offset: u64) -> Result<(), JsValue> {
    let mut done = 0;
    while done < bytes.len() {
        let want = bytes.len() - done;
        let n = h.write_with_u8_array_and_options(&bytes[done..], &at(offset + done as u64))?;
        if n == CHROMIUM_NO_SPACE {
            return Err(no_space("the browser wrote only part of the file"));
        }
        if n < 1.0 || n > want as f64 {
            let msg = format!(
                "the browser reported {} bytes written of {want}",
                FloatText(n)
            );
            return Err(js_sys::Error::new(&msg).into());
        }
        done += n as usize;
    }
    Ok(())
}

/// Move the access trailer of the entry file `file` forward to `at_ms`;
/// never backward (another tab may have recorded a later access), and
/// nothing for a file too short to be an entry.
pub(crate) async fn touch(
    access: Access,
    file: &FileSystemFileHandle,
    at_ms: u64,
) -> Result<(), JsValue> {
    match access {
        Access::Sync => {
            // Exclusive: nobody replaces or reads the file while we look and write.
            let h = js::sync_handle(file, false).await?;
            let res = (|| {
                let size = h.get_size()? as u64;
                if size < MIN_ENTRY {
                    return Ok(());
                }
                let mut cur = [0; TRAILER as usize];
                let n = h.read_with_u8_array_and_options(&mut cur, &at(size - TRAILER))?;
                if n as u64 == TRAILER && u64::from_le_bytes(cur) >= at_ms {
                    return Ok(());
                }
                write_all(&h, &at_ms.to_le_bytes(), size - TRAILER)
            })();
            h.close();
            res
        }
        Access::Async => {
            // Look first without a lock: most touches change nothing to skip.
            if trailer_of(file).await?.is_none_or(|(_, cur)| cur >= at_ms) {
                return Ok(());
            }
            let opts = FileSystemCreateWritableOptions::new();
            opts.set_keep_existing_data(true);
            let w: FileSystemWritableFileStream =
                JsFuture::from(file.create_writable_with_options(&opts))
                    .await?
                    .unchecked_into();
            // The open stream locks the file against moves; look again now,
            // so the trailer lands on the file the stream copied.
            let res = async {
                let Some((size, cur)) = trailer_of(file).await? else {
                    return Ok(false);
                };
                if cur >= at_ms {
                    return Ok(false);
                }
                JsFuture::from(w.seek_with_f64((size - TRAILER) as f64)?).await?;
                let bytes = Uint8Array::from(&at_ms.to_le_bytes()[..]);
                JsFuture::from(w.write_with_js_u8_array(&bytes)?).await?;
                Ok::<_, JsValue>(true)
            }
            .await;
            match res {
                Ok(true) => JsFuture::from(w.close()).await.map(|_| ()),
                other => {
                    let _ = JsFuture::from(w.abort()).await;
                    other.map(|_| ())
                }
            }
        }
    }
}

/// The size and access trailer of `file`, read through a `File` snapshot;
/// `None` for a file too short to be an entry.
async fn trailer_of(file: &FileSystemFileHandle) -> Result<Option<(u64, u64)>, JsValue> {
    let r = Reader::open(Access::Async, file).await?;
    let size = r.size()?;
    if size < MIN_ENTRY {
        return Ok(None);
    }
    let mut cur = [0; TRAILER as usize];
    r.read_at(size - TRAILER, &mut cur).await?;
    Ok(Some((size, u64::from_le_bytes(cur))))
}

#[cfg(test)]
mod tests {
    use larder_core::ErrorKind;
    use wasm_bindgen::JsValue;
    use wasm_bindgen_test::*;
    use web_sys::DomException;

    use super::aborted_as_full;
    use crate::{error, js};

    wasm_bindgen_test_configure!(run_in_browser);

    fn dom(name: &str, message: &str) -> JsValue {
        DomException::new_with_message_and_name(message, name)
            .expect("a DOMException")
            .into()
    }

    // Chromium's answer to a stream write past the quota, some of the time:
    // a full quota (the cache evicts and retries), not a failed write.
    #[wasm_bindgen_test]
    fn a_stream_write_aborted_by_the_browser_is_a_full_quota() {
        let e = aborted_as_full(dom("AbortError", "Failed to write data to data pipe"));
        assert_eq!(js::error_name(&e).as_deref(), Some("QuotaExceededError"));
        assert_eq!(
            js::message(&e),
            "QuotaExceededError: the browser aborted the write (AbortError: Failed to write \
             data to data pipe): the storage quota is exhausted"
        );
        let err = error::opfs("put", "larder-x/ab/cd", &e, 0);
        assert_eq!(err.kind(), ErrorKind::StorageFull, "{err}");
    }

    #[wasm_bindgen_test]
    fn other_write_failures_keep_their_own_error() {
        for name in [
            "NotFoundError",
            "InvalidStateError",
            "NoModificationAllowedError",
        ] {
            let e = aborted_as_full(dom(name, "it failed"));
            assert_eq!(js::error_name(&e).as_deref(), Some(name));
            assert_eq!(js::message(&e), format!("{name}: it failed"));
            assert_ne!(
                error::opfs("put", "p", &e, 0).kind(),
                ErrorKind::StorageFull
            );
        }
        let thrown = aborted_as_full(JsValue::from_str("not an exception"));
        assert_eq!(thrown.as_string().as_deref(), Some("not an exception"));
    }
}
