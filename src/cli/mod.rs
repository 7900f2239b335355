//! The command-line interface (feature `cli`): one subcommand per job, each printing a
//! table on stdout and writing JSON under `--out`.
//!
//! Exit codes: 0 success, 1 a run-time failure, 2 bad input (one-line message).

mod bench_hvp;
mod cmnist;
mod common;
mod levers;
mod mnist;
mod paper;
mod report;
mod search;
mod spectrum;
mod svg;
mod tree;

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
    /// Zero-shot coordination in the lever game (paper Fig. 6).
    Levers(levers::Args),
    /// One checkpointed RR search on a built-in problem (resumable).
    Search(search::Args),
    /// Extreme eigenpairs of a built-in problem's Hessian by Lanczos.
    Spectrum(spectrum::Args),
}

/// Parse arguments, run the command, return the process exit code.
pub fn run() -> i32 {
    common::quiet_panics();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match execute(cli.command) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}

/// Run a command given as an argument vector (used by `paper`).
pub(crate) fn dispatch(argv: &[String]) -> Result<(), CliError> {
    let cli = Cli::try_parse_from(argv).map_err(|e| CliError::Input(e.to_string()))?;
    execute(cli.command)
}

fn execute(command: Command) -> Result<(), CliError> {
    match command {
        Command::BenchHvp(a) => bench_hvp::run(a),
        Command::Spectrum(a) => spectrum::run(a),
        Command::Search(a) => search::run(a),
        Command::Levers(a) => levers::run(a),
        Command::Tree(a) => tree::run(a),
        Command::Mnist(a) => mnist::run(a),
        Command::MnistClasses(a) => mnist::run_classes(a),
        Command::Cmnist(a) => cmnist::run(a),
        Command::Paper(a) => paper::run(a),
    }
}
