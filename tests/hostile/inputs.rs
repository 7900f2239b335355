//! Bad input: exit 2 with one clear line, before any work, whatever the flag.

use super::common::{idx, ScratchDir};
use super::{case, run};
use ridge_rider::io::npy::{write_npy, NpyArray};
use std::path::Path;

const MAX: &str = "18446744073709551615";

/// An MNIST directory with `train` and `test` images (all zero, label 0).
fn idx_dir(name: &str, train: u32, test: u32) -> ScratchDir {
    let dir = ScratchDir::new(name);
    for (prefix, n) in [("train", train), ("t10k", test)] {
        let images = idx(0x0803, &[n, 28, 28], &vec![0u8; n as usize * 784]);
        std::fs::write(dir.join(format!("{prefix}-images-idx3-ubyte")), images).unwrap();
        std::fs::write(dir.join(format!("{prefix}-labels-idx1-ubyte")), idx(0x0801, &[n], &vec![0u8; n as usize]))
            .unwrap();
    }
    dir
}

fn npy(dir: &Path, name: &str, shape: Vec<usize>, value: f64) -> String {
    let path = dir.join(name);
    let data = vec![value; shape.iter().product()];
    write_npy(&path, &NpyArray { shape, data }).unwrap();
    path.display().to_string()
}

#[test]
fn empty_data_sets_are_refused() {
    let none = idx_dir("hostile-empty", 0, 0);
    case(&["mnist", "--data", none.to_str().unwrap()], 2, "holds no images");
    let no_test = idx_dir("hostile-notest", 50, 0);
    case(&["mnist", "--data", no_test.to_str().unwrap(), "--steps", "1"], 2, "holds no images");
}

#[test]
fn absurd_counts_are_refused_with_the_bound_before_allocation() {
    for n in [MAX, "10000000000"] {
        case(&["tree", "--trees", n], 2, "between 1 and 10000");
        case(&["cmnist", "--runs", n], 2, "between 1 and 10000");
        case(&["levers", "--repeats", n], 2, "between 1 and 10000");
    }
    case(&["mnist", "--ridge", MAX], 2, "--ridge must be between 0 and 199");
    case(&["tree", "--threads", "1000"], 2, "--threads must be between 1 and 256");
    case(&["spectrum", "--max-subspace", "1000000"], 2, "--max-subspace must be between 0 and");
    case(&["spectrum", "--max-hvps", "0"], 2, "--max-hvps must be between 1 and");
    case(&["mnist", "--batch", "99999999"], 2, "at most the training set) must be between 1 and 8000");
}

#[test]
fn floats_must_be_finite_and_in_range() {
    case(&["levers", "--payoffs", "1"], 2, "number of levers must be between 2");
    case(&["levers", "--payoffs", "1e308,1e308"], 2, "--payoffs must be a finite number in (0, 100]");
    case(&["mnist", "--lr-x", "1e300"], 2, "--lr-x must be a finite number in [0, 100]");
    case(&["mnist", "--alpha", "0"], 2, "--alpha must be a finite number in (0, 10]");
    case(&["mnist", "--s", "0"], 2, "--s must be between 1 and 1000");
    case(&["cmnist", "--betas", "1e308,1,1,10,1,1"], 2, "--betas must be six numbers in [0, 1e6]");
}

#[test]
fn duplicate_list_entries_are_refused() {
    case(&["tree", "--methods", "rr,rr"], 2, "--methods lists rr twice");
    case(&["mnist", "--methods", "sgd,rr,sgd"], 2, "--methods lists sgd twice");
    case(&["cmnist", "--methods", "rr,rr"], 2, "--methods lists rr twice");
    case(&["tree", "--depths", "4,4"], 2, "--depths lists 4 twice");
}

#[test]
fn spectrum_checks_its_parameters_and_files_first() {
    let dir = ScratchDir::new("hostile-npy");
    let n = 784 * 8 + 8 + 8 * 10 + 10;
    let huge = npy(&dir, "huge.npy", vec![n], 1e308);
    case(&["spectrum", "--hidden", "8", "--batch", "50", "--params", &huge], 2, "1e308 at index 0");
    let cube = npy(&dir, "cube.npy", vec![2, 5, 637], 0.0);
    case(&["spectrum", "--hidden", "8", "--batch", "50", "--params", &cube], 2, "shape (2, 5, 637)");
    // A ride's rows must each hold the parameters; a bad value is named by row.
    let row = npy(&dir, "row.npy", vec![1, n + 1], 0.0);
    case(&["spectrum", "--hidden", "8", "--batch", "50", "--params", &row], 2, &format!("shape (1, {})", n + 1));
    let ride = npy(&dir, "ride.npy", vec![2, n], 1e308);
    case(&["spectrum", "--hidden", "8", "--batch", "50", "--along", &ride], 2, "1e308 at row 0, index 0");
    let flat = npy(&dir, "flat.npy", vec![n], 0.0);
    case(&["spectrum", "--hidden", "8", "--params", &flat, "--init", "bogus"], 2, "cannot be used with");
    case(&["spectrum", "--init", "bogus"], 2, "unknown --init 'bogus'");
    // The directory of --json is checked before the work, and nothing is written.
    let o = case(&["spectrum", "--json", "/missing/dir/x.json"], 2, "no directory /missing/dir");
    assert!(o.stdout.is_empty());
}

#[test]
fn mnist_classes_checks_every_ridge_before_training() {
    let out = super::seeded("hostile-ridges");
    let before = super::snapshot(&out);
    let args = ["mnist-classes", "--ridges", "8..10", "--hidden", "4", "--probe-batch", "64", "--out"];
    let o = run(&[&args[..], &[out.to_str().unwrap()]].concat());
    super::check("mnist-classes --ridges 8..10", &o, 2, "ridge 9 was not found", &out, &before);
    // Nothing trained: no ridge's results were written.
    assert!(!out.join("mnist_classes.json").exists(), "ridge 8 trained before the refusal");
}

#[test]
fn data_files_that_are_not_regular_files_are_named_as_such() {
    type Make<'a> = &'a dyn Fn(&Path);
    let cases: [(&str, Make, &str); 3] = [
        ("fifo", &|p| assert!(std::process::Command::new("mkfifo").arg(p).status().unwrap().success()), "FIFO"),
        ("dangling", &|p| std::os::unix::fs::symlink("/no/such/target", p).unwrap(), "symlink to a missing file"),
        ("loop", &|p| std::os::unix::fs::symlink(p, p).unwrap(), "symbolic links"),
    ];
    for (name, make, says) in cases {
        let dir = idx_dir(&format!("hostile-{name}"), 10, 10);
        let images = dir.join("train-images-idx3-ubyte");
        std::fs::remove_file(&images).unwrap();
        make(&images);
        case(&["mnist", "--data", dir.to_str().unwrap()], 2, says);
    }
}

#[test]
fn clap_errors_are_one_line_with_the_usage() {
    case(&["tree", "--nope"], 2, "usage: ridge-rider tree");
    case(&["tree", "--trees", "many"], 2, "usage: ridge-rider tree");
    case(&["no-such-command"], 2, "unrecognized subcommand");
    let o = run::<&str>(&[]);
    assert_eq!(o.code, Some(2), "{o:?}");
    assert_eq!(o.stderr.trim().lines().count(), 1, "{}", o.stderr);
}

#[test]
fn a_checkpoint_that_is_a_directory_is_bad_input() {
    for resume in [false, true] {
        let out = super::seeded("hostile-ckdir");
        std::fs::create_dir(out.join("search.checkpoint")).unwrap();
        let before = super::snapshot(&out);
        let mut args = vec!["search", "--problem", "figure1", "--out", out.to_str().unwrap()];
        if resume {
            args.push("--resume");
        }
        let o = run(&args);
        super::check("checkpoint directory", &o, 2, "not a checkpoint file", &out, &before);
    }
}
