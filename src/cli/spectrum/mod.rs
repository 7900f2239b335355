//! `ridge-rider spectrum`: extreme eigenpairs of a built-in problem's Hessian, written
//! to `<out>/spectrum.json` (and, when asked, to `--json` and `--vectors`); with
//! `analysis` its trace, density and block spectra, and with `along` the eigenvalues
//! along a saved ride.

mod along;
mod analysis;

use super::common::{
    check_output_file, check_threads, mnist_batch, set_threads, write_json, CliError, CliResult, RunFlags,
};
use super::outdir::OutDir;
use super::report::{write_report, Row};
use super::validate::{number, require_count, require_counts, require_float, Low, MAX_HIDDEN, MAX_STEPS};
use super::values::{parser, ActivationArg, WhichArg};
use crate::ad::Loss;
use crate::io::npy::{read_npy, write_npy_bytes, NpyArray};
use crate::linalg::{lanczos, HessianOperator, LanczosParams, LinalgError, MeanOperator, Which};
use crate::problems::mnist::mlp::Activation;
use crate::problems::mnist::mlp::MlpLoss;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args, Debug)]
#[command(mut_arg("seed", |a| a.help("Seed of the initialisation and the Lanczos start vector")))]
#[command(mut_arg("out", |a| a.help("Output directory: receives spectrum.json")))]
pub struct Args {
    /// The problem whose Hessian is analysed (mnist-mlp).
    #[arg(long, default_value = "mnist-mlp")]
    problem: String,
    /// Hidden units of the MLP.
    #[arg(long, default_value_t = 128)]
    hidden: usize,
    /// Hidden activation.
    #[arg(long, default_value = "tanh", value_parser = parser::<ActivationArg, Activation>())]
    activation: Activation,
    /// Examples: the first N embedded MNIST digits (1–10000), pixels/255.
    #[arg(long, default_value_t = 2236)]
    batch: usize,
    /// Parameters θ as a 1-D .npy (f64 or f32) of the MLP's size, each |θᵢ| ≤ 1e6, or a 2-D one with a θ per row (a ride from `mnist --save-ride`; see --row); absent: the initialisation --init with --seed.
    #[arg(long)]
    params: Option<PathBuf>,
    /// The row of a 2-D --params to analyse, from 0 [default: the last, the ride's final θ].
    #[arg(long, requires = "params")]
    row: Option<usize>,
    /// The k eigenvalues at the chosen spectrum end (and, with --trace, the trace) at every θ of a ride: a 2-D .npy from `mnist --save-ride`, each solve warm-started from the previous θ's eigenvectors; plotted against the step in spectrum.svg.
    #[arg(long, conflicts_with_all = ["params", "init", "density", "blocks", "vectors"])]
    along: Option<PathBuf>,
    /// Steps between the rows of --along (row i is θ after i·M steps): the ride's `mnist --save-every`, which the file does not record.
    #[arg(long, default_value_t = 100, requires = "along")]
    along_every: usize,
    /// With --along, start each solve from a random vector instead of the previous θ's eigenvectors (to see what warm starts save).
    #[arg(long, requires = "along")]
    cold_starts: bool,
    /// Initialisation when --params is absent: near-zero (N(0, 0.01²)), zero (the maximally invariant saddle) or standard (N(0, 1/fan_in)) [default: near-zero].
    #[arg(long, conflicts_with = "params")]
    init: Option<String>,
    /// Eigenpairs wanted (1–1000, at most the parameter count).
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Spectrum end.
    #[arg(long, default_value = "most-negative", value_parser = parser::<WhichArg, Which>())]
    which: Which,
    /// Relative residual tolerance ‖Hv − λv‖ ≤ tol·|λ|, in (0, 1].
    #[arg(long, default_value_t = 1e-6)]
    tol: f64,
    /// Also accept ‖Hv − λv‖ ≤ this absolute residual (it bounds the eigenvalue's error), for eigenvalues at or near 0, such as a PSD block's (W2's), where --tol·|λ| cannot be met; 0: --tol alone.
    #[arg(long, default_value_t = 1e-8)]
    abs_tol: f64,
    /// Stop at the start vector's invariant Krylov space: one eigenpair per group of equal eigenvalues (e.g. at --init zero, where each repeats once per hidden unit).
    #[arg(long)]
    one_per_group: bool,
    /// Lanczos basis size before a restart (0: automatic; at most the parameter count).
    #[arg(long, default_value_t = 0)]
    max_subspace: usize,
    /// Vectors per Lanczos block, 1–64 (block Lanczos when > 1: each block is one tangent sweep, and up to that many copies of a repeated eigenvalue are found).
    #[arg(long, default_value_t = 1)]
    block_size: usize,
    /// Limit on Hessian-vector products (1–100000000).
    #[arg(long, default_value_t = 20000)]
    max_hvps: usize,
    #[command(flatten)]
    run: RunFlags,
    /// Also write spectrum.json's content here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the eigenvectors (k × n, f64) as .npy here.
    #[arg(long)]
    vectors: Option<PathBuf>,
    /// Also estimate the Hessian's trace by Hutch++ with a 95% interval (`--trace-products` HVPs).
    #[arg(long)]
    trace: bool,
    /// HVPs of the trace estimate (6–3000, a multiple of 3 is used; Hutch++ keeps a third of them as vectors of the parameters' size).
    #[arg(long, default_value_t = 90)]
    trace_products: usize,
    /// Also estimate the spectral density by stochastic Lanczos quadrature: JSON, and spectrum.svg (log scale, negative part in its own colour).
    #[arg(long)]
    density: bool,
    /// Also the k most negative eigenvalues (with --trace, the trace; with --density, the negative fraction and mass) of each layer's own Hessian block: W1, b1, W2, b2; exact for blocks of at most 2,048 parameters (one HVP each), estimated for larger ones.
    #[arg(long)]
    blocks: bool,
    /// Average the Hessian over K mini-batches of --batch examples, drawn without replacement by --seed from the embedded digits (1: the first --batch digits).
    #[arg(long, default_value_t = 1)]
    batches: usize,
    /// Random starts of the density (2–10000).
    #[arg(long, default_value_t = 10)]
    density_starts: usize,
    /// Lanczos steps per start of the density (1–10000).
    #[arg(long, default_value_t = 40)]
    density_steps: usize,
}

/// The largest |θᵢ| accepted from --params: beyond it the loss overflows.
const MAX_PARAM: f64 = 1e6;

/// The initialisation --init names.
fn init_name(a: &Args) -> &str {
    a.init.as_deref().unwrap_or("near-zero")
}

/// The flags alone, before any work.
pub fn validate(a: &Args) -> CliResult {
    check_threads(a.run.threads)?;
    if a.problem != "mnist-mlp" {
        return Err(CliError::Input(format!("unknown problem '{}' (expected mnist-mlp)", a.problem)));
    }
    require_count("--hidden", a.hidden, 1, MAX_HIDDEN)?;
    let n = crate::problems::mnist::mlp::Mlp::mnist(a.hidden, a.activation).dim();
    require_counts(&[
        ("--batch", a.batch, 1, crate::problems::data::mnist::EMBEDDED_LEN),
        ("--k", a.k, 1, n.min(1000)),
        ("--max-subspace", a.max_subspace, 0, n),
        ("--max-hvps", a.max_hvps, 1, MAX_STEPS),
        ("--block-size", a.block_size, 1, 64.min(n)),
    ])?;
    if a.max_hvps < a.block_size {
        return Err(CliError::Input(format!(
            "--max-hvps {} is less than one block (--block-size {})",
            a.max_hvps, a.block_size
        )));
    }
    require_float("--tol", a.tol, 0.0, Low::Open, 1.0)?;
    require_float("--abs-tol", a.abs_tol, 0.0, Low::Closed, 1.0)?;
    require_counts(&[
        ("--trace-products", a.trace_products, 6, 3_000),
        ("--density-starts", a.density_starts, 2, 10_000),
        ("--density-steps", a.density_steps, 1, 10_000),
        ("--batches", a.batches, 1, 64),
        ("--along-every", a.along_every, 1, MAX_STEPS),
    ])?;
    let digits = crate::problems::data::mnist::EMBEDDED_LEN;
    if a.batches > 1 && a.batches * a.batch > digits {
        return Err(CliError::Input(format!(
            "--batches {} of --batch {} need {} digits; the embedded set has {digits}",
            a.batches,
            a.batch,
            a.batches * a.batch
        )));
    }
    if !["near-zero", "zero", "standard"].contains(&init_name(a)) {
        return Err(CliError::Input(format!("unknown --init '{}' (near-zero, zero or standard)", init_name(a))));
    }
    if let Some(p) = &a.json {
        check_output_file("--json", p)?;
    }
    if let Some(p) = &a.vectors {
        check_output_file("--vectors", p)?;
    }
    Ok(())
}

/// The θs in a .npy of parameters: a 1-D array of `n` values (one θ) or a 2-D array
/// of rows of `n` (a ride), each value finite and no larger than [`MAX_PARAM`].
fn read_thetas(flag: &str, p: &std::path::Path, n: usize) -> Result<Vec<Vec<f64>>, CliError> {
    let arr = read_npy(p).map_err(|e| CliError::Input(format!("{flag} {}: {e}", p.display())))?;
    let rows = match arr.shape[..] {
        [len] if len == n => 1,
        [rows, len] if len == n && rows > 0 => rows,
        _ => {
            let shape: Vec<String> = arr.shape.iter().map(|d| d.to_string()).collect();
            return Err(CliError::Input(format!(
                "{flag} {}: shape ({}), the MLP needs its {n} parameters, in one row or in rows",
                p.display(),
                shape.join(", ")
            )));
        }
    };
    if let Some((i, x)) = arr.data.iter().enumerate().find(|(_, x)| !(x.is_finite() && x.abs() <= MAX_PARAM)) {
        let at = if arr.shape.len() == 1 { format!("index {i}") } else { format!("row {}, index {}", i / n, i % n) };
        return Err(CliError::Input(format!(
            "{flag} {}: value {} at {at} is not a finite number in [-{m}, {m}]",
            p.display(),
            number(*x),
            m = number(MAX_PARAM)
        )));
    }
    debug_assert_eq!(arr.data.len(), rows * n);
    Ok(arr.data.chunks(n).map(<[f64]>::to_vec).collect())
}

/// The θ analysed, and where it came from (for the figure's title).
struct Theta {
    values: Vec<f64>,
    label: String,
}

/// θ from --params (its --row when it holds several), or the initialisation --init.
fn theta(a: &Args, loss: &MlpLoss) -> Result<Theta, CliError> {
    let n = loss.mlp.dim();
    let Some(p) = &a.params else {
        let theta = match init_name(a) {
            "near-zero" => loss.mlp.init_near_zero(a.run.seed, 0.01),
            "zero" => vec![0.0; n],
            _ => loss.mlp.init_standard(a.run.seed),
        };
        return Ok(Theta { values: theta, label: format!("the {} init", init_name(a)) });
    };
    let mut rows = read_thetas("--params", p, n)?;
    let name = p.file_name().map_or(p.display().to_string(), |f| f.to_string_lossy().into_owned());
    if rows.len() == 1 && a.row.unwrap_or(0) == 0 {
        return Ok(Theta { values: rows.swap_remove(0), label: name });
    }
    let row = a.row.unwrap_or(rows.len() - 1);
    if row >= rows.len() {
        return Err(CliError::Input(format!("--row {row}: {} holds rows 0 to {}", p.display(), rows.len() - 1)));
    }
    Ok(Theta { values: rows.swap_remove(row), label: format!("{name} row {row}") })
}

/// The losses whose Hessians are averaged: the first --batch digits, or --batches
/// disjoint batches from one seeded permutation of the embedded digits.
fn batch_losses(a: &Args, first: MlpLoss) -> Result<Vec<MlpLoss>, CliError> {
    if a.batches == 1 {
        return Ok(vec![first]);
    }
    let all = crate::problems::data::mnist::embedded_all();
    let order = crate::rng::permutation(&mut crate::rng::seeded(a.run.seed, 0x6261_7463), all.len());
    order
        .chunks(a.batch)
        .take(a.batches)
        .map(|idx| {
            let d = all.select(idx);
            MlpLoss::new(first.mlp, d.x, d.labels).map_err(|e| CliError::Input(e.to_string()))
        })
        .collect()
}

/// The mean of the losses' Hessians at θ.
fn operator(losses: &[MlpLoss], theta: &[f64]) -> Result<MeanOperator<HessianOperator>, CliError> {
    let ops = losses
        .iter()
        .map(|l| HessianOperator::new(l, theta.to_vec()).map_err(|e| CliError::Input(e.to_string())))
        .collect::<Result<Vec<_>, CliError>>()?;
    MeanOperator::new(ops).map_err(|e| CliError::Runtime(e.to_string()))
}

/// The Lanczos parameters the flags ask for.
fn lanczos_params(a: &Args) -> LanczosParams {
    LanczosParams {
        k: a.k,
        which: a.which,
        tol: a.tol,
        abs_tol: a.abs_tol,
        max_subspace: a.max_subspace,
        max_applications: a.max_hvps,
        seed: a.run.seed,
        start: None,
        continue_after_breakdown: !a.one_per_group,
        block_size: a.block_size,
    }
}

/// A solver's failure: bad input where the flags or the user's θ caused it.
fn solve_error(a: &Args, e: LinalgError) -> CliError {
    match e {
        LinalgError::BadCount { .. } | LinalgError::Empty => CliError::Input(e.to_string()),
        // Parameters given by the user that make the Hessian overflow are bad input.
        LinalgError::NonFinite if a.params.is_some() || a.along.is_some() => {
            CliError::Input(format!("the Hessian at the given θ is not finite ({e})"))
        }
        _ => CliError::Runtime(e.to_string()),
    }
}

/// A path flag as JSON text (lossy: a path need not be UTF-8, JSON must be).
pub(super) fn path_text(p: &Option<PathBuf>) -> Option<String> {
    p.as_ref().map(|p| p.to_string_lossy().into_owned())
}

/// Every flag, as the JSON's config.
fn config_json(a: &Args) -> serde_json::Value {
    let init = match (&a.params, &a.along) {
        (Some(p), _) => format!("--params {}", p.display()),
        (_, Some(p)) => format!("--along {}", p.display()),
        _ => init_name(a).to_string(),
    };
    serde_json::json!({
        "problem": a.problem, "hidden": a.hidden, "activation": format!("{:?}", a.activation).to_lowercase(),
        "batch": a.batch, "k": a.k, "which": format!("{:?}", a.which), "tol": a.tol, "abs_tol": a.abs_tol, "init": init, "row": a.row,
        "one_per_group": a.one_per_group, "max_subspace": a.max_subspace, "max_hvps": a.max_hvps, "block_size": a.block_size,
        "seed": a.run.seed, "threads": a.run.threads, "out": a.run.out_text(), "json": path_text(&a.json), "vectors": path_text(&a.vectors),
        "trace": a.trace, "trace_products": a.trace_products,
        "density": a.density, "density_starts": a.density_starts, "density_steps": a.density_steps, "batches": a.batches, "blocks": a.blocks,
        "along": path_text(&a.along), "along_every": a.along_every, "cold_starts": a.cold_starts,
    })
}

pub fn run(a: Args) -> CliResult {
    validate(&a)?;
    let loss = mnist_batch(a.batch, a.hidden, a.activation)?;
    let n = loss.mlp.dim();
    let ride = match &a.along {
        Some(p) => Some(read_thetas("--along", p, n)?),
        None => None,
    };
    let Theta { values: theta, label: theta_label } = theta(&a, &loss)?;
    let blocks = loss.blocks();
    let losses = batch_losses(&a, loss)?;
    set_threads(a.run.threads)?;
    let out = OutDir::open(&a.run.out)?;
    if let Some(ride) = ride {
        return along::run(&a, &losses, &ride, &out, config_json(&a));
    }
    let op = operator(&losses, &theta)?;
    let t = Instant::now();
    let r = lanczos(&op, &lanczos_params(&a)).map_err(|e| solve_error(&a, e))?;
    let seconds = t.elapsed().as_secs_f64();
    let mut rows: Vec<Row> = (0..r.values.len())
        .map(|i| Row::from_sample(format!("i={i}"), "lanczos", "eigenvalue", &[r.values[i]]))
        .collect();
    let mut analysis = analysis::analyse(&a, &op, &theta_label, &mut rows, &out)?;
    if a.blocks {
        analysis["blocks"] = analysis::block_spectra(&a, &op, &blocks, &mut rows)?;
    }
    let config = config_json(&a);
    let detail = serde_json::json!({
        "problem": a.problem, "hidden": a.hidden, "batch": a.batch, "k": a.k,
        "which": format!("{:?}", a.which), "tol": a.tol, "one_per_group": a.one_per_group,
        // Where θ came from: the file, or the initialisation (never both).
        "init": a.params.is_none().then(|| init_name(&a)),
        "params": a.params.as_ref().map(|p| p.display().to_string()),
        "eigenvalues": r.values, "residuals": r.residuals, "converged": r.converged,
        "operator_applications": r.operator_applications, "block_applications": r.block_applications,
        "restarts": r.iterations, "seconds": seconds, "analysis": analysis,
    });
    write_report(out.path(), "spectrum", config.clone(), &rows, detail.clone(), true)?;
    if let Some(path) = &a.json {
        let mut doc = detail;
        doc["config"] = config;
        write_json(path, &doc)?;
    }
    if let Some(path) = &a.vectors {
        let arr = NpyArray { shape: vec![r.vectors.len(), n], data: r.vectors.concat() };
        super::common::write_file(path, &write_npy_bytes(&arr))?;
    }
    say!("{:>4} {:>16} {:>12} {:>10}", "i", "eigenvalue", "residual", "converged");
    for i in 0..r.values.len() {
        say!("{:>4} {:>16.8} {:>12.2e} {:>10}", i, r.values[i], r.residuals[i], r.converged[i]);
    }
    for row in rows.iter().filter(|r| !r.setting.starts_with("i=")) {
        let ci = if row.ci95.is_finite() { format!(" ± {:.6}", row.ci95) } else { String::new() };
        say!("{:<10} {} ({}): {:.8}{ci}", row.setting, row.metric, row.method, row.mean);
    }
    say!(
        "{} HVPs in {} sweeps, {} restarts, {:.1} s",
        r.operator_applications,
        r.block_applications,
        r.iterations,
        seconds
    );
    Ok(())
}
