//! Golden files: each experiment's small run gives the same JSON as the build that
//! wrote `tests/golden/` (recorded before the library was restructured), wall-clock
//! fields aside. A refactor keeps results identical to the bit, and this is where that
//! is checked: every number printed with the shortest round-trip digits, compared as
//! text. A change that moves results on purpose rewrites the files with
//! `RIDGE_RIDER_UPDATE_GOLDEN=1 cargo test --release --test golden` and says so.

mod common;
use common::{run_into, ScratchDir};
use serde_json::Value;
use std::path::PathBuf;

/// Keys whose values are wall-clock time or where the run wrote, not results.
const NOT_RESULTS: [&str; 3] = ["seconds", "ms_per_step", "out"];

/// The document without its wall-clock fields: keys in [`NOT_RESULTS`] at any depth,
/// and rows whose metric is a time.
fn results_only(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|k, _| !NOT_RESULTS.contains(&k.as_str()));
            if let Some(Value::Array(rows)) = map.get_mut("rows") {
                rows.retain(|r| r["metric"] != "seconds");
            }
            map.values_mut().for_each(results_only);
        }
        Value::Array(items) => items.iter_mut().for_each(results_only),
        _ => {}
    }
}

fn check(name: &str, args: &[&str], file: &str) {
    let dir = ScratchDir::new(&format!("golden-{name}"));
    run_into(&[args, &["--threads", "2"]].concat(), &dir);
    let mut got: Value = serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
    results_only(&mut got);
    let got = serde_json::to_string_pretty(&got).unwrap() + "\n";
    let golden = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(format!("{name}.json"));
    if std::env::var_os("RIDGE_RIDER_UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&golden).unwrap_or_else(|e| panic!("{}: {e}", golden.display()));
    if got != want {
        let line = got.lines().zip(want.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "{name}: the results moved (first difference at line {}: got {:?}, golden {:?})",
            line + 1,
            got.lines().nth(line),
            want.lines().nth(line)
        );
    }
}

#[test]
fn tree_fig2_is_unchanged() {
    check("tree", &["tree", "--depths", "4,6", "--trees", "3"], "tree.json");
}

#[test]
fn tree_fig3_is_unchanged() {
    check(
        "tree-fig3",
        &["tree", "--depths", "10", "--trees", "1", "--budget", "20000", "--methods", "rr,fixed-ev,rand-ridge-plus"],
        "tree.json",
    );
}

#[test]
fn levers_are_unchanged() {
    check("levers", &["levers", "--replicates", "4", "--repeats", "2"], "levers.json");
}

#[test]
fn mnist_is_unchanged() {
    check("mnist", &["mnist", "--steps", "20", "--eval-every", "10"], "mnist.json");
}

#[test]
fn mnist_classes_are_unchanged() {
    check(
        "mnist-classes",
        &["mnist-classes", "--ridges", "0..2", "--steps", "20", "--eval-every", "10"],
        "mnist_classes.json",
    );
}

#[test]
fn cmnist_is_unchanged() {
    check(
        "cmnist",
        &["cmnist", "--runs", "1", "--steps", "100", "--mis-steps", "50", "--inner-steps", "5"],
        "cmnist.json",
    );
}
