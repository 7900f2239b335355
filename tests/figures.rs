//! The figures' layout, checked on real output from short runs: every text inside the
//! canvas, no two texts overlapping, no two lines alike (`cli::svg::layout`), for the
//! figure of every command that draws one.

mod common;
use common::{run_into, ScratchDir};
use ridge_rider::cli::svg::layout::layout_problems;

fn figure(args: &[&str], file: &str) -> String {
    let dir = ScratchDir::new("figures");
    run_into(args, &dir);
    std::fs::read_to_string(dir.join(file)).unwrap()
}

#[test]
fn the_mnist_curves_are_laid_out_cleanly() {
    let svg = figure(&["mnist", "--steps", "20", "--eval-every", "10"], "mnist.svg");
    assert_eq!(layout_problems(&svg), Vec::<String>::new());
    // One colour per method, train dashed: five colours, five dashed lines; then the
    // paper's 98% and SGD's final accuracy as grey reference lines.
    assert_eq!(svg.matches("<polyline").count(), 12);
    assert_eq!(svg.matches(r##"<polyline fill="none" stroke-width="1.5" stroke="#0072B2""##).count(), 2);
    assert_eq!(svg.matches(r#"stroke-dasharray="6 3" points"#).count(), 5);
    assert_eq!(svg.matches(r##"stroke="#555555""##).count(), 4, "two reference lines and their legend entries");
    assert!(svg.contains("paper: RR about 98%") && svg.contains("SGD final test ("));
}

#[test]
fn the_tree_and_colored_mnist_bars_are_laid_out_cleanly() {
    // Two trees per depth: no interval, each tree a point; three: intervals.
    let two = figure(&["tree", "--depths", "4,6", "--trees", "2", "--budget", "3000"], "tree.svg");
    assert_eq!(layout_problems(&two), Vec::<String>::new());
    assert!(two.contains(">depth 4</text>") && two.contains(">depth 6</text>"), "one panel per depth");
    assert_eq!(two.matches("<circle").count(), 2 * 4 * 2, "two points per bar");
    let three = figure(&["tree", "--depths", "4", "--trees", "3", "--budget", "3000"], "tree.svg");
    assert_eq!(layout_problems(&three), Vec::<String>::new());
    assert_eq!(three.matches("<circle").count(), 0);
    let cmnist =
        figure(&["cmnist", "--runs", "1", "--steps", "20", "--mis-steps", "10", "--inner-steps", "2"], "cmnist.svg");
    assert_eq!(layout_problems(&cmnist), Vec::<String>::new());
    // The paper's bars are outlined in the colour of the method they stand beside.
    assert_eq!(cmnist.matches(r##"fill="white" stroke="#0072B2""##).count(), 3, "rr (paper): two bars and a swatch");
}

#[test]
fn the_dice_bars_are_laid_out_cleanly() {
    let svg = figure(&["dice", "--depths", "4,6", "--trees", "3", "--samples", "16", "--budget", "60"], "dice.svg");
    assert_eq!(layout_problems(&svg), Vec::<String>::new());
    assert!(svg.contains(">depth 4</text>") && svg.contains(">rr-exact</text>"));
}

#[test]
fn the_spectral_density_is_laid_out_cleanly_with_its_negative_part_marked() {
    let args =
        ["spectrum", "--hidden", "4", "--batch", "64", "--k", "2", "--density", "--trace", "--density-steps", "10"];
    let dir = ScratchDir::new("figures-spectrum");
    run_into(&args, &dir);
    let svg = std::fs::read_to_string(dir.join("spectrum.svg")).unwrap();
    assert_eq!(layout_problems(&svg), Vec::<String>::new());
    assert!(svg.contains("eigenvalues &lt; 0") && svg.contains("eigenvalues ≥ 0"));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("spectrum.json")).unwrap()).unwrap();
    let metric = |m: &str| doc["rows"].as_array().unwrap().iter().find(|r| r["metric"] == m).cloned().unwrap();
    let fraction = metric("negative_fraction")["mean"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&fraction) && metric("trace")["ci95"].as_f64().unwrap() >= 0.0);
    assert_eq!(doc["config"]["batches"], 1);
    // Averaged over two batches, and refused where the batches do not fit the data.
    let two = ScratchDir::new("figures-spectrum-batches");
    run_into(&["spectrum", "--hidden", "4", "--batch", "64", "--k", "2", "--batches", "2"], &two);
    let averaged: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(two.join("spectrum.json")).unwrap()).unwrap();
    assert_eq!(averaged["config"]["batches"], 2);
    assert_ne!(averaged["eigenvalues"], doc["eigenvalues"], "a different operator");
    let weights = &doc["analysis"]["density"]["weights"][0];
    let sum: f64 = weights.as_array().unwrap().iter().map(|w| w.as_f64().unwrap()).sum();
    assert!((sum - 1.0).abs() < 1e-9, "quadrature weights sum to {sum}");
}

#[test]
fn the_heatmap_figures_are_laid_out_cleanly() {
    let levers = figure(&["levers", "--replicates", "3", "--repeats", "2"], "levers.svg");
    assert_eq!(layout_problems(&levers), Vec::<String>::new());
    let classes =
        figure(&["mnist-classes", "--ridges", "0..2", "--steps", "10", "--eval-every", "5"], "mnist_classes.svg");
    assert_eq!(layout_problems(&classes), Vec::<String>::new());
    // Each heatmap figure has its colour bar.
    for svg in [&levers, &classes] {
        assert_eq!(svg.matches(r#"width="12" height="8""#).count(), 10);
    }
}

proptest::proptest! {
    /// Nice ticks cover the range, are evenly spaced by 1, 2 or 5 × 10ᵏ, and are few.
    #[test]
    fn nice_ticks_cover_the_range_in_round_steps(lo in -1e3..1e3f64, span in 1e-3..1e4f64, count in 2usize..8) {
        let hi = lo + span;
        let t = ridge_rider::cli::svg::nice_ticks(lo, hi, count);
        proptest::prop_assert!(t[0] <= lo && *t.last().unwrap() >= hi, "{t:?} for [{lo}, {hi}]");
        let step = t[1] - t[0];
        let mantissa = step / 10f64.powf(step.log10().floor());
        proptest::prop_assert!([1.0, 2.0, 5.0, 10.0].iter().any(|m| (mantissa - m).abs() < 1e-6), "step {step}");
        proptest::prop_assert!(t.len() <= 2 * count + 2, "{} ticks", t.len());
        for w in t.windows(2) {
            proptest::prop_assert!(((w[1] - w[0]) - step).abs() <= 1e-9 * step.max(hi.abs()));
        }
    }
}
