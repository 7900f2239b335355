//! What several integration tests share.

// Each test binary compiles this module and uses only part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A directory for one test's files under the system temp dir, emptied when created
/// and removed when dropped, so passing and failing runs leave nothing behind.
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    /// `rr-<name>-<pid>-<n>`: the pid keeps concurrent test binaries apart, the counter
    /// the tests of one binary, which run in parallel threads (two tests asking for the
    /// same name used to share, and remove, one directory).
    pub fn new(name: &str) -> ScratchDir {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("rr-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("the temp dir is writable");
        ScratchDir(path)
    }
}

impl std::ops::Deref for ScratchDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for ScratchDir {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Run the binary with `args` and `--out dir`, require success; its stdout.
pub fn run_into(args: &[&str], dir: &ScratchDir) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ridge-rider"))
        .args(args)
        .arg("--out")
        .arg(dir)
        .output()
        .expect("binary runs");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An IDX file: the magic number, the dimensions (big-endian u32) and the data.
pub fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut b = magic.to_be_bytes().to_vec();
    for d in dims {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b.extend_from_slice(data);
    b
}
