//! `ridge-rider mnist` (paper Fig. 4) and `ridge-rider mnist-classes` (Fig. 5):
//! approximate RR training the MLP, beside SGD and the LR_x = 0 and Rand.Ridge+
//! ablations. The method and the reading of the paper's settings are documented in
//! `problems::mnist::rr`.
//!
//! (Over 400 lines: both commands share their flags, schedule defaults and JSON
//! report, which are kept together so that the two cannot drift apart.)

use super::common::{check_output_file, check_threads, set_threads, write_file, CliError, CliResult, RunFlags};
use super::outdir::OutDir;
use super::report::{print_table, progress, write_report, Row};
use super::shard::{Mode, ShardFlags, Units};
use super::svg::{heatmaps, stack, write_svg, LineChart, Reference};
use super::training::{fingerprint, train_units};
use super::validate::{
    parse_range, require_count, require_counts, require_float, require_methods, Low, MAX_HIDDEN, MAX_STEPS,
};
use super::values::{parser, ActivationArg, MnistMethodArg};
use crate::io::npy::{write_npy_bytes, NpyArray};
use crate::problems::data::mnist::{embedded, load_dir, Dataset};
use crate::problems::mnist::mlp::{Activation, Mlp};
use crate::problems::mnist::rr::{check_ridge, train, Curve, MnistConfig, MnistMethod, Snapshot};
use crate::rr::RrError;
use serde_json::json;
use std::path::PathBuf;

/// Flags shared by both commands.
#[derive(clap::Args, Debug, Clone)]
#[command(mut_arg("seed", |a| a.help("Seed of the initialisation, batches and Lanczos; the same result at any --threads")))]
pub struct Common {
    /// Directory with the full MNIST (train-/t10k- idx files, gzipped or not); default: the embedded 8,000/2,000 digits.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Hidden units of the MLP.
    #[arg(long, default_value_t = 128)]
    hidden: usize,
    /// Hidden-layer nonlinearity.
    #[arg(long, default_value = "tanh", value_parser = parser::<ActivationArg, Activation>())]
    activation: Activation,
    /// Parameter steps per run [default: 2400 for mnist, 1200 for mnist-classes].
    #[arg(long)]
    steps: Option<usize>,
    /// Mini-batch size [default: 512 for mnist, 256 for mnist-classes].
    #[arg(long)]
    batch: Option<usize>,
    /// Step α along the ridge (and of Rand.Ridge+) [default: 0.05].
    #[arg(long)]
    alpha: Option<f64>,
    /// Inner UpdateRidge steps S per parameter step [default: 8 for mnist, 2 for mnist-classes].
    #[arg(long)]
    s: Option<usize>,
    /// Learning rate LR_x of the eigenvector.
    #[arg(long, default_value_t = 0.5)]
    lr_x: f64,
    /// Learning rate LR_λ of the eigenvalue.
    #[arg(long, default_value_t = 0.05)]
    lr_lambda: f64,
    /// Gradient steps (normalised, length α) where a branching finds no ridge that curves downwards on fresh data, before GetRidges is tried again (0: follow that ridge anyway; 50 helps RR, but helps Fixed-EV more).
    #[arg(long, default_value_t = 0)]
    descent_steps: usize,
    /// Examples in the probe batch whose Hessian GetRidges (Lanczos) decomposes [default: 2048 for mnist, 512 for mnist-classes].
    #[arg(long)]
    probe_batch: Option<usize>,
    /// Evaluate accuracy every this many steps [default: 100 for mnist, 20 for mnist-classes].
    #[arg(long)]
    eval_every: Option<usize>,
    #[command(flatten)]
    run: RunFlags,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    common: Common,
    /// First ridge index (the fingerprint's first element): the group of equal eigenvalues at the MIS, 0 = most negative (the MNIST MLP has groups 0..9).
    #[arg(long, default_value_t = 0)]
    ridge: usize,
    /// Methods, comma-separated (linear: softmax regression, the linear classifier RR must beat).
    #[arg(long, value_delimiter = ',', default_value = "rr,sgd,fixed-ev,rand-ridge-plus,linear", value_parser = parser::<MnistMethodArg, MnistMethod>())]
    methods: Vec<MnistMethod>,
    /// Step α of the Fixed-EV ablation, tuned on its own as in the paper (with RR's α it re-branches every few steps and takes over 13 minutes).
    #[arg(long, default_value_t = 0.025)]
    fixed_ev_alpha: f64,
    /// Write RR's θ every --save-every steps from step 0 to the last (row i: after i·M steps) as a (rows × parameters) f64 .npy here, for `spectrum --along --along-every M`.
    #[arg(long)]
    save_ride: Option<PathBuf>,
    /// Steps M between the θs --save-ride writes; it must divide --steps [default: --eval-every].
    #[arg(long, requires = "save_ride")]
    save_every: Option<usize>,
    #[command(flatten)]
    shard: ShardFlags,
}

#[derive(clap::Args, Debug)]
pub struct ClassesArgs {
    #[command(flatten)]
    common: Common,
    /// First-ridge indices as a range a..b (b excluded); the MNIST MLP has ridges 0..9.
    #[arg(long, default_value = "0..9")]
    ridges: String,
    /// Steps a..b (both included) whose evaluations the early heatmap averages. The paper
    /// used 200..600 with a step α about 200× smaller than this command's 0.05.
    #[arg(long, default_value = "20..100")]
    early: String,
    #[command(flatten)]
    shard: ShardFlags,
}

/// The steps, batch size, α, S and evaluation interval a command uses when their flags are not given. `mnist`
/// runs the library's defaults ([`MnistConfig::new`]: the longer schedule that measured
/// best); `mnist-classes` trains one run per ridge, so it keeps a shorter one.
#[derive(Clone, Copy)]
struct Schedule {
    steps: usize,
    batch: usize,
    alpha: f64,
    inner_steps: usize,
    eval_every: usize,
    probe_batch: usize,
}

const CLASSES_SCHEDULE: Schedule =
    Schedule { steps: 1200, batch: 256, alpha: 0.05, inner_steps: 2, eval_every: 20, probe_batch: 512 };

/// The largest first-ridge index accepted (the MNIST MLP has ridges 0..9).
const MAX_RIDGE: usize = 200;

/// The configuration the flags ask for, checked (everything but what depends on the
/// data). `schedule`: the command's own defaults, or `None` for the library's.
fn settings(c: &Common, schedule: Option<Schedule>) -> Result<MnistConfig, CliError> {
    check_threads(c.run.threads)?;
    require_count("--hidden", c.hidden, 1, MAX_HIDDEN)?;
    let mut cfg = MnistConfig::new(Mlp::mnist(c.hidden, c.activation));
    let defaults = schedule.unwrap_or(Schedule {
        steps: cfg.steps,
        batch: cfg.batch,
        alpha: cfg.alpha,
        inner_steps: cfg.inner_steps,
        eval_every: cfg.eval_every,
        probe_batch: cfg.probe_batch,
    });
    cfg.steps = c.steps.unwrap_or(defaults.steps);
    cfg.batch = c.batch.unwrap_or(defaults.batch);
    cfg.alpha = c.alpha.unwrap_or(defaults.alpha);
    cfg.inner_steps = c.s.unwrap_or(defaults.inner_steps);
    cfg.eval_every = c.eval_every.unwrap_or(defaults.eval_every);
    cfg.probe_batch = c.probe_batch.unwrap_or(defaults.probe_batch);
    cfg.lr_x = c.lr_x;
    cfg.lr_lambda = c.lr_lambda;
    cfg.descent_steps = c.descent_steps;
    cfg.seed = c.run.seed;
    require_counts(&[
        ("--steps", cfg.steps, 1, MAX_STEPS),
        ("--batch", cfg.batch, 1, MAX_STEPS),
        ("--eval-every", cfg.eval_every, 1, MAX_STEPS),
        ("--probe-batch", cfg.probe_batch, 1, MAX_STEPS),
        ("--s", cfg.inner_steps, 1, 1000),
        ("--descent-steps", cfg.descent_steps, 0, MAX_STEPS),
    ])?;
    require_float("--alpha", cfg.alpha, 0.0, Low::Open, 10.0)?;
    require_float("--lr-x", cfg.lr_x, 0.0, Low::Closed, 100.0)?;
    require_float("--lr-lambda", cfg.lr_lambda, 0.0, Low::Closed, 100.0)?;
    Ok(cfg)
}

/// The data and the output directory, checked against the configuration: no empty
/// set, 28×28 images, batches no larger than the training set (a larger one would run
/// at the set's size while the JSON recorded the flag), and the first-ridge index
/// `ridge` present at the MIS (when a method rides one) before `--out` is locked.
fn setup(
    c: &Common,
    cfg: &MnistConfig,
    ridge: Option<(&str, usize)>,
    mode: &Mode,
) -> Result<(usize, Dataset, Dataset, OutDir), CliError> {
    let (train_set, test_set) = match &c.data {
        Some(dir) => load_dir(dir).map_err(|e| CliError::Input(e.to_string()))?,
        None => embedded(),
    };
    if train_set.is_empty() || test_set.is_empty() {
        return Err(CliError::Input("the data set holds no images".into()));
    }
    if train_set.pixels != 784 || test_set.pixels != 784 {
        return Err(CliError::Input(format!("images have {} pixels, the MLP expects 28×28", train_set.pixels)));
    }
    require_count("--batch (at most the training set)", cfg.batch, 1, train_set.len())?;
    require_count("--probe-batch (at most the training set)", cfg.probe_batch, 1, train_set.len())?;
    if let Some((flag, r)) = ridge {
        check_ridge(cfg, &train_set, r).map_err(|e| train_error(flag, "the ridge check", e))?;
    }
    let threads = set_threads(c.run.threads)?;
    let out = match mode {
        Mode::Shard(s) => OutDir::open_shard(&c.run.out, s.index, s.count)?,
        _ => OutDir::open(&c.run.out)?,
    };
    Ok((threads, train_set, test_set, out))
}

fn config_json(c: &Common, cfg: &MnistConfig, threads: usize, train: &Dataset, test: &Dataset) -> serde_json::Value {
    json!({"data": c.data.as_ref().map_or("embedded 8000/2000".to_string(), |d| d.display().to_string()),
        "train_examples": train.len(), "test_examples": test.len(), "hidden": c.hidden, "activation": format!("{:?}", c.activation).to_lowercase(),
        "steps": cfg.steps, "batch": cfg.batch, "alpha": cfg.alpha, "s": cfg.inner_steps, "lr_x": c.lr_x, "lr_lambda": c.lr_lambda,
        "eval_every": cfg.eval_every, "seed": c.run.seed, "threads": threads, "out": c.run.out_text(),
        "init": "N(0, 0.01^2) weights, zero biases (sgd: N(0, 1/fan_in))", "probe_batch": cfg.probe_batch,
        "get_ridges": "first: Lanczos at the MIS theta = 0 on the first probe_batch training examples, stopped at the start vector's invariant Krylov space, ridge i = a member of the i-th group of equal negative eigenvalues; re-branching: Lanczos at theta warm-started from the ridge, tol 1e-2, at most 100 HVPs",
        "end_ride": "moving average (0.8) of minibatch curvature e'He >= 0",
        "no_ridge": "a branching whose ridge curves upwards on the step's minibatch (unseen by Lanczos): descent_steps normalised gradient steps of length alpha, then GetRidges again",
        "descent_steps": cfg.descent_steps})
}

fn curve_json(c: &Curve) -> serde_json::Value {
    json!({"steps": c.points.iter().map(|p| p.0).collect::<Vec<_>>(),
        "train_accuracy": c.points.iter().map(|p| p.1).collect::<Vec<_>>(),
        "test_accuracy": c.points.iter().map(|p| p.2).collect::<Vec<_>>(),
        "class_test_accuracy": c.class_accuracy, "hvps": c.hvps, "branchings": c.branchings, "descent_steps": c.descent_steps, "seconds": c.seconds,
        "first_layer_effective_rank": c.first_layer_rank,
        "ridge_trace": {"steps": c.ridge_trace.iter().map(|t| t.step).collect::<Vec<_>>(),
            "curvature": c.ridge_trace.iter().map(|t| t.curvature).collect::<Vec<_>>(),
            "lambda": c.ridge_trace.iter().map(|t| t.lambda).collect::<Vec<_>>(),
            "cos_gradient": c.ridge_trace.iter().map(|t| t.cos_gradient).collect::<Vec<_>>()}})
}

/// Fig. 4: the curves, with the paper's RR accuracy and SGD's final test accuracy as
/// reference lines.
fn accuracy_figure(series: Vec<(String, Vec<(f64, f64)>)>, rows: &[Row]) -> String {
    let mut references = vec![Reference { label: "paper: RR about 98% (full MNIST)".into(), value: 98.0 }];
    if let Some(sgd) = rows.iter().find(|r| r.method == "sgd" && r.metric == "test_accuracy") {
        references
            .push(Reference { label: format!("SGD final test ({:.1}%)", 100.0 * sgd.mean), value: 100.0 * sgd.mean });
    }
    let title = "MNIST: accuracy by step (test solid, train dashed)".into();
    LineChart { title, x_label: "step".into(), y_label: "accuracy (%)".into(), series, references }.to_svg()
}

/// The flags alone, before any work.
pub fn validate(a: &Args) -> CliResult {
    let cfg = settings(&a.common, None)?;
    require_methods(&a.methods.iter().map(|m| m.name()).collect::<Vec<_>>())?;
    require_float("--fixed-ev-alpha", a.fixed_ev_alpha, 0.0, Low::Open, 10.0)?;
    if let Some(m) = a.save_every {
        require_count("--save-every", m, 1, MAX_STEPS)?;
    }
    if let Some(path) = &a.save_ride {
        check_save_ride(a, &cfg, path)?;
    }
    require_count("--ridge", a.ridge, 0, MAX_RIDGE - 1)
}

/// The most a saved ride may hold in memory (and on disk).
const MAX_RIDE_BYTES: usize = 1 << 30;

/// --save-ride needs RR in this process (not sharded: a shard may not train it) and a
/// schedule whose rows are steps 0, M, 2M, … up to the last step, within
/// [`MAX_RIDE_BYTES`].
fn check_save_ride(a: &Args, cfg: &MnistConfig, path: &std::path::Path) -> CliResult {
    if !a.methods.contains(&MnistMethod::RidgeRider) {
        return Err(CliError::Input("--save-ride writes RR's ride: --methods must include rr".into()));
    }
    if a.shard.shard.is_some() || a.shard.from_units {
        return Err(CliError::Input("--save-ride runs RR in this process: not with --shard or merge".into()));
    }
    let every = a.save_every.unwrap_or(cfg.eval_every);
    if cfg.steps % every != 0 {
        return Err(CliError::Input(format!(
            "--save-every {every} does not divide --steps {}: the ride's last row would not be its final θ",
            cfg.steps
        )));
    }
    let rows = cfg.steps / every + 1;
    let bytes = rows.saturating_mul(cfg.mlp.dim()).saturating_mul(8);
    if bytes > MAX_RIDE_BYTES {
        return Err(CliError::Input(format!(
            "--save-ride would hold {} θs of {} parameters ({} MiB, more than {} MiB): raise --save-every",
            rows,
            cfg.mlp.dim(),
            bytes >> 20,
            MAX_RIDE_BYTES >> 20
        )));
    }
    check_output_file("--save-ride", path)
}

/// The θs of a ride as one (rows × parameters) f64 .npy, written atomically; each θ is
/// freed as it is copied.
fn write_ride(path: &std::path::Path, snapshots: Vec<Snapshot>) -> CliResult {
    let (rows, n) = (snapshots.len(), snapshots.first().map_or(0, |s| s.theta.len()));
    let data: Vec<f64> = snapshots.into_iter().flat_map(|s| s.theta).collect();
    write_file(path, &write_npy_bytes(&NpyArray { shape: vec![rows, n], data }))
}

pub fn run(a: Args) -> CliResult {
    validate(&a)?;
    let mut cfg = settings(&a.common, None)?;
    cfg.ridge = a.ridge;
    cfg.fixed_ev_alpha = a.fixed_ev_alpha;
    let rides = a.methods.iter().any(|m| matches!(m, MnistMethod::RidgeRider | MnistMethod::FixedEv));
    let mode = a.shard.mode()?;
    let (threads, train_set, test_set, out) = setup(&a.common, &cfg, rides.then_some(("--ridge", a.ridge)), &mode)?;
    let bar = progress((a.methods.len() * cfg.steps) as u64, "mnist");
    let setting = format!("ridge={}", a.ridge);
    let mut config = config_json(&a.common, &cfg, threads, &train_set, &test_set);
    config["ridge"] = json!(a.ridge);
    config["fixed_ev_alpha"] = json!(a.fixed_ev_alpha);
    config["methods"] = json!(a.methods.iter().map(|m| m.name()).collect::<Vec<_>>());
    let save_every = a.save_every.unwrap_or(cfg.eval_every);
    config["save_ride"] = json!(a.save_ride.as_ref().map(|p| p.display().to_string()));
    config["save_every"] = json!(save_every);
    // Rows, curves and figure series of the methods finished so far, in the order asked for.
    let summary = |finished: &[Option<Curve>]| {
        let (mut rows, mut curves, mut series) = (Vec::new(), serde_json::Map::new(), Vec::new());
        for (m, curve) in a.methods.iter().zip(finished).filter_map(|(m, c)| Some((m, c.as_ref()?))) {
            rows.push(Row::from_sample(&setting, m.name(), "train_accuracy", &[curve.final_train()]));
            rows.push(Row::from_sample(&setting, m.name(), "test_accuracy", &[curve.final_test()]));
            let mut cj = curve_json(curve);
            cj["hvps_per_step"] = json!(curve.hvps as f64 / cfg.steps as f64);
            cj["ms_per_step"] = json!(1e3 * curve.seconds / cfg.steps as f64);
            curves.insert(m.name().to_string(), cj);
            series
                .push((format!("{} test", m.name()), curve.points.iter().map(|p| (p.0 as f64, 100.0 * p.2)).collect()));
            series.push((
                format!("{} train", m.name()),
                curve.points.iter().map(|p| (p.0 as f64, 100.0 * p.1)).collect(),
            ));
        }
        (rows, curves, series)
    };
    let train_method = |m: &MnistMethod, on_eval: &mut dyn FnMut(usize)| {
        let save = a.save_ride.as_ref().filter(|_| *m == MnistMethod::RidgeRider);
        let c = MnistConfig { snapshot_every: if save.is_some() { save_every } else { 0 }, ..cfg.clone() };
        let mut curve =
            train(*m, &c, &train_set, &test_set, on_eval).map_err(|e| train_error("--ridge", m.name(), e))?;
        if let Some(path) = save {
            write_ride(path, std::mem::take(&mut curve.snapshots))?;
        }
        Ok(curve)
    };
    let write = |finished: &[Option<Curve>]| {
        let (rows, curves, series) = summary(finished);
        let complete = finished.iter().all(Option::is_some);
        write_report(out.path(), "mnist", config.clone(), &rows, json!({"curves": curves}), complete)?;
        write_svg(&out.join("mnist.svg"), &accuracy_figure(series, &rows))
    };
    let units = Units::new(out.path(), "mnist", fingerprint(&config, json!(null)));
    let key = |m: &MnistMethod| m.name().to_string();
    let Some(curves) = train_units(&mode, &a.methods, &units, key, &bar, train_method, write, &a.common.run.out)?
    else {
        return Ok(());
    };
    bar.finish_and_clear();
    let ranks: Vec<String> = a
        .methods
        .iter()
        .zip(&curves)
        .filter_map(|(m, c)| c.first_layer_rank.map(|r| format!("{} {r:.1}", m.name())))
        .collect();
    print_table(&summary(&curves.into_iter().map(Some).collect::<Vec<_>>()).0);
    if !ranks.is_empty() {
        say!("effective rank of the first layer (input directions the hidden units use): {}", ranks.join(", "));
    }
    Ok(())
}

/// A ridge index the start point does not have is bad input (exit 2); anything else
/// that stops training is a runtime failure.
fn train_error(flag: &str, context: &str, e: RrError) -> CliError {
    match e {
        RrError::NoSuchRidge { .. } => CliError::Input(format!("{flag}: {e}")),
        RrError::BadInput(_) => CliError::Input(format!("{context}: {e}")),
        _ => CliError::Runtime(format!("{context}: {e}")),
    }
}

/// The flags alone, before any work.
pub fn validate_classes(a: &ClassesArgs) -> CliResult {
    parse_range("--ridges", &a.ridges, Some(MAX_RIDGE))?;
    parse_range("--early", &a.early, None)?;
    settings(&a.common, Some(CLASSES_SCHEDULE)).map(|_| ())
}

pub fn run_classes(a: ClassesArgs) -> CliResult {
    validate_classes(&a)?;
    let (first, end) = parse_range("--ridges", &a.ridges, Some(MAX_RIDGE))?;
    let ridges: Vec<usize> = (first..end).collect();
    let (early_from, early_to) = parse_range("--early", &a.early, None)?;
    let cfg = settings(&a.common, Some(CLASSES_SCHEDULE))?;
    // The last ridge is the one most likely missing: check it before ridge 0 trains.
    let mode = a.shard.mode()?;
    let (threads, train_set, test_set, out) = setup(&a.common, &cfg, Some(("--ridges", end - 1)), &mode)?;
    let bar = progress((ridges.len() * cfg.steps) as u64, "mnist-classes");
    let mut config = config_json(&a.common, &cfg, threads, &train_set, &test_set);
    config["ridges"] = json!(a.ridges);
    config["early"] = json!(a.early);
    let labels: Vec<String> = (0..10).map(|d| d.to_string()).collect();
    // Early: per-class accuracy averaged over the evaluations in the --early window;
    // late: over the last fifth of the run. NaN (null in the JSON) when no evaluation
    // falls in the window.
    let windows = |curve: &Curve| {
        let avg = |pick: &dyn Fn(usize) -> bool| -> Vec<f64> {
            let sel: Vec<&Vec<f64>> =
                curve.points.iter().zip(&curve.class_accuracy).filter(|(p, _)| pick(p.0)).map(|(_, c)| c).collect();
            (0..10).map(|k| sel.iter().map(|c| c[k]).sum::<f64>() / sel.len() as f64).collect()
        };
        (avg(&|s| (early_from..=early_to).contains(&s)), avg(&|s| s * 5 >= 4 * cfg.steps))
    };
    // Rows, per-ridge JSON and the early and late maps of the ridges finished so far; a
    // ridge still training is a grey (NaN) row, so row i stays ridge `first + i`.
    let summary = |finished: &[Option<Curve>]| {
        let (mut rows, mut per_ridge, mut early, mut late) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (r, curve) in ridges.iter().zip(finished) {
            let Some(curve) = curve else {
                early.push(vec![f64::NAN; 10]);
                late.push(vec![f64::NAN; 10]);
                continue;
            };
            let (e, l) = windows(curve);
            rows.push(Row::from_sample(format!("ridge={r}"), "rr", "test_accuracy", &[curve.final_test()]));
            per_ridge.push(
                json!({"ridge": r, "early_class_accuracy": e, "late_class_accuracy": l, "curve": curve_json(curve)}),
            );
            early.push(e);
            late.push(l);
        }
        (rows, per_ridge, early, late)
    };
    let train_ridge = |r: usize, on_eval: &mut dyn FnMut(usize)| {
        let mut cfg = cfg.clone();
        cfg.ridge = r;
        train(MnistMethod::RidgeRider, &cfg, &train_set, &test_set, on_eval)
            .map_err(|e| train_error("--ridges", &format!("ridge {r}"), e))
    };
    let write = |finished: &[Option<Curve>]| {
        let (rows, per_ridge, early, late) = summary(finished);
        let complete = finished.iter().all(Option::is_some);
        write_report(out.path(), "mnist_classes", config.clone(), &rows, json!({"per_ridge": per_ridge}), complete)?;
        let maps = vec![
            (format!("early (steps {early_from}–{early_to}): rows = first ridge index"), early),
            ("late (last fifth of the run)".to_string(), late),
        ];
        let fig = heatmaps("MNIST: per-class test accuracy by first ridge", &maps, &labels, "digit");
        write_svg(&out.join("mnist_classes.svg"), &stack(&[fig]))
    };
    let units = Units::new(out.path(), "mnist-classes", fingerprint(&config, json!({"early": a.early})));
    let key = |r: &usize| format!("ridge={r}");
    let Some(curves) = train_units(
        &mode,
        &ridges,
        &units,
        key,
        &bar,
        |&r, on_eval| train_ridge(r, on_eval),
        write,
        &a.common.run.out,
    )?
    else {
        return Ok(());
    };
    let (rows, _, early, _) = summary(&curves.into_iter().map(Some).collect::<Vec<_>>());
    bar.finish_and_clear();
    print_table(&rows);
    if early.iter().flatten().all(|a| a.is_nan()) {
        say!("digits learned first: no evaluation falls in steps {early_from}–{early_to} (--early)");
    } else {
        let firsts: Vec<String> =
            ridges.iter().zip(&early).map(|(r, e)| format!("ridge {r}: {}", best_classes(e, 3))).collect();
        say!("digits learned first (best test accuracy in steps {early_from}–{early_to}): {}", firsts.join("; "));
    }
    Ok(())
}

/// The `n` classes with the highest accuracy, best first, as "1 0 6"; a class without
/// test examples (NaN) comes last.
fn best_classes(accuracy: &[f64], n: usize) -> String {
    let key = |c: usize| if accuracy[c].is_nan() { f64::NEG_INFINITY } else { accuracy[c] };
    let mut order: Vec<usize> = (0..accuracy.len()).collect();
    order.sort_by(|&a, &b| key(b).total_cmp(&key(a)).then(a.cmp(&b)));
    order.iter().take(n).map(|c| c.to_string()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::best_classes;

    #[test]
    fn best_classes_lists_the_most_accurate_first_and_breaks_ties_by_digit() {
        assert_eq!(best_classes(&[0.5, 0.9, 0.7, 0.9], 3), "1 3 2");
        assert_eq!(best_classes(&[0.2, f64::NAN, 0.4], 3), "2 0 1");
    }
}
