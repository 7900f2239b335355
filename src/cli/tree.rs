//! `ridge-rider tree`: diverse solutions in the binary-tree RL problem (paper Fig. 2,
//! and Fig. 3 with `--depths 12 --trees 10 --methods rr,fixed-ev,rand-ridge-plus`).
//! Conventions (MIS, step sizes, budgets) are documented in
//! `problems::tree_methods` and repeated in the JSON's `config`.

use super::common::{prepare_out_dir, require_positive, set_threads, CliError, CliResult, RunFlags};
use super::report::{mean_ci95, print_table, progress, write_report, Row};
use super::svg::{bar_chart, write_svg, Bar};
use crate::problems::tree::{Tree, EXPAND, POSITIVE};
use crate::problems::tree_methods::{run_method, tree_mis, Method, DESCENT_STEPS};
use rayon::prelude::*;
use serde_json::json;
use std::time::Instant;

#[derive(clap::Args, Debug)]
#[command(mut_arg("seed", |a| a.help("Seed of the trees and of every method; the same result at any --threads")))]
pub struct Args {
    /// Tree depths, comma-separated (1–30).
    #[arg(long, value_delimiter = ',', default_value = "4,6,8,10")]
    depths: Vec<usize>,
    /// Random trees per depth.
    #[arg(long, default_value_t = 20)]
    trees: usize,
    /// Methods: rr, gd-random, gd-saddle, random-vector, fixed-ev, rand-ridge-plus.
    #[arg(long, value_delimiter = ',', default_value = "rr,gd-random,gd-saddle,random-vector")]
    methods: Vec<Method>,
    /// Timestep budget T of each search (baselines get the timesteps RR used).
    #[arg(long, default_value_t = 100_000)]
    budget: usize,
    #[command(flatten)]
    run: RunFlags,
}

/// One method on one tree.
struct Cell {
    percent: f64,
    timesteps: usize,
    leaves: Vec<usize>,
    seconds: f64,
}

pub fn run(a: Args) -> CliResult {
    let threads = set_threads(a.run.threads)?;
    if a.depths.is_empty() || a.depths.iter().any(|&d| d == 0 || d > 30) {
        return Err(CliError::Input("--depths must list depths between 1 and 30".into()));
    }
    require_positive(&[("--trees", a.trees), ("--budget", a.budget)])?;
    if a.methods.is_empty() {
        return Err(CliError::Input("--methods must name at least one method".into()));
    }
    let mut methods = a.methods.clone();
    methods.dedup();
    // Searches first: the gradient baselines are given the timesteps RR used.
    methods.sort_by_key(|m| !m.is_search());
    let out = prepare_out_dir(&a.run.out)?;
    let started = Instant::now();
    let bar = progress((a.depths.len() * a.trees) as u64, "tree");
    let jobs: Vec<(usize, usize)> = a.depths.iter().flat_map(|&d| (0..a.trees).map(move |t| (d, t))).collect();
    let results: Vec<(usize, usize, u64, Tree, Vec<Cell>)> = jobs
        .par_iter()
        .map(|&(depth, t)| {
            let seed = a.run.seed.wrapping_mul(1_000_003).wrapping_add((depth * 10_000 + t) as u64);
            let tree = Tree::generate(depth, seed).map_err(CliError::Input)?;
            let mis = tree_mis(&tree).map_err(|e| CliError::Runtime(e.to_string()))?;
            let mut cells = Vec::new();
            let mut rr_steps = None;
            for &m in &methods {
                let budget = if m.is_search() { a.budget } else { rr_steps.unwrap_or(a.budget) };
                let t0 = Instant::now();
                let run = run_method(&tree, &mis, m, budget, seed).map_err(|e| CliError::Runtime(e.to_string()))?;
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
            bar.inc(1);
            Ok((depth, t, seed, tree, cells))
        })
        .collect::<Result<_, CliError>>()?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();

    let mut rows = Vec::new();
    let mut groups = Vec::new();
    for &depth in &a.depths {
        let at: Vec<&(usize, usize, u64, Tree, Vec<Cell>)> = results.iter().filter(|r| r.0 == depth).collect();
        let mut bars = Vec::new();
        for (k, m) in methods.iter().enumerate() {
            let setting = format!("depth={depth}");
            let pct: Vec<f64> = at.iter().map(|r| r.4[k].percent).collect();
            let secs: Vec<f64> = at.iter().map(|r| r.4[k].seconds).collect();
            let steps: Vec<f64> = at.iter().map(|r| r.4[k].timesteps as f64).collect();
            rows.push(Row::from_sample(&setting, m.name(), "percent_found", &pct));
            rows.push(Row::from_sample(&setting, m.name(), "seconds", &secs));
            rows.push(Row::from_sample(&setting, m.name(), "timesteps", &steps));
            let (pm, pc) = mean_ci95(&pct);
            bars.push(Bar { series: m.name().to_string(), value: pm, ci: pc });
        }
        groups.push((format!("depth {depth}"), bars));
    }
    println!("{:<8} {:<16} {:>22} {:>10} {:>12}", "depth", "method", "percent found ± 95% CI", "seconds", "timesteps");
    for r in rows.iter().filter(|r| r.metric == "percent_found") {
        let secs = rows
            .iter()
            .find(|x| x.setting == r.setting && x.method == r.method && x.metric == "seconds")
            .map_or(0.0, |x| x.mean);
        let steps = rows
            .iter()
            .find(|x| x.setting == r.setting && x.method == r.method && x.metric == "timesteps")
            .map_or(0.0, |x| x.mean);
        println!(
            "{:<8} {:<16} {:>22} {:>10.2} {:>12.0}",
            r.setting.trim_start_matches("depth="),
            r.method,
            format!("{:.1} ± {:.1}", r.mean, r.ci95),
            secs,
            steps
        );
    }
    println!("{} trees in {seconds:.1} s", results.len());
    if std::env::var_os("RR_VERBOSE").is_some() {
        print_table(&rows);
    }
    let config = json!({
        "depths": a.depths, "trees": a.trees, "methods": methods.iter().map(|m| m.name()).collect::<Vec<_>>(),
        "budget": a.budget, "seed": a.run.seed, "threads": threads, "out": a.run.out,
        "conventions": {
            "generator": format!("forced full-depth path ending in (+10, -1) terminals; other children expand with p={EXPAND}; terminals +10 with p={POSITIVE}; equal sibling terminals merged; one logit per decision node, P(left)=sigmoid"),
            "timestep": "one loss evaluation along a ridge/direction (exact RR: with Hessian) or one gradient step",
            "baseline_budget": "gd-random, gd-saddle and random-vector get exactly the timesteps rr used on the same tree (the --budget when rr is not run)",
            "search_budget": "rr, fixed-ev and rand-ridge-plus stop when their archive is empty or --budget is spent",
            "mis": "min 0.5*||grad||^2 - 1.0*sum node entropies from theta=0, 300 adaptive steps",
            "descent": format!("gradient descent, adaptive step from 1.0, until ||grad||<1e-3 or {DESCENT_STEPS} steps; solution = greedy leaf"),
            "rr": "exact, BFS, N=6 both signs, delta_break=0.95, alpha=min(2, 2*last accepted) halved to 1e-4, end when loss improves < 1e-4 or 100 steps, solution at every branch point, each (leaf, depth) expanded once",
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
    write_report(&out, "tree", config, &rows, detail)?;
    write_svg(
        &out.join("tree.svg"),
        &bar_chart("Binary tree: percent of positive solutions found", "percent found", &groups, 100.0),
    )
}
