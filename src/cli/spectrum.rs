//! `ridge-rider spectrum`: extreme eigenpairs of a built-in problem's Hessian.

use super::common::{mnist_batch, set_threads, write_json, CliError, CliResult};
use crate::linalg::npy::{read_npy, write_npy, NpyArray};
use crate::linalg::{lanczos, HessianOperator, LanczosParams, Which};
use crate::problems::mlp::Activation;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The problem whose Hessian is analysed (mnist-mlp).
    #[arg(long, default_value = "mnist-mlp")]
    problem: String,
    /// Hidden units of the MLP.
    #[arg(long, default_value_t = 128)]
    hidden: usize,
    /// Hidden activation: tanh or relu.
    #[arg(long, default_value = "tanh")]
    activation: Activation,
    /// Examples: the first N embedded MNIST digits, pixels/255.
    #[arg(long, default_value_t = 2236)]
    batch: usize,
    /// Parameters θ as .npy (f64 or f32); absent: the default initialisation with --seed.
    #[arg(long)]
    params: Option<PathBuf>,
    /// Default initialisation when --params is absent: near-zero (N(0, 0.01²)), zero (the maximally invariant saddle) or standard (N(0, 1/fan_in)).
    #[arg(long, default_value = "near-zero")]
    init: String,
    /// Eigenpairs wanted.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Spectrum end: most-negative, largest or largest-magnitude.
    #[arg(long, default_value = "most-negative")]
    which: Which,
    /// Relative residual tolerance ‖Hv − λv‖ ≤ tol·|λ|.
    #[arg(long, default_value_t = 1e-6)]
    tol: f64,
    /// Stop at the start vector's invariant Krylov space: one eigenpair per group of equal eigenvalues (e.g. at --init zero, where each repeats once per hidden unit).
    #[arg(long)]
    one_per_group: bool,
    /// Lanczos basis size before a restart (0: automatic).
    #[arg(long, default_value_t = 0)]
    max_subspace: usize,
    /// Limit on Hessian-vector products.
    #[arg(long, default_value_t = 20000)]
    max_hvps: usize,
    /// Seed of the initialisation and the Lanczos start vector.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Thread cap (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Write eigenvalues, residuals, convergence, HVP count and time as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the eigenvectors (k × n, f64) as .npy here.
    #[arg(long)]
    vectors: Option<PathBuf>,
}

pub fn run(a: Args) -> CliResult {
    set_threads(a.threads)?;
    if a.problem != "mnist-mlp" {
        return Err(CliError::Input(format!("unknown problem '{}' (expected mnist-mlp)", a.problem)));
    }
    if !(a.tol > 0.0 && a.tol.is_finite()) {
        return Err(CliError::Input("--tol must be a positive number".into()));
    }
    let loss = mnist_batch(a.batch, a.hidden, a.activation)?;
    let n = loss.mlp.dim();
    let theta = match &a.params {
        Some(p) => {
            let arr = read_npy(p).map_err(|e| CliError::Input(format!("{}: {e}", p.display())))?;
            if arr.data.len() != n {
                return Err(CliError::Input(format!(
                    "{}: {} values, the MLP has {n} parameters",
                    p.display(),
                    arr.data.len()
                )));
            }
            arr.data
        }
        None => match a.init.as_str() {
            "near-zero" => loss.mlp.init_near_zero(a.seed, 0.01),
            "zero" => vec![0.0; loss.mlp.dim()],
            "standard" => loss.mlp.init_standard(a.seed),
            other => return Err(CliError::Input(format!("unknown --init '{other}' (near-zero, zero or standard)"))),
        },
    };
    let op = HessianOperator::new(&loss, theta).map_err(|e| CliError::Input(e.to_string()))?;
    let params = LanczosParams {
        k: a.k,
        which: a.which,
        tol: a.tol,
        max_subspace: a.max_subspace,
        max_applications: a.max_hvps,
        seed: a.seed,
        start: None,
        continue_after_breakdown: !a.one_per_group,
    };
    let t = Instant::now();
    let r = lanczos(&op, &params).map_err(|e| match e {
        crate::linalg::LinalgError::BadCount { .. } | crate::linalg::LinalgError::Empty => {
            CliError::Input(e.to_string())
        }
        _ => CliError::Runtime(e.to_string()),
    })?;
    let seconds = t.elapsed().as_secs_f64();
    println!("{:>4} {:>16} {:>12} {:>10}", "i", "eigenvalue", "residual", "converged");
    for i in 0..r.values.len() {
        println!("{:>4} {:>16.8} {:>12.2e} {:>10}", i, r.values[i], r.residuals[i], r.converged[i]);
    }
    println!("{} HVPs, {} restarts, {:.1} s", r.operator_applications, r.iterations, seconds);
    if let Some(path) = &a.json {
        let j = serde_json::json!({
            "problem": a.problem, "hidden": a.hidden, "batch": a.batch, "k": a.k,
            "which": format!("{:?}", a.which), "tol": a.tol, "init": a.init, "one_per_group": a.one_per_group,
            "eigenvalues": r.values, "residuals": r.residuals, "converged": r.converged,
            "operator_applications": r.operator_applications, "restarts": r.iterations, "seconds": seconds,
        });
        write_json(path, &j)?;
    }
    if let Some(path) = &a.vectors {
        let arr = NpyArray { shape: vec![r.vectors.len(), n], data: r.vectors.concat() };
        write_npy(path, &arr).map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
    }
    Ok(())
}
