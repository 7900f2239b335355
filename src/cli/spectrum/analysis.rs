//! What `spectrum` measures beyond the extreme eigenpairs: the trace, the spectral
//! density and the per-block spectra (`--trace`, `--density`, `--blocks`).

use super::Args;
use crate::ad::ParamBlock;
use crate::cli::common::CliError;
use crate::cli::outdir::OutDir;
use crate::cli::report::Row;
use crate::cli::svg::{write_svg, LineChart};
use crate::linalg::density::{spectral_density, DensityParams, Estimate, SpectralDensity};
use crate::linalg::trace::{estimate_trace, TraceMethod, TraceParams};
use crate::linalg::{
    lanczos, symmetric_eigen, BlockOperator, DenseSymmetric, LanczosParams, LinalgError, LinearOperator, Which,
};
use serde_json::json;
use std::time::Instant;

fn runtime(e: LinalgError) -> CliError {
    CliError::Runtime(e.to_string())
}

/// An estimate's rows in the results table and its entry in the JSON detail.
pub(super) struct Measured {
    pub rows: Vec<Row>,
    pub json: serde_json::Value,
}

/// Hutch++ with --trace-products HVPs, its row under `setting`.
pub(super) fn trace(a: &Args, op: &impl LinearOperator, setting: &str) -> Result<Measured, CliError> {
    let p = TraceParams {
        method: TraceMethod::HutchPlusPlus,
        products: a.trace_products / 3 * 3,
        seed: a.run.seed,
        ..Default::default()
    };
    let started = Instant::now();
    let t = estimate_trace(op, &p).map_err(runtime)?;
    let row = Row {
        setting: setting.into(),
        method: "hutch++".into(),
        metric: "trace".into(),
        mean: t.trace,
        ci95: t.ci95,
        n: t.samples,
    };
    let json = json!({"estimate": t.trace, "ci95": t.ci95, "hvps": t.products,
        "seconds": started.elapsed().as_secs_f64()});
    Ok(Measured { rows: vec![row], json })
}

/// A density estimate and what it adds to the results.
struct Density {
    measured: Measured,
    estimate: SpectralDensity,
}

/// SLQ with the --density flags, its rows (negative fraction and mass) under `setting`.
fn density(a: &Args, op: &impl LinearOperator, setting: &str) -> Result<Density, CliError> {
    let p = DensityParams { starts: a.density_starts, steps: a.density_steps, seed: a.run.seed, ..Default::default() };
    let started = Instant::now();
    let d = spectral_density(op, &p).map_err(runtime)?;
    let seconds = started.elapsed().as_secs_f64();
    let row = |metric: &str, Estimate { mean, ci95 }: Estimate| Row {
        setting: setting.into(),
        method: "slq".into(),
        metric: metric.into(),
        mean,
        ci95,
        n: d.quadratures.len(),
    };
    let rows = vec![row("negative_fraction", d.negative_fraction), row("negative_mass", d.negative_mass)];
    let json = json!({"grid": d.grid, "density": d.density, "hvps": d.products, "seconds": seconds,
        "negative_fraction": d.negative_fraction.mean, "negative_mass": d.negative_mass.mean,
        "nodes": d.quadratures.iter().map(|q| &q.nodes).collect::<Vec<_>>(),
        "weights": d.quadratures.iter().map(|q| &q.weights).collect::<Vec<_>>()});
    Ok(Density { measured: Measured { rows, json }, estimate: d })
}

/// The trace and the spectral density, when asked for: rows, the JSON detail and the
/// density's figure (titled with where θ came from, `theta_label`).
pub(super) fn analyse(
    a: &Args,
    op: &impl LinearOperator,
    theta_label: &str,
    rows: &mut Vec<Row>,
    out: &OutDir,
) -> Result<serde_json::Value, CliError> {
    let mut detail = json!({});
    if a.trace {
        let t = trace(a, op, "hessian")?;
        rows.extend(t.rows);
        detail["trace"] = t.json;
    }
    if a.density {
        let Density { measured, estimate: d } = density(a, op, "hessian")?;
        rows.extend(measured.rows);
        detail["density"] = measured.json;
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
            title: format!(
                "Hessian spectral density at {theta_label} (SLQ, {} starts × {} steps)",
                a.density_starts, a.density_steps
            ),
            x_label: "eigenvalue".into(),
            y_label: "log10 density".into(),
            series: vec![("eigenvalues < 0".to_string(), part(true)), ("eigenvalues ≥ 0".to_string(), part(false))],
            references: Vec::new(),
        };
        write_svg(&out.join("spectrum.svg"), &chart.to_svg())?;
    }
    Ok(detail)
}

/// Blocks of at most this many parameters are decomposed exactly, one HVP per
/// parameter, not estimated: a last layer's block is PSD with a null space, whose
/// clustered near-zero eigenvalues Lanczos resolves slowly (W2's 1,280 took 20,000 HVPs
/// after 1,000 RR steps without converging).
const DENSE_BLOCK: usize = 2048;

/// Per block of θ (`Loss::blocks`): its own Hessian's k most negative eigenvalues, its
/// trace with --trace and its density with --density; exact for blocks of at most
/// [`DENSE_BLOCK`] parameters, estimated (Lanczos, Hutch++, SLQ) for larger ones.
pub(super) fn block_spectra(
    a: &Args,
    op: &impl LinearOperator,
    blocks: &[ParamBlock],
    rows: &mut Vec<Row>,
) -> Result<serde_json::Value, CliError> {
    let mut detail = serde_json::Map::new();
    for b in blocks {
        let block = BlockOperator::new(op, b.range.clone()).map_err(runtime)?;
        let setting = format!("block={}", b.name);
        let mut entry = if b.range.len() <= DENSE_BLOCK {
            exact_block(a, &block, &setting, rows)?
        } else {
            estimated_block(a, &block, &setting, rows)?
        };
        entry["range"] = json!([b.range.start, b.range.end]);
        detail.insert(b.name.clone(), entry);
    }
    Ok(serde_json::Value::Object(detail))
}

/// A small block's spectrum from its dense matrix: eigenvalues, trace and negative
/// part exact (an eigenvalue counts as negative below −1e-10·max|λ|, beyond the
/// HVPs' rounding, so a PSD block's null space holds no negative mass).
fn exact_block(
    a: &Args,
    block: &impl LinearOperator,
    setting: &str,
    rows: &mut Vec<Row>,
) -> Result<serde_json::Value, CliError> {
    let m = DenseSymmetric::from_operator(block, 8).map_err(runtime)?;
    let values = symmetric_eigen(&m).map_err(runtime)?.values;
    let k = a.k.min(values.len());
    rows.extend(values[..k].iter().map(|v| Row::from_sample(setting, "dense", "eigenvalue", &[*v])));
    let mut entry = json!({"method": "dense", "eigenvalues": &values[..k], "converged": vec![true; k],
        "hvps": values.len()});
    let exact = |metric: &str, mean: f64| Row {
        setting: setting.into(),
        method: "exact".into(),
        metric: metric.into(),
        mean,
        ci95: 0.0,
        n: 1,
    };
    if a.trace {
        let trace: f64 = values.iter().sum();
        rows.push(exact("trace", trace));
        entry["trace"] = json!({"estimate": trace, "ci95": 0.0, "exact": true});
    }
    if a.density {
        let rounding = 1e-10 * values.iter().fold(0.0f64, |s, v| s.max(v.abs()));
        let negative: Vec<f64> = values.iter().copied().filter(|v| *v < -rounding).collect();
        let fraction = negative.len() as f64 / values.len() as f64;
        let mass: f64 = negative.iter().sum();
        rows.push(exact("negative_fraction", fraction));
        rows.push(exact("negative_mass", mass));
        entry["density"] = json!({"negative_fraction": fraction, "negative_mass": mass, "exact": true});
    }
    Ok(entry)
}

/// A large block's spectrum estimated from products: Lanczos, Hutch++ and SLQ.
fn estimated_block(
    a: &Args,
    block: &impl LinearOperator,
    setting: &str,
    rows: &mut Vec<Row>,
) -> Result<serde_json::Value, CliError> {
    let p = LanczosParams {
        k: a.k.min(block.dim()),
        which: Which::MostNegative,
        tol: a.tol,
        abs_tol: a.abs_tol,
        max_applications: a.max_hvps,
        seed: a.run.seed,
        ..Default::default()
    };
    let r = lanczos(block, &p).map_err(runtime)?;
    rows.extend(r.values.iter().map(|v| Row::from_sample(setting, "lanczos", "eigenvalue", &[*v])));
    let mut entry = json!({"method": "lanczos", "eigenvalues": r.values, "converged": r.converged,
        "hvps": r.operator_applications});
    if a.trace {
        let t = trace(a, block, setting)?;
        rows.extend(t.rows);
        entry["trace"] = t.json;
    }
    if a.density {
        let d = density(a, block, setting)?.measured;
        rows.extend(d.rows);
        entry["density"] = d.json;
    }
    Ok(entry)
}
