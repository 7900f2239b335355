//! `ridge-rider bench-hvp`: what one evaluation costs on the MNIST MLP (784-H-10, tanh,
//! f64): loss, gradient, forward-over-reverse HVP (fresh, and on a recording at θ, one
//! direction and eight at once) and the central finite-difference HVP, on dense random
//! inputs and on the MNIST batch (81% zeros, stored sparse); plus the gemm's GFLOP/s on
//! the sweep's big products. Medians, with the JAX anchor's work and names.

use super::common::{check_output_file, check_threads, median, set_threads, write_json, CliError, CliResult};
use super::outdir::OutDir;
use super::report::{print_table, write_report, Row};
use super::validate::{require_count, require_counts, require_distinct, require_float, Low, MAX_HIDDEN, MAX_REPEATS};
use crate::ad::check::{finite_difference_hvp, relative_error};
use crate::ad::ops::{matmul_into, Operand};
use crate::ad::{gradient, hessian_vector_product, value, Constant, HessianAt, Storage};
use crate::problems::mnist::mlp::{Activation, Mlp, MlpLoss};
use crate::rng;
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

/// Directions of the multi-direction recorded product.
const DIRECTIONS: usize = 8;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Examples per batch (random rows, or the first N embedded MNIST digits).
    #[arg(long, default_value_t = 2236)]
    batch: usize,
    /// Hidden units of the MLP.
    #[arg(long, default_value_t = 128)]
    hidden: usize,
    /// Timed runs per operation (after one warm-up); the median is reported.
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Finite-difference step for the HVP estimate.
    #[arg(long, default_value_t = 1e-4)]
    fd_step: f64,
    /// Inputs to time, comma-separated: random (N(0,1) pixels, dense), mnist (embedded digits).
    #[arg(long, value_delimiter = ',', default_value = "random,mnist")]
    inputs: Vec<String>,
    /// Storage of the input matrix: auto (sparse when at most 30% nonzero), dense or sparse.
    #[arg(long, default_value = "auto")]
    storage: String,
    /// Thread cap (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Seed of the random inputs, parameters and directions.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output directory: receives bench-hvp.json.
    #[arg(long, default_value = "results")]
    out: PathBuf,
    /// Also write the JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn time_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    f();
    let samples: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    median(&samples)
}

fn storage(name: &str) -> Result<Storage, CliError> {
    match name {
        "auto" => Ok(Storage::Auto),
        "dense" => Ok(Storage::Dense),
        "sparse" => Ok(Storage::Sparse),
        _ => Err(CliError::Input(format!("unknown --storage '{name}' (expected auto, dense or sparse)"))),
    }
}

/// The loss on `input`'s batch, with its inputs stored as asked.
fn batch_loss(a: &Args, input: &str, store: Storage) -> Result<MlpLoss, CliError> {
    let mlp = Mlp::mnist(a.hidden, Activation::Tanh);
    let (x, labels) = match input {
        "mnist" => {
            // `validate` bounded the batch by the embedded digits.
            let d = crate::problems::data::mnist::embedded_all().slice(0..a.batch);
            (d.x, d.labels)
        }
        "random" => {
            let mut r = rng::seeded(a.seed, 7);
            let x = rng::normal_vec(&mut r, a.batch * mlp.inputs, 1.0);
            (x, (0..a.batch).map(|i| (i * 7 + a.seed as usize) % mlp.outputs).collect())
        }
        _ => return Err(CliError::Input(format!("unknown input '{input}' (expected random or mnist)"))),
    };
    let rows = labels.len();
    let x = Constant::with_storage(rows, mlp.inputs, x, store).map_err(|e| CliError::Input(e.to_string()))?;
    MlpLoss::from_parts(mlp, x, labels).map_err(|e| CliError::Input(e.to_string()))
}

/// Median milliseconds of each operation on one input.
struct Timings {
    loss: f64,
    gradient: f64,
    hvp: f64,
    record: f64,
    recorded_hvp: f64,
    recorded_hvp8_per_direction: f64,
    fd_hvp: f64,
    fd_rel_error: f64,
}

fn time_input(a: &Args, loss: &MlpLoss) -> Result<Timings, CliError> {
    let rt = |e: crate::ad::AdError| CliError::Runtime(e.to_string());
    let mut r = rng::seeded(a.seed, 1);
    let theta = rng::normal_vec(&mut r, loss.mlp.dim(), 0.05);
    let v = rng::normal_vec(&mut r, theta.len(), 1.0);
    let many: Vec<Vec<f64>> = (0..DIRECTIONS).map(|_| rng::normal_vec(&mut r, theta.len(), 1.0)).collect();
    let many: Vec<&[f64]> = many.iter().map(|d| d.as_slice()).collect();
    let recorded = HessianAt::new(loss, &theta).map_err(rt)?;
    let exact = hessian_vector_product(loss, &theta, &v).map_err(rt)?.hv;
    let fd = finite_difference_hvp(loss, &theta, &v, a.fd_step).map_err(rt)?;
    let runs = a.runs;
    Ok(Timings {
        loss: time_ms(runs, || drop(value(loss, &theta))),
        gradient: time_ms(runs, || drop(gradient(loss, &theta))),
        hvp: time_ms(runs, || drop(hessian_vector_product(loss, &theta, &v))),
        record: time_ms(runs, || drop(HessianAt::new(loss, &theta))),
        recorded_hvp: time_ms(runs, || drop(recorded.hessian_vector_product(&v))),
        recorded_hvp8_per_direction: time_ms(runs, || drop(recorded.hessian_vector_products(&many)))
            / DIRECTIONS as f64,
        fd_hvp: time_ms(runs, || drop(finite_difference_hvp(loss, &theta, &v, a.fd_step))),
        fd_rel_error: relative_error(&fd, &exact),
    })
}

/// GFLOP/s of the engine's gemm on the sweep's three big products (the anchor's shapes).
fn gemm_gflops(a: &Args) -> Vec<(String, f64)> {
    let (b, d, h) = (a.batch, 784, a.hidden);
    let mut r = rng::seeded(a.seed, 9);
    let x = rng::normal_vec(&mut r, b * d, 1.0);
    let w = rng::normal_vec(&mut r, d * 2 * h, 1.0);
    let g = rng::normal_vec(&mut r, b * h, 1.0);
    let op = |data, rows, cols, transposed| Operand { data, rows, cols, transposed };
    let cases = [
        (format!("X@W1 ({b}x{d}x{h})"), op(&x[..], b, d, false), op(&w[..d * h], d, h, false), b * h),
        (format!("X.T@G ({d}x{b}x{h})"), op(&x[..], d, b, true), op(&g[..], b, h, false), d * h),
        (format!("X@[W1|W1dot] ({b}x{d}x{})", 2 * h), op(&x[..], b, d, false), op(&w[..], d, 2 * h, false), b * 2 * h),
    ];
    cases
        .into_iter()
        .map(|(name, lhs, rhs, len)| {
            let mut out = vec![0.0; len];
            let flops = 2.0 * (lhs.rows * lhs.cols * rhs.cols) as f64;
            let ms = time_ms(a.runs.max(5), || drop(matmul_into(lhs, rhs, &mut out)));
            (name, flops / ms / 1e6)
        })
        .collect()
}

/// The flags alone, before any work.
pub fn validate(a: &Args) -> CliResult {
    check_threads(a.threads)?;
    require_counts(&[
        ("--runs", a.runs, 1, MAX_REPEATS),
        ("--batch", a.batch, 1, crate::problems::data::mnist::EMBEDDED_LEN),
        ("--hidden", a.hidden, 1, MAX_HIDDEN),
    ])?;
    require_float("--fd-step", a.fd_step, 0.0, Low::Open, 1.0)?;
    storage(&a.storage)?;
    require_count("--inputs", a.inputs.len(), 1, 2)?;
    require_distinct("--inputs", &a.inputs)?;
    if let Some(bad) = a.inputs.iter().find(|i| !matches!(i.as_str(), "random" | "mnist")) {
        return Err(CliError::Input(format!("unknown input '{bad}' (expected random or mnist)")));
    }
    if let Some(p) = &a.json {
        check_output_file("--json", p)?;
    }
    Ok(())
}

pub fn run(a: Args) -> CliResult {
    validate(&a)?;
    let threads = set_threads(a.threads)?;
    let store = storage(&a.storage)?;
    let out = OutDir::open(&a.out)?;
    let losses =
        a.inputs.iter().map(|i| Ok((i.clone(), batch_loss(&a, i, store)?))).collect::<Result<Vec<_>, CliError>>()?;
    let mut rows = Vec::new();
    let mut detail = serde_json::Map::new();
    for (input, loss) in &losses {
        let t = time_input(&a, loss)?;
        let sparse = loss.x.is_sparse();
        let setting = format!("{input} ({})", if sparse { "sparse" } else { "dense" });
        for (method, ms) in [
            ("loss", t.loss),
            ("gradient", t.gradient),
            ("hvp (fresh, with gradient)", t.hvp),
            ("record at theta", t.record),
            ("hvp (recorded)", t.recorded_hvp),
            ("hvp (recorded, 8 directions, per direction)", t.recorded_hvp8_per_direction),
            ("hvp (central differences)", t.fd_hvp),
        ] {
            rows.push(Row {
                setting: setting.clone(),
                method: method.into(),
                metric: "median ms".into(),
                mean: ms,
                ci95: f64::NAN,
                n: a.runs,
            });
        }
        detail.insert(
            input.clone(),
            json!({
                "sparse": sparse, "loss_ms": t.loss, "grad_ms": t.gradient, "hvp_ms": t.hvp, "record_ms": t.record,
                "recorded_hvp_ms": t.recorded_hvp, "recorded_hvp8_ms_per_dir": t.recorded_hvp8_per_direction,
                "fd_hvp_ms": t.fd_hvp, "hvp_over_grad": t.hvp / t.gradient, "hvp_over_fd": t.hvp / t.fd_hvp,
                "recorded_hvp_over_grad": t.recorded_hvp / t.gradient, "recorded_hvp_over_fd": t.recorded_hvp / t.fd_hvp,
                "recorded8_over_recorded1": t.recorded_hvp8_per_direction / t.recorded_hvp,
                "fd_rel_error": t.fd_rel_error,
            }),
        );
    }
    let gemm = gemm_gflops(&a);
    for (name, gflops) in &gemm {
        rows.push(Row {
            setting: "gemm".into(),
            method: name.clone(),
            metric: "GFLOP/s".into(),
            mean: *gflops,
            ci95: f64::NAN,
            n: a.runs.max(5),
        });
    }
    detail.insert(
        "gemm_gflops".into(),
        json!(gemm.iter().map(|(k, g)| (k.clone(), json!(g))).collect::<serde_json::Map<_, _>>()),
    );
    let config = json!({"batch": a.batch, "hidden": a.hidden, "runs": a.runs, "fd_step": a.fd_step, "inputs": a.inputs,
                        "storage": a.storage, "threads": threads, "seed": a.seed,
                        "out": a.out.to_string_lossy(), "json": a.json.as_ref().map(|p| p.to_string_lossy())});
    write_report(out.path(), "bench-hvp", config.clone(), &rows, serde_json::Value::Object(detail.clone()), true)?;
    if let Some(path) = &a.json {
        let mut doc = json!({"experiment": "bench-hvp", "config": config});
        doc.as_object_mut().expect("object").extend(detail);
        write_json(path, &doc)?;
    }
    say!("MLP 784-{}-10 tanh f64, batch {}, {threads} threads, median of {} runs", a.hidden, a.batch, a.runs);
    print_table(&rows);
    for (input, _) in &losses {
        let d = &detail_of(&rows, input);
        say!(
            "{input}: HVP/gradient {:.2}, HVP/FD {:.2}, recorded/gradient {:.2}, recorded 8-dir/1-dir {:.2}",
            d.0,
            d.1,
            d.2,
            d.3
        );
    }
    Ok(())
}

/// (fresh HVP / gradient, fresh HVP / FD, recorded / gradient, 8-direction / 1-direction) of one input.
fn detail_of(rows: &[Row], input: &str) -> (f64, f64, f64, f64) {
    let get =
        |m: &str| rows.iter().find(|r| r.setting.starts_with(input) && r.method == m).map_or(f64::NAN, |r| r.mean);
    let (g, h, rec) = (get("gradient"), get("hvp (fresh, with gradient)"), get("hvp (recorded)"));
    (h / g, h / get("hvp (central differences)"), rec / g, get("hvp (recorded, 8 directions, per direction)") / rec)
}
