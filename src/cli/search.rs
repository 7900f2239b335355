//! `ridge-rider search`: one Ridge Rider search on a built-in problem, checkpointed
//! after every round under `--out`. `--resume` continues from the checkpoint and gives
//! the same solutions as an uninterrupted run; Ctrl-C finishes the round in hand,
//! writes the checkpoint and exits with code 130 and a message saying how to resume.
//! An existing checkpoint is never overwritten by a new search unless `--force` says so.

use super::common::{check_threads, set_threads, write_error, write_json, CliError, CliResult, RunFlags};
use super::outdir::OutDir;
use super::validate::{require_counts, MAX_STEPS};
use crate::problems::figure1::figure1_loss;
use crate::problems::tree::methods::{tree_mis_within, tree_rr_params, MethodRun};
use crate::problems::tree::Tree;
use crate::rr::checkpoint::{load, save, search_key, CheckpointError, Identity};
use crate::rr::{continue_search, start_search, Hooks, Objective, RrError, RrParams, SearchState};
use serde_json::json;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(clap::Args, Debug)]
#[command(mut_arg("seed", |a| a.help("Seed of the search; the same solutions at any --threads")))]
#[command(mut_arg("out", |a| a.help("Output directory: search.json and search.checkpoint")))]
pub struct Args {
    /// The problem: tree or figure1.
    #[arg(long, default_value = "tree")]
    pub(super) problem: String,
    /// Tree depth, 1–30 (tree problem).
    #[arg(long, default_value_t = 10)]
    pub(super) depth: usize,
    /// Seed of the tree (tree problem).
    #[arg(long, default_value_t = 1)]
    pub(super) tree_seed: u64,
    /// Timestep budget of the search: ride evaluations and final-descent steps (the MIS takes at most this many steps too).
    #[arg(long, default_value_t = 100_000)]
    pub(super) budget: usize,
    /// Rides per round, 1–4096 (a checkpoint follows each round).
    #[arg(long, default_value_t = 8)]
    pub(super) round: usize,
    /// Continue from `<out>/search.checkpoint`.
    #[arg(long, conflicts_with = "force")]
    resume: bool,
    /// Start over even though `<out>/search.checkpoint` exists (it is replaced after the first round).
    #[arg(long)]
    pub(super) force: bool,
    /// A search run as waves (one archive round each, over many processes): the frontier file, a checkpoint. Alone it starts the search; with --shard a process rides its share of the next wave; with --merge the wave's rides become the next frontier (and, when the search is done, search.json in --out).
    #[arg(long)]
    pub(super) frontier: Option<std::path::PathBuf>,
    /// With --frontier: ride the next wave's entries K, K+N, … ("K/N", or "auto" from SLURM_ARRAY_TASK_ID/COUNT or JOB_COMPLETION_INDEX with RR_SHARD_COUNT).
    #[arg(long, requires = "frontier")]
    pub(super) shard: Option<String>,
    /// With --frontier: merge the wave's rides into the next frontier.
    #[arg(long, requires = "frontier", conflicts_with = "shard")]
    pub(super) merge: bool,
    #[command(flatten)]
    pub(super) run: RunFlags,
}

/// The flags alone, before any work.
pub fn validate(a: &Args) -> CliResult {
    check_threads(a.run.threads)?;
    require_counts(&[
        ("--depth", a.depth, 1, 30),
        ("--budget", a.budget, 1, MAX_STEPS),
        ("--round", a.round, 1, 4096),
    ])?;
    match a.problem.as_str() {
        "tree" | "figure1" => Ok(()),
        other => Err(CliError::Input(format!("unknown problem '{other}' (tree or figure1)"))),
    }
}

/// Refuse to start over an existing checkpoint (without `--force`), to resume from
/// none, or to use anything but a regular file as one.
fn check_checkpoint(a: &Args, ckpt: &Path) -> CliResult {
    let meta = std::fs::symlink_metadata(ckpt);
    if let Ok(m) = &meta {
        if !m.is_file() {
            return Err(CliError::Input(format!(
                "{} is not a checkpoint file (a directory or special file): move it away or choose another --out",
                ckpt.display()
            )));
        }
    }
    match (meta.is_ok(), a.resume, a.force) {
        (false, true, _) => Err(CliError::Input(format!("--resume: no checkpoint at {}", ckpt.display()))),
        (true, false, false) => Err(CliError::Input(format!(
            "{} holds an earlier search: continue it with --resume, or start over with --force",
            ckpt.display()
        ))),
        _ => Ok(()),
    }
}

fn run_search<O: Objective>(a: &Args, obj: &O, mis: Vec<f64>, mut p: RrParams, threads: usize) -> CliResult {
    p.budget.timesteps = a.budget;
    p.round = a.round;
    p.seed = a.run.seed;
    let shape = match a.problem.as_str() {
        "tree" => format!("tree depth={} seed={}", a.depth, a.tree_seed),
        other => other.to_string(),
    };
    let key = search_key(&p, &format!("{}/{}/{}", a.problem, a.depth, a.tree_seed), obj.dim(), &mis);
    let id = Identity { key, dim: obj.dim(), shape };
    if let Some(frontier) = &a.frontier {
        return super::wave::run(a, obj, &mis, &p, &id, frontier, threads);
    }
    let out = OutDir::open(&a.run.out)?;
    let ckpt = out.join("search.checkpoint");
    check_checkpoint(a, &ckpt)?;
    let mut state = if a.resume {
        load(&ckpt, &id, &p).map_err(|e| CliError::Input(e.to_string()))?
    } else {
        start_search(obj, &mis, &p).map_err(|e| CliError::Runtime(e.to_string()))?
    };
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    // A checkpoint that cannot be written is the environment's problem (see `write_error`).
    let saved = |s: &SearchState| save(&ckpt, s, &id);
    let stopped = || stop.load(Ordering::SeqCst);
    let mut hooks = Hooks { after_round: Box::new(saved), stop: Box::new(stopped) };
    let result = continue_search(obj, &p, &mut state, &mut hooks);
    match result {
        Err(RrError::Interrupted) => {
            saved(&state).map_err(save_error)?;
            return Err(CliError::Interrupted(format!(
                "interrupted after {} timesteps; {} solutions saved in {}. Resume with the same flags plus --resume.",
                state.output.timesteps,
                state.output.solutions.len(),
                ckpt.display()
            )));
        }
        r => r.map_err(save_error)?,
    }
    saved(&state).map_err(save_error)?;
    write_results(a, &out, &state, threads)
}

/// search.json and the summary line of a finished search.
pub(super) fn write_results(a: &Args, out: &OutDir, state: &SearchState, threads: usize) -> CliResult {
    let o = &state.output;
    let labels: std::collections::BTreeSet<String> = o.solutions.iter().filter_map(|s| s.label.clone()).collect();
    let doc = json!({
        "experiment": "search",
        "config": {"problem": a.problem, "depth": a.depth, "tree_seed": a.tree_seed, "budget": a.budget, "round": a.round,
                   "seed": a.run.seed, "resume": a.resume, "threads": threads, "out": a.run.out_text()},
        "complete": true,
        "rows": [],
        "timesteps": o.timesteps, "evaluations": o.evaluations, "hvps": o.hvps, "unexplored": o.unexplored,
        "solutions": o.solutions.iter().map(|s| json!({
            "theta": s.theta, "loss": s.loss, "label": s.label, "steps": s.steps, "end_reason": s.end_reason.as_str(),
            "fingerprint": s.fingerprint.iter().map(|c| json!([c.index, c.sign])).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    write_json(&out.join("search.json"), &doc)?;
    say!(
        "{} solutions ({} distinct labels), {} timesteps, {} HVPs",
        o.solutions.len(),
        labels.len(),
        o.timesteps,
        o.hvps
    );
    Ok(())
}

/// A checkpoint that could not be written says what to change ([`write_error`]); any
/// other failure of the search is a run-time one.
pub(super) fn save_error(e: RrError) -> CliError {
    match e {
        RrError::Checkpoint(CheckpointError::Io { path, error }) => write_error(&path, &error),
        e => CliError::Runtime(e.to_string()),
    }
}

pub fn run(a: Args) -> CliResult {
    validate(&a)?;
    let threads = set_threads(a.run.threads)?;
    match a.problem.as_str() {
        "tree" => {
            let tree = Tree::generate(a.depth, a.tree_seed).map_err(|e| CliError::Input(e.to_string()))?;
            let mis = tree_mis_within(&tree, a.budget).map_err(|e| CliError::Runtime(e.to_string()))?;
            run_search(
                &a,
                &tree,
                mis,
                tree_rr_params(&MethodRun { budget: a.budget, seed: a.run.seed, ..Default::default() }),
                threads,
            )
        }
        _ => run_search(&a, &figure1_loss(), vec![0.0, 0.0], RrParams::default(), threads),
    }
}
