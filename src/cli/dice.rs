//! `ridge-rider dice`: Ridge Rider on sampled Hessians (paper Sec. 4, Fig. 8), on the
//! same trees as `ridge-rider tree` with the same seeds. Conventions (start, rides,
//! budgets) are documented in `problems::tree::dice_search` and repeated in the JSON's
//! `config`.

use super::common::{check_threads, set_threads, CliError, CliResult, RunFlags};
use super::outdir::OutDir;
use super::report::{mean_ci95, print_table, write_report, Row};
use super::shard::{run_units, Codec, Mode, ShardFlags, Units};
use super::svg::{write_svg, Bar, BarChart, BarGroup, BarPanel};
use super::validate::{require_counts, require_depths, require_float, require_methods, Low, MAX_REPEATS, MAX_STEPS};
use super::values::{parser, DiceMethodArg, PolicyArg};
use crate::problems::tree::dice::MAX_EPISODES;
use crate::problems::tree::dice_search::{run_dice_method, DiceMethod, DiceRun, PG_STEPS, RIDE_STEPS};
use crate::problems::tree::policy::{Policy, MAX_HIDDEN};
use crate::problems::tree::Tree;
use serde_json::json;
use std::time::Instant;

#[derive(clap::Args, Debug)]
#[command(mut_arg("seed", |a| a.help("Seed of the trees (the same trees as `tree`), the episodes and every method; the same result at any --threads")))]
pub struct Args {
    /// Tree depths, comma-separated (1–30).
    #[arg(long, value_delimiter = ',', default_value = "4,6,8")]
    depths: Vec<usize>,
    /// Random trees per depth (1–10000).
    #[arg(long, default_value_t = 10)]
    trees: usize,
    /// Episodes B sampled per batch; every timestep draws a fresh batch (1–65536).
    #[arg(long, default_value_t = 256)]
    samples: usize,
    /// The policy: one logit per node, or an MLP over the node's path (width --hidden).
    #[arg(long, value_enum, default_value = "tabular")]
    policy: PolicyArg,
    /// Hidden units of the MLP policy (1–4096).
    #[arg(long, default_value_t = 16)]
    hidden: usize,
    /// Methods, comma-separated (rr-exact: exact RR on the tabular tree, no samples).
    #[arg(long, value_delimiter = ',', default_value = "rr,pg-random,pg-saddle,rr-exact", value_parser = parser::<DiceMethodArg, DiceMethod>())]
    methods: Vec<DiceMethod>,
    /// Timesteps (sampled batches) of sampled RR; the policy-gradient baselines get the timesteps RR used.
    #[arg(long, default_value_t = 2000)]
    budget: usize,
    /// N: ridges per branching of sampled RR (1–100).
    #[arg(long, default_value_t = 4)]
    ridges: usize,
    /// Step α along a ridge (0 < α ≤ 10).
    #[arg(long, default_value_t = 0.5)]
    alpha: f64,
    /// Adam's learning rate of the policy-gradient baselines (0 < lr ≤ 10).
    #[arg(long, default_value_t = 0.1)]
    pg_lr: f64,
    #[command(flatten)]
    run: RunFlags,
    #[command(flatten)]
    shard: ShardFlags,
}

/// The flags alone, before any work.
pub fn validate(a: &Args) -> CliResult {
    check_threads(a.run.threads)?;
    require_depths(&a.depths)?;
    require_counts(&[
        ("--trees", a.trees, 1, MAX_REPEATS),
        ("--samples", a.samples, 2, MAX_EPISODES),
        ("--hidden", a.hidden, 1, MAX_HIDDEN),
        ("--budget", a.budget, 1, MAX_STEPS),
        ("--ridges", a.ridges, 1, 100),
    ])?;
    require_float("--alpha", a.alpha, 0.0, Low::Open, 10.0)?;
    require_float("--pg-lr", a.pg_lr, 0.0, Low::Open, 10.0)?;
    require_methods(&a.methods.iter().map(|m| m.name()).collect::<Vec<_>>())
}

/// One method on one tree.
#[derive(Clone)]
struct Cell {
    percent: f64,
    timesteps: usize,
    episodes: usize,
    seconds: f64,
}

/// One tree's results: depth, index, seed, and a cell per method.
type TreeResult = (usize, usize, u64, Vec<Cell>);

fn policy_of(a: &Args) -> Policy {
    match a.policy {
        PolicyArg::Tabular => Policy::Tabular,
        PolicyArg::Mlp => Policy::Mlp { hidden: a.hidden },
    }
}

/// Tree `t` of depth `depth` (the seed of `ridge-rider tree`'s tree: the same trees),
/// with every method's cell; sampled RR comes first in `methods`.
fn run_tree(a: &Args, methods: &[DiceMethod], depth: usize, t: usize) -> Result<TreeResult, CliError> {
    let seed = a.run.seed.wrapping_mul(1_000_003).wrapping_add((depth * 10_000 + t) as u64);
    let tree = Tree::generate(depth, seed).map_err(|e| CliError::Input(e.to_string()))?;
    let mut cells = Vec::new();
    let mut rr_steps = None;
    for &m in methods {
        let budget = if m == DiceMethod::RidgeRider { a.budget } else { rr_steps.unwrap_or(a.budget) };
        let settings = DiceRun {
            policy: policy_of(a),
            episodes: a.samples,
            budget,
            ridges: a.ridges,
            alpha: a.alpha,
            pg_lr: a.pg_lr,
            seed,
        };
        let t0 = Instant::now();
        let r = run_dice_method(&tree, m, &settings).map_err(|e| CliError::Runtime(e.to_string()))?;
        if m == DiceMethod::RidgeRider {
            rr_steps = Some(r.run.timesteps.max(1));
        }
        cells.push(Cell {
            percent: r.run.percent_found(&tree),
            timesteps: r.run.timesteps,
            episodes: r.episodes,
            seconds: t0.elapsed().as_secs_f64(),
        });
    }
    Ok((depth, t, seed, cells))
}

fn key(&(d, t): &(usize, usize)) -> String {
    format!("depth={d},tree={t}")
}

fn unit_json(r: &TreeResult) -> serde_json::Value {
    let cells: Vec<_> = r.3.iter().map(|c| json!([c.percent, c.timesteps, c.episodes, c.seconds])).collect();
    json!({"depth": r.0, "tree": r.1, "seed": r.2, "cells": cells})
}

fn from_unit(v: &serde_json::Value) -> Result<TreeResult, CliError> {
    let bad = || CliError::Input("a dice unit file is malformed".into());
    let n = |x: &serde_json::Value| x.as_u64().map(|v| v as usize).ok_or_else(bad);
    let f = |x: &serde_json::Value| x.as_f64().ok_or_else(bad);
    let cells = v["cells"]
        .as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|c| Ok(Cell { percent: f(&c[0])?, timesteps: n(&c[1])?, episodes: n(&c[2])?, seconds: f(&c[3])? }))
        .collect::<Result<_, CliError>>()?;
    Ok((n(&v["depth"])?, n(&v["tree"])?, v["seed"].as_u64().ok_or_else(bad)?, cells))
}

pub fn run(a: Args) -> CliResult {
    validate(&a)?;
    let mode = a.shard.mode()?;
    let threads = set_threads(a.run.threads)?;
    let out = match mode {
        Mode::Shard(s) => OutDir::open_shard(&a.run.out, s.index, s.count)?,
        _ => OutDir::open(&a.run.out)?,
    };
    let started = Instant::now();
    let jobs: Vec<(usize, usize)> = a.depths.iter().flat_map(|&d| (0..a.trees).map(move |t| (d, t))).collect();
    // Sampled RR first: the policy-gradient baselines are given the timesteps it used.
    let mut methods = a.methods.clone();
    methods.sort_by_key(|m| *m != DiceMethod::RidgeRider);
    let fingerprint = json!({"depths": a.depths, "trees": a.trees, "samples": a.samples, "policy": policy_name(&a),
        "methods": methods.iter().map(|m| m.name()).collect::<Vec<_>>(), "budget": a.budget, "ridges": a.ridges,
        "alpha": a.alpha, "pg_lr": a.pg_lr, "seed": a.run.seed});
    let units = Units::new(out.path(), "dice", fingerprint);
    let codec = Codec { key, to_json: unit_json, from_json: from_unit };
    let partial = |so_far: &[&TreeResult]| {
        report(&a, &methods, threads, &out, so_far, started.elapsed().as_secs_f64(), false).map(|_| ())
    };
    let compute = |&(depth, t): &(usize, usize)| run_tree(&a, &methods, depth, t);
    let Some(done) = run_units(&mode, "dice", &jobs, &units, &codec, compute, partial, &a.run.out)? else {
        return Ok(());
    };
    let results: Vec<&TreeResult> = done.iter().flatten().collect();
    let seconds = started.elapsed().as_secs_f64();
    let (rows, claims) = report(&a, &methods, threads, &out, &results, seconds, results.len() == jobs.len())?;
    say!(
        "{:<6} {:<10} {:>22} {:>10} {:>12} {:>9}",
        "depth",
        "method",
        "percent found ± 95% CI",
        "timesteps",
        "episodes",
        "seconds"
    );
    for r in rows.iter().filter(|r| r.metric == "percent_found") {
        let of = |metric: &str| {
            rows.iter()
                .find(|x| x.setting == r.setting && x.method == r.method && x.metric == metric)
                .map_or(0.0, |x| x.mean)
        };
        let ci = if r.ci95.is_finite() { format!("{:.1} ± {:.1}", r.mean, r.ci95) } else { format!("{:.1}", r.mean) };
        say!(
            "{:<6} {:<10} {:>22} {:>10.0} {:>12.0} {:>9.2}",
            r.setting.trim_start_matches("depth="),
            r.method,
            ci,
            of("timesteps"),
            of("episodes"),
            of("seconds")
        );
    }
    claims.iter().for_each(|c| say!("{c}"));
    say!("{} trees in {seconds:.1} s", results.len());
    if std::env::var_os("RR_VERBOSE").is_some() {
        print_table(&rows);
    }
    Ok(())
}

/// Rows, the figure and the claim per depth (RR on samples finds more than the better
/// policy-gradient baseline, by the 95% interval of the per-tree difference).
fn report(
    a: &Args,
    methods: &[DiceMethod],
    threads: usize,
    out: &OutDir,
    results: &[&TreeResult],
    seconds: f64,
    complete: bool,
) -> Result<(Vec<Row>, Vec<String>), CliError> {
    let (mut rows, mut panels, mut claims, mut claims_json) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let index = |m: DiceMethod| methods.iter().position(|x| *x == m);
    for &depth in &a.depths {
        let at: Vec<&&TreeResult> = results.iter().filter(|r| r.0 == depth).collect();
        let setting = format!("depth={depth}");
        let mut bars = Vec::new();
        for (k, m) in methods.iter().enumerate() {
            let of = |f: fn(&Cell) -> f64| at.iter().map(|r| f(&r.3[k])).collect::<Vec<f64>>();
            let pct = of(|c| c.percent);
            rows.push(Row::from_sample(&setting, m.name(), "percent_found", &pct));
            rows.push(Row::from_sample(&setting, m.name(), "timesteps", &of(|c| c.timesteps as f64)));
            rows.push(Row::from_sample(&setting, m.name(), "episodes", &of(|c| c.episodes as f64)));
            rows.push(Row::from_sample(&setting, m.name(), "seconds", &of(|c| c.seconds)));
            bars.push(Bar::from_runs(m.name(), &pct));
        }
        panels
            .push(BarPanel { title: format!("depth {depth}"), groups: vec![BarGroup { label: String::new(), bars }] });
        let pgs: Vec<usize> = [DiceMethod::PgRandom, DiceMethod::PgSaddle].into_iter().filter_map(index).collect();
        if let (Some(rr), false) = (index(DiceMethod::RidgeRider), pgs.is_empty()) {
            let diff: Vec<f64> = at
                .iter()
                .map(|r| r.3[rr].percent - pgs.iter().map(|&k| r.3[k].percent).fold(f64::NEG_INFINITY, f64::max))
                .collect();
            let (mean, ci) = mean_ci95(&diff);
            rows.push(Row::from_sample(&setting, "rr", "percent_above_best_pg", &diff));
            let met = diff.len() >= 2 && ci.is_finite() && mean - ci > 0.0;
            claims.push(format!(
                "depth {depth}: RR on samples finds {mean:+.1} ± {ci:.1} points more than the better PG baseline over {} trees: claim {}",
                diff.len(),
                if met { "met" } else { "not met" }
            ));
            claims_json
                .push(json!({"depth": depth, "rr_minus_best_pg": mean, "ci95": ci, "trees": diff.len(), "met": met}));
        }
    }
    let config = json!({
        "depths": a.depths, "trees": a.trees, "samples": a.samples, "policy": format!("{:?}", a.policy).to_lowercase(),
        "hidden": a.hidden, "methods": methods.iter().map(|m| m.name()).collect::<Vec<_>>(), "budget": a.budget,
        "ridges": a.ridges, "alpha": a.alpha, "pg_lr": a.pg_lr, "seed": a.run.seed, "threads": threads, "out": a.run.out_text(),
        "conventions": {
            "timestep": "one fresh batch of --samples episodes drawn at the current policy; episodes = timesteps x samples",
            "start": "the uniform policy (every logit 0)",
            "rr": format!("GetRidges on one batch (tabular: dense DiCE Hessian; mlp: Lanczos), N ridges in both signs; mini-batch rides of at most {RIDE_STEPS} steps, a fresh batch per step; breadth-first, each (greedy leaf, depth) expanded once"),
            "pg": format!("Adam on the DiCE gradient with a leave-one-out baseline, {PG_STEPS} batches per descent; pg-random from N(0,1), pg-saddle from the start plus N(0,0.1^2); given exactly the timesteps rr used"),
            "rr_exact": "ridge-rider tree's exact RR on the same tree (tabular policy, exact Hessian, budget 100000), no episodes",
            "trees": "the trees of ridge-rider tree with the same --seed",
        }
    });
    let detail = json!({"claims": claims_json, "trees_finished": results.len(), "seconds": seconds});
    write_report(out.path(), "dice", config, &rows, detail, complete)?;
    let chart = BarChart {
        title: format!(
            "Binary tree on sampled Hessians (DiCE, {} episodes per batch, {} policy)",
            a.samples,
            policy_name(a)
        ),
        x_label: String::new(),
        y_label: "positive leaves found (%)".into(),
        y_max: 100.0,
        panels,
    };
    write_svg(&out.join("dice.svg"), &chart.to_svg())?;
    Ok((rows, claims))
}

fn policy_name(a: &Args) -> String {
    match a.policy {
        PolicyArg::Tabular => "tabular".into(),
        PolicyArg::Mlp => format!("MLP ({} hidden)", a.hidden),
    }
}
