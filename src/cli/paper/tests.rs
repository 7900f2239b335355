//! The report's sections read on README's full-run figures: each claim and verdict as
//! the numbers give it, and both renderings of a report.

use super::render::{html, markdown, Report, SectionRun};
use super::sections::{Section, SECTIONS};
use super::verdict::{Results, Verdict};
use serde_json::{json, Value};

fn row(setting: &str, method: &str, metric: &str, mean: f64, n: usize) -> Value {
    json!({"setting": setting, "method": method, "metric": metric, "mean": mean, "ci95": 1.0, "n": n})
}

fn section(json: &str) -> &'static Section {
    SECTIONS.iter().find(|s| s.json == json).unwrap()
}

fn verdict(s: &Section, r: &Results) -> (Verdict, Vec<Option<bool>>) {
    let m = (s.summarise)(r);
    (Verdict::of(&m.checks), m.checks.iter().map(|c| c.held).collect())
}

#[test]
fn fig2_on_the_full_run_is_partly_reproduced() {
    let mut rows = Vec::new();
    let figures = [
        ("rr", [90.4, 78.9, 57.9, 34.8]),
        ("gd-random", [76.2, 63.6, 42.9, 22.0]),
        ("gd-saddle", [55.2, 29.4, 17.2, 8.6]),
        ("random-vector", [71.9, 70.6, 48.4, 27.4]),
    ];
    for (k, d) in [4, 6, 8, 10].iter().enumerate() {
        for (m, v) in &figures {
            rows.push(row(&format!("depth={d}"), m, "percent_found", v[k], 20));
        }
    }
    let r = Results(json!({ "rows": rows }));
    let (v, held) = verdict(&SECTIONS[0], &r);
    // RR above every baseline: yes; over 90% everywhere: no; GD at most 50%: no.
    assert_eq!((v, held), (Verdict::Partly, vec![Some(true), Some(false), Some(false)]));
    let lines = (SECTIONS[0].summarise)(&r).lines;
    assert_eq!(lines[0].this_run, "90.4 / 78.9 / 57.9 / 34.8");
    assert!(lines[0].quantity.contains("depth 4 / 6 / 8 / 10"));
}

#[test]
fn fig3_orders_the_methods_by_their_means() {
    let at = |rr, fe, rp| {
        Results(json!({"rows": [row("depth=12", "rr", "percent_found", rr, 10),
            row("depth=12", "fixed-ev", "percent_found", fe, 10),
            row("depth=12", "rand-ridge-plus", "percent_found", rp, 10)]}))
    };
    assert_eq!(verdict(&SECTIONS[1], &at(21.2, 53.4, 62.7)).0, Verdict::NotReproduced);
    assert_eq!(verdict(&SECTIONS[1], &at(60.0, 53.4, 30.0)).0, Verdict::Reproduced);
    assert_eq!(verdict(&SECTIONS[1], &at(60.0, 53.4, 62.7)).0, Verdict::Partly);
    // A method that was not run cannot be checked.
    let partial = Results(json!({"rows": [row("depth=12", "rr", "percent_found", 60.0, 10)]}));
    assert_eq!(verdict(&SECTIONS[1], &partial).0, Verdict::NotChecked);
}

#[test]
fn the_lever_game_reads_the_protocol_and_the_ridges() {
    let ridges =
        json!([{"ridge": 0, "payoff_mode": 0.6}, {"ridge": 1, "payoff_mode": 0.8}, {"ridge": 6, "payoff_mode": 1.0}]);
    let rows = json!([
        row("protocol", "rr", "zero_shot_payoff", 0.6, 5),
        row("ridge=1", "rr", "cross_play", 0.4, 5),
        row("ridge=1", "rr", "self_play", 0.8, 5),
        row("ridge=6", "rr", "cross_play", 0.14, 5),
        row("ridge=6", "rr", "self_play", 1.0, 5),
        row("baseline", "sp-gd", "cross_play", 0.09, 5)
    ]);
    let r = Results(json!({"rows": rows, "ridges": ridges}));
    assert_eq!(verdict(&SECTIONS[3], &r), (Verdict::Reproduced, vec![Some(true), Some(true), Some(true)]));
    let picked_wrong = Results(json!({"rows": [row("protocol", "rr", "zero_shot_payoff", 0.8, 5)], "ridges": []}));
    assert_eq!(verdict(&SECTIONS[3], &picked_wrong), (Verdict::NotReproduced, vec![Some(false), None, None]));
}

#[test]
fn mnist_and_colored_mnist_on_the_full_runs_are_partly_reproduced() {
    let mut rows = Vec::new();
    for (m, test) in
        [("rr", 0.9445), ("sgd", 0.948), ("fixed-ev", 0.8765), ("rand-ridge-plus", 0.6235), ("linear", 0.914)]
    {
        rows.push(row("ridge=0", m, "test_accuracy", test, 1));
        rows.push(row("ridge=0", m, "train_accuracy", test, 1));
    }
    let fig4 = SECTIONS.iter().find(|s| s.json == "mnist.json").unwrap();
    let r = Results(json!({ "rows": rows }));
    assert_eq!(verdict(fig4, &r), (Verdict::Partly, vec![Some(true), Some(true), Some(true), Some(false)]));
    let table1 = section("cmnist.json");
    let mut rows = Vec::new();
    for (m, test) in [("rr", 0.197), ("erm", 0.222), ("irm", 0.534)] {
        rows.push(row("split=test", m, "accuracy", test, 5));
    }
    let r = Results(json!({ "rows": rows }));
    assert_eq!(verdict(table1, &r), (Verdict::Partly, vec![Some(true), Some(false), Some(true)]));
}

#[test]
fn fig5_reads_the_first_digits_of_each_ridge() {
    // Accuracies that rank the digits as README's full run found them.
    let ranked = |order: [usize; 3]| {
        let mut acc = vec![0.1; 10];
        for (k, d) in order.iter().enumerate() {
            acc[*d] = 0.9 - 0.1 * k as f64;
        }
        acc
    };
    let found = [[1, 0, 2], [1, 7, 0], [0, 6, 1], [0, 1, 2], [2, 3, 1], [3, 8, 7], [7, 4, 0], [7, 3, 0], [7, 8, 9]];
    let per_ridge: Vec<Value> =
        found.iter().enumerate().map(|(k, o)| json!({"ridge": k, "early_class_accuracy": ranked(*o)})).collect();
    let fig5 = section("mnist_classes.json");
    let r = Results(json!({"rows": [], "per_ridge": per_ridge}));
    assert_eq!(verdict(fig5, &r).0, Verdict::Reproduced);
    assert!((fig5.summarise)(&r).lines[0].this_run.starts_with("0: 1 0 2; 1: 1 7 0"));
    // Every ridge learning the same digits first is the claim failing.
    let same: Vec<Value> = (0..9).map(|k| json!({"ridge": k, "early_class_accuracy": ranked([7, 3, 0])})).collect();
    let r = Results(json!({"rows": [], "per_ridge": same}));
    assert_eq!(verdict(fig5, &r), (Verdict::NotReproduced, vec![Some(false), Some(false), Some(false), Some(false)]));
}

#[test]
fn both_renderings_carry_the_table_the_figure_and_the_verdict() {
    let dir = std::env::temp_dir().join(format!("rr-report-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("fig3")).unwrap();
    std::fs::write(
        dir.join("fig3/tree.svg"),
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>"#,
    )
    .unwrap();
    let r = Results(json!({"rows": [row("depth=12", "rr", "percent_found", 60.0, 3),
        row("depth=12", "fixed-ev", "percent_found", 50.0, 3), row("depth=12", "rand-ridge-plus", "percent_found", 55.0, 3)]}));
    let report = Report {
        seed: 7,
        quick: true,
        sections: vec![
            SectionRun {
                section: &SECTIONS[1],
                command: "ridge-rider tree".into(),
                seconds: 3.0,
                outcome: Ok((SECTIONS[1].summarise)(&r)),
            },
            SectionRun {
                section: &SECTIONS[0],
                command: "ridge-rider tree".into(),
                seconds: 1.0,
                outcome: Err("disk full".into()),
            },
        ],
        seconds: 4.0,
    };
    let md = markdown(&report);
    assert!(md.contains("| Fig. 3: depth 12, RR against Fixed-EV and Rand-Ridge+ | partly reproduced |"), "{md}");
    assert!(md.contains("| RR, % of positive leaves | highest | 21.2 ± 9.8 | 60.0 ± 1.0 |"), "{md}");
    assert!(md.contains("![Fig. 3: depth 12, RR against Fixed-EV and Rand-Ridge+](fig3/tree.svg)"));
    assert!(md.contains("**Verdict: partly reproduced** (RR above Fixed-EV: yes; Fixed-EV above Rand-Ridge+: no)"));
    assert!(md.contains("**Quick mode**") && md.contains("**Ours:** the run failed: disk full"));
    assert!(!md.contains("percent_found |"), "no raw rows in the report");
    let page = html(&report, &dir);
    assert!(
        page.contains(r#"<div class="figure"><svg xmlns="http://www.w3.org/2000/svg" width="10""#),
        "the SVG inline"
    );
    assert!(page.contains("<strong>Verdict: partly reproduced</strong>") && page.contains("<td>60.0 ± 1.0</td>"));
    assert!(page.contains("Ours on a full run: <code>ridge-rider tree --depths 12 --trees 10 --methods rr,fixed-ev,rand-ridge-plus</code>"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_dice_section_checks_each_depths_claim() {
    let r = Results(
        json!({"rows": [row("depth=4", "rr", "percent_found", 97.5, 10), row("depth=6", "rr", "percent_found", 98.2, 10)],
        "claims": [{"depth": 4, "met": true}, {"depth": 6, "met": false}]}),
    );
    let fig8 = section("dice.json");
    assert_eq!(verdict(fig8, &r), (Verdict::Partly, vec![Some(true), Some(false)]));
    assert_eq!((fig8.summarise)(&r).lines[0].this_run, "97.5 / 98.2");
}
