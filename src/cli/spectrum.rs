//! `ridge-rider spectrum`: extreme eigenpairs of a built-in problem's Hessian, written
//! to `<out>/spectrum.json` (and, when asked, to `--json` and `--vectors`).

use super::common::{
    check_output_file, check_threads, mnist_batch, set_threads, write_json, CliError, CliResult, RunFlags,
};
use super::outdir::OutDir;
use super::report::{write_report, Row};
use super::svg::{write_svg, LineChart};
use super::validate::{number, require_count, require_counts, require_float, Low, MAX_HIDDEN, MAX_STEPS};
use super::values::{parser, ActivationArg, WhichArg};
use crate::ad::{Loss, ParamBlock};
use crate::io::npy::{read_npy, write_npy_bytes, NpyArray};
use crate::linalg::density::{spectral_density, DensityParams};
use crate::linalg::trace::{estimate_trace, TraceMethod, TraceParams};
use crate::linalg::{lanczos, BlockOperator, HessianOperator, LanczosParams, LinearOperator, MeanOperator, Which};
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
    /// Also estimate the Hessian's trace by Hutch++ with a 95% interval (`--trace-products` HVPs).
    #[arg(long)]
    trace: bool,
    /// HVPs of the trace estimate (6–100000, a multiple of 3 is used).
    #[arg(long, default_value_t = 90)]
    trace_products: usize,
    /// Also estimate the spectral density by stochastic Lanczos quadrature: JSON, and spectrum.svg (log scale, negative part in its own colour).
    #[arg(long)]
    density: bool,
    /// Also the k most negative eigenvalues (and, with --trace, the trace) of each layer's own Hessian block: W1, b1, W2, b2.
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
    require_counts(&[
        ("--trace-products", a.trace_products, 6, 100_000),
        ("--density-starts", a.density_starts, 2, 10_000),
        ("--density-steps", a.density_steps, 1, 10_000),
        ("--batches", a.batches, 1, 64),
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
    let ops = if a.batches == 1 {
        vec![HessianOperator::new(&loss, theta).map_err(|e| CliError::Input(e.to_string()))?]
    } else {
        // K disjoint batches from one seeded permutation of the embedded digits.
        let all = crate::problems::data::mnist::embedded_all();
        let order = crate::rng::permutation(&mut crate::rng::seeded(a.run.seed, 0x6261_7463), all.len());
        order
            .chunks(a.batch)
            .take(a.batches)
            .map(|idx| {
                let d = all.select(idx);
                let batch = MlpLoss::new(loss.mlp, d.x, d.labels).map_err(|e| CliError::Input(e.to_string()))?;
                HessianOperator::new(&batch, theta.clone()).map_err(|e| CliError::Input(e.to_string()))
            })
            .collect::<Result<Vec<_>, CliError>>()?
    };
    let op = MeanOperator::new(ops).map_err(|e| CliError::Runtime(e.to_string()))?;
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
    let mut rows: Vec<Row> = (0..r.values.len())
        .map(|i| Row::from_sample(format!("i={i}"), "lanczos", "eigenvalue", &[r.values[i]]))
        .collect();
    let mut analysis = analyse(&a, &op, &mut rows, &out)?;
    if a.blocks {
        analysis["blocks"] = block_spectra(&a, &op, &loss.blocks(), &mut rows)?;
    }
    let config = serde_json::json!({
        "problem": a.problem, "hidden": a.hidden, "batch": a.batch, "k": a.k,
        "which": format!("{:?}", a.which), "tol": a.tol, "init": a.params.as_ref().map_or(init_name(&a).to_string(), |p| format!("--params {}", p.display())),
        "one_per_group": a.one_per_group, "max_subspace": a.max_subspace, "max_hvps": a.max_hvps, "block_size": a.block_size,
        "seed": a.run.seed, "out": a.run.out_text(), "trace": a.trace, "trace_products": a.trace_products,
        "density": a.density, "density_starts": a.density_starts, "density_steps": a.density_steps, "batches": a.batches, "blocks": a.blocks,
    });
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

/// The trace and the spectral density, when asked for: rows, the JSON detail and the
/// density's figure.
fn analyse(
    a: &Args,
    op: &impl LinearOperator,
    rows: &mut Vec<Row>,
    out: &OutDir,
) -> Result<serde_json::Value, CliError> {
    let runtime = |e: crate::linalg::LinalgError| CliError::Runtime(e.to_string());
    let row = |metric: &str, method: &str, (mean, ci95): (f64, f64), n: usize| Row {
        setting: "hessian".into(),
        method: method.into(),
        metric: metric.into(),
        mean,
        ci95,
        n,
    };
    let mut detail = serde_json::json!({});
    if a.trace {
        let p =
            TraceParams { method: TraceMethod::HutchPlusPlus, products: a.trace_products / 3 * 3, seed: a.run.seed };
        let t = estimate_trace(op, &p).map_err(runtime)?;
        rows.push(row("trace", "hutch++", (t.trace, t.ci95), t.samples));
        detail["trace"] = serde_json::json!({"estimate": t.trace, "ci95": t.ci95, "hvps": t.products});
    }
    if a.density {
        let p =
            DensityParams { starts: a.density_starts, steps: a.density_steps, seed: a.run.seed, ..Default::default() };
        let d = spectral_density(op, &p).map_err(runtime)?;
        rows.push(row("negative_fraction", "slq", d.negative_fraction, d.quadratures.len()));
        rows.push(row("negative_mass", "slq", d.negative_mass, d.quadratures.len()));
        detail["density"] = serde_json::json!({"grid": d.grid, "density": d.density, "hvps": d.products,
            "nodes": d.quadratures.iter().map(|q| &q.nodes).collect::<Vec<_>>(),
            "weights": d.quadratures.iter().map(|q| &q.weights).collect::<Vec<_>>()});
        // log10 of the density, the negative eigenvalues' part in its own colour.
        let floor = 1e-8;
        let part = |neg: bool| -> Vec<(f64, f64)> {
            d.grid
                .iter()
                .zip(&d.density)
                .filter(|(x, _)| (**x < 0.0) == neg)
                .map(|(x, y)| (*x, y.max(floor).log10()))
                .collect()
        };
        let chart = LineChart {
            title: format!("Hessian spectral density (SLQ, {} starts × {} steps)", a.density_starts, a.density_steps),
            x_label: "eigenvalue".into(),
            y_label: "log10 density".into(),
            series: vec![("eigenvalues < 0".to_string(), part(true)), ("eigenvalues ≥ 0".to_string(), part(false))],
            references: Vec::new(),
        };
        write_svg(&out.join("spectrum.svg"), &chart.to_svg())?;
    }
    Ok(detail)
}

/// Per block of θ (`Loss::blocks`): its own Hessian's k most negative eigenvalues, and
/// its trace with --trace.
fn block_spectra(
    a: &Args,
    op: &impl LinearOperator,
    blocks: &[ParamBlock],
    rows: &mut Vec<Row>,
) -> Result<serde_json::Value, CliError> {
    let runtime = |e: crate::linalg::LinalgError| CliError::Runtime(e.to_string());
    let mut detail = serde_json::Map::new();
    for b in blocks {
        let block = BlockOperator::new(op, b.range.clone()).map_err(runtime)?;
        let k = a.k.min(b.range.len());
        let p = LanczosParams {
            k,
            which: Which::MostNegative,
            tol: a.tol,
            max_applications: a.max_hvps,
            seed: a.run.seed,
            ..Default::default()
        };
        let r = lanczos(&block, &p).map_err(runtime)?;
        let setting = format!("block={}", b.name);
        rows.extend(r.values.iter().map(|v| Row::from_sample(&setting, "lanczos", "eigenvalue", &[*v])));
        let mut entry = serde_json::json!({"range": [b.range.start, b.range.end], "eigenvalues": r.values,
            "converged": r.converged, "hvps": r.operator_applications});
        if a.trace {
            let tp = TraceParams {
                method: TraceMethod::HutchPlusPlus,
                products: a.trace_products / 3 * 3,
                seed: a.run.seed,
            };
            let t = estimate_trace(&block, &tp).map_err(runtime)?;
            rows.push(Row {
                setting: setting.clone(),
                method: "hutch++".into(),
                metric: "trace".into(),
                mean: t.trace,
                ci95: t.ci95,
                n: t.samples,
            });
            entry["trace"] = serde_json::json!({"estimate": t.trace, "ci95": t.ci95});
        }
        detail.insert(b.name.clone(), entry);
    }
    Ok(serde_json::Value::Object(detail))
}
