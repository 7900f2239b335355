//! Budgets bound everything, and checkpoints are refused when they belong elsewhere.

use super::{bin, check, run, seeded, snapshot};
use std::path::Path;

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_search_budget_bounds_its_final_descents() {
    let out = seeded("hostile-budget");
    let before = snapshot(&out);
    let o = run(&["search", "--problem", "figure1", "--budget", "500", "--out", out.to_str().unwrap()]);
    check("search --budget 500", &o, 0, "timesteps", &out, &before);
    let spent = json(&out.join("search.json"))["timesteps"].as_u64().unwrap();
    assert!(spent <= 500, "spent {spent} of a budget of 500");
}

/// On a depth-30 tree the MIS alone took 300 steps of 50 ms whatever the budget.
#[test]
fn the_tree_budget_bounds_the_mis_and_the_descents() {
    let out = seeded("hostile-tree-budget");
    let before = snapshot(&out);
    let t = std::time::Instant::now();
    let args = ["tree", "--depths", "30", "--trees", "1", "--budget", "2", "--methods", "gd-saddle,gd-random"];
    let o = run(&[&args[..], &["--out", out.to_str().unwrap()]].concat());
    check("tree --depths 30 --budget 2", &o, 0, "trees in", &out, &before);
    let doc = json(&out.join("tree.json"));
    for m in ["gd-saddle", "gd-random"] {
        let steps = doc["per_tree"][0]["methods"][m]["timesteps"].as_u64().unwrap();
        assert!(steps <= 2, "{m} spent {steps} timesteps of a budget of 2");
    }
    assert!(t.elapsed().as_secs() < 10, "took {:?}", t.elapsed());
}

/// FNV-1a, the checkpoint's checksum.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

/// A depth-3 search's state under the header (key, dimension, shape) of a depth-4
/// search, with the checksum recomputed: a forgery only the vectors' length betrays.
#[test]
fn a_forged_checkpoint_of_another_depth_is_refused() {
    let (d3, d4) = (seeded("hostile-forge3"), seeded("hostile-forge4"));
    for (dir, depth) in [(&d3, "3"), (&d4, "4")] {
        let o = run(&["search", "--depth", depth, "--budget", "300", "--out", dir.to_str().unwrap()]);
        assert_eq!(o.code, Some(0), "{o:?}");
    }
    let (b3, b4) =
        (std::fs::read(d3.join("search.checkpoint")).unwrap(), std::fs::read(d4.join("search.checkpoint")).unwrap());
    // Header: magic, key, dimension, shape length, shape.
    let header = |b: &[u8]| 32 + u64::from_le_bytes(b[24..32].try_into().unwrap()) as usize;
    let mut forged = b4[..header(&b4)].to_vec();
    forged.extend_from_slice(&b3[header(&b3)..b3.len() - 8]);
    let sum = fnv1a(&forged);
    forged.extend_from_slice(&sum.to_le_bytes());
    std::fs::write(d4.join("search.checkpoint"), &forged).unwrap();
    let before = snapshot(&d4);
    let o = run(&["search", "--depth", "4", "--budget", "300", "--resume", "--out", d4.to_str().unwrap()]);
    check("forged checkpoint", &o, 2, "has dimension", &d4, &before);
}

/// A run killed while writing (or on a full disk) leaves `.search.checkpoint.tmp<PID>`;
/// the next run in that directory removes it.
#[test]
fn temporary_files_of_dead_runs_are_removed_on_the_next_start() {
    let out = seeded("hostile-stale-tmp");
    std::fs::write(out.join(".search.checkpoint.tmp4194305"), b"truncated").unwrap();
    let before: std::collections::BTreeMap<_, _> =
        snapshot(&out).into_iter().filter(|(p, _)| !p.to_string_lossy().contains(".tmp")).collect();
    let o = bin().args(["search", "--problem", "figure1", "--budget", "100", "--out"]).arg(&*out).output().unwrap();
    let o = super::Outcome {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into(),
        stderr: String::from_utf8_lossy(&o.stderr).into(),
    };
    check("stale temp file", &o, 0, "solutions", &out, &before);
}
