//! How much invariance the training environments of Colored MNIST reveal through first
//! moments, without any network: the diagnosis behind the README's Table 1 row.
//!
//! At a network's saddle the Hessians of the RR extension see the data only through
//! d_ξ = E_ξ[(½ − y)·x], so an invariant direction is one along which d₁ and d₂ agree.
//! In the population, d₁ − d₂ is the colour alone (the digits' link to the label is the
//! same in ξ₁ and ξ₂), so removing it from the mean template leaves the digit shape.
//! This example does that with sample moments and scores the resulting linear template
//! on the test environment ξ₃, beside the raw template (the colour) and an oracle that
//! sums the two colour channels (the digit shape by construction, which no method may
//! assume). It runs on the embedded split (4,000 digits per environment) and, as a
//! diagnosis only, with each digit reused six times under fresh label and colour noise
//! (25,000 per environment, the paper's size, though the digits repeat).
//!
//! `cargo run --release --example cmnist_first_moments`

use ridge_rider::problems::data::colored_mnist::{environments, EnvSizes, Environment, INPUTS};
use ridge_rider::problems::data::mnist::{embedded_all, Dataset};

/// d = E[(½ − y)·x] over an environment.
fn label_moment(e: &Environment) -> Vec<f64> {
    let mut d = vec![0.0; INPUTS];
    for (row, y) in e.x.chunks(INPUTS).zip(&e.y) {
        let w = (0.5 - y) / e.len() as f64;
        d.iter_mut().zip(row).for_each(|(d, x)| *d += w * x);
    }
    d
}

/// Accuracy of the linear template w (large wᵀx predicts y = 0), thresholded at the
/// median score, since both labels are about equally frequent.
fn accuracy(w: &[f64], e: &Environment) -> f64 {
    let scores: Vec<f64> = e.x.chunks(INPUTS).map(|x| -x.iter().zip(w).map(|(x, w)| x * w).sum::<f64>()).collect();
    let mut sorted = scores.clone();
    sorted.sort_by(f64::total_cmp);
    let threshold = sorted[sorted.len() / 2];
    let right = scores.iter().zip(&e.y).filter(|(s, y)| (**s > threshold) == (**y > 0.5)).count();
    right as f64 / e.len() as f64
}

fn report(source: &Dataset, per_env: usize, label: &str) {
    println!("{label}: {per_env} digits per training environment, 2000 in the test one");
    println!("{:>6} {:>22} {:>22} {:>22}", "seed", "mean template", "difference removed", "channels summed");
    for seed in 0..4 {
        let envs = environments(source, EnvSizes([per_env, per_env, 2000]), seed).expect("enough digits");
        let (d1, d2) = (label_moment(&envs[0]), label_moment(&envs[1]));
        let mean: Vec<f64> = d1.iter().zip(&d2).map(|(a, b)| 0.5 * (a + b)).collect();
        let diff: Vec<f64> = d1.iter().zip(&d2).map(|(a, b)| a - b).collect();
        let c = mean.iter().zip(&diff).map(|(a, b)| a * b).sum::<f64>() / diff.iter().map(|b| b * b).sum::<f64>();
        let invariant: Vec<f64> = mean.iter().zip(&diff).map(|(a, b)| a - c * b).collect();
        let plane = INPUTS / 2;
        let summed: Vec<f64> = (0..INPUTS).map(|k| 0.5 * (mean[k % plane] + mean[plane + k % plane])).collect();
        let cell = |w: &[f64]| format!("{:.1}% / {:.1}%", 100.0 * accuracy(w, &envs[0]), 100.0 * accuracy(w, &envs[2]));
        println!("{seed:>6} {:>22} {:>22} {:>22}", cell(&mean), cell(&invariant), cell(&summed));
    }
    println!("(train ξ₁ / test ξ₃ accuracy)\n");
}

fn main() {
    let digits = embedded_all();
    report(&digits, 4000, "Embedded split");
    let mut reused = digits.clone();
    for _ in 1..6 {
        reused.x.extend_from_slice(&digits.x);
        reused.labels.extend_from_slice(&digits.labels);
    }
    report(&reused, 25000, "Digits reused six times with fresh noise (diagnosis only)");
}
