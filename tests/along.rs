//! A ride saved by `mnist --save-ride` and its Hessian spectra along it
//! (`spectrum --along`): the file holds the ride's θs from the start, and each point's
//! tracked eigenvalues are those of a solve at that θ alone.

mod common;
use common::{run_into, ScratchDir};
use ridge_rider::cli::svg::layout::layout_problems;
use ridge_rider::io::npy::read_npy;
use ridge_rider::problems::mnist::mlp::{Activation, Mlp};
use serde_json::Value;
use std::process::Command;

const SMALL: [&str; 6] = ["--hidden", "4", "--batch", "64", "--threads", "2"];

fn json(dir: &ScratchDir, file: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap()
}

/// A 20-step RR ride of the 4-unit MLP with θ every 10 steps.
fn saved_ride(dir: &ScratchDir) -> std::path::PathBuf {
    let ride = dir.join("ride.npy");
    let mut args = vec!["mnist", "--methods", "rr", "--steps", "20", "--eval-every", "10", "--probe-batch", "200"];
    args.extend(["--save-ride", ride.to_str().unwrap(), "--save-every", "10"]);
    run_into(&[&args[..], &SMALL[..]].concat(), dir);
    ride
}

#[test]
fn the_spectrum_along_a_saved_ride_is_the_spectrum_at_each_of_its_points() {
    let dir = ScratchDir::new("along");
    let ride = saved_ride(&dir);
    let mlp = Mlp::mnist(4, Activation::Tanh);
    let thetas = read_npy(&ride).unwrap();
    assert_eq!(thetas.shape, [3, mlp.dim()]);
    // Row 0 is the ride's start, the near-zero initialisation of the seed.
    assert_eq!(thetas.data[..mlp.dim()], mlp.init_near_zero(0, 0.01)[..]);
    assert!(thetas.data[2 * mlp.dim()..] != thetas.data[..mlp.dim()], "the ride moved");

    let solve = ["--k", "3", "--tol", "1e-8"];
    let along = |cold: bool, out: &ScratchDir| {
        let mut args = vec!["spectrum", "--along", ride.to_str().unwrap(), "--along-every", "10", "--trace"];
        if cold {
            args.push("--cold-starts");
        }
        run_into(&[&args[..], &solve[..], &SMALL[..4]].concat(), out);
        json(out, "spectrum.json")
    };
    let (warm_dir, cold_dir) = (ScratchDir::new("along-warm"), ScratchDir::new("along-cold"));
    let (warm, cold) = (along(false, &warm_dir), along(true, &cold_dir));
    assert_eq!(warm["along"]["steps"], serde_json::json!([0, 10, 20]));
    assert_eq!(warm["along"]["warm_start"], true);
    assert_eq!(cold["along"]["warm_start"], false);
    assert_eq!(warm["complete"], true);
    for row in 0..3 {
        let single = ScratchDir::new("along-single");
        let args = ["spectrum", "--params", ride.to_str().unwrap(), "--row", &row.to_string()];
        run_into(&[&args[..], &solve[..], &SMALL[..4]].concat(), &single);
        let want = json(&single, "spectrum.json")["eigenvalues"].clone();
        for doc in [&warm, &cold] {
            let got = &doc["along"]["eigenvalues"][row];
            for (g, w) in got.as_array().unwrap().iter().zip(want.as_array().unwrap()) {
                let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
                assert!((g - w).abs() <= 1e-6 * w.abs(), "row {row}: {g} vs {w}");
            }
            assert!(doc["along"]["converged"][row].as_array().unwrap().iter().all(|c| c == true));
        }
    }
    // One row per point and eigenvalue, and a trace row per point.
    let rows = warm["rows"].as_array().unwrap();
    assert_eq!(rows.iter().filter(|r| r["metric"] == "eigenvalue").count(), 9);
    assert_eq!(rows.iter().filter(|r| r["metric"] == "trace").count(), 3);
    let svg = std::fs::read_to_string(warm_dir.join("spectrum.svg")).unwrap();
    assert!(svg.contains("λ2") && svg.contains("step"));
    assert_eq!(layout_problems(&svg), Vec::<String>::new());
    // Ten lines, more than the palette's eight colours, still all look different.
    let ten = ScratchDir::new("along-ten");
    let args = ["spectrum", "--along", ride.to_str().unwrap(), "--along-every", "10", "--k", "10"];
    run_into(&[&args[..], &SMALL[..4]].concat(), &ten);
    let svg = std::fs::read_to_string(ten.join("spectrum.svg")).unwrap();
    assert!(svg.contains("λ9") && svg.contains("most negative"));
    assert_eq!(layout_problems(&svg), Vec::<String>::new());
}

fn exit(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ridge-rider")).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn bad_rides_and_flags_are_refused_with_one_line() {
    let dir = ScratchDir::new("along-bad");
    let wrong = dir.join("wrong.npy");
    let arr = ridge_rider::io::npy::NpyArray { shape: vec![2, 5], data: vec![0.0; 10] };
    std::fs::write(&wrong, ridge_rider::io::npy::write_npy_bytes(&arr)).unwrap();
    let ride = saved_ride(&dir);
    let (ride, wrong) = (ride.to_str().unwrap(), wrong.to_str().unwrap());
    let out = dir.to_str().unwrap();
    for bad in [
        vec!["spectrum", "--along", wrong],
        vec!["spectrum", "--along", "/no/such/ride.npy"],
        vec!["spectrum", "--along", ride, "--density"],
        vec!["spectrum", "--along", ride, "--params", ride],
        vec!["spectrum", "--along", ride, "--along-every", "0"],
        vec!["spectrum", "--params", ride, "--row", "3"],
        vec!["spectrum", "--row", "1"],
        vec!["spectrum", "--cold-starts"],
        vec!["mnist", "--methods", "sgd", "--save-ride", "x.npy"],
        vec!["mnist", "--save-every", "10"],
        vec!["mnist", "--save-ride", "/no/such/dir/ride.npy"],
        vec!["mnist", "--save-ride", "x.npy", "--steps", "25", "--save-every", "10"],
        vec!["mnist", "--save-ride", "x.npy", "--steps", "1000000", "--save-every", "1"],
        vec!["mnist", "--save-ride", "x.npy", "--shard", "0/2"],
    ] {
        let (code, err) = exit(&[&bad[..], &SMALL[..4], &["--out", out]].concat());
        assert_eq!(code, 2, "{bad:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{bad:?}: {err}");
    }
}
