//! `ridge-rider cmnist`: out-of-distribution generalisation on Colored MNIST (paper
//! Table 1): the RR extension beside ERM and IRMv1. The environments are documented in
//! `problems::data::colored_mnist`, the methods and the β weights in `problems::cmnist::rr`.
//!
//! Each run draws its own label and colour noise and initialisation from
//! `seed + run`; rows are means over runs with 95% confidence intervals.

use super::common::{check_threads, one_gemm_thread_per_run, set_threads, CliError, CliResult, RunFlags};
use super::outdir::OutDir;
use super::report::{print_table, progress, write_report, Row};
use super::shard::{run_units, Codec, Mode, ShardFlags, Units};
use super::svg::{write_svg, Bar, BarChart, BarGroup, BarPanel};
use super::validate::{require_counts, require_float, require_methods, Low, MAX_REPEATS, MAX_STEPS};
use crate::problems::cmnist::fit::HeldOutFit;
use crate::problems::cmnist::rr::{ridge_rider_ood, rr_work, train_erm, train_irm, Betas, OodParams, OodResult, Split};
use crate::problems::data::colored_mnist::{environments, environments_full, EnvSizes};
use crate::problems::data::mnist::{embedded_all, load_dir, Dataset};
use rayon::prelude::*;
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

/// A Colored MNIST method (`--methods` spells it as [`OodMethod::name`] does).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OodMethod {
    Rr,
    Erm,
    Irm,
}

impl OodMethod {
    fn name(self) -> &'static str {
        match self {
            OodMethod::Rr => "rr",
            OodMethod::Erm => "erm",
            OodMethod::Irm => "irm",
        }
    }
    /// The paper's Table 1 (train, test) in percent.
    fn paper(self) -> (f64, f64) {
        match self {
            OodMethod::Rr => (65.5, 58.4),
            OodMethod::Erm => (87.4, 17.8),
            OodMethod::Irm => (69.7, 65.7),
        }
    }
}

#[derive(clap::Args, Debug)]
#[command(mut_arg("seed", |a| a.help("Seed of the noise draws, initialisations and batches (run r uses seed + r); the same result at any --threads")))]
pub struct Args {
    /// Directory with the full MNIST (train-/t10k- idx files): the paper's 25,000/25,000/10,000 environments; default: the embedded digits, 4,000/4,000/2,000.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Independent runs per method (the paper: 30).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Methods, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "rr,erm,irm")]
    methods: Vec<OodMethod>,
    /// Steps along each ridge (the paper: nine).
    #[arg(long, default_value_t = 9)]
    ride_steps: usize,
    /// Adam steps on L1 + L2 between two ridge steps.
    #[arg(long, default_value_t = 30)]
    inner_steps: usize,
    /// Adam steps on L1 + L2 to find the MIS (per attempt).
    #[arg(long, default_value_t = 300)]
    mis_steps: usize,
    /// Rides per run, from the most negative eigenvectors at the MIS.
    #[arg(long, default_value_t = 2)]
    ridges: usize,
    /// Step α along the ridge.
    #[arg(long, default_value_t = 0.3)]
    alpha: f64,
    /// Adam steps of ERM and IRM.
    #[arg(long, default_value_t = 1000)]
    steps: usize,
    /// IRMv1: steps with penalty weight 1 before the full penalty applies.
    #[arg(long, default_value_t = 300)]
    irm_anneal: usize,
    /// Examples per environment in each step.
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// The β weights of L1 and L2, in order: β1 (eigenvector correlation), β2 (negative curvature), β3 (the environments' own losses), β4 (equal curvature in both environments), β5 (curvature inside L2), and the weight of L2.
    #[arg(long, value_delimiter = ',', default_value = "1,1,1,10,1,1")]
    betas: Vec<f64>,
    #[command(flatten)]
    run: RunFlags,
    #[command(flatten)]
    shard: ShardFlags,
}

/// The `--betas` list as [`Betas`] (its length and values checked by [`validate`]).
fn betas(a: &Args) -> Betas {
    let b = &a.betas;
    Betas {
        correlation: b[0],
        curvature: b[1],
        loss: b[2],
        equal_curvature: b[3],
        consistency_curvature: b[4],
        consistency: b[5],
    }
}

fn params(a: &Args, seed: u64) -> OodParams {
    OodParams {
        betas: betas(a),
        ride_steps: a.ride_steps,
        inner_steps: a.inner_steps,
        mis_steps: a.mis_steps,
        ridges: a.ridges,
        alpha: a.alpha,
        steps: a.steps,
        irm_anneal: a.irm_anneal,
        batch: a.batch,
        seed,
        ..OodParams::default()
    }
}

/// The largest β accepted: larger weights overflow the losses.
const MAX_BETA: f64 = 1e6;

/// The flags alone, before any work.
pub fn validate(a: &Args) -> Result<(), CliError> {
    check_threads(a.run.threads)?;
    require_counts(&[
        ("--runs", a.runs, 1, MAX_REPEATS),
        ("--ride-steps", a.ride_steps, 1, MAX_STEPS),
        ("--inner-steps", a.inner_steps, 0, MAX_STEPS),
        ("--mis-steps", a.mis_steps, 0, MAX_STEPS),
        ("--ridges", a.ridges, 1, OodParams::default().net.dim_head()),
        ("--steps", a.steps, 1, MAX_STEPS),
        ("--irm-anneal", a.irm_anneal, 0, MAX_STEPS),
        ("--batch", a.batch, 1, MAX_STEPS),
    ])?;
    require_methods(&a.methods.iter().map(|m| m.name()).collect::<Vec<_>>())?;
    require_float("--alpha", a.alpha, 0.0, Low::Open, 1e3)?;
    if a.betas.len() != 6 || a.betas.iter().any(|b| !(b.is_finite() && *b >= 0.0 && *b <= MAX_BETA)) {
        return Err(CliError::Input(format!(
            "--betas must be six numbers in [0, {}]: b1,b2,b3,b4,b5,L2-weight",
            super::validate::number(MAX_BETA)
        )));
    }
    Ok(())
}

/// Where the digits come from.
enum Source {
    /// The full MNIST: (train, test).
    Full((Dataset, Dataset)),
    /// The embedded 10,000 digits.
    Embedded(Dataset),
}

pub fn run(a: Args) -> CliResult {
    validate(&a)?;
    let source = match &a.data {
        Some(dir) => Source::Full(load_dir(dir).map_err(|e| CliError::Input(e.to_string()))?),
        None => Source::Embedded(embedded_all()),
    };
    let build = |seed: u64| match &source {
        Source::Full((train, test)) => environments_full(train, test, seed),
        Source::Embedded(all) => environments(all, EnvSizes::EMBEDDED, seed),
    };
    // Bad data (e.g. not 28×28) is reported before any work.
    let first = build(a.run.seed).map_err(|e| CliError::Input(e.to_string()))?;
    if let Some(small) = first[..2].iter().map(|e| e.len()).min().filter(|&n| a.batch > n) {
        return Err(CliError::Input(format!(
            "--batch must be at most {small} (the examples of a training environment), got {}",
            a.batch
        )));
    }
    let threads = set_threads(a.run.threads)?;
    let out = match a.shard.mode()? {
        Mode::Shard(s) => OutDir::open_shard(&a.run.out, s.index, s.count)?,
        _ => OutDir::open(&a.run.out)?,
    };
    let started = Instant::now();
    let p0 = params(&a, a.run.seed);
    let per_run: usize = a.methods.iter().map(|m| if *m == OodMethod::Rr { rr_work(&p0) } else { p0.steps }).sum();
    let bar = progress((a.runs * per_run) as u64, "cmnist");
    let run_one = |run: u64| -> Result<Vec<OodResult>, CliError> {
        let seed = a.run.seed.wrapping_add(run);
        let envs = build(seed).map_err(|e| CliError::Input(e.to_string()))?;
        let split = Split::new(&envs, p0.validation_fraction);
        let p = params(&a, seed);
        a.methods
            .iter()
            .map(|m| {
                let tick = |units: usize| bar.inc(units as u64);
                match m {
                    OodMethod::Rr => ridge_rider_ood(&split, &p, tick),
                    OodMethod::Erm => train_erm(&split, &p, tick),
                    OodMethod::Irm => train_irm(&split, &p, tick),
                }
                .map_err(|e| CliError::Runtime(format!("{} run {run}: {e}", m.name())))
            })
            .collect()
    };
    let mode = a.shard.mode()?;
    let fingerprint = json!({"flags": format!("{:?}", (&a.data, a.runs, &a.methods, a.ride_steps, a.inner_steps, a.mis_steps,
        a.ridges, a.alpha, a.steps, a.irm_anneal, a.batch, &a.betas)), "seed": a.run.seed});
    let results: Vec<Vec<OodResult>> = if let Mode::Whole = mode {
        // Runs go in parallel, `threads` at a time; the report is rewritten after each
        // batch, so an interrupted job keeps the runs it finished.
        let mut results = Vec::with_capacity(a.runs);
        let runs: Vec<u64> = (0..a.runs as u64).collect();
        one_gemm_thread_per_run(a.runs.min(threads));
        for batch in runs.chunks(threads.max(1)) {
            let done: Vec<Vec<OodResult>> = batch.par_iter().map(|&r| run_one(r)).collect::<Result<_, _>>()?;
            results.extend(done);
            report(&a, &p0, threads, out.path(), &results, started.elapsed().as_secs_f64(), false)?;
        }
        results
    } else {
        let units = Units::new(out.path(), "cmnist", fingerprint);
        let codec = Codec { key: |r: &u64| format!("run={r}"), to_json: unit_json, from_json: from_unit };
        let runs: Vec<u64> = (0..a.runs as u64).collect();
        one_gemm_thread_per_run(a.runs.min(threads));
        let compute = |&r: &u64| run_one(r);
        match run_units(&mode, "cmnist", &runs, &units, &codec, compute, |_| Ok(()), &a.run.out)? {
            Some(results) => results.into_iter().flatten().collect(),
            None => return Ok(()),
        }
    };
    bar.finish_and_clear();
    let complete = results.len() == a.runs;
    report(&a, &p0, threads, out.path(), &results, started.elapsed().as_secs_f64(), complete)
}

/// One run's results, as its unit file holds them.
fn unit_json(r: &Vec<OodResult>) -> serde_json::Value {
    serde_json::to_value(r).unwrap_or(serde_json::Value::Null)
}

fn from_unit(v: &serde_json::Value) -> Result<Vec<OodResult>, CliError> {
    serde_json::from_value(v.clone()).map_err(|e| CliError::Input(format!("a cmnist unit file is malformed: {e}")))
}

/// Per run of method `k`, the MIS diagnostics (see `HeldOutFit`); `None` for methods
/// without a MIS.
fn mis_fits(results: &[Vec<OodResult>], k: usize) -> Vec<Option<HeldOutFit>> {
    results.iter().map(|r| r[k].mis_fit).collect()
}

/// The MIS diagnostics as JSON: the curvature gap |κ₁ − κ₂|/max|κ| on the fitted and
/// on the held-out data, the curvature along the ridge in the test environment, and
/// the colour's share of the ridge's curvature (`HeldOutFit::colour_share`).
fn mis_json(fits: &[Option<HeldOutFit>]) -> serde_json::Value {
    let each = |f: fn(&HeldOutFit) -> f64| fits.iter().map(|h| h.as_ref().map(f)).collect::<Vec<_>>();
    json!({"curvature_gap_fit": each(|h| h.fit.curvature_gap()),
        "curvature_gap_held_out": each(|h| h.held_out.curvature_gap()),
        "test_curvature": each(|h| h.test_curvature),
        "colour_share": each(|h| h.colour_share())})
}

/// One line on the MIS ridge of the RR runs: why its rides find the colour or not.
fn print_mis_summary(fits: &[Option<HeldOutFit>]) {
    let fits: Vec<&HeldOutFit> = fits.iter().flatten().collect();
    if fits.is_empty() {
        return;
    }
    let mean = |f: fn(&HeldOutFit) -> f64| fits.iter().map(|h| f(h)).sum::<f64>() / fits.len() as f64;
    let colour = fits.iter().filter(|h| h.test_curvature > 0.0).count();
    say!(
        "rr: along the MIS ridge, curvature gap between the training environments {:.0}% on the fitted data, {:.0}% held out; \
         curvature in the test environment {:+.3} (positive, i.e. the ridge reads the colour, in {colour} of {} runs); \
         the colour's share of the ridge's curvature (the fitted digits with colours swapped) {:.0}%",
        100.0 * mean(|h| h.fit.curvature_gap()),
        100.0 * mean(|h| h.held_out.curvature_gap()),
        mean(|h| h.test_curvature),
        fits.len(),
        100.0 * mean(|h| h.colour_share()),
    );
}

/// Rows, JSON and SVG from the runs finished so far; the table is printed at the end,
/// after the files.
fn report(
    a: &Args,
    p: &OodParams,
    threads: usize,
    out: &std::path::Path,
    results: &[Vec<OodResult>],
    seconds: f64,
    last: bool,
) -> CliResult {
    let mut rows = Vec::new();
    let mut groups =
        vec![BarGroup { label: "train".into(), bars: Vec::new() }, BarGroup { label: "test".into(), bars: Vec::new() }];
    let mut per_method = serde_json::Map::new();
    for (k, m) in a.methods.iter().enumerate() {
        let train: Vec<f64> = results.iter().map(|r| r[k].train_accuracy).collect();
        let test: Vec<f64> = results.iter().map(|r| r[k].test_accuracy).collect();
        for (split, xs, group) in [("split=train", &train, 0), ("split=test", &test, 1)] {
            let row = Row::from_sample(split, m.name(), "accuracy", xs);
            let percent: Vec<f64> = xs.iter().map(|x| 100.0 * x).collect();
            groups[group].bars.push(Bar::from_runs(format!("{} (ours)", m.name()), &percent));
            rows.push(row);
        }
        let (pt, pv) = m.paper();
        groups[0].bars.push(Bar::reference(format!("{} (paper)", m.name()), pt));
        groups[1].bars.push(Bar::reference(format!("{} (paper)", m.name()), pv));
        per_method.insert(
            m.name().into(),
            json!({"train_accuracy": train, "test_accuracy": test,
                "validation_accuracy": results.iter().map(|r| r[k].validation_accuracy).collect::<Vec<_>>(),
                "candidates_validation_test": results.iter().map(|r| r[k].candidates.clone()).collect::<Vec<_>>(),
                "mis_attempts": results.iter().map(|r| r[k].mis_attempts).collect::<Vec<_>>(),
                "mis": mis_json(&mis_fits(results, k)),
                "paper": {"train": pt / 100.0, "test": pv / 100.0}}),
        );
    }
    let config = json!({"data": a.data.as_ref().map_or("embedded: 4000/4000/2000".to_string(), |d| d.display().to_string()),
        "runs": a.runs, "methods": a.methods.iter().map(|m| m.name()).collect::<Vec<_>>(),
        "ride_steps": a.ride_steps, "inner_steps": a.inner_steps, "mis_steps": a.mis_steps, "ridges": a.ridges,
        "alpha": a.alpha, "steps": a.steps, "irm_anneal": a.irm_anneal, "batch": a.batch, "seed": a.run.seed, "threads": threads, "out": a.run.out_text(),
        "network": format!("{} -> {} relu -> {} tanh | head {} tanh -> 1", p.net.inputs, p.net.hidden, p.net.features, p.net.head_hidden),
        "betas": a.betas, "probes": p.probes, "mis_attempts": p.mis_attempts,
        "lr_features": p.lr_features, "lr_eigenvector": p.lr_eigenvector, "lr": p.lr, "l2": p.l2,
        "irm_penalty": p.irm_penalty, "validation_fraction": p.validation_fraction,
        "head_init_scale": p.head_init_scale});
    write_report(
        out,
        "cmnist",
        config,
        &rows,
        json!({"methods": per_method, "runs_finished": results.len(), "chance": 0.5, "optimum": 0.75, "seconds": seconds}),
        last,
    )?;
    let chart = BarChart {
        title: format!(
            "Colored MNIST: ours over {} runs (filled) beside the paper's Table 1 (outlined)",
            results.len()
        ),
        x_label: "environment".into(),
        y_label: "accuracy (%)".into(),
        y_max: 100.0,
        panels: vec![BarPanel { title: String::new(), groups }],
    };
    write_svg(&out.join("cmnist.svg"), &chart.to_svg())?;
    if last {
        print_table(&rows);
        say!("reference: chance 0.50, best invariant classifier 0.75 (train and test)");
        if let Some(k) = a.methods.iter().position(|m| *m == OodMethod::Rr) {
            print_mis_summary(&mis_fits(results, k));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    #[test]
    fn betas_map_to_the_weights_in_the_documented_order() {
        let cli = Cli::parse_from(["cmnist", "--betas", "1,2,3,4,5,6"]);
        let b = params(&cli.args, 0).betas;
        let got = [b.correlation, b.curvature, b.loss, b.equal_curvature, b.consistency_curvature, b.consistency];
        assert_eq!(got, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }
}
