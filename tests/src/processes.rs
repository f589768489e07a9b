//! Multi-process tests: the test binary runs one of its own tests as the
//! children, told apart by an environment variable.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

/// The line a child prints once it is set up and working; see [`spawn_ready`].
pub const READY: &str = "larder-child-ready";

/// The arguments that make a test binary run test `role_test` alone, its
/// output not captured.
pub fn role_args(role_test: &str) -> [&str; 4] {
    ["--exact", role_test, "--nocapture", "--test-threads=1"]
}

/// A command that runs test `role_test` of the current test binary alone, with
/// `role_var=id` and `envs` set.
pub fn child_command(role_test: &str, role_var: &str, id: u64, envs: &[(&str, &OsStr)]) -> Command {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut c = Command::new(exe);
    c.args(role_args(role_test)).env(role_var, id.to_string());
    for (k, v) in envs {
        c.env(k, v);
    }
    c
}

/// Run test `role_test` of the current test binary as `n` child processes at
/// once, child `i` with `role_var=i` and `envs` set, and wait for all of them.
/// Returns their standard outputs, in order. Panics with a child's output if
/// it failed or did not run its role.
pub fn run_children(
    role_test: &str,
    role_var: &str,
    n: u64,
    envs: &[(&str, &OsStr)],
) -> Vec<String> {
    let children: Vec<_> = (0..n)
        .map(|id| {
            child_command(role_test, role_var, id, envs)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn a child test process")
        })
        .collect();
    let mut outputs = Vec::new();
    for (id, child) in children.into_iter().enumerate() {
        let out = child
            .wait_with_output()
            .expect("wait for a child test process");
        outputs.push(role_output(&out, &format!("child {id}")));
    }
    outputs
}

/// The stdout of a finished child that ran its role test; panics with its
/// output, naming it `who`, if it failed or did not run the role.
pub fn role_output(out: &std::process::Output, who: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{who} failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("1 passed"),
        "{who} did not run its role:\n{stdout}\n{stderr}"
    );
    stdout
}

/// Child side of [`spawn_ready`]: tell the parent the work starts now.
pub fn announce_ready() {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{READY}");
    let _ = out.flush();
}

/// A child process that announced [`READY`] and works until it is killed.
#[cfg(unix)]
pub struct Running {
    child: Child,
    // Held open so that a late line from the child never meets a closed pipe.
    _stdout: BufReader<ChildStdout>,
    log: PathBuf,
}

/// Spawn `cmd` with stdout piped and stderr written to `log`, and wait for
/// its [`READY`] line. Panics with the log if it ends before that.
#[cfg(unix)]
pub fn spawn_ready(mut cmd: Command, log: &Path) -> Running {
    let err = File::create(log).expect("create a child's log file");
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(err)
        .spawn()
        .expect("spawn a child process");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    loop {
        line.clear();
        let n = stdout.read_line(&mut line).expect("read a child's stdout");
        if n == 0 {
            let status = child.wait().expect("wait for a child");
            panic!(
                "a child ended ({status}) before it was ready:\n{}",
                read_log(log)
            );
        }
        // The test harness prints `test <name> ... ` without a line break first.
        if line.trim_end().ends_with(READY) {
            break;
        }
    }
    Running {
        child,
        _stdout: stdout,
        log: log.to_path_buf(),
    }
}

#[cfg(unix)]
impl Running {
    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL the child and reap it; returns its pid. Panics with the child's
    /// log if it had stopped by itself (a failed check) before the signal.
    pub fn kill9(mut self) -> u32 {
        use std::os::unix::process::ExitStatusExt;
        let pid = self.pid();
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!(
                "child {pid} stopped by itself ({status}) before the kill:\n{}",
                read_log(&self.log)
            );
        }
        self.child.kill().expect("SIGKILL a child");
        let status = self.child.wait().expect("reap a killed child");
        assert_eq!(
            status.signal(),
            Some(9),
            "child {pid} ended with {status}, not by the kill:\n{}",
            read_log(&self.log)
        );
        pid
    }
}

#[cfg(unix)]
impl Drop for Running {
    fn drop(&mut self) {
        // A test that fails half-way leaves no child running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(unix)]
fn read_log(log: &Path) -> String {
    std::fs::read_to_string(log).unwrap_or_else(|e| format!("(no log at {}: {e})", log.display()))
}

/// For a child: whether the process that started it has gone (the child is
/// re-parented), so that a child of a failed test stops instead of running on.
#[cfg(unix)]
pub fn parent_gone(parent: u32) -> bool {
    std::os::unix::process::parent_id() != parent
}
