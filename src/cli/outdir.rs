//! The `--out` directory of a run: created, checked writable, locked so a second run
//! in the same directory is refused instead of overwriting the first one's files, and
//! cleared of the temporary files a killed run (or a full disk) left behind.
//!
//! The lock is advisory: `.ridge-rider.lock` holds the owner's PID (and, on Linux, its
//! start time, so a recycled PID is not mistaken for the owner). A lock whose process
//! is gone is stale and is taken over.

use super::common::CliError;
use std::path::{Path, PathBuf};

/// The lock file's name inside `--out`.
pub const LOCK_FILE: &str = ".ridge-rider.lock";

/// A locked output directory; dropping it releases the lock.
#[derive(Debug)]
pub struct OutDir {
    dir: PathBuf,
    lock: PathBuf,
    token: String,
}

impl OutDir {
    /// Create `dir` (and parents), check it is writable, take its lock and remove
    /// temporary files of dead processes.
    pub fn open(dir: &Path) -> Result<OutDir, CliError> {
        Self::open_with_lock(dir, LOCK_FILE)
    }

    /// [`OutDir::open`] for shard K of N: its lock is its own
    /// (`.ridge-rider.shard-K-of-N.lock`), so the shards of one run share `--out`
    /// without blocking each other, and a shard run twice at once is refused.
    pub fn open_shard(dir: &Path, index: usize, count: usize) -> Result<OutDir, CliError> {
        Self::open_with_lock(dir, &format!(".ridge-rider.shard-{index}-of-{count}.lock"))
    }

    fn open_with_lock(dir: &Path, lock_name: &str) -> Result<OutDir, CliError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| CliError::Input(format!("cannot create output directory {}: {e}", dir.display())))?;
        let token = own_token();
        let lock = dir.join(lock_name);
        for _ in 0..3 {
            match take(&lock, &token) {
                Ok(()) => {
                    crate::io::remove_stale_temps(dir, |pid| pid != std::process::id() && !alive(pid, None));
                    return Ok(OutDir { dir: dir.to_path_buf(), lock, token });
                }
                Err(Taken::Busy(holder)) => {
                    return Err(CliError::Input(format!(
                    "another ridge-rider run (pid {holder}) is using {}: wait for it to finish or choose another --out",
                    dir.display()
                )))
                }
                Err(Taken::Stale) => {
                    let _ = std::fs::remove_file(&lock);
                }
                Err(Taken::Io(e)) => {
                    return Err(CliError::Input(format!("output directory {} is not writable: {e}", dir.display())))
                }
            }
        }
        Err(CliError::Input(format!("cannot lock {}: remove {} if no run is using it", dir.display(), lock.display())))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// A file inside the directory.
    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for OutDir {
    fn drop(&mut self) {
        // Only our own lock: never one another run took over.
        if std::fs::read_to_string(&self.lock).is_ok_and(|t| t == self.token) {
            let _ = std::fs::remove_file(&self.lock);
        }
    }
}

enum Taken {
    Busy(u32),
    Stale,
    Io(std::io::Error),
}

/// Create the lock with its content in one step: write a temporary file, then hard-link
/// it to the lock name, which fails if the lock exists.
fn take(lock: &Path, token: &str) -> Result<(), Taken> {
    let tmp = crate::io::temp_path(lock, std::process::id());
    std::fs::write(&tmp, token).map_err(Taken::Io)?;
    let linked = std::fs::hard_link(&tmp, lock);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(lock).unwrap_or_default();
            match parse_token(&text) {
                Some((pid, start)) if alive(pid, start) => Err(Taken::Busy(pid)),
                _ => Err(Taken::Stale),
            }
        }
        Err(e) => Err(Taken::Io(e)),
    }
}

/// `"<pid> <start time>\n"` for this process (start time 0 where it is unknown).
fn own_token() -> String {
    let pid = std::process::id();
    format!("{pid} {}\n", start_time(pid).unwrap_or(0))
}

fn parse_token(text: &str) -> Option<(u32, Option<u64>)> {
    let mut parts = text.split_whitespace();
    let pid = parts.next()?.parse().ok()?;
    let start = parts.next().and_then(|s| s.parse().ok()).filter(|&s| s != 0);
    Some((pid, start))
}

/// The process's start time in clock ticks since boot (field 22 of `/proc/<pid>/stat`).
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; it ends at the last ')'.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

/// Whether `pid` (started at `start`, when known) is still running. Without `/proc`
/// (not Linux) every process counts as running: a stale lock is then removed by hand.
fn alive(pid: u32, start: Option<u64>) -> bool {
    if !Path::new("/proc/self").exists() {
        return true;
    }
    match (start_time(pid), start) {
        (None, _) => false,
        (Some(now), Some(then)) => now == then,
        (Some(_), None) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_open_is_refused_and_a_dead_owner_is_stale() {
        let dir = std::env::temp_dir().join(format!("rr-outdir-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = OutDir::open(&dir).unwrap();
        let err = OutDir::open(&dir).unwrap_err().to_string();
        assert!(err.contains("another ridge-rider run") && err.contains(&std::process::id().to_string()), "{err}");
        drop(first);
        assert!(!dir.join(LOCK_FILE).exists());
        // A lock of a process that does not exist (pid beyond pid_max), and a temp file it left.
        std::fs::write(dir.join(LOCK_FILE), "4194305 1\n").unwrap();
        std::fs::write(dir.join(".search.checkpoint.tmp4194305"), b"half").unwrap();
        let again = OutDir::open(&dir).unwrap();
        assert!(!dir.join(".search.checkpoint.tmp4194305").exists());
        drop(again);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
