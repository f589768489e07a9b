//! Running commands: echo them, run them with inherited output, and turn a
//! non-zero exit into an error that says which command failed.

use std::cell::Cell;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What every task needs to know about where and as whom it runs.
pub struct Ctx {
    /// The workspace root (the directory holding the root `Cargo.toml`).
    pub root: PathBuf,
    /// Whether we run as root; package installs go through `sudo` otherwise.
    pub is_root: bool,
    /// Set once `apt-get update` has run in this process.
    pub apt_updated: Cell<bool>,
}

impl Ctx {
    pub fn new() -> Self {
        Ctx {
            root: workspace_root(),
            is_root: is_root(),
            apt_updated: Cell::new(false),
        }
    }

    /// `self.root.join(rel)`.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Cargo's target directory: `$CARGO_TARGET_DIR` (relative to the
    /// workspace root if relative), else `<root>/target`.
    pub fn target_dir(&self) -> PathBuf {
        match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) if !dir.is_empty() => self.root.join(dir),
            _ => self.path("target"),
        }
    }

    /// A `cargo` command run from the workspace root.
    pub fn cargo(&self) -> Command {
        let mut c = Command::new(cargo_bin());
        c.current_dir(&self.root);
        c
    }

    /// A `rustup` command run from the workspace root, so a rust-toolchain file there applies.
    pub fn rustup(&self) -> Command {
        let mut c = Command::new("rustup");
        c.current_dir(&self.root);
        c
    }

    /// `cargo +<toolchain>`: goes through the rustup proxy on PATH, since only it
    /// understands `+toolchain`.
    pub fn cargo_on(&self, toolchain: &str) -> Command {
        let mut c = Command::new("cargo");
        c.arg(format!("+{toolchain}")).current_dir(&self.root);
        c
    }

    /// A command that needs root: prefixed with `sudo` unless we are root already.
    pub fn privileged(&self, program: &str) -> Command {
        if self.is_root {
            Command::new(program)
        } else {
            let mut c = Command::new("sudo");
            c.arg(program);
            c
        }
    }
}

/// The `cargo` running us (set by cargo for `cargo run`), else the one on PATH.
fn cargo_bin() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

fn workspace_root() -> PathBuf {
    let xtask_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask_dir.parent().unwrap_or(xtask_dir).to_path_buf()
}

fn is_root() -> bool {
    // `id -u` rather than libc::geteuid: xtask stays free of dependencies and unsafe code.
    output_of(Command::new("id").arg("-u")).is_some_and(|uid| uid.trim() == "0")
}

/// How a command is shown to the user: its environment overrides, program and arguments.
pub fn display(c: &Command) -> String {
    let mut parts: Vec<String> = c
        .get_envs()
        .filter_map(|(k, v)| Some(format!("{}={}", k.to_string_lossy(), v?.to_string_lossy())))
        .collect();
    // `$CARGO` is a long toolchain path; it is the cargo the user ran, so call it that.
    let program = c.get_program();
    let is_our_cargo = std::env::var_os("CARGO").is_some_and(|cargo| cargo == program);
    parts.push(if is_our_cargo {
        "cargo".into()
    } else {
        program.to_string_lossy().into_owned()
    });
    parts.extend(c.get_args().map(quote));
    parts.join(" ")
}

fn quote(arg: &OsStr) -> String {
    let s = arg.to_string_lossy();
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_=+./:,@".contains(c))
    {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Echoes `c`, runs it with inherited stdio and fails unless it exits with 0.
pub fn run(c: &mut Command) -> Result<(), String> {
    let shown = display(c);
    println!("$ {shown}");
    let status = c
        .status()
        .map_err(|e| format!("could not start `{shown}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// Echoes `c`, runs it and returns its stdout; stderr passes through to the user.
pub fn capture(c: &mut Command) -> Result<String, String> {
    captured(c, false)
}

/// Echoes `c`, runs it and returns its stdout, which is also shown (after the
/// command ends) whether or not it succeeds; stderr passes through.
pub fn capture_shown(c: &mut Command) -> Result<String, String> {
    captured(c, true)
}

fn captured(c: &mut Command, show: bool) -> Result<String, String> {
    let shown = display(c);
    println!("$ {shown}");
    let out = c
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start `{shown}`: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if show {
        print!("{stdout}");
    }
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!("`{shown}` failed ({})", out.status))
    }
}

/// Runs `c` quietly and returns its stdout when it succeeds. For checks and queries.
pub fn output_of(c: &mut Command) -> Option<String> {
    let out = c.stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether `c` can be started and exits with 0 (output discarded).
pub fn succeeds(c: &mut Command) -> bool {
    output_of(c).is_some()
}

/// Where `cargo install` puts binaries: `$CARGO_HOME/bin`, else `~/.cargo/bin`.
pub fn cargo_bin_dir() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
        .join("bin")
}
