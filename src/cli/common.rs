//! What every command shares: errors and exit codes, thread caps, output files.

use std::fmt;
use std::path::{Path, PathBuf};

/// The flags every experiment command takes (the project's conventions): a seed that
/// makes the run reproducible, a thread cap, and the directory that receives the results.
#[derive(clap::Args, Debug, Clone)]
pub struct RunFlags {
    /// Seed of every random choice; the same seed gives the same result at any --threads.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Thread cap (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output directory: receives <command>.json and, where the paper has a figure, <command>.svg.
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
}

/// A command's failure: bad input (exit 2) or a run-time problem (exit 1).
#[derive(Debug)]
pub enum CliError {
    Input(String),
    Runtime(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Input(_) => 2,
            CliError::Runtime(_) => 1,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Input(m) | CliError::Runtime(m) => write!(f, "{m}"),
        }
    }
}

pub type CliResult = Result<(), CliError>;

/// A panic is a bug: print one line, no backtrace.
pub fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        eprintln!("internal error (please report): {msg}");
    }));
}

/// Bad input unless every named count is at least 1.
pub fn require_positive(counts: &[(&str, usize)]) -> Result<(), CliError> {
    match counts.iter().find(|(_, v)| *v == 0) {
        Some((name, _)) => Err(CliError::Input(format!("{name} must be at least 1"))),
        None => Ok(()),
    }
}

/// Bad input unless every named value is a finite number ≥ 0.
pub fn require_non_negative(values: &[(&str, f64)]) -> Result<(), CliError> {
    match values.iter().find(|(_, v)| !(v.is_finite() && *v >= 0.0)) {
        Some((name, _)) => Err(CliError::Input(format!("{name} must be a non-negative number"))),
        None => Ok(()),
    }
}

/// Independent runs going side by side get one gemm thread each, so that the cores are
/// not shared by two levels of threads (on 2 cores, RR beside Fixed-EV with 2 gemm
/// threads each ran at half its speed alone). Call before the first gemm: matrixmultiply
/// reads the setting once.
pub fn one_gemm_thread_per_run(runs_at_once: usize) {
    if runs_at_once > 1 && rayon::current_num_threads() > 1 {
        std::env::set_var("MATMUL_NUM_THREADS", "1");
    }
}

/// Cap parallelism: rayon's pool and matrixmultiply's gemm threads. Call before any work.
pub fn set_threads(threads: Option<usize>) -> Result<usize, CliError> {
    let n = match threads {
        Some(0) => return Err(CliError::Input("--threads must be at least 1".into())),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    std::env::set_var("MATMUL_NUM_THREADS", n.to_string());
    let _ = rayon::ThreadPoolBuilder::new().num_threads(n).build_global();
    Ok(n)
}

/// Create `dir` (and parents), checking it is writable.
pub fn prepare_out_dir(dir: &Path) -> Result<PathBuf, CliError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| CliError::Input(format!("cannot create output directory {}: {e}", dir.display())))?;
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"")
        .map_err(|e| CliError::Input(format!("output directory {} is not writable: {e}", dir.display())))?;
    let _ = std::fs::remove_file(probe);
    Ok(dir.to_path_buf())
}

/// Write pretty JSON atomically.
pub fn write_json(path: &Path, value: &serde_json::Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError::Runtime(e.to_string()))?;
    crate::io::write_atomic(path, text.as_bytes())
        .map_err(|e| CliError::Input(format!("cannot write {}: {e}", path.display())))
}

/// Median of a sample (sorted copy).
pub fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    }
}

/// The first `batch` examples of the embedded MNIST, as an MLP loss.
pub fn mnist_batch(
    batch: usize,
    hidden: usize,
    activation: crate::problems::mlp::Activation,
) -> Result<crate::problems::mlp::MlpLoss, CliError> {
    let all = crate::problems::mnist::embedded_all();
    if batch == 0 || batch > all.len() {
        return Err(CliError::Input(format!("--batch must be between 1 and {}", all.len())));
    }
    if hidden == 0 {
        return Err(CliError::Input("--hidden must be at least 1".into()));
    }
    let d = all.slice(0..batch);
    let mlp = crate::problems::mlp::Mlp::mnist(hidden, activation);
    crate::problems::mlp::MlpLoss::new(mlp, d.x, d.labels).map_err(|e| CliError::Input(e.to_string()))
}
