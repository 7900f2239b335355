//! The binary under hostile input and faults (issue 22): every reproducer of the issue
//! runs here. Each case checks the exit code, a one-line message, that the files
//! already in `--out` are unchanged, and that no temporary file is left behind.
//!
//! `RR_HOSTILE_BIN=/path/to/ridge-rider` runs the same cases against another build
//! (that is how they were checked to fail on the code before the fix).

mod common;
#[path = "hostile/faults.rs"]
mod faults;
#[path = "hostile/inputs.rs"]
mod inputs;
#[path = "hostile/limits.rs"]
mod limits;

use common::ScratchDir;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The binary under test.
pub fn bin() -> Command {
    let path = std::env::var_os("RR_HOSTILE_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_ridge-rider").into());
    let mut c = Command::new(path);
    c.env("RAYON_NUM_THREADS", "1").stdin(Stdio::null());
    c
}

/// What a run left: its exit code and output.
#[derive(Debug)]
pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Run with `args`. With `RR_HOSTILE_SURVEY` set a run is killed after 30 s (an older
/// build runs some reproducers for hours).
pub fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Outcome {
    let mut child = bin().args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("the binary runs");
    let read = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = r.read_to_end(&mut s);
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let (out, err) = (read(Box::new(child.stdout.take().unwrap())), read(Box::new(child.stderr.take().unwrap())));
    let limit = std::env::var_os("RR_HOSTILE_SURVEY").map(|_| std::time::Duration::from_secs(30));
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if limit.is_some_and(|l| started.elapsed() > l) {
            let _ = child.kill();
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    Outcome { code: status.code(), stdout: out.join().unwrap(), stderr: err.join().unwrap() }
}

/// Every regular file under `dir` with its bytes.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let (p, t) = (e.path(), e.file_type().unwrap());
            if t.is_dir() {
                stack.push(p);
            } else if t.is_file() {
                files.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    files
}

/// Files whose name marks a temporary file under `dir`.
pub fn temp_files(dir: &Path) -> Vec<PathBuf> {
    snapshot(dir).into_keys().filter(|p| p.file_name().unwrap().to_string_lossy().contains(".tmp")).collect()
}

/// An `--out` directory holding a file no failing run may touch.
pub fn seeded(name: &str) -> ScratchDir {
    let dir = ScratchDir::new(name);
    std::fs::write(dir.join("precious.json"), b"{\"keep\": true}\n").unwrap();
    dir
}

/// Assert what every case asserts: the exit code, one line on stderr saying `says`,
/// no panic, the files of `before` unchanged, and no temporary file in `out`. With
/// `RR_HOSTILE_SURVEY` set, print each case's verdict instead of stopping at the first
/// failure (to list which cases an older build fails).
pub fn check(what: &str, o: &Outcome, code: i32, says: &str, out: &Path, before: &BTreeMap<PathBuf, Vec<u8>>) {
    let err = o.stderr.trim();
    let mut problems = Vec::new();
    if o.code != Some(code) {
        problems.push(format!("exit {:?}, not {code}", o.code));
    }
    if err.contains("panicked") || err.contains("internal error") {
        problems.push("a panic".to_string());
    }
    // `paper` reports its progress on stderr; the message itself is one line.
    let progress = |l: &&str| l.starts_with("== ") || l.starts_with("ridge-rider paper");
    if code != 0 && err.lines().filter(|l| !progress(l)).count() != 1 {
        problems.push("not one line".to_string());
    }
    if !(err.contains(says) || o.stdout.contains(says)) {
        problems.push(format!("'{says}' not said"));
    }
    let after = snapshot(out);
    for (path, bytes) in before {
        if after.get(path) != Some(bytes) {
            problems.push(format!("{} damaged", path.display()));
        }
    }
    if !temp_files(out).is_empty() {
        problems.push(format!("temporary files left: {:?}", temp_files(out)));
    }
    if std::env::var_os("RR_HOSTILE_SURVEY").is_some() {
        let verdict = if problems.is_empty() { "PASS".to_string() } else { format!("FAIL ({})", problems.join("; ")) };
        eprintln!("HOSTILE {verdict}: {what}");
    } else {
        assert!(problems.is_empty(), "{what}: {}: {o:?}", problems.join("; "));
    }
}

/// Run `args` plus `--out <seeded dir>` and [`check`] it.
pub fn case(args: &[&str], code: i32, says: &str) -> Outcome {
    let out = seeded("hostile");
    let before = snapshot(&out);
    let mut all: Vec<OsString> = args.iter().map(OsString::from).collect();
    all.extend([OsString::from("--out"), out.as_os_str().to_owned()]);
    let o = run(&all);
    check(&args.join(" "), &o, code, says, &out, &before);
    o
}
