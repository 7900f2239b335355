//! The binary on bad input: exit code 2 and a one-line message, never a panic.
//!
//! (Just over 400 lines: one table of bad inputs per command, sharing the helpers.)

mod common;
use common::{run_into, ScratchDir};
use std::process::Command;

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ridge-rider")).args(args).output().expect("binary runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Run the binary with `args` and `--out dir`, require success; its stdout and `dir/file` parsed.
fn run_json(args: &[&str], dir: &ScratchDir, file: &str) -> (String, serde_json::Value) {
    let stdout = run_into(args, dir);
    let doc = serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
    (stdout, doc)
}

#[test]
fn bad_input_exits_2_without_panicking() {
    let dir = ScratchDir::new("cli");
    let bad_npy = dir.join("bad.npy");
    std::fs::write(&bad_npy, b"not numpy").unwrap();
    let cases: Vec<Vec<String>> = vec![
        vec!["spectrum".into(), "--problem".into(), "nope".into()],
        vec!["spectrum".into(), "--which".into(), "sideways".into()],
        vec!["spectrum".into(), "--batch".into(), "0".into()],
        vec!["spectrum".into(), "--batch".into(), "-5".into()],
        vec!["spectrum".into(), "--batch".into(), "50".into(), "--params".into(), bad_npy.display().to_string()],
        vec!["spectrum".into(), "--batch".into(), "50".into(), "--params".into(), "/no/such/file.npy".into()],
        vec!["spectrum".into(), "--batch".into(), "50".into(), "--k".into(), "0".into()],
        vec!["bench-hvp".into(), "--threads".into(), "0".into()],
        vec!["bench-hvp".into(), "--batch".into(), "999999".into()],
        vec!["bench-hvp".into(), "--runs".into(), "18446744073709551615".into()],
        vec!["bench-hvp".into(), "--inputs".into(), "mnist,mnist".into()],
        vec!["bench-hvp".into(), "--inputs".into(), "imagenet".into()],
        vec!["bench-hvp".into(), "--storage".into(), "compressed".into()],
        vec!["bench-hvp".into(), "--fd-step".into(), "nan".into()],
        vec!["bench-hvp".into(), "--json".into(), "/no/such/dir/x.json".into()],
        vec!["no-such-command".into()],
    ];
    for args in cases {
        let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        let (code, err) = run(&refs);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(!err.contains("panicked") && !err.contains("internal error"), "{args:?}: {err}");
    }
}

#[test]
fn bench_hvp_writes_the_shared_json_shape_with_both_inputs() {
    let dir = ScratchDir::new("bench");
    let (stdout, doc) =
        run_json(&["bench-hvp", "--batch", "40", "--hidden", "8", "--runs", "1"], &dir, "bench-hvp.json");
    assert!(stdout.contains("random (dense)") && stdout.contains("mnist (sparse)"), "{stdout}");
    assert_eq!(doc["experiment"], "bench-hvp");
    assert_eq!(doc["complete"], true);
    for input in ["random", "mnist"] {
        for key in ["loss_ms", "grad_ms", "hvp_ms", "recorded_hvp_ms", "recorded_hvp8_ms_per_dir", "fd_hvp_ms"] {
            assert!(doc[input][key].as_f64().is_some_and(|x| x > 0.0), "{input}.{key}");
        }
        assert!(doc[input]["fd_rel_error"].as_f64().is_some_and(|e| e < 1e-5), "{input}");
    }
    assert_eq!(doc["mnist"]["sparse"], true);
    assert_eq!(doc["random"]["sparse"], false);
    assert_eq!(doc["gemm_gflops"].as_object().map(|m| m.len()), Some(3));
    assert_eq!(doc["rows"].as_array().map(|r| r.len()), Some(2 * 7 + 3));
}

#[test]
fn spectrum_runs_and_writes_json() {
    let dir = ScratchDir::new("spec");
    let json = dir.join("s.json");
    let vecs = dir.join("v.npy");
    let out = Command::new(env!("CARGO_BIN_EXE_ridge-rider"))
        .args(["spectrum", "--batch", "64", "--hidden", "8", "--k", "2", "--init", "standard"])
        .arg("--out")
        .arg(&dir)
        .arg("--json")
        .arg(&json)
        .arg("--vectors")
        .arg(&vecs)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&json).unwrap();
    for key in ["eigenvalues", "residuals", "converged", "operator_applications", "seconds"] {
        assert!(text.contains(key), "{key} missing");
    }
    let v = ridge_rider::io::npy::read_npy(&vecs).unwrap();
    assert_eq!(v.shape, vec![2, 784 * 8 + 8 + 8 * 10 + 10]);
    // --out receives spectrum.json in the shared shape.
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("spectrum.json")).unwrap()).unwrap();
    assert_eq!((doc["experiment"].as_str(), doc["complete"].as_bool()), (Some("spectrum"), Some(true)));
    assert_eq!(doc["rows"].as_array().unwrap().len(), 2);
    assert_eq!((doc["init"].as_str(), doc["params"].as_str()), (Some("standard"), None));
    // θ from a file is named as such, not as an initialisation.
    let theta = ridge_rider::io::npy::NpyArray { shape: vec![v.shape[1]], data: vec![0.01; v.shape[1]] };
    let params = dir.join("theta.npy");
    std::fs::write(&params, ridge_rider::io::npy::write_npy_bytes(&theta)).unwrap();
    let (code, err) = run(&[
        "spectrum",
        "--batch",
        "64",
        "--hidden",
        "8",
        "--k",
        "2",
        "--params",
        params.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("spectrum.json")).unwrap()).unwrap();
    assert_eq!((doc["init"].as_str(), doc["params"].as_str()), (None, params.to_str()));
}

#[test]
fn levers_writes_the_shared_json_shape_and_an_svg() {
    let dir = ScratchDir::new("levers");
    let (_, doc) = run_json(&["levers", "--replicates", "4", "--repeats", "2", "--threads", "1"], &dir, "levers.json");
    assert_eq!(doc["experiment"], "levers");
    assert_eq!(doc["config"]["replicates"], 4);
    let rows = doc["rows"].as_array().unwrap();
    assert!(rows.iter().any(|r| r["setting"] == "ridge=0" && r["metric"] == "cross_play"));
    for r in rows {
        for key in ["setting", "method", "metric", "mean", "ci95", "n"] {
            assert!(r.get(key).is_some(), "{key} missing in {r}");
        }
    }
    assert!(std::fs::read_to_string(dir.join("levers.svg")).unwrap().starts_with("<svg"));
    let (code, _) = run(&["levers", "--payoffs", ""]);
    assert_eq!(code, 2);
    let (code, _) = run(&["levers", "--payoffs", "1,-1"]);
    assert_eq!(code, 2);
    let (code, _) = run(&["levers", "--replicates", "1"]);
    assert_eq!(code, 2);
}

#[test]
fn tree_writes_the_shared_json_shape() {
    let dir = ScratchDir::new("tree");
    let (_, doc) = run_json(&["tree", "--depths", "3,4", "--trees", "2", "--budget", "3000"], &dir, "tree.json");
    assert_eq!(doc["experiment"], "tree");
    assert_eq!(doc["config"]["budget"], 3000);
    assert!(doc["seconds"].as_f64().unwrap() > 0.0);
    let rows = doc["rows"].as_array().unwrap();
    assert!(rows
        .iter()
        .any(|r| r["setting"] == "depth=4" && r["method"] == "rr" && r["metric"] == "percent_found" && r["n"] == 2));
    assert!(dir.join("tree.svg").exists());
    refused(&[
        vec!["tree", "--depths", "0"],
        vec!["tree", "--methods", "magic"],
        vec!["tree", "--budget", "-5"],
        vec!["tree", "--trees", "0"],
        vec!["tree", "--ridges", "0"],
        vec!["tree", "--ridges", "101"],
    ]);
}

/// Each argument vector exits 2 with a one-line message.
fn refused(cases: &[Vec<&str>]) {
    for bad in cases {
        let (code, err) = run(bad);
        assert_eq!(code, 2, "{bad:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{bad:?}: {err}");
    }
}

/// `dice` writes the shared shape, gives the same rows on one and two threads (timing
/// aside), and refuses bad flags before any work.
#[test]
fn dice_writes_the_shared_json_shape_on_any_thread_count() {
    let args = ["dice", "--depths", "3,4", "--trees", "3", "--samples", "32", "--budget", "150"];
    let run_with = |threads: &str| {
        let dir = ScratchDir::new("dice");
        let (text, doc) = run_json(&[&args[..], &["--threads", threads]].concat(), &dir, "dice.json");
        assert!(dir.join("dice.svg").exists());
        (text, doc)
    };
    let (text, one) = run_with("1");
    let (_, two) = run_with("2");
    let untimed = |d: &serde_json::Value| -> Vec<serde_json::Value> {
        d["rows"].as_array().unwrap().iter().filter(|r| r["metric"] != "seconds").cloned().collect()
    };
    assert_eq!(untimed(&one), untimed(&two));
    assert_eq!(one["experiment"], "dice");
    assert_eq!(one["config"]["samples"], 32);
    let row = |m: &str, metric: &str| {
        one["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["setting"] == "depth=4" && r["method"] == m && r["metric"] == metric)
            .unwrap()["mean"]
            .as_f64()
            .unwrap()
    };
    // The baselines draw exactly RR's batches; exact RR draws none.
    assert_eq!(row("pg-random", "timesteps"), row("rr", "timesteps"));
    assert_eq!(row("rr", "episodes"), 32.0 * row("rr", "timesteps"));
    assert_eq!(row("rr-exact", "episodes"), 0.0);
    assert_eq!(one["claims"].as_array().unwrap().len(), 2);
    assert!(text.contains("claim met") || text.contains("claim not met"), "{text}");
    refused(&[
        vec!["dice", "--samples", "1"],
        vec!["dice", "--ridges", "0"],
        vec!["dice", "--alpha", "0"],
        vec!["dice", "--pg-lr", "nan"],
        vec!["dice", "--hidden", "0"],
        vec!["dice", "--methods", "rr,rr"],
        vec!["dice", "--policy", "deep"],
        vec!["dice", "--depths", "31"],
    ]);
}

#[test]
fn mnist_and_search_and_paper_reject_bad_input() {
    for bad in [
        vec!["mnist", "--methods", "adamw"],
        vec!["mnist", "--steps", "0"],
        vec!["mnist", "--data", "/no/such/dir"],
        vec!["mnist", "--alpha", "nan"],
        vec!["mnist", "--fixed-ev-alpha", "nan"],
        vec!["mnist", "--activation", "sigmoid"],
        vec!["mnist-classes", "--ridges", "5..2"],
        vec!["mnist-classes", "--early", "100"],
        vec!["mnist", "--ridge", "9", "--steps", "1", "--methods", "rr"],
        vec!["search", "--problem", "chess"],
        vec!["search", "--depth", "0"],
        vec!["levers", "--out", "/proc/forbidden/dir"],
        vec!["cmnist", "--methods", "vrex"],
        vec!["cmnist", "--runs", "0"],
        vec!["cmnist", "--alpha=-1"],
        vec!["cmnist", "--ridges", "1000"],
        vec!["cmnist", "--betas", "1,1,1,10,1"],
        vec!["cmnist", "--betas", "1,1,1,-10,1,1"],
        vec!["cmnist", "--betas", "1,1,1,nan,1,1"],
        vec!["cmnist", "--data", "/no/such/dir"],
    ] {
        let (code, err) = run(&bad);
        assert_eq!(code, 2, "{bad:?}: {err}");
        assert!(!err.contains("panicked") && err.lines().count() <= 3, "{bad:?}: {err}");
    }
    // A data directory with a malformed IDX file.
    let dir = ScratchDir::new("badidx");
    for name in
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    {
        std::fs::write(dir.join(name), b"\x00\x00\x08\x03garbage").unwrap();
    }
    let (code, err) = run(&["mnist", "--data", dir.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("train-images-idx3-ubyte"), "{err}");
}

#[test]
fn mnist_trains_relu_networks_and_records_the_activation() {
    let dir = ScratchDir::new("mnist");
    let args = ["mnist", "--activation", "relu", "--hidden", "4", "--steps", "3", "--eval-every", "1", "--methods"];
    let (_, doc) =
        run_json(&[&args[..], &["rr,sgd", "--probe-batch", "64", "--batch", "32"]].concat(), &dir, "mnist.json");
    assert_eq!(doc["config"]["activation"], "relu");
    // mnist's own defaults for what the command line left out.
    assert_eq!((doc["config"]["s"].as_u64(), doc["config"]["alpha"].as_f64()), (Some(8), Some(0.05)));
    assert_eq!(doc["config"]["fixed_ev_alpha"].as_f64(), Some(0.025));
    assert_eq!(doc["rows"].as_array().unwrap().len(), 4);
    assert_eq!(doc["curves"]["rr"]["steps"].as_array().unwrap().len(), 4);
}

/// Methods train in parallel, but each is deterministic on its own: one thread or two
/// give the same curves, reported in the order the methods were asked for.
#[test]
fn mnist_methods_give_the_same_results_on_one_and_two_threads() {
    let args = ["mnist", "--hidden", "4", "--steps", "6", "--eval-every", "2", "--probe-batch", "64", "--batch", "32"];
    let run_with = |threads: &str| {
        let dir = ScratchDir::new("mnist");
        let all = [&args[..], &["--methods", "fixed-ev,sgd,rr", "--threads", threads]].concat();
        let (text, mut doc) = run_json(&all, &dir, "mnist.json");
        for curve in doc["curves"].as_object_mut().unwrap().values_mut() {
            let c = curve.as_object_mut().unwrap();
            assert!(c.remove("seconds").is_some() && c.remove("ms_per_step").is_some());
        }
        (text, doc["rows"].clone(), doc["curves"].clone())
    };
    let (text1, rows1, curves1) = run_with("1");
    let (_, rows2, curves2) = run_with("2");
    assert_eq!((&rows1, &curves1), (&rows2, &curves2));
    let methods: Vec<&str> = rows1.as_array().unwrap().iter().map(|r| r["method"].as_str().unwrap()).collect();
    assert_eq!(methods, ["fixed-ev", "fixed-ev", "sgd", "sgd", "rr", "rr"]);
    let order: Vec<usize> = ["fixed-ev", "sgd", "rr "].iter().map(|m| text1.find(m).unwrap()).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text1}");
}

/// Ridges train in parallel; rows, per-ridge results and the printed digits keep ridge order.
#[test]
fn mnist_classes_reports_every_ridge_in_order() {
    let dir = ScratchDir::new("mnist-classes");
    let args = ["mnist-classes", "--ridges", "0..3", "--hidden", "4", "--steps", "6", "--eval-every", "2"];
    let more = ["--early", "2..4", "--probe-batch", "64", "--batch", "32", "--threads", "2"];
    let (text, doc) = run_json(&[&args[..], &more[..]].concat(), &dir, "mnist_classes.json");
    let settings: Vec<&str> = doc["rows"].as_array().unwrap().iter().map(|r| r["setting"].as_str().unwrap()).collect();
    assert_eq!(settings, ["ridge=0", "ridge=1", "ridge=2"]);
    // mnist-classes keeps the shorter schedule its Fig. 5 was measured with.
    assert_eq!((doc["config"]["s"].as_u64(), doc["config"]["alpha"].as_f64()), (Some(2), Some(0.05)));
    let per_ridge = doc["per_ridge"].as_array().unwrap();
    assert_eq!(per_ridge.iter().map(|r| r["ridge"].as_u64().unwrap()).collect::<Vec<_>>(), [0, 1, 2]);
    for r in per_ridge {
        let early = r["early_class_accuracy"].as_array().unwrap();
        assert_eq!(early.len(), 10);
        assert!(early.iter().any(|a| a.as_f64().is_some_and(|a| (0.0..=1.0).contains(&a))), "{early:?}");
    }
    assert!(std::fs::read_to_string(dir.join("mnist_classes.svg")).unwrap().starts_with("<svg"));
    let firsts = text.lines().find(|l| l.starts_with("digits learned first")).expect(&text);
    let (a, b, c) = (firsts.find("ridge 0:"), firsts.find("ridge 1:"), firsts.find("ridge 2:"));
    assert!(a < b && b < c && a.is_some(), "{firsts}");
}

#[test]
fn cmnist_writes_the_shared_json_shape_and_an_svg() {
    let dir = ScratchDir::new("cmnist");
    let args =
        ["cmnist", "--runs", "2", "--mis-steps", "5", "--inner-steps", "2", "--ride-steps", "2", "--ridges", "1"];
    let more = ["--steps", "5", "--batch", "100", "--threads", "2"];
    let (text, doc) = run_json(&[&args[..], &more[..]].concat(), &dir, "cmnist.json");
    assert_eq!(doc["experiment"], "cmnist");
    assert_eq!(doc["config"]["runs"], 2);
    // The --betas default is the library's.
    let b = ridge_rider::problems::cmnist::rr::Betas::default();
    let defaults = [b.correlation, b.curvature, b.loss, b.equal_curvature, b.consistency_curvature, b.consistency];
    let betas: Vec<f64> = doc["config"]["betas"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    assert_eq!(betas, defaults);
    let rows = doc["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 6, "3 methods × train/test");
    for r in rows {
        assert_eq!(r["metric"], "accuracy");
        assert_eq!(r["n"], 2);
        let m = r["mean"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&m));
        assert!(["split=train", "split=test"].contains(&r["setting"].as_str().unwrap()));
    }
    assert!(std::fs::read_to_string(dir.join("cmnist.svg")).unwrap().starts_with("<svg"));
    // The MIS diagnostics, one per run.
    let mis = &doc["methods"]["rr"]["mis"];
    for key in ["curvature_gap_fit", "curvature_gap_held_out", "test_curvature", "colour_share"] {
        let xs = mis[key].as_array().unwrap_or_else(|| panic!("{key} missing: {mis}"));
        assert_eq!(xs.len(), 2, "{key}");
        assert!(xs.iter().all(|x| x.as_f64().is_some_and(f64::is_finite)), "{key}: {xs:?}");
    }
    assert!(text.contains("irm") && text.contains("chance"), "{text}");
    assert!(text.contains("curvature in the test environment"), "{text}");
}

/// A step α that would overflow the ride is refused before any work, with the bound.
#[test]
fn cmnist_refuses_a_step_that_would_overflow_the_ride() {
    let dir = ScratchDir::new("cmnist-overflow");
    let args = ["cmnist", "--methods", "rr", "--runs", "1", "--mis-steps", "3", "--inner-steps", "1"];
    let out = Command::new(env!("CARGO_BIN_EXE_ridge-rider"))
        .args(args)
        .args(["--alpha", "1e300", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--alpha") && err.contains("1000") && !err.contains("panicked"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

/// Write `digits` of the embedded MNIST as a standard IDX pair named `prefix`-…,
/// gzipped or not.
fn write_idx_pair(dir: &std::path::Path, prefix: &str, digits: std::ops::Range<usize>, gzip: bool) {
    use std::io::Write;
    let all = ridge_rider::problems::data::mnist::embedded_all();
    let n = digits.len() as u32;
    let pixels: Vec<u8> =
        all.x[digits.start * 784..digits.end * 784].iter().map(|v| (v * 255.0).round() as u8).collect();
    let images = common::idx(0x0803, &[n, 28, 28], &pixels);
    let labels = common::idx(0x0801, &[n], &all.labels[digits].iter().map(|&l| l as u8).collect::<Vec<u8>>());
    for (kind, bytes) in [("images-idx3-ubyte", images), ("labels-idx1-ubyte", labels)] {
        let name = format!("{prefix}-{kind}{}", if gzip { ".gz" } else { "" });
        let data = if gzip {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(&bytes).unwrap();
            enc.finish().unwrap()
        } else {
            bytes
        };
        std::fs::write(dir.join(name), data).unwrap();
    }
}

/// `--data` reads a full-MNIST directory (here a small one: training files plain,
/// test files gzipped); `cmnist` needs the paper's 60,000 digits and says so.
#[test]
fn mnist_reads_a_data_directory_and_cmnist_asks_for_enough_digits() {
    let data = ScratchDir::new("fullmnist");
    write_idx_pair(&data, "train", 0..300, false);
    write_idx_pair(&data, "t10k", 300..400, true);
    let dir = ScratchDir::new("mnistdata");
    let args = ["mnist", "--data", data.to_str().unwrap(), "--hidden", "4", "--steps", "3", "--methods", "rr,linear"];
    let (_, doc) = run_json(&[&args[..], &["--probe-batch", "64", "--batch", "32"]].concat(), &dir, "mnist.json");
    assert_eq!(doc["config"]["data"], data.to_str().unwrap());
    assert_eq!(doc["rows"].as_array().unwrap().len(), 4);
    let (code, err) = run(&["cmnist", "--data", data.to_str().unwrap(), "--out", dir.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("50000") && err.lines().count() == 1, "{err}");
}

/// The flags that name one of a fixed set (`--methods`, `--activation`, `--which`):
/// `--help` lists the values with the default, a bad value exits 2 with one line that
/// lists them too, and the hidden ARPACK aliases of `--which` are still accepted.
#[test]
fn fixed_choice_flags_list_their_values_and_refuse_others_in_one_line() {
    let help = |cmd: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_ridge-rider")).args([cmd, "--help"]).output().unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let cases = [
        (
            "tree",
            "--methods",
            "[default: rr,gd-random,gd-saddle,random-vector]",
            "rr, gd-random, gd-saddle, random-vector, fixed-ev, rand-ridge-plus",
        ),
        (
            "mnist",
            "--methods",
            "[default: rr,sgd,fixed-ev,rand-ridge-plus,linear]",
            "rr, sgd, fixed-ev, rand-ridge-plus, linear",
        ),
        ("mnist", "--activation", "[default: tanh]", "tanh, relu"),
        ("mnist-classes", "--activation", "[default: tanh]", "tanh, relu"),
        ("cmnist", "--methods", "[default: rr,erm,irm]", "rr, erm, irm"),
        ("spectrum", "--activation", "[default: tanh]", "tanh, relu"),
        ("spectrum", "--which", "[default: most-negative]", "most-negative, largest, largest-magnitude"),
    ];
    for (cmd, flag, default, values) in cases {
        let text = help(cmd);
        let line = text.lines().skip_while(|l| !l.contains(flag)).take(2).collect::<String>();
        let listed = format!("[possible values: {values}]");
        assert!(line.contains(default) && line.contains(&listed), "{cmd} {flag}: {line}");
        let (code, err) = run(&[cmd, flag, "bogus"]);
        assert_eq!(code, 2, "{cmd} {flag}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{cmd} {flag}: {err}");
        assert!(err.contains("invalid value 'bogus'") && err.contains(&listed), "{cmd} {flag}: {err}");
    }
    for alias in ["sa", "la", "lm", "largest"] {
        assert!(ridge_rider::cli::check_args(["ridge-rider", "spectrum", "--which", alias]).is_ok(), "{alias}");
    }
    let err = ridge_rider::cli::check_args(["ridge-rider", "tree", "--methods", "rr,RR"]).unwrap_err();
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn spectrum_refuses_batches_that_do_not_fit() {
    refused(&[
        vec!["spectrum", "--batches", "0"],
        vec!["spectrum", "--batches", "65"],
        vec!["spectrum", "--batch", "2236", "--batches", "5"],
        vec!["spectrum", "--trace-products", "5"],
        vec!["spectrum", "--density-starts", "1"],
    ]);
    // Per-layer spectra: a row per block and eigenvalue, in the layers' order.
    let dir = ScratchDir::new("spectrum-blocks");
    let args = ["spectrum", "--hidden", "4", "--batch", "64", "--k", "2", "--blocks", "--trace", "--density"];
    let (_, doc) = run_json(&args, &dir, "spectrum.json");
    let rows = doc["rows"].as_array().unwrap();
    for metric in ["trace", "negative_fraction", "negative_mass"] {
        let per_block = rows.iter().filter(|r| r["metric"] == metric && r["setting"] != "hessian").count();
        assert_eq!(per_block, 4, "{metric}");
    }
    let blocks: Vec<String> = rows
        .iter()
        .filter(|r| r["metric"] == "eigenvalue")
        .filter_map(|r| r["setting"].as_str())
        .filter(|s| s.starts_with("block="))
        .map(String::from)
        .collect();
    assert_eq!(
        blocks,
        ["block=W1", "block=W1", "block=b1", "block=b1", "block=W2", "block=W2", "block=b2", "block=b2"]
    );
}
