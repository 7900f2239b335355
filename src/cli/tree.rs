//! `ridge-rider tree`: diverse solutions in the binary-tree RL problem (paper Fig. 2,
//! and Fig. 3 with `--depths 12 --trees 10 --methods rr,fixed-ev,rand-ridge-plus`).
//! Conventions (MIS, step sizes, budgets) are documented in
//! `problems::tree::methods` and repeated in the JSON's `config`.

use super::common::{check_threads, set_threads, CliError, CliResult, RunFlags};
use super::outdir::OutDir;
use super::report::{print_table, write_report, Row};
use super::shard::{run_units, Codec, Mode, ShardFlags, Units};
use super::svg::{write_svg, Bar, BarChart, BarGroup, BarPanel};
use super::validate::{require_counts, require_depths, require_methods, MAX_REPEATS, MAX_STEPS};
use super::values::{parser, TreeMethodArg};
use crate::problems::tree::methods::{run_method, tree_mis_within, Method, MethodRun, DEFAULT_RIDGES, DESCENT_STEPS};
use crate::problems::tree::{Tree, EXPAND, POSITIVE};
use serde_json::json;
use std::time::Instant;

#[derive(clap::Args, Debug)]
#[command(mut_arg("seed", |a| a.help("Seed of the trees and of every method; the same result at any --threads")))]
pub struct Args {
    /// Tree depths, comma-separated (1–30).
    #[arg(long, value_delimiter = ',', default_value = "4,6,8,10")]
    depths: Vec<usize>,
    /// Random trees per depth (1–10000).
    #[arg(long, default_value_t = 20)]
    trees: usize,
    /// Methods, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "rr,gd-random,gd-saddle,random-vector", value_parser = parser::<TreeMethodArg, Method>())]
    methods: Vec<Method>,
    /// Timestep budget T of each search (baselines get the timesteps RR used); the MIS takes at most this many steps too.
    #[arg(long, default_value_t = 100_000)]
    budget: usize,
    /// N: ridges per branching of rr, fixed-ev and rand-ridge-plus (1–100).
    #[arg(long, default_value_t = DEFAULT_RIDGES)]
    ridges: usize,
    #[command(flatten)]
    run: RunFlags,
    #[command(flatten)]
    shard: ShardFlags,
}

/// One method on one tree.
struct Cell {
    percent: f64,
    timesteps: usize,
    leaves: Vec<usize>,
    seconds: f64,
}

/// The flags alone, before any work.
pub fn validate(a: &Args) -> CliResult {
    check_threads(a.run.threads)?;
    require_depths(&a.depths)?;
    require_counts(&[
        ("--trees", a.trees, 1, MAX_REPEATS),
        ("--budget", a.budget, 1, MAX_STEPS),
        ("--ridges", a.ridges, 1, 100),
    ])?;
    require_methods(&a.methods.iter().map(|m| m.name()).collect::<Vec<_>>())
}

/// One tree's results.
type TreeResult = (usize, usize, u64, Tree, Vec<Cell>);
/// The figure's panels, one per depth.
type Panels = Vec<BarPanel>;

/// Tree `t` of depth `depth`, with every method's cell.
fn run_tree(a: &Args, methods: &[Method], depth: usize, t: usize) -> Result<TreeResult, CliError> {
    let seed = a.run.seed.wrapping_mul(1_000_003).wrapping_add((depth * 10_000 + t) as u64);
    let tree = Tree::generate(depth, seed).map_err(|e| CliError::Input(e.to_string()))?;
    let mis = tree_mis_within(&tree, a.budget).map_err(|e| CliError::Runtime(e.to_string()))?;
    let mut cells = Vec::new();
    let mut rr_steps = None;
    for &m in methods {
        let budget = if m.is_search() { a.budget } else { rr_steps.unwrap_or(a.budget) };
        let t0 = Instant::now();
        let settings = MethodRun { budget, ridges: a.ridges, seed };
        let run = run_method(&tree, &mis, m, &settings).map_err(|e| CliError::Runtime(e.to_string()))?;
        if m == Method::RidgeRider {
            rr_steps = Some(run.timesteps.max(1));
        }
        cells.push(Cell {
            percent: run.percent_found(&tree),
            timesteps: run.timesteps,
            leaves: run.leaves.iter().copied().collect(),
            seconds: t0.elapsed().as_secs_f64(),
        });
    }
    Ok((depth, t, seed, tree, cells))
}

/// A tree's unit name.
fn key(&(d, t): &(usize, usize)) -> String {
    format!("depth={d},tree={t}")
}

/// A tree's result as its unit file holds it (the tree is regenerated from its seed).
fn unit_json(r: &TreeResult) -> serde_json::Value {
    let cells: Vec<_> =
        r.4.iter()
            .map(|c| json!({"percent": c.percent, "timesteps": c.timesteps, "leaves": c.leaves, "seconds": c.seconds}))
            .collect();
    json!({"depth": r.0, "tree": r.1, "seed": r.2, "cells": cells})
}

fn from_unit(v: &serde_json::Value) -> Result<TreeResult, CliError> {
    let bad = || CliError::Input("a tree unit file is malformed".into());
    let n = |x: &serde_json::Value| x.as_u64().map(|v| v as usize).ok_or_else(bad);
    let (depth, t, seed) = (n(&v["depth"])?, n(&v["tree"])?, v["seed"].as_u64().ok_or_else(bad)?);
    let tree = Tree::generate(depth, seed).map_err(|e| CliError::Input(e.to_string()))?;
    let cells = v["cells"]
        .as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|c| {
            Ok(Cell {
                percent: c["percent"].as_f64().ok_or_else(bad)?,
                timesteps: n(&c["timesteps"])?,
                leaves: c["leaves"].as_array().ok_or_else(bad)?.iter().map(&n).collect::<Result<_, _>>()?,
                seconds: c["seconds"].as_f64().ok_or_else(bad)?,
            })
        })
        .collect::<Result<_, CliError>>()?;
    Ok((depth, t, seed, tree, cells))
}

pub fn run(a: Args) -> CliResult {
    validate(&a)?;
    let mode = a.shard.mode()?;
    let threads = set_threads(a.run.threads)?;
    let mut methods = a.methods.clone();
    // Searches first: the gradient baselines are given the timesteps RR used.
    methods.sort_by_key(|m| !m.is_search());
    let out = match mode {
        Mode::Shard(s) => OutDir::open_shard(&a.run.out, s.index, s.count)?,
        _ => OutDir::open(&a.run.out)?,
    };
    let started = Instant::now();
    let jobs: Vec<(usize, usize)> = a.depths.iter().flat_map(|&d| (0..a.trees).map(move |t| (d, t))).collect();
    let fingerprint = json!({"depths": a.depths, "trees": a.trees, "methods": methods.iter().map(|m| m.name()).collect::<Vec<_>>(),
        "budget": a.budget, "ridges": a.ridges, "seed": a.run.seed});
    let units = Units::new(out.path(), "tree", fingerprint);
    let codec = Codec { key, to_json: unit_json, from_json: from_unit };
    // Whole runs rewrite tree.json after each tree ("complete": false), so a killed run
    // keeps every finished tree.
    let partial = |so_far: &[&TreeResult]| {
        report(&a, &methods, threads, &out, so_far, started.elapsed().as_secs_f64(), false).map(|_| ())
    };
    let compute = |&(depth, t): &(usize, usize)| run_tree(&a, &methods, depth, t);
    let Some(results) = run_units(&mode, "tree", &jobs, &units, &codec, compute, partial, &a.run.out)? else {
        return Ok(());
    };
    let results: Vec<&TreeResult> = results.iter().flatten().collect();
    let seconds = started.elapsed().as_secs_f64();
    let complete = results.len() == jobs.len();
    let (rows, panels) = report(&a, &methods, threads, &out, &results, seconds, complete)?;
    let chart = BarChart {
        title: format!("Binary tree: positive leaves found ({} trees per depth)", a.trees),
        x_label: String::new(),
        y_label: "positive leaves found (%)".into(),
        y_max: 100.0,
        panels,
    };
    write_svg(&out.join("tree.svg"), &chart.to_svg())?;
    print_summary(&rows, results.len(), seconds);
    Ok(())
}

/// Rows and figure panels of the trees in `results`, written to tree.json.
fn report(
    a: &Args,
    methods: &[Method],
    threads: usize,
    out: &OutDir,
    results: &[&TreeResult],
    seconds: f64,
    complete: bool,
) -> Result<(Vec<Row>, Panels), CliError> {
    let mut rows = Vec::new();
    let mut panels = Vec::new();
    for &depth in &a.depths {
        let at: Vec<&&TreeResult> = results.iter().filter(|r| r.0 == depth).collect();
        let mut bars = Vec::new();
        for (k, m) in methods.iter().enumerate() {
            let setting = format!("depth={depth}");
            let pct: Vec<f64> = at.iter().map(|r| r.4[k].percent).collect();
            let secs: Vec<f64> = at.iter().map(|r| r.4[k].seconds).collect();
            let steps: Vec<f64> = at.iter().map(|r| r.4[k].timesteps as f64).collect();
            rows.push(Row::from_sample(&setting, m.name(), "percent_found", &pct));
            rows.push(Row::from_sample(&setting, m.name(), "seconds", &secs));
            rows.push(Row::from_sample(&setting, m.name(), "timesteps", &steps));
            bars.push(Bar::from_runs(m.name(), &pct));
        }
        let groups = vec![BarGroup { label: String::new(), bars }];
        panels.push(BarPanel { title: format!("depth {depth}"), groups });
    }
    let config = json!({
        "depths": a.depths, "trees": a.trees, "methods": methods.iter().map(|m| m.name()).collect::<Vec<_>>(),
        "budget": a.budget, "ridges": a.ridges, "seed": a.run.seed, "threads": threads, "out": a.run.out_text(),
        "conventions": {
            "generator": format!("forced full-depth path ending in (+10, -1) terminals; other children expand with p={EXPAND}; terminals +10 with p={POSITIVE}; equal sibling terminals merged; one logit per decision node, P(left)=sigmoid"),
            "timestep": "one loss evaluation along a ridge/direction (exact RR: with Hessian) or one gradient step",
            "baseline_budget": "gd-random, gd-saddle and random-vector get exactly the timesteps rr used on the same tree (the --budget when rr is not run)",
            "search_budget": "rr, fixed-ev and rand-ridge-plus stop when their archive is empty or --budget is spent",
            "mis": "min 0.5*||grad||^2 - 1.0*sum node entropies from theta=0, 300 adaptive steps (the budget when smaller)",
            "descent": format!("gradient descent, adaptive step from 1.0, until ||grad||<1e-3, {DESCENT_STEPS} steps or the budget is spent; solution = greedy leaf"),
            "rr": "exact, BFS, N=--ridges both signs, delta_break=0.95, alpha=min(2, 2*last accepted) halved to 1e-4, end when loss improves < 1e-4 or 100 steps, solution at every branch point, each (leaf, depth) expanded once",
            "gd_saddle_noise": 0.1, "gd_random_init": "N(0,1)", "random_vector_step": 0.5,
            "percent_found": "distinct positive leaves reached by the method's solutions / positive leaves * 100",
        },
    });
    let detail = json!({
        "seconds": seconds,
        "per_tree": results.iter().map(|(d, t, seed, tree, cells)| json!({
            "depth": d, "tree": t, "seed": seed, "params": tree.params(), "leaves": tree.leaves.len(),
            "positive_leaves": tree.positive_leaves(),
            "methods": methods.iter().zip(cells).map(|(m, c)| (m.name().to_string(), json!({
                "percent_found": c.percent, "timesteps": c.timesteps, "leaves_found": c.leaves, "seconds": c.seconds,
            }))).collect::<serde_json::Map<_, _>>(),
        })).collect::<Vec<_>>(),
    });
    write_report(out.path(), "tree", config, &rows, detail, complete)?;
    Ok((rows, panels))
}

/// The table on stdout (after the files are written).
fn print_summary(rows: &[Row], trees: usize, seconds: f64) {
    say!("{:<8} {:<16} {:>22} {:>10} {:>12}", "depth", "method", "percent found ± 95% CI", "seconds", "timesteps");
    for r in rows.iter().filter(|r| r.metric == "percent_found") {
        let secs = rows
            .iter()
            .find(|x| x.setting == r.setting && x.method == r.method && x.metric == "seconds")
            .map_or(0.0, |x| x.mean);
        let steps = rows
            .iter()
            .find(|x| x.setting == r.setting && x.method == r.method && x.metric == "timesteps")
            .map_or(0.0, |x| x.mean);
        say!(
            "{:<8} {:<16} {:>22} {:>10.2} {:>12.0}",
            r.setting.trim_start_matches("depth="),
            r.method,
            format!("{:.1} ± {:.1}", r.mean, r.ci95),
            secs,
            steps
        );
    }
    say!("{} trees in {seconds:.1} s", trees);
    if std::env::var_os("RR_VERBOSE").is_some() {
        print_table(rows);
    }
}
