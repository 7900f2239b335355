//! Sharded runs (`--shard K/N`, one process per shard, as a job array runs them) merged
//! by `ridge-rider merge` give the rows of one unbroken run; a killed shard re-run
//! finishes the merge; a finished shard re-run is a no-op; and merge refuses units of
//! another configuration, duplicate units and missing ones.

mod common;
use common::ScratchDir;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_ridge-rider");

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(BIN);
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let o = run(args, &[]);
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The rows of `<dir>/<file>`, wall-clock timing rows aside.
fn rows(dir: &Path, file: &str) -> Vec<serde_json::Value> {
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
    assert_eq!(doc["complete"], true);
    doc["rows"].as_array().unwrap().iter().filter(|r| r["metric"] != "seconds").cloned().collect()
}

/// Shards 0..n of `args` as separate processes at once, into `dir`.
fn shards(args: &[&str], dir: &Path, n: usize) {
    let children: Vec<_> = (0..n)
        .map(|k| {
            let shard = format!("{k}/{n}");
            Command::new(BIN).args(args).args(["--shard", &shard, "--out", dir.to_str().unwrap()]).output()
        })
        .collect();
    for c in children {
        let c = c.unwrap();
        assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stderr));
    }
}

fn merged_equals_whole(args: &[&str], file: &str, says: &str) {
    let (whole, sharded) = (ScratchDir::new("shard-whole"), ScratchDir::new("shard-parts"));
    ok(&[args, &["--out", whole.to_str().unwrap()]].concat());
    shards(args, &sharded, 3);
    assert!(!sharded.join(file).exists(), "a shard writes only its units");
    let text = ok(&["merge", sharded.to_str().unwrap()]);
    assert!(text.contains(says), "{text}");
    assert_eq!(rows(&whole, file), rows(&sharded, file), "{args:?}");
    assert!(sharded.join(file.replace(".json", ".svg")).exists());
}

#[test]
fn three_shards_merged_give_the_rows_of_one_run() {
    merged_equals_whole(&["tree", "--depths", "3,4", "--trees", "4", "--budget", "2000"], "tree.json", "trees in");
    merged_equals_whole(
        &["dice", "--depths", "3,4", "--trees", "3", "--samples", "16", "--budget", "80"],
        "dice.json",
        "trees in",
    );
    let cmnist = ["cmnist", "--runs", "2", "--steps", "20", "--mis-steps", "10", "--inner-steps", "2"];
    merged_equals_whole(&cmnist, "cmnist.json", "best invariant classifier");
    let classes = [
        "mnist-classes",
        "--ridges",
        "0..2",
        "--steps",
        "6",
        "--eval-every",
        "2",
        "--early",
        "2..4",
        "--probe-batch",
        "64",
        "--batch",
        "32",
    ];
    merged_equals_whole(&classes, "mnist_classes.json", "digits learned first");
    let mnist = [
        "mnist",
        "--hidden",
        "4",
        "--steps",
        "6",
        "--eval-every",
        "2",
        "--probe-batch",
        "64",
        "--batch",
        "32",
        "--methods",
        "rr,sgd,linear",
    ];
    merged_equals_whole(&mnist, "mnist.json", "test_accuracy");
    merged_equals_whole(&["levers", "--replicates", "4", "--repeats", "4"], "levers.json", "protocol picks");
}

#[test]
fn a_killed_shard_rerun_completes_the_merge_and_a_finished_one_is_a_no_op() {
    let args = ["tree", "--depths", "8", "--trees", "6", "--budget", "20000"];
    let (whole, dir) = (ScratchDir::new("shard-kill-whole"), ScratchDir::new("shard-kill"));
    let out = dir.to_str().unwrap();
    let mut child =
        Command::new(BIN).args(args).args(["--shard", "0/2", "--out", out, "--threads", "1"]).spawn().unwrap();
    // Killed once its first tree is on disk (or after 20 s).
    let units = dir.join("units/tree");
    for _ in 0..400 {
        if std::fs::read_dir(&units)
            .map(|d| d.flatten().any(|e| e.path().extension().is_some_and(|x| x == "json")))
            .unwrap_or(false)
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = std::fs::read_dir(&units)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .count();
    assert!(before >= 1, "the shard was killed before its first tree was written");
    let again = ok(&[&args[..], &["--shard", "0/2", "--out", out]].concat());
    assert!(again.contains(&format!("{before} already done")), "{again}");
    ok(&[&args[..], &["--shard", "1/2", "--out", out]].concat());
    let snapshot = |p: &Path| -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<_> = std::fs::read_dir(p)
            .unwrap()
            .flatten()
            .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
            .collect();
        v.sort();
        v
    };
    let done = snapshot(&units);
    let rerun = ok(&[&args[..], &["--shard", "1/2", "--out", out]].concat());
    assert!(rerun.contains("0 of its 3 units run, 3 already done"), "{rerun}");
    assert_eq!(snapshot(&units), done, "a finished shard re-run changes nothing");
    ok(&["merge", out]);
    ok(&[&args[..], &["--out", whole.to_str().unwrap()]].concat());
    assert_eq!(rows(&whole, "tree.json"), rows(&dir, "tree.json"));
}

#[test]
fn merge_refuses_other_configurations_duplicates_and_missing_units() {
    let args = ["tree", "--depths", "3", "--trees", "3", "--budget", "1000"];
    let refused = |dir: &Path, extra: &[&str], says: &str| {
        let o = run(&[&["merge", dir.to_str().unwrap()][..], extra].concat(), &[]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(says) && err.trim().lines().count() == 1, "{err}");
    };
    // Missing: one of two shards; then --partial writes what is there, marked incomplete.
    let dir = ScratchDir::new("shard-missing");
    let out = dir.to_str().unwrap();
    ok(&[&args[..], &["--shard", "0/2", "--out", out]].concat());
    refused(&dir, &[], "1 of 3 units are missing (depth=3,tree=1)");
    ok(&["merge", out, "--partial"]);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("tree.json")).unwrap()).unwrap();
    assert_eq!((doc["complete"].as_bool(), doc["rows"][0]["n"].as_u64()), (Some(false), Some(2)));
    // Another seed's units in the same directory.
    ok(&[&args[..], &["--shard", "1/2", "--seed", "5", "--out", out]].concat());
    refused(&dir, &[], "another configuration");
    // The same unit from two different splits.
    let dup = ScratchDir::new("shard-dup");
    let out = dup.to_str().unwrap();
    shards(&args, &dup, 2);
    ok(&[&args[..], &["--shard", "0/3", "--out", out]].concat());
    refused(&dup, &[], "is in both");
    // Nothing to merge, and bad shard specifications.
    refused(&ScratchDir::new("shard-empty"), &[], "no unit files");
    for bad in ["3/3", "x", "auto"] {
        let o = run(&[&args[..], &["--shard", bad, "--out", out]].concat(), &[]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
    }
}

#[test]
fn a_kubernetes_indexed_job_picks_its_shard_from_job_completion_index() {
    let (whole, dir) = (ScratchDir::new("k8s-whole"), ScratchDir::new("k8s"));
    let args = ["tree", "--depths", "3", "--trees", "4", "--budget", "1000"];
    let out = dir.to_str().unwrap();
    for k in ["0", "1"] {
        let o = run(
            &[&args[..], &["--shard", "auto", "--out", out]].concat(),
            &[("JOB_COMPLETION_INDEX", k), ("RR_SHARD_COUNT", "2")],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("shard {k}/2")));
    }
    ok(&["merge", out]);
    ok(&[&args[..], &["--out", whole.to_str().unwrap()]].concat());
    assert_eq!(rows(&whole, "tree.json"), rows(&dir, "tree.json"));
}

#[test]
fn the_kubernetes_manifest_is_an_indexed_job_with_a_merge() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/k8s/tree.yaml")).unwrap();
    for field in [
        "kind: Job",
        "completionMode: Indexed",
        "completions: 3",
        "parallelism:",
        "backoffLimitPerIndex:",
        "--shard",
        "auto",
        "RR_SHARD_COUNT",
        "ridge-rider",
        "merge",
    ] {
        assert!(manifest.contains(field), "the manifest lacks {field}");
    }
    let slurm = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/slurm/shard.sbatch")).unwrap();
    assert!(
        slurm.contains("#SBATCH --array=0-2")
            && slurm.contains("--shard auto")
            && slurm.contains("SLURM_CPUS_PER_TASK")
    );
    let submit = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/slurm/submit.sh")).unwrap();
    assert!(submit.contains("--dependency=afterok"));
}

/// A wave search on a tree of depth 8: waves of three shard processes and a merge end
/// with the solutions of one `search` process, and a merge refuses a wave with a ride
/// missing.
#[test]
fn a_wave_search_over_three_processes_equals_one_search() {
    let args = ["search", "--problem", "tree", "--depth", "8", "--tree-seed", "3", "--budget", "4000", "--round", "16"];
    let (one, waves) = (ScratchDir::new("wave-one"), ScratchDir::new("wave"));
    ok(&[&args[..], &["--out", one.to_str().unwrap()]].concat());
    let frontier = waves.join("frontier.ckpt");
    let with = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        v.extend([
            "--frontier".to_string(),
            frontier.display().to_string(),
            "--out".to_string(),
            waves.display().to_string(),
        ]);
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let call = |extra: &[&str]| run(&with(extra).iter().map(|s| s.as_str()).collect::<Vec<_>>(), &[]);
    assert!(call(&[]).status.success());
    // The first wave with one shard missing cannot be merged.
    assert!(call(&["--shard", "0/3"]).status.success());
    let o = call(&["--merge"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("rides are missing"));
    for wave in 0.. {
        assert!(wave < 400, "the wave search does not end");
        let children: Vec<_> = (0..3)
            .map(|k| {
                let shard = format!("{k}/3");
                Command::new(BIN).args(with(&["--shard", &shard])).spawn().unwrap()
            })
            .collect();
        for mut c in children {
            assert!(c.wait().unwrap().success());
        }
        let o = call(&["--merge"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        if String::from_utf8_lossy(&o.stdout).contains("the search is done") {
            break;
        }
    }
    let read = |d: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(d.join("search.json")).unwrap()).unwrap()
    };
    let (a, b) = (read(&one), read(&waves));
    assert_eq!(a["solutions"], b["solutions"]);
    assert_eq!((&a["timesteps"], &a["hvps"]), (&b["timesteps"], &b["hvps"]));
    assert!(a["solutions"].as_array().unwrap().len() > 10);
}
