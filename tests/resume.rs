//! Interruption loses nothing: a search killed with SIGKILL resumes from its last
//! checkpoint to the same solutions as an uninterrupted run; a corrupted checkpoint is
//! refused with a clear message and left untouched.

mod common;
use common::ScratchDir;
use std::process::Command;
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ridge-rider"))
}

const ARGS: [&str; 7] = ["search", "--depth", "8", "--tree-seed", "1", "--threads", "1"];

fn solutions(dir: &std::path::Path) -> serde_json::Value {
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("search.json")).unwrap()).unwrap();
    doc["solutions"].clone()
}

#[test]
fn sigkill_then_resume_gives_the_uninterrupted_solutions() {
    let base = ScratchDir::new("resume");
    let (full, killed) = (base.join("full"), base.join("killed"));
    let st = bin().args(ARGS).arg("--out").arg(&full).output().unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));

    let mut child = bin().args(ARGS).arg("--out").arg(&killed).spawn().unwrap();
    let ckpt = killed.join("search.checkpoint");
    let t0 = Instant::now();
    while !ckpt.exists() && t0.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!killed.join("search.json").exists() || !status.success(), "the run finished before it could be killed");

    let st = bin().args(ARGS).arg("--out").arg(&killed).arg("--resume").output().unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    assert_eq!(solutions(&full), solutions(&killed));
}

#[test]
fn corrupted_checkpoint_is_refused_and_left_untouched() {
    let dir = ScratchDir::new("corrupt");
    let st = bin().args(["search", "--problem", "figure1", "--out"]).arg(&dir).output().unwrap();
    assert!(st.status.success());
    let ckpt = dir.join("search.checkpoint");
    let mut bytes = std::fs::read(&ckpt).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&ckpt, &bytes).unwrap();
    let st = bin().args(["search", "--problem", "figure1", "--resume", "--out"]).arg(&dir).output().unwrap();
    assert_eq!(st.status.code(), Some(2));
    let err = String::from_utf8_lossy(&st.stderr);
    assert!(err.contains("corrupted") && err.contains("search.checkpoint"), "{err}");
    assert!(!err.contains("panicked"));
    assert_eq!(std::fs::read(&ckpt).unwrap(), bytes, "the checkpoint was modified");
    // A checkpoint of another search is refused too.
    let st =
        bin().args(["search", "--problem", "figure1", "--seed", "5", "--resume", "--out"]).arg(&dir).output().unwrap();
    assert_eq!(st.status.code(), Some(2));
    // Resuming with no checkpoint at all.
    let empty = dir.join("nothing-here");
    let st = bin().args(["search", "--resume", "--out"]).arg(&empty).output().unwrap();
    assert_eq!(st.status.code(), Some(2));
}

/// A checkpoint of an earlier format (2: keyed by the parameters' `Debug` text) is
/// refused with a message that says so and how to go on, and is left untouched.
#[test]
fn a_checkpoint_of_an_earlier_format_is_refused_by_name() {
    let dir = ScratchDir::new("oldformat");
    let st = bin().args(["search", "--problem", "figure1", "--out"]).arg(&dir).output().unwrap();
    assert!(st.status.success());
    let ckpt = dir.join("search.checkpoint");
    let mut bytes = std::fs::read(&ckpt).unwrap();
    assert_eq!(&bytes[..8], b"RRCKPT03");
    bytes[..8].copy_from_slice(b"RRCKPT02");
    std::fs::write(&ckpt, &bytes).unwrap();
    let st = bin().args(["search", "--problem", "figure1", "--resume", "--out"]).arg(&dir).output().unwrap();
    assert_eq!(st.status.code(), Some(2));
    let err = String::from_utf8_lossy(&st.stderr);
    assert!(err.contains("search.checkpoint: written by an older ridge-rider (format 2"), "{err}");
    assert!(err.contains("--force") && err.trim_end().lines().count() == 1, "{err}");
    assert_eq!(std::fs::read(&ckpt).unwrap(), bytes, "the checkpoint was modified");
}
