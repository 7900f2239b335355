//! The report's sections, one per result of the paper: the command (full and quick),
//! the paper's figures, ours from a full run as README records them, and how this
//! run's JSON is read into a table and checked against the paper's claims. Each
//! section's claims sit beside its command, so a claim and the numbers it reads cannot
//! drift apart.

use super::verdict::{all_of, Check, Results};

/// One line of a section's table.
pub(super) struct Line {
    pub quantity: String,
    pub paper: &'static str,
    /// Ours on a full run, as README records it.
    pub recorded: &'static str,
    pub this_run: String,
}

/// What a section reads from its run.
pub(super) struct Summary {
    pub lines: Vec<Line>,
    pub checks: Vec<Check>,
}

/// One result of the paper.
pub(super) struct Section {
    pub title: &'static str,
    pub claim: &'static str,
    pub full: &'static [&'static str],
    pub quick: &'static [&'static str],
    /// What `--quick` scales down.
    pub scaled: &'static str,
    /// What the quick run cannot show that the full one does (None: it shows it).
    pub quick_caveat: Option<&'static str>,
    pub dir: &'static str,
    pub json: &'static str,
    pub svg: &'static str,
    pub summarise: fn(&Results) -> Summary,
}

fn line(quantity: impl Into<String>, paper: &'static str, recorded: &'static str, this_run: String) -> Line {
    Line { quantity: quantity.into(), paper, recorded, this_run }
}

/// `a > b`, when both were run.
fn above(a: Option<f64>, b: Option<f64>) -> Option<bool> {
    Some(a? > b?)
}

pub(super) const SECTIONS: [Section; 7] = [
    Section {
        title: "Fig. 2: diverse solutions in the binary tree",
        claim: "RR finds over 90% of the positive leaves at depths 4–10; gradient descent at most 50%; random vectors do poorly.",
        full: &["tree"],
        quick: &["tree", "--trees", "5"],
        scaled: "5 trees per depth (not 20)",
        quick_caveat: None,
        dir: "fig2",
        json: "tree.json",
        svg: "tree.svg",
        summarise: tree_fig2,
    },
    Section {
        title: "Fig. 3: depth 12, RR against Fixed-EV and Rand-Ridge+",
        claim: "RR finds the most positive leaves, Fixed-EV is competitive, Rand-Ridge+ does worst (ten trees of depth 12).",
        full: &["tree", "--depths", "12", "--trees", "10", "--methods", "rr,fixed-ev,rand-ridge-plus"],
        quick: &["tree", "--depths", "12", "--trees", "3", "--budget", "20000", "--methods", "rr,fixed-ev,rand-ridge-plus"],
        scaled: "3 trees (not 10), a budget of 20,000 timesteps (not 100,000)",
        quick_caveat: Some("three trees cannot order the methods: their 95% intervals are about ±40 points wide and overlap, so the quick verdict may differ from the full run's."),
        dir: "fig3",
        json: "tree.json",
        svg: "tree.svg",
        summarise: tree_fig3,
    },
    Section {
        title: "Fig. 8: RR on sampled Hessians (DiCE)",
        claim: "With Hessians estimated from sampled episodes by the DiCE objective, RR finds more diverse solutions than SGD (policy gradient) on the tree.",
        full: &["dice"],
        quick: &["dice"],
        scaled: "nothing: five trees leave the per-tree interval too wide to decide a depth, and ten take half a minute",
        quick_caveat: None,
        dir: "fig8",
        json: "dice.json",
        svg: "dice.svg",
        summarise: dice,
    },
    Section {
        title: "Fig. 6: zero-shot coordination in the lever game",
        claim: "The protocol picks the 0.6 lever (zero-shot payoff 0.6); two partial-coordination ridges choose the 0.8 levers; the others are self-play solutions (self-play 1.0) that fail in cross-play.",
        full: &["levers"],
        quick: &["levers"],
        scaled: "nothing (25 replicates × 5 repeats either way)",
        quick_caveat: None,
        dir: "fig6",
        json: "levers.json",
        svg: "levers.svg",
        summarise: levers,
    },
    Section {
        title: "Fig. 4: approximate RR trains an MLP on MNIST",
        claim: "About 98% train and test accuracy with approximate RR on the full MNIST, close to SGD; LR_x = 0 (Fixed-EV) stays below 90%, under a linear classifier; Rand.Ridge+ at most 30%.",
        full: &["mnist"],
        quick: &["mnist", "--hidden", "32"],
        scaled: "32 hidden units (not 128); the same 2,400 steps",
        quick_caveat: Some("with 32 hidden units RR trains (about 91% test on seed 0) but stays below SGD and near the linear classifier; only the full 128-unit net brings it within 1.5 points of SGD, so this figure cannot show that claim. Fewer steps on the full net (150 or 600) leave RR further behind (68% and 84%)."),
        dir: "fig4",
        json: "mnist.json",
        svg: "mnist.svg",
        summarise: mnist,
    },
    Section {
        title: "Fig. 5: per-class accuracy by first ridge",
        claim: "Low ridge indices learn 0 and 1 first, intermediate ones 2 and 3, indices above 30 the digit 8.",
        full: &["mnist-classes"],
        quick: &["mnist-classes", "--steps", "100"],
        scaled: "100 steps (not 1,200): the early window, steps 20–100, is the same",
        quick_caveat: None,
        dir: "fig5",
        json: "mnist_classes.json",
        svg: "mnist_classes.svg",
        summarise: mnist_classes,
    },
    Section {
        title: "Table 1: Colored MNIST",
        claim: "RR finds an invariant classifier (65.5 ± 1.7 train / 58.4 ± 2.4 test) where ERM takes the colour shortcut (87.4 / 17.8); IRM 69.7 / 65.7. Chance is 50%, the best invariant classifier 75%.",
        full: &["cmnist"],
        quick: &["cmnist", "--runs", "3", "--mis-steps", "100", "--inner-steps", "10", "--ridges", "1", "--steps", "400", "--irm-anneal", "150"],
        scaled: "3 runs (not 5), 100 MIS steps and 10 inner steps (not 300 and 30), one ride, 400 ERM/IRM steps with the IRM penalty from step 150 (not 1,000 and 300)",
        quick_caveat: None,
        dir: "table1",
        json: "cmnist.json",
        svg: "cmnist.svg",
        summarise: cmnist,
    },
];

/// The depths a tree run covered ("depth=4", …) and their numbers ("4 / 6 / …").
fn depths(r: &Results) -> (Vec<String>, String) {
    let settings = r.settings("percent_found");
    let numbers: Vec<&str> = settings.iter().map(|s| s.trim_start_matches("depth=")).collect();
    let label = numbers.join(" / ");
    (settings, label)
}

fn tree_fig2(r: &Results) -> Summary {
    let (settings, label) = depths(r);
    let at = |m: &str| r.across(&settings, m, "percent_found", 1.0);
    let lines = vec![
        line(format!("RR, % of positive leaves (depth {label})"), "> 90", "90.4 / 78.9 / 57.9 / 34.8", at("rr")),
        line("GD from random starts", "≤ 50", "76.2 / 63.6 / 42.9 / 22.0", at("gd-random")),
        line("GD from the saddle", "≤ 50", "55.2 / 29.4 / 17.2 / 8.6", at("gd-saddle")),
        line("random vectors from the saddle", "low", "71.9 / 70.6 / 48.4 / 27.4", at("random-vector")),
    ];
    let mean = |s: &String, m: &str| r.mean(s, m, "percent_found");
    let baselines = ["gd-random", "gd-saddle", "random-vector"];
    let checks = vec![
        Check::new(
            "RR finds more than every baseline at every depth",
            all_of(settings.iter().flat_map(|s| baselines.map(|b| above(mean(s, "rr"), mean(s, b))))),
        ),
        Check::new(
            "RR finds over 90% at every depth",
            all_of(settings.iter().map(|s| mean(s, "rr").map(|v| v > 90.0))),
        ),
        Check::new(
            "GD finds at most 50% at every depth",
            all_of(settings.iter().flat_map(|s| ["gd-random", "gd-saddle"].map(|b| mean(s, b).map(|v| v <= 50.0)))),
        ),
    ];
    Summary { lines, checks }
}

fn dice(r: &Results) -> Summary {
    let (settings, label) = depths(r);
    let at = |m: &str| r.across(&settings, m, "percent_found", 1.0);
    let lines = vec![
        line(
            format!("RR on DiCE Hessians, % of positive leaves (depth {label})"),
            "more than SGD",
            "97.5 / 98.2 / 92.8",
            at("rr"),
        ),
        line("policy gradient from random starts", "fewer", "51.7 / 32.6 / 30.7", at("pg-random")),
        line("policy gradient from the start", "fewer", "45.0 / 18.7 / 16.2", at("pg-saddle")),
        line("exact RR (exact Hessian, no samples)", "–", "87.5 / 78.3 / 61.9", at("rr-exact")),
    ];
    let claims = r.0["claims"].as_array().cloned().unwrap_or_default();
    let checks = claims
        .iter()
        .map(|c| {
            let depth = c["depth"].as_u64().unwrap_or(0);
            Check::new(
                format!("depth {depth}: RR above the better PG baseline (95% interval over trees)"),
                c["met"].as_bool(),
            )
        })
        .collect();
    Summary { lines, checks }
}

fn tree_fig3(r: &Results) -> Summary {
    let s = "depth=12";
    let lines = vec![
        line("RR, % of positive leaves", "highest", "21.2 ± 9.8", r.shown(s, "rr", "percent_found", 1.0)),
        line("Fixed-EV", "competitive", "53.4 ± 14.2", r.shown(s, "fixed-ev", "percent_found", 1.0)),
        line("Rand-Ridge+", "lowest", "62.7 ± 19.0", r.shown(s, "rand-ridge-plus", "percent_found", 1.0)),
    ];
    let mean = |m: &str| r.mean(s, m, "percent_found");
    let checks = vec![
        Check::new("RR above Fixed-EV", above(mean("rr"), mean("fixed-ev"))),
        Check::new("Fixed-EV above Rand-Ridge+", above(mean("fixed-ev"), mean("rand-ridge-plus"))),
    ];
    Summary { lines, checks }
}

fn levers(r: &Results) -> Summary {
    let zero_shot = r.mean("protocol", "rr", "zero_shot_payoff");
    let ridges = r.0["ridges"].as_array().cloned().unwrap_or_default();
    let payoff_of = |k: &serde_json::Value| k["payoff_mode"].as_f64();
    let setting = |k: &serde_json::Value| format!("ridge={}", k["ridge"]);
    let play = |k: &serde_json::Value, metric: &str| r.mean(&setting(k), "rr", metric);
    let partial: Vec<&serde_json::Value> = ridges.iter().filter(|k| payoff_of(k) == Some(0.8)).collect();
    let top = ridges.iter().filter_map(payoff_of).fold(f64::NEG_INFINITY, f64::max);
    let selfish: Vec<&serde_json::Value> = ridges
        .iter()
        .filter(|k| payoff_of(k) == Some(top) && top > 0.8 && play(k, "self_play").is_some_and(|v| v >= 0.99))
        .collect();
    let range = |ks: &[&serde_json::Value], metric: &str| {
        let xs: Vec<f64> = ks.iter().filter_map(|k| play(k, metric)).collect();
        match (xs.iter().cloned().reduce(f64::min), xs.iter().cloned().reduce(f64::max)) {
            (Some(lo), Some(hi)) if format!("{lo:.2}") == format!("{hi:.2}") => format!("{lo:.2}"),
            (Some(lo), Some(hi)) => format!("{lo:.2}–{hi:.2}"),
            _ => "–".into(),
        }
    };
    let lines = vec![
        line(
            "protocol's zero-shot payoff",
            "0.6",
            "0.600 (the 0.6 lever in 5/5 repeats)",
            zero_shot.map_or("–".into(), |z| format!("{z:.3}")),
        ),
        line(
            "ridges choosing 0.8 levers: cross-play",
            "partial (two ridges)",
            "ridges 1–4, ≈ 0.40",
            format!("{} ridges, {}", partial.len(), range(&partial, "cross_play")),
        ),
        line(
            "self-play ridges: self-play / cross-play",
            "1.0 / fails",
            "13 ridges, 1.0 / 0.12–0.15",
            format!("{} ridges, {} / {}", selfish.len(), range(&selfish, "self_play"), range(&selfish, "cross_play")),
        ),
        line(
            "self-play GD baseline: cross-play",
            "fails",
            "0.09",
            r.mean("baseline", "sp-gd", "cross_play").map_or("–".into(), |v| format!("{v:.2}")),
        ),
    ];
    let fails = |k: &&serde_json::Value| Some(play(k, "cross_play")? < 0.5);
    let checks = vec![
        Check::new("the protocol's zero-shot payoff is 0.6", zero_shot.map(|z| (z - 0.6).abs() < 0.01)),
        Check::new(
            "ridges choosing the 0.8 levers coordinate only partly",
            (!partial.is_empty()).then(|| partial.iter().all(|k| fails(k) == Some(true))),
        ),
        Check::new(
            "the self-play ridges fail in cross-play",
            (!selfish.is_empty()).then(|| selfish.iter().all(|k| fails(k) == Some(true))),
        ),
    ];
    Summary { lines, checks }
}

fn mnist(r: &Results) -> Summary {
    let setting = r.settings("test_accuracy").first().cloned().unwrap_or_default();
    let test = |m: &str| r.mean(&setting, m, "test_accuracy").map(|v| 100.0 * v);
    let both = |m: &str| {
        let train = r.mean(&setting, m, "train_accuracy").map(|v| 100.0 * v);
        match (test(m), train) {
            (Some(t), Some(tr)) => format!("{t:.2} / {tr:.2}"),
            _ => "–".into(),
        }
    };
    let lines = vec![
        line("RR, test / train accuracy (%)", "≈ 98 / 98", "94.45 / 98.25", both("rr")),
        line("SGD (Adam)", "≈ 98–99", "94.8 / 100", both("sgd")),
        line("Fixed-EV (LR_x = 0)", "< 90", "87.65 / 89.35", both("fixed-ev")),
        line("Rand.Ridge+", "≤ 30", "62.35 / 63.65", both("rand-ridge-plus")),
        line("linear classifier", "< 92", "91.4 / 95.6", both("linear")),
    ];
    let checks = vec![
        Check::new("RR within 1.5 points of SGD on test", test("sgd").zip(test("rr")).map(|(s, t)| s - t <= 1.5)),
        Check::new("RR above the linear classifier", above(test("rr"), test("linear"))),
        Check::new("Fixed-EV below 90%", test("fixed-ev").map(|v| v < 90.0)),
        Check::new("Rand.Ridge+ at most 30%", test("rand-ridge-plus").map(|v| v <= 30.0)),
    ];
    Summary { lines, checks }
}

/// A ridge's three digits of highest early accuracy, best first.
fn first_digits(ridge: &serde_json::Value) -> Vec<usize> {
    let acc: Vec<f64> =
        ridge["early_class_accuracy"].as_array().into_iter().flatten().filter_map(|v| v.as_f64()).collect();
    let mut digits: Vec<usize> = (0..acc.len()).collect();
    digits.sort_by(|a, b| acc[*b].total_cmp(&acc[*a]));
    digits.truncate(3);
    digits
}

fn mnist_classes(r: &Results) -> Summary {
    let ridges = r.0["per_ridge"].as_array().cloned().unwrap_or_default();
    let firsts: Vec<(u64, Vec<usize>)> =
        ridges.iter().map(|k| (k["ridge"].as_u64().unwrap_or(0), first_digits(k))).collect();
    let shown = firsts
        .iter()
        .map(|(k, d)| format!("{k}: {}", d.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(" ")))
        .collect::<Vec<_>>()
        .join("; ");
    let lines = vec![line(
        "digits learned first, by ridge (best three over the early steps)",
        "0–1: 0 1; 2–3: 2 3; > 30: 8",
        "0: 1 0 2; 1: 1 7 0; 2: 0 6 1; 3: 0 1 2; 4: 2 3 1; 5: 3 8 7; 6: 7 4 0; 7: 7 3 0; 8: 7 8 9",
        shown,
    )];
    let learns = |range: std::ops::RangeInclusive<u64>, digits: &[usize]| {
        let present: Vec<&Vec<usize>> = firsts.iter().filter(|(k, _)| range.contains(k)).map(|(_, d)| d).collect();
        (!present.is_empty()).then(|| present.iter().any(|d| digits.iter().all(|x| d.contains(x))))
    };
    let distinct: std::collections::BTreeSet<Vec<usize>> =
        firsts.iter().map(|(_, d)| d.iter().take(2).copied().collect()).collect();
    let checks = vec![
        Check::new("a low ridge (0–1) learns 0 and 1 first", learns(0..=1, &[0, 1])),
        Check::new("an intermediate ridge (2–5) learns 2 and 3 first", learns(2..=5, &[2, 3])),
        Check::new("a high ridge (5 and up) has 8 among its first digits", learns(5..=u64::MAX, &[8])),
        Check::new("the first digits depend on the ridge", (firsts.len() > 1).then_some(distinct.len() > 1)),
    ];
    Summary { lines, checks }
}

fn cmnist(r: &Results) -> Summary {
    let both = |m: &str| {
        format!("{} / {}", r.shown("split=train", m, "accuracy", 100.0), r.shown("split=test", m, "accuracy", 100.0))
    };
    let test = |m: &str| r.mean("split=test", m, "accuracy").map(|v| 100.0 * v);
    let lines = vec![
        line("RR, train / test accuracy (%)", "65.5 ± 1.7 / 58.4 ± 2.4", "82.5 ± 4.4 / 19.7 ± 16.7", both("rr")),
        line("ERM", "87.4 ± 1.7 / 17.8 ± 1.3", "89.7 ± 2.4 / 22.2 ± 4.3", both("erm")),
        line("IRMv1", "69.7 ± 0.7 / 65.7 ± 1.4", "63.7 ± 7.4 / 53.4 ± 15.6", both("irm")),
    ];
    let checks = vec![
        Check::new("ERM takes the colour shortcut (test below 30%)", test("erm").map(|v| v < 30.0)),
        Check::new("RR generalises (test above chance, 50%)", test("rr").map(|v| v > 50.0)),
        Check::new("IRM above ERM on test", above(test("irm"), test("erm"))),
    ];
    Summary { lines, checks }
}
