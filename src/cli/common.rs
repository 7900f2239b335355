//! What every command shares: errors and exit codes, thread caps, output files.

use super::validate::{require_count, MAX_THREADS};
use std::fmt;
use std::path::{Path, PathBuf};

/// The flags every experiment command takes (the project's conventions): a seed that
/// makes the run reproducible, a thread cap, and the directory that receives the results.
#[derive(clap::Args, Debug, Clone)]
pub struct RunFlags {
    /// Seed of every random choice; the same seed gives the same result at any --threads.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Thread cap, 1–256 (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output directory: receives <command>.json and, where the paper has a figure, <command>.svg.
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
}

impl RunFlags {
    /// `--out` as the JSON records it (lossy for a non-UTF-8 name, which JSON cannot hold).
    pub fn out_text(&self) -> String {
        self.out.to_string_lossy().into_owned()
    }
}

/// A command's failure: bad input (exit 2), a run-time problem (exit 1), or an
/// interruption that saved its work (exit 130).
#[derive(Debug)]
pub enum CliError {
    Input(String),
    Runtime(String),
    Interrupted(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Input(_) => 2,
            CliError::Runtime(_) => 1,
            CliError::Interrupted(_) => 130,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Input(m) | CliError::Runtime(m) | CliError::Interrupted(m) => write!(f, "{m}"),
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

/// Independent runs going side by side get one gemm thread each, so that the cores are
/// not shared by two levels of threads (on 2 cores, RR beside Fixed-EV with 2 gemm
/// threads each ran at half its speed alone). Call before the first gemm: matrixmultiply
/// reads the setting once.
pub fn one_gemm_thread_per_run(runs_at_once: usize) {
    if runs_at_once > 1 && rayon::current_num_threads() > 1 {
        std::env::set_var("MATMUL_NUM_THREADS", "1");
    }
}

/// Bad input unless `--threads` is absent or within 1..=[`MAX_THREADS`].
pub fn check_threads(threads: Option<usize>) -> Result<(), CliError> {
    threads.map_or(Ok(()), |n| require_count("--threads", n, 1, MAX_THREADS))
}

/// Cap parallelism: rayon's pool and matrixmultiply's gemm threads. Call before any work.
pub fn set_threads(threads: Option<usize>) -> Result<usize, CliError> {
    check_threads(threads)?;
    let n = threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    std::env::set_var("MATMUL_NUM_THREADS", n.to_string());
    let _ = rayon::ThreadPoolBuilder::new().num_threads(n).build_global();
    Ok(n)
}

/// The error for a file that could not be written: a full disk or a missing
/// permission is the environment's, so it is a run-time failure saying what to change.
pub fn write_error(path: &Path, e: &std::io::Error) -> CliError {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    CliError::Runtime(format!(
        "cannot write {}: {e}; free space in {} or choose another --out (the previous file, if any, is unchanged)",
        path.display(),
        dir.display()
    ))
}

/// Write `bytes` atomically (see [`crate::io::write_atomic`]).
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    crate::io::write_atomic(path, bytes).map_err(|e| write_error(path, &e))
}

/// Write pretty JSON atomically.
pub fn write_json(path: &Path, value: &serde_json::Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError::Runtime(e.to_string()))?;
    write_file(path, text.as_bytes())
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
    activation: crate::problems::mnist::mlp::Activation,
) -> Result<crate::problems::mnist::mlp::MlpLoss, CliError> {
    let all = crate::problems::data::mnist::embedded_all();
    require_count("--batch", batch, 1, all.len())?;
    require_count("--hidden", hidden, 1, super::validate::MAX_HIDDEN)?;
    let d = all.slice(0..batch);
    let mlp = crate::problems::mnist::mlp::Mlp::mnist(hidden, activation);
    crate::problems::mnist::mlp::MlpLoss::new(mlp, d.x, d.labels).map_err(|e| CliError::Input(e.to_string()))
}

/// A path (not `--out`) a command will write at the end: its directory must exist, so
/// that a typo fails before the work, not after it.
pub fn check_output_file(flag: &str, path: &Path) -> Result<(), CliError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(CliError::Input(format!("{flag} {}: no directory {}", path.display(), dir.display())));
    }
    if path.is_dir() {
        return Err(CliError::Input(format!("{flag} {}: is a directory", path.display())));
    }
    Ok(())
}
