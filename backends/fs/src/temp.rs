//! Temporary files: unique names, creation with private permissions, and the
//! clean-up of temps left behind by writers that crashed.
//!
//! A temp is named `<pid>.<counter>.<random>.tmp`. The pid says which process
//! owns it, the counter makes names unique within a process, and the random part
//! (fixed per store) keeps processes with the same pid apart, e.g. in different
//! containers sharing one directory.

use std::fs::{self, File, OpenOptions};
use std::hash::{BuildHasher, Hasher, RandomState};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use larder_core::layout;

/// Temps older than this are removed whoever owns them: no write takes an hour.
pub(crate) const STALE_AFTER: Duration = Duration::from_millis(layout::STALE_TEMP_MS);

/// Hands out unique temp file names for one store.
#[derive(Debug)]
pub(crate) struct TempNamer {
    pid: u32,
    random: u64,
    counter: AtomicU64,
}

impl TempNamer {
    pub(crate) fn new() -> Self {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(crate::time::to_ms(SystemTime::now()));
        TempNamer {
            pid: std::process::id(),
            random: h.finish(),
            counter: AtomicU64::new(0),
        }
    }

    fn next_name(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        layout::temp_name(self.pid, n, self.random)
    }

    /// Create a new, empty temp file in `dir`, readable by its owner only.
    pub(crate) fn create(&self, dir: &Path) -> io::Result<(PathBuf, File)> {
        loop {
            let path = dir.join(self.next_name());
            match private_options().open(&path) {
                Ok(f) => return Ok((path, f)),
                // Another store with our pid and random part: take the next number.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

/// `create_new` write options with mode 0600 on unix.
fn private_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o
}

/// Whether process `pid` may still be running. Only Linux can tell cheaply
/// (`/proc/<pid>`); elsewhere, and when /proc is not mounted, every pid counts
/// as alive and only age removes its temps.
pub(crate) fn pid_may_be_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if cfg!(target_os = "linux") && Path::new("/proc/self").exists() {
        return Path::new("/proc").join(pid.to_string()).exists();
    }
    true
}

/// Remove temps in `dir` whose writer is gone or that are older than
/// [`STALE_AFTER`]. Returns how many were removed; other files are left alone.
pub(crate) fn clean_stale(dir: &Path) -> io::Result<usize> {
    let now = SystemTime::now();
    let mut removed = 0;
    for entry in fs::read_dir(dir)? {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(layout::temp_pid) else {
            continue;
        };
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| now.duration_since(t).is_ok_and(|age| age > STALE_AFTER));
        if (old || !pid_may_be_alive(pid)) && fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn names_parse_back() {
        let n = TempNamer::new();
        let name = n.next_name();
        assert_eq!(layout::temp_pid(&name), Some(std::process::id()));
        assert_eq!(layout::temp_pid("12.3.00ff.tmp"), Some(12));
        for bad in [
            "12.3.tmp",
            "x.3.ff.tmp",
            "12.3.ff",
            "12.3.ff.x.tmp",
            "12.3.zz.tmp",
        ] {
            assert_eq!(layout::temp_pid(bad), None, "{bad}");
        }
    }

    /// Two stores whose pid and random part coincide (e.g. same pid in two
    /// containers, by bad luck) must not fail or share a temp: a taken name
    /// moves on to the next number.
    #[test]
    fn a_taken_name_moves_on_to_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let a = TempNamer::new();
        let b = TempNamer {
            pid: a.pid,
            random: a.random,
            counter: AtomicU64::new(0),
        };
        let (first, _f) = b.create(dir.path()).unwrap();
        let (second, _g) = a.create(dir.path()).unwrap();
        assert_ne!(first, second);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    }
}
