//! Opening a store: where OPFS is, which access to use, and the directories.

use larder_core::{Error, ErrorKind, Quoted, Result, layout};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{FileSystemDirectoryHandle, StorageManager};

use crate::store::OpfsStore;
use crate::{Access, error, js, temp};

/// How long (ms) the store keeps retrying a file that another handle has
/// locked before it fails. Other larder stores hold a lock for one read or
/// write, a few ms; a lock held longer is someone else's long-lived handle.
pub const LOCK_TIMEOUT_MS: u32 = 2_000;

/// The directory under the OPFS root that holds the cache called `name`
/// (the IndexedDB store names its database the same way).
pub fn directory_name(name: &str) -> String {
    format!("larder-{name}")
}

/// Longest cache name: OPFS names are file names, and file systems stop at 255 bytes.
const MAX_NAME: usize = 200;

/// Options for opening an [`OpfsStore`]; from [`OpfsStore::builder`].
#[derive(Clone, Debug)]
pub struct OpfsStoreBuilder {
    name: String,
    access: Option<Access>,
    lock_timeout_ms: u32,
    root: Option<FileSystemDirectoryHandle>,
}

/// The directory handles a store works in. Handles name paths: if a
/// directory is removed and created again, its old handle works again.
#[derive(Debug)]
pub(crate) struct Dirs {
    /// `larder-<name>` (in the OPFS root) and `larder-v1` under it.
    pub(crate) path: [String; 2],
    pub(crate) root: FileSystemDirectoryHandle,
    pub(crate) entries: FileSystemDirectoryHandle,
    pub(crate) tmp: FileSystemDirectoryHandle,
}

impl Dirs {
    /// Create (if needed) and open `larder-<name>/larder-v1/{entries,tmp}`.
    pub(crate) async fn make(root: FileSystemDirectoryHandle, cache_dir: &str) -> Result<Dirs> {
        let path = [cache_dir.to_owned(), layout::LAYOUT_DIR.to_owned()];
        let (entries, tmp) = Self::create(&root, &path).await?;
        Ok(Dirs {
            path,
            root,
            entries,
            tmp,
        })
    }

    /// Create the directories again after something removed them (site data
    /// cleared by another tab); the old handles then work again.
    pub(crate) async fn recreate(&self) -> Result<()> {
        Self::create(&self.root, &self.path).await.map(|_| ())
    }

    async fn create(
        root: &FileSystemDirectoryHandle,
        path: &[String; 2],
    ) -> Result<(FileSystemDirectoryHandle, FileSystemDirectoryHandle)> {
        let mut dir = root.clone();
        let mut at = String::new();
        for name in path {
            at = if at.is_empty() {
                name.clone()
            } else {
                format!("{at}/{name}")
            };
            dir = js::dir(&dir, name, true)
                .await
                .map_err(|e| dir_error(&at, &e))?;
        }
        let entries = js::dir(&dir, layout::ENTRIES_DIR, true).await;
        let entries =
            entries.map_err(|e| dir_error(&format!("{at}/{}", layout::ENTRIES_DIR), &e))?;
        let tmp = js::dir(&dir, layout::TMP_DIR, true).await;
        let tmp = tmp.map_err(|e| dir_error(&format!("{at}/{}", layout::TMP_DIR), &e))?;
        Ok((entries, tmp))
    }

    /// `larder-<name>/larder-v1/<rest>`, for error messages.
    pub(crate) fn path_of(&self, rest: &str) -> String {
        format!("{}/{}/{rest}", self.path[0], self.path[1])
    }
}

fn dir_error(path: &str, e: &JsValue) -> Error {
    if js::is(e, "TypeError") {
        // OPFS refuses some names that pass `check_name` (the browser decides).
        let msg = format!(
            "the browser does not allow {} as an OPFS directory name; use another cache name",
            Quoted(path)
        );
        Error::invalid("open", msg).with_context(path.to_owned())
    } else if js::is(e, "TypeMismatchError") {
        let msg = format!(
            "{path} in this site's OPFS is a file, not a directory; remove it or use another cache name"
        );
        Error::invalid("open", msg).with_context(path.to_owned())
    } else {
        error::opfs("open", path, e, 0)
    }
}

impl OpfsStoreBuilder {
    pub(crate) fn new(name: &str) -> Self {
        OpfsStoreBuilder {
            name: name.to_owned(),
            access: None,
            lock_timeout_ms: LOCK_TIMEOUT_MS,
            root: None,
        }
    }

    /// Use `access` instead of the one detected at open. [`Access::Sync`]
    /// outside a dedicated worker fails to open ([`ErrorKind::Unsupported`]);
    /// [`Access::Async`] works everywhere.
    #[must_use]
    pub fn access(mut self, access: Access) -> Self {
        self.access = Some(access);
        self
    }

    /// How long to keep retrying a locked file before failing, in ms
    /// (default [`LOCK_TIMEOUT_MS`]).
    #[must_use]
    pub fn lock_timeout_ms(mut self, ms: u32) -> Self {
        self.lock_timeout_ms = ms;
        self
    }

    /// Keep the cache under `dir` instead of the origin's OPFS root
    /// (`navigator.storage.getDirectory()`): for example the root of a storage
    /// bucket (`(await navigator.storageBuckets.open(name, {quota})).getDirectory()`),
    /// which has its own quota and eviction.
    #[must_use]
    pub fn root(mut self, dir: FileSystemDirectoryHandle) -> Self {
        self.root = Some(dir);
        self
    }

    /// Find OPFS, create the cache's directories if needed, and remove temps
    /// that crashed writers left. Reads no entry.
    ///
    /// Fails with [`ErrorKind::InvalidInput`] for a bad name,
    /// [`ErrorKind::Unsupported`] where there is no OPFS (the message names
    /// the cause), [`ErrorKind::PermissionDenied`] when the browser refuses
    /// access, and [`ErrorKind::Storage`] otherwise.
    pub async fn open(self) -> Result<OpfsStore> {
        check_name(&self.name)?;
        let sync_ok = sync_available();
        let access = match self.access {
            Some(Access::Sync) if !sync_ok => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    "open",
                    "synchronous access handles exist only in dedicated workers; \
                     open the store in a worker or use Access::Async",
                ));
            }
            Some(a) => a,
            None if sync_ok => Access::Sync,
            None => Access::Async,
        };
        let root = match self.root {
            Some(dir) => dir,
            None => opfs_root().await?,
        };
        let dirs = Dirs::make(root, &directory_name(&self.name)).await?;
        // Best effort: a leftover temp costs space, never correctness.
        let _ = temp::clean_stale(&dirs.tmp).await;
        Ok(OpfsStore::new(
            self.name,
            access,
            dirs,
            self.lock_timeout_ms,
        ))
    }
}

fn check_name(name: &str) -> Result<()> {
    let why = if name.is_empty() {
        "the cache name must not be empty"
    } else if name.len() > MAX_NAME {
        "the cache name must be at most 200 bytes"
    } else if name.contains(['/', '\\', '\0']) {
        "the cache name must not contain '/', '\\' or NUL (it names an OPFS directory)"
    } else {
        return Ok(());
    };
    Err(Error::invalid("open", why).with_context(Quoted(name).to_string()))
}

/// Whether this is a dedicated worker whose browser has sync access handles.
fn sync_available() -> bool {
    let global = js_sys::global();
    let handle_proto = js::get(&js::get(&global, "FileSystemFileHandle"), "prototype");
    global.is_instance_of::<web_sys::DedicatedWorkerGlobalScope>()
        && js::get(&handle_proto, "createSyncAccessHandle").is_function()
}

/// The origin's OPFS root, or an error naming why there is none.
async fn opfs_root() -> Result<FileSystemDirectoryHandle> {
    let global: JsValue = js_sys::global().into();
    let storage = js::get(&js::get(&global, "navigator"), "storage");
    if !js::get(&storage, "getDirectory").is_function() {
        return Err(error::unavailable(&global));
    }
    let root = JsFuture::from(storage.unchecked_into::<StorageManager>().get_directory())
        .await
        .map_err(|e| error::root_refused(&e))?;
    root.dyn_into::<FileSystemDirectoryHandle>().map_err(|v| {
        Error::new(
            ErrorKind::Unsupported,
            "open",
            format!("OPFS is not available: navigator.storage.getDirectory() gave {v:?}, not a directory handle"),
        )
    })
}
