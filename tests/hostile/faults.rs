//! Faults around a run: odd `--out` names, closed or full stdout, a second run in the
//! same directory, SIGKILL, a full disk, a failing report section. Nothing finished
//! may be lost or overwritten.

use super::common::ScratchDir;
use super::{bin, check, run, seeded, snapshot, Outcome};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

const TREE: [&str; 8] = ["tree", "--depths", "3", "--trees", "2", "--budget", "300", "--threads=1"];

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

fn outcome(o: std::process::Output) -> Outcome {
    Outcome {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into(),
        stderr: String::from_utf8_lossy(&o.stderr).into(),
    }
}

#[test]
fn a_non_utf8_out_directory_works() {
    let base = ScratchDir::new("hostile-utf8");
    let out = base.join(std::ffi::OsStr::from_bytes(b"r\xffsults"));
    for (args, file) in [
        (&["levers", "--replicates", "2", "--repeats", "1"][..], "levers.json"),
        (&["search", "--problem", "figure1", "--budget", "200"][..], "search.json"),
    ] {
        let o = outcome(bin().args(args).arg("--out").arg(&out).output().unwrap());
        check(args[0], &o, 0, "", &base, &snapshot(&base));
        assert!(out.join(file).exists(), "{file} missing: {o:?}");
    }
}

/// `tree … | true` and `> /dev/full`: the files are written, the run ends quietly with 0.
#[test]
fn a_closed_or_full_stdout_ends_quietly_after_the_files() {
    for full in [false, true] {
        for (args, file) in
            [(&TREE[..], "tree.json"), (&["search", "--problem", "figure1", "--budget", "200"][..], "search.json")]
        {
            let out = seeded("hostile-pipe");
            let before = snapshot(&out);
            let mut cmd = bin();
            cmd.args(args).arg("--out").arg(&*out).stderr(Stdio::piped());
            let o = if full {
                cmd.stdout(std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap());
                cmd.output().unwrap()
            } else {
                let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
                drop(child.stdout.take()); // the reader is gone before the first line
                child.wait_with_output().unwrap()
            };
            check(&format!("{} (full: {full})", args[0]), &outcome(o), 0, "", &out, &before);
            assert_eq!(json(&out.join(file))["complete"], true, "{file}");
        }
    }
}

#[test]
fn search_refuses_to_overwrite_a_checkpoint_without_force() {
    let out = seeded("hostile-overwrite");
    let args = ["search", "--problem", "figure1", "--budget", "300", "--out", out.to_str().unwrap()];
    assert_eq!(run(&args).code, Some(0));
    let before = snapshot(&out);
    check("search again", &run(&args), 2, "--resume, or start over with --force", &out, &before);
    let o = run(&[&args[..], &["--force"]].concat());
    assert_eq!(o.code, Some(0), "{o:?}");
    assert!(temp_free(&out));
}

fn temp_free(dir: &Path) -> bool {
    super::temp_files(dir).is_empty()
}

/// The lock names a live process: refused. A dead one: stale, taken over.
#[test]
fn a_second_run_in_one_out_directory_is_refused_and_a_stale_lock_is_taken_over() {
    let out = seeded("hostile-lock");
    std::fs::write(out.join(".ridge-rider.lock"), format!("{}\n", std::process::id())).unwrap();
    let before = snapshot(&out);
    let args = ["search", "--problem", "figure1", "--budget", "200", "--out", out.to_str().unwrap()];
    check("live lock", &run(&args), 2, "another ridge-rider run", &out, &before);
    std::fs::write(out.join(".ridge-rider.lock"), "4194305 1\n").unwrap();
    let o = run(&args);
    assert_eq!(o.code, Some(0), "{o:?}");
    assert!(!out.join(".ridge-rider.lock").exists(), "the lock outlived its run");
    // Two real runs: the second is refused while the first works.
    let out = seeded("hostile-lock2");
    let mut first = bin().args(["tree", "--depths", "6", "--trees", "500", "--out"]).arg(&*out).spawn().unwrap();
    let t0 = Instant::now();
    while !out.join(".ridge-rider.lock").exists() && t0.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let o = run(&[&TREE[..], &["--out", out.to_str().unwrap()]].concat());
    first.kill().unwrap();
    first.wait().unwrap();
    assert_eq!(o.code, Some(2), "{o:?}");
    assert!(o.stderr.contains("another ridge-rider run") && o.stderr.trim().lines().count() == 1, "{o:?}");
}

/// A SIGKILL keeps every finished tree: tree.json is rewritten after each one.
#[test]
fn a_killed_tree_run_keeps_its_finished_trees() {
    let out = seeded("hostile-tree-kill");
    let mut child =
        bin().args(["tree", "--depths", "5", "--trees", "400", "--threads", "1", "--out"]).arg(&*out).spawn().unwrap();
    let json_path = out.join("tree.json");
    let t0 = Instant::now();
    while !json_path.exists() && t0.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let doc = json(&json_path);
    assert_eq!(doc["complete"], false);
    assert!(!doc["per_tree"].as_array().unwrap().is_empty());
    // A kill in the middle of a write leaves a temporary file: the next run removes it.
    let before: std::collections::BTreeMap<_, _> =
        snapshot(&out).into_iter().filter(|(p, _)| p.ends_with("precious.json")).collect();
    let o = run(&[&TREE[..], &["--out", out.to_str().unwrap()]].concat());
    check("tree after a SIGKILL", &o, 0, "trees in", &out, &before);
}

/// `--threads 0` is refused up front; failing sections exit 1 and keep the good report.
#[test]
fn paper_never_replaces_a_good_report_with_a_worse_one() {
    let out = seeded("hostile-paper");
    std::fs::write(out.join("REPORT.md"), "# A good report\n").unwrap();
    let before = snapshot(&out);
    let o = run(&["paper", "--quick", "--threads", "0", "--out", out.to_str().unwrap()]);
    check("paper --threads 0", &o, 2, "--threads must be between 1 and 256", &out, &before);
    // Every section's directory is a file: every section fails at once.
    for d in ["fig2", "fig3", "fig8", "fig6", "fig4", "fig5", "table1"] {
        std::fs::write(out.join(d), b"in the way").unwrap();
    }
    let before = snapshot(&out);
    let o = run(&["paper", "--quick", "--threads", "1", "--out", out.to_str().unwrap()]);
    check("paper with failing sections", &o, 1, "7 of 7 sections failed", &out, &before);
    assert!(o.stderr.contains("REPORT.new.md") && o.stderr.contains("kept"), "{o:?}");
    assert!(std::fs::read_to_string(out.join("REPORT.new.md")).unwrap().contains("the run failed"));
}

/// A small tmpfs that is unmounted when dropped.
struct Tmpfs(ScratchDir);

impl Tmpfs {
    fn mount(name: &str) -> Result<Tmpfs, String> {
        let dir = ScratchDir::new(name);
        let st = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(&*dir)
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("mount: {e}"))?;
        if !st.status.success() {
            return Err(String::from_utf8_lossy(&st.stderr).trim().to_string());
        }
        Ok(Tmpfs(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&*self.0).status();
    }
}

/// Fill the file system but for one page (the run's lock file).
fn fill(dir: &Path) {
    use std::io::Write;
    std::fs::write(dir.join("spare"), vec![0u8; 4096]).unwrap();
    let mut f = std::fs::File::create(dir.join("filler")).unwrap();
    while f.write_all(&[0u8; 4096]).and_then(|_| f.sync_all()).is_ok() {}
    std::fs::remove_file(dir.join("spare")).unwrap();
}

/// On a full disk the checkpoint cannot be replaced: exit 1 saying what to change, the
/// old checkpoint intact, no truncated temporary file; with space again, --resume works.
#[test]
fn a_full_disk_loses_nothing() {
    let fs = match Tmpfs::mount("hostile-tmpfs") {
        Ok(fs) => fs,
        Err(why) => {
            println!("skipped: cannot mount a tmpfs ({why})");
            return;
        }
    };
    let out = fs.0.join("out");
    let args = ["search", "--problem", "figure1", "--budget", "300", "--out", out.to_str().unwrap()];
    let o = run(&args);
    assert_eq!(o.code, Some(0), "{o:?}");
    let solutions = json(&out.join("search.json"))["solutions"].clone();
    fill(&fs.0);
    let before: std::collections::BTreeMap<_, _> =
        snapshot(&out).into_iter().filter(|(p, _)| !p.ends_with("filler")).collect();
    let o = run(&[&args[..], &["--force"]].concat());
    check("full disk", &o, 1, "free space in", &out, &before);
    std::fs::remove_file(fs.0.join("filler")).unwrap();
    let o = run(&[&args[..], &["--resume"]].concat());
    assert_eq!(o.code, Some(0), "{o:?}");
    assert_eq!(json(&out.join("search.json"))["solutions"], solutions);
}

/// Ctrl-C: the round in hand is saved, exit 130 with the resume hint, the lock released.
#[test]
fn sigint_saves_and_exits_130() {
    let out = seeded("hostile-sigint");
    let child = bin()
        .args(["search", "--depth", "12", "--threads", "1", "--out"])
        .arg(&*out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while !out.join("search.checkpoint").exists() && t0.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let st = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(st.success());
    let o = outcome(child.wait_with_output().unwrap());
    check("search, then SIGINT", &o, 130, "plus --resume", &out, &snapshot(&out));
    assert!(!out.join(".ridge-rider.lock").exists(), "the lock outlived the run");
}
