//! The command-line interface (feature `cli`): one subcommand per job, each printing a
//! table on stdout and writing JSON under `--out`.
//!
//! Exit codes: 0 success, 1 a run-time failure, 2 bad input (one-line message), 130
//! interrupted with its work saved.

#[macro_use]
mod stdout;
mod bench_hvp;
mod cmnist;
mod common;
mod dice;
mod levers;
mod merge;
mod mnist;
mod outdir;
mod paper;
mod report;
mod search;
mod shard;
mod spectrum;
pub mod svg;
mod training;
mod tree;
mod validate;
mod values;
mod wave;

use clap::{Parser, Subcommand};
pub use common::CliError;

#[derive(Parser, Debug)]
#[command(name = "ridge-rider", version, about = "Ridge Rider: diverse minima by following Hessian eigenvectors")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the paper's experiments and write REPORT.md.
    Paper(paper::Args),
    /// Time loss, gradient, HVP and finite-difference HVP on the MNIST MLP.
    BenchHvp(bench_hvp::Args),
    /// Approximate RR trains an MLP on MNIST (paper Fig. 4).
    Mnist(mnist::Args),
    /// Per-class accuracy by first ridge index (paper Fig. 5).
    MnistClasses(mnist::ClassesArgs),
    /// Out-of-distribution generalisation on Colored MNIST (paper Table 1).
    Cmnist(cmnist::Args),
    /// Diverse solutions in the binary-tree RL problem (paper Fig. 2 and 3).
    Tree(tree::Args),
    /// The binary tree searched on sampled Hessians by DiCE (paper Sec. 4, Fig. 8).
    Dice(dice::Args),
    /// Zero-shot coordination in the lever game (paper Fig. 6).
    Levers(levers::Args),
    /// Gather the unit files of sharded runs (--shard K/N) into one run's results.
    Merge(merge::Args),
    /// One checkpointed RR search on a built-in problem (resumable).
    Search(search::Args),
    /// Extreme eigenpairs of a built-in problem's Hessian by Lanczos.
    Spectrum(spectrum::Args),
}

/// Parse arguments, run the command, return the process exit code.
pub fn run() -> i32 {
    common::quiet_panics();
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&argv) {
        Ok(c) => c,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return 0;
        }
        Err(e) => {
            eprintln!("{}", one_line(&e, &argv));
            return 2;
        }
    };
    match execute(cli.command) {
        Ok(()) => 0,
        Err(CliError::Interrupted(m)) => {
            eprintln!("{m}");
            130
        }
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}

/// clap's error as one line: its message, the accepted values when it lists them (a
/// bad value of a flag with a fixed set), and the usage of the command it is about.
fn one_line<T: AsRef<std::ffi::OsStr>>(e: &clap::Error, argv: &[T]) -> String {
    let text = e.render().to_string();
    let mut lines = text.lines().map(str::trim);
    let mut message = lines
        .find(|l| l.starts_with("error:"))
        .map_or_else(|| "error: a command is required".to_string(), str::to_string);
    if let Some(values) = lines.next().filter(|l| l.starts_with("[possible values:")) {
        message = format!("{message} {values}");
    }
    format!("{message} (usage: {}; --help lists every flag)", usage(argv))
}

/// `ridge-rider <command> [OPTIONS]` for the command named in `argv`, or the tool's.
fn usage<T: AsRef<std::ffi::OsStr>>(argv: &[T]) -> String {
    use clap::CommandFactory;
    let mut top = Cli::command();
    let named = argv.iter().skip(1).find_map(|a| top.find_subcommand(a.as_ref().to_str()?).cloned());
    let text = match named {
        Some(sub) => sub.clone().bin_name(format!("ridge-rider {}", sub.get_name())).render_usage().to_string(),
        None => top.render_usage().to_string(),
    };
    text.trim().trim_start_matches("Usage:").trim().to_string()
}

/// Run a command given as an argument vector (used by `paper`).
pub(crate) fn dispatch(argv: &[String]) -> Result<(), CliError> {
    let cli = Cli::try_parse_from(argv).map_err(|e| CliError::Input(one_line(&e, argv)))?;
    execute(cli.command)
}

/// Parse and validate an argument vector (`argv[0]` is the program name) without
/// running anything: what a command would refuse before starting work. The fuzz test
/// drives random flag vectors through this.
///
/// ```
/// use ridge_rider::cli::check_args;
/// assert!(check_args(["ridge-rider", "tree", "--depths", "4,6"]).is_ok());
/// assert_eq!(check_args(["ridge-rider", "tree", "--methods", "rr,rr"]).unwrap_err().exit_code(), 2);
/// assert_eq!(check_args(["ridge-rider", "tree", "--nope"]).unwrap_err().exit_code(), 2);
/// ```
pub fn check_args<I, T>(argv: I) -> Result<(), CliError>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString>,
{
    let argv: Vec<std::ffi::OsString> = argv.into_iter().map(Into::into).collect();
    let cli = Cli::try_parse_from(&argv).map_err(|e| CliError::Input(one_line(&e, &argv)))?;
    match &cli.command {
        Command::BenchHvp(a) => bench_hvp::validate(a),
        Command::Spectrum(a) => spectrum::validate(a),
        Command::Search(a) => search::validate(a),
        Command::Levers(a) => levers::validate(a),
        Command::Tree(a) => tree::validate(a),
        Command::Dice(a) => dice::validate(a),
        Command::Merge(a) => merge::validate(a),
        Command::Mnist(a) => mnist::validate(a),
        Command::MnistClasses(a) => mnist::validate_classes(a),
        Command::Cmnist(a) => cmnist::validate(a),
        Command::Paper(a) => paper::validate(a),
    }
}

fn execute(command: Command) -> Result<(), CliError> {
    match command {
        Command::BenchHvp(a) => bench_hvp::run(a),
        Command::Spectrum(a) => spectrum::run(a),
        Command::Search(a) => search::run(a),
        Command::Levers(a) => levers::run(a),
        Command::Tree(a) => tree::run(a),
        Command::Dice(a) => dice::run(a),
        Command::Merge(a) => merge::run(a),
        Command::Mnist(a) => mnist::run(a),
        Command::MnistClasses(a) => mnist::run_classes(a),
        Command::Cmnist(a) => cmnist::run(a),
        Command::Paper(a) => paper::run(a),
    }
}
