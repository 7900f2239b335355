//! `ridge-rider spectrum`: extreme eigenpairs of a built-in problem's Hessian, written
//! to `<out>/spectrum.json` (and, when asked, to `--json` and `--vectors`).

use super::common::{
    check_output_file, check_threads, mnist_batch, set_threads, write_json, CliError, CliResult, RunFlags,
};
use super::outdir::OutDir;
use super::report::{write_report, Row};
use super::validate::{number, require_count, require_counts, require_float, Low, MAX_HIDDEN, MAX_STEPS};
use super::values::{parser, ActivationArg, WhichArg};
use crate::io::npy::{read_npy, write_npy_bytes, NpyArray};
use crate::linalg::{lanczos, HessianOperator, LanczosParams, Which};
use crate::problems::mnist::mlp::Activation;
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
    /// Parameters θ as a 1-D .npy (f64 or f32) of the MLP's size, each |θᵢ| ≤ 1e6; absent: the initialisation --init with --seed.
    #[arg(long)]
    params: Option<PathBuf>,
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

/// θ from --params: a 1-D array of `n` finite values no larger than [`MAX_PARAM`].
fn read_params(p: &std::path::Path, n: usize) -> Result<Vec<f64>, CliError> {
    let arr = read_npy(p).map_err(|e| CliError::Input(format!("{}: {e}", p.display())))?;
    if arr.shape != [n] {
        let shape: Vec<String> = arr.shape.iter().map(|d| d.to_string()).collect();
        return Err(CliError::Input(format!(
            "{}: shape ({}), the MLP needs a 1-D array of its {n} parameters",
            p.display(),
            shape.join(", ")
        )));
    }
    if let Some((i, x)) = arr.data.iter().enumerate().find(|(_, x)| !(x.is_finite() && x.abs() <= MAX_PARAM)) {
        return Err(CliError::Input(format!(
            "{}: value {} at index {i} is not a finite number in [-{m}, {m}]",
            p.display(),
            number(*x),
            m = number(MAX_PARAM)
        )));
    }
    Ok(arr.data)
}

pub fn run(a: Args) -> CliResult {
    validate(&a)?;
    let loss = mnist_batch(a.batch, a.hidden, a.activation)?;
    let n = loss.mlp.dim();
    let theta = match &a.params {
        Some(p) => read_params(p, n)?,
        None => match init_name(&a) {
            "near-zero" => loss.mlp.init_near_zero(a.run.seed, 0.01),
            "zero" => vec![0.0; n],
            _ => loss.mlp.init_standard(a.run.seed),
        },
    };
    set_threads(a.run.threads)?;
    let out = OutDir::open(&a.run.out)?;
    let op = HessianOperator::new(&loss, theta).map_err(|e| CliError::Input(e.to_string()))?;
    let params = LanczosParams {
        k: a.k,
        which: a.which,
        tol: a.tol,
        max_subspace: a.max_subspace,
        max_applications: a.max_hvps,
        seed: a.run.seed,
        start: None,
        continue_after_breakdown: !a.one_per_group,
        block_size: a.block_size,
    };
    let t = Instant::now();
    let r = lanczos(&op, &params).map_err(|e| match e {
        crate::linalg::LinalgError::BadCount { .. } | crate::linalg::LinalgError::Empty => {
            CliError::Input(e.to_string())
        }
        // Parameters given by the user that make the Hessian overflow are bad input.
        crate::linalg::LinalgError::NonFinite if a.params.is_some() => {
            CliError::Input(format!("--params: the Hessian there is not finite ({e})"))
        }
        _ => CliError::Runtime(e.to_string()),
    })?;
    let seconds = t.elapsed().as_secs_f64();
    let rows: Vec<Row> = (0..r.values.len())
        .map(|i| Row::from_sample(format!("i={i}"), "lanczos", "eigenvalue", &[r.values[i]]))
        .collect();
    let config = serde_json::json!({
        "problem": a.problem, "hidden": a.hidden, "batch": a.batch, "k": a.k,
        "which": format!("{:?}", a.which), "tol": a.tol, "init": a.params.as_ref().map_or(init_name(&a).to_string(), |p| format!("--params {}", p.display())),
        "one_per_group": a.one_per_group, "max_subspace": a.max_subspace, "max_hvps": a.max_hvps, "block_size": a.block_size,
        "seed": a.run.seed, "out": a.run.out_text(),
    });
    let detail = serde_json::json!({
        "problem": a.problem, "hidden": a.hidden, "batch": a.batch, "k": a.k,
        "which": format!("{:?}", a.which), "tol": a.tol, "one_per_group": a.one_per_group,
        // Where θ came from: the file, or the initialisation (never both).
        "init": a.params.is_none().then(|| init_name(&a)),
        "params": a.params.as_ref().map(|p| p.display().to_string()),
        "eigenvalues": r.values, "residuals": r.residuals, "converged": r.converged,
        "operator_applications": r.operator_applications, "block_applications": r.block_applications,
        "restarts": r.iterations, "seconds": seconds,
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
    say!(
        "{} HVPs in {} sweeps, {} restarts, {:.1} s",
        r.operator_applications,
        r.block_applications,
        r.iterations,
        seconds
    );
    Ok(())
}
