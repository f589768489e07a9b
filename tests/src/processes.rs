//! Multi-process tests: the test binary runs one of its own tests as the
//! children, told apart by an environment variable.

use std::ffi::OsStr;
use std::process::{Command, Stdio};

/// Run test `role_test` of the current test binary as `n` child processes at
/// once, child `i` with `role_var=i` and `envs` set, and wait for all of them.
/// Panics with a child's output if it failed or did not run its role.
pub fn run_children(role_test: &str, role_var: &str, n: u64, envs: &[(&str, &OsStr)]) {
    let exe = std::env::current_exe().expect("the test binary's path");
    let children: Vec<_> = (0..n)
        .map(|id| {
            let mut c = Command::new(&exe);
            c.args(["--exact", role_test, "--nocapture", "--test-threads=1"])
                .env(role_var, id.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            for (k, v) in envs {
                c.env(k, v);
            }
            c.spawn().expect("spawn a child test process")
        })
        .collect();
    for (id, child) in children.into_iter().enumerate() {
        let out = child
            .wait_with_output()
            .expect("wait for a child test process");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "child {id} failed:\n{stdout}\n{stderr}"
        );
        assert!(
            stdout.contains("1 passed"),
            "child {id} did not run its role:\n{stdout}"
        );
    }
}
