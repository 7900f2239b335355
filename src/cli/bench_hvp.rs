//! `ridge-rider bench-hvp`: loss, gradient, forward-over-reverse HVP (fresh, and
//! replayed on a recording at θ) and finite-difference HVP on the MNIST MLP
//! (784-128-10, tanh, f64), medians.

use super::common::{median, mnist_batch, require_positive, set_threads, write_json, CliError, CliResult};
use crate::ad::check::{finite_difference_hvp, relative_error};
use crate::ad::{gradient, hessian_vector_product, value, HessianAt};
use crate::problems::mlp::Activation;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Examples per batch (the first N embedded MNIST digits).
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
    /// Thread cap (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Seed of the parameters and direction.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Write the figures as JSON here.
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

pub fn run(a: Args) -> CliResult {
    let threads = set_threads(a.threads)?;
    require_positive(&[("--runs", a.runs)])?;
    if !(a.fd_step > 0.0 && a.fd_step.is_finite()) {
        return Err(CliError::Input("--fd-step must be a positive number".into()));
    }
    let loss = mnist_batch(a.batch, a.hidden, Activation::Tanh)?;
    let theta = loss.mlp.init_standard(a.seed);
    let v = crate::rng::unit_vector(&mut crate::rng::seeded(a.seed, 1), theta.len());
    let rt = |e: crate::ad::AdError| CliError::Runtime(e.to_string());
    let loss_ms = time_ms(a.runs, || drop(value(&loss, &theta)));
    let grad_ms = time_ms(a.runs, || drop(gradient(&loss, &theta)));
    let hvp_ms = time_ms(a.runs, || drop(hessian_vector_product(&loss, &theta, &v)));
    let recorded = HessianAt::new(&loss, &theta).map_err(rt)?;
    let recorded_ms = time_ms(a.runs, || drop(recorded.hessian_vector_product(&v)));
    let fd_hvp_ms = time_ms(a.runs, || drop(finite_difference_hvp(&loss, &theta, &v, a.fd_step)));
    let exact = hessian_vector_product(&loss, &theta, &v).map_err(rt)?.hv;
    let fd = finite_difference_hvp(&loss, &theta, &v, a.fd_step).map_err(rt)?;
    let fd_rel_error = relative_error(&fd, &exact);
    println!("MLP 784-{}-10 tanh f64, batch {}, {} threads, median of {} runs", a.hidden, a.batch, threads, a.runs);
    println!("{:<28} {:>10}", "operation", "ms");
    for (name, ms) in [
        ("loss", loss_ms),
        ("gradient", grad_ms),
        ("HVP (forward-over-reverse)", hvp_ms),
        ("HVP (recorded at θ)", recorded_ms),
        ("HVP (central differences)", fd_hvp_ms),
    ] {
        println!("{name:<28} {ms:>10.2}");
    }
    println!("HVP / gradient      {:.2}", hvp_ms / grad_ms);
    println!("recorded HVP / grad {:.2}", recorded_ms / grad_ms);
    println!("gradient / loss     {:.2}", grad_ms / loss_ms);
    println!("HVP / FD HVP        {:.2}", hvp_ms / fd_hvp_ms);
    println!("FD relative error   {fd_rel_error:.2e} (step {})", a.fd_step);
    if let Some(path) = a.json {
        let j = serde_json::json!({
            "batch": a.batch, "hidden": a.hidden, "runs": a.runs, "threads": threads,
            "loss_ms": loss_ms, "grad_ms": grad_ms, "hvp_ms": hvp_ms, "fd_hvp_ms": fd_hvp_ms,
            "recorded_hvp_ms": recorded_ms, "hvp_over_grad": hvp_ms / grad_ms,
            "recorded_hvp_over_grad": recorded_ms / grad_ms, "grad_over_loss": grad_ms / loss_ms,
            "hvp_over_fd": hvp_ms / fd_hvp_ms, "fd_rel_error": fd_rel_error, "fd_step": a.fd_step,
        });
        write_json(&path, &j)?;
    }
    Ok(())
}
