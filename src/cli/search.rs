//! `ridge-rider search`: one Ridge Rider search on a built-in problem, checkpointed
//! after every round under `--out`. `--resume` continues from the checkpoint and gives
//! the same solutions as an uninterrupted run; Ctrl-C finishes the round in hand,
//! writes the checkpoint and exits with code 130 and a message saying how to resume.

use super::common::{prepare_out_dir, set_threads, write_json, CliError, CliResult, RunFlags};
use crate::problems::figure1::figure1_loss;
use crate::problems::tree::Tree;
use crate::problems::tree_methods::{tree_mis, tree_rr_params};
use crate::rr::checkpoint::{load, save, search_key};
use crate::rr::{continue_search, start_search, Hooks, Objective, RrError, RrParams};
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(clap::Args, Debug)]
#[command(mut_arg("seed", |a| a.help("Seed of the search; the same solutions at any --threads")))]
#[command(mut_arg("out", |a| a.help("Output directory: search.json and search.checkpoint")))]
pub struct Args {
    /// The problem: tree or figure1.
    #[arg(long, default_value = "tree")]
    problem: String,
    /// Tree depth (tree problem).
    #[arg(long, default_value_t = 10)]
    depth: usize,
    /// Seed of the tree (tree problem).
    #[arg(long, default_value_t = 1)]
    tree_seed: u64,
    /// Timestep budget of the search.
    #[arg(long, default_value_t = 100_000)]
    budget: usize,
    /// Rides per round (a checkpoint follows each round).
    #[arg(long, default_value_t = 8)]
    round: usize,
    /// Continue from `<out>/search.checkpoint`.
    #[arg(long)]
    resume: bool,
    #[command(flatten)]
    run: RunFlags,
}

fn run_search<O: Objective>(a: &Args, obj: &O, mis: Vec<f64>, mut p: RrParams, threads: usize) -> CliResult {
    p.max_evaluations = a.budget;
    p.round = a.round;
    p.seed = a.run.seed;
    let out = prepare_out_dir(&a.run.out)?;
    let ckpt = out.join("search.checkpoint");
    let key = search_key(&format!("{p:?}/{}/{}/{}", a.problem, a.depth, a.tree_seed), obj.dim(), &mis);
    let mut state = if a.resume {
        if !ckpt.exists() {
            return Err(CliError::Input(format!("--resume: no checkpoint at {}", ckpt.display())));
        }
        load(&ckpt, key, &p).map_err(|e| CliError::Input(e.to_string()))?
    } else {
        start_search(obj, &mis, &p).map_err(|e| CliError::Runtime(e.to_string()))?
    };
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    let mut after = |s: &crate::rr::SearchState| save(&ckpt, s, key);
    let stopped = || stop.load(Ordering::SeqCst);
    let result = continue_search(obj, &p, &mut state, &mut Hooks { after_round: &mut after, stop: &stopped });
    match result {
        Err(RrError::Interrupted) => {
            save(&ckpt, &state, key).map_err(|e| CliError::Runtime(e.to_string()))?;
            eprintln!(
                "interrupted after {} timesteps; {} solutions saved in {}. Resume with the same flags plus --resume.",
                state.output.timesteps,
                state.output.solutions.len(),
                ckpt.display()
            );
            std::process::exit(130);
        }
        r => r.map_err(|e| CliError::Runtime(e.to_string()))?,
    }
    save(&ckpt, &state, key).map_err(|e| CliError::Runtime(e.to_string()))?;
    let o = &state.output;
    let labels: std::collections::BTreeSet<String> = o.solutions.iter().filter_map(|s| s.label.clone()).collect();
    println!(
        "{} solutions ({} distinct labels), {} timesteps, {} HVPs",
        o.solutions.len(),
        labels.len(),
        o.timesteps,
        o.hvps
    );
    let doc = json!({
        "experiment": "search",
        "config": {"problem": a.problem, "depth": a.depth, "tree_seed": a.tree_seed, "budget": a.budget, "round": a.round,
                   "seed": a.run.seed, "resume": a.resume, "threads": threads, "out": a.run.out},
        "rows": [],
        "timesteps": o.timesteps, "evaluations": o.evaluations, "hvps": o.hvps, "unexplored": o.unexplored,
        "solutions": o.solutions.iter().map(|s| json!({
            "theta": s.theta, "loss": s.loss, "label": s.label, "steps": s.steps, "end_reason": s.end_reason.as_str(),
            "fingerprint": s.fingerprint.iter().map(|c| json!([c.index, c.sign])).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    write_json(&out.join("search.json"), &doc)
}

pub fn run(a: Args) -> CliResult {
    let threads = set_threads(a.run.threads)?;
    if a.budget == 0 || a.round == 0 {
        return Err(CliError::Input("--budget and --round must be at least 1".into()));
    }
    match a.problem.as_str() {
        "tree" => {
            let tree = Tree::generate(a.depth, a.tree_seed).map_err(CliError::Input)?;
            let mis = tree_mis(&tree).map_err(|e| CliError::Runtime(e.to_string()))?;
            run_search(&a, &tree, mis, tree_rr_params(a.budget, a.run.seed), threads)
        }
        "figure1" => run_search(&a, &figure1_loss(), vec![0.0, 0.0], RrParams::default(), threads),
        other => Err(CliError::Input(format!("unknown problem '{other}' (tree or figure1)"))),
    }
}
