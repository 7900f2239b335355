//! Files: output that never leaves a half-written file behind, and `.npy` arrays.

pub mod npy;

use std::io::Write;
use std::path::{Path, PathBuf};

/// The temporary file [`write_atomic`] writes before renaming it over `path`:
/// `.<name>.tmp<pid>` in the same directory (a rename is atomic only within one file system).
///
/// ```
/// let tmp = ridge_rider::io::temp_path(std::path::Path::new("out/search.json"), 42);
/// assert_eq!(tmp, std::path::Path::new("out/.search.json.tmp42"));
/// assert_eq!(ridge_rider::io::temp_owner(tmp.file_name().unwrap().to_str().unwrap()), Some(42));
/// ```
pub fn temp_path(path: &Path, pid: u32) -> PathBuf {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    dir.join(format!(".{name}.tmp{pid}"))
}

/// The process id a [`temp_path`] file name belongs to, or `None` for any other name.
pub fn temp_owner(file_name: &str) -> Option<u32> {
    let rest = file_name.strip_prefix('.')?;
    let (_, pid) = rest.rsplit_once(".tmp")?;
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Remove the temporary files of [`write_atomic`] left in `dir` by processes for which
/// `dead(pid)` holds (a SIGKILL or a full disk mid-write leaves one behind). Returns
/// the names removed.
pub fn remove_stale_temps(dir: &Path, dead: impl Fn(u32) -> bool) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_file && temp_owner(&name).is_some_and(&dead) && std::fs::remove_file(entry.path()).is_ok() {
            removed.push(name);
        }
    }
    removed
}

/// Write `bytes` to `path` atomically: a temporary file in the same directory, flushed
/// and synced, then renamed over the target. On any error (a full disk, say) the
/// temporary file is removed and `path` is left as it was.
///
/// ```
/// let path = std::env::temp_dir().join(format!("rr-io-doc-{}.txt", std::process::id()));
/// ridge_rider::io::write_atomic(&path, b"first").unwrap();
/// ridge_rider::io::write_atomic(&path, b"second").unwrap();
/// assert_eq!(std::fs::read(&path).unwrap(), b"second");
/// std::fs::remove_file(&path).unwrap();
/// ```
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = temp_path(path, std::process::id());
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}
