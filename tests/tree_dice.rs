//! The DiCE estimate of the tree's loss against the exact loss: over many seeded
//! batches at a random θ, the mean value, gradient and HVP agree with the exact ones
//! coordinate by coordinate (within 4 standard errors of the mean), and the error of
//! one batch shrinks like 1/√B; for the tabular policy and the MLP policy, with each
//! baseline.

use ridge_rider::ad::{hessian_vector_product, HessianAt, Loss};
use ridge_rider::problems::tree::dice::{Baseline, DiceError, DiceLoss, DiceParams, MAX_EPISODES};
use ridge_rider::problems::tree::policy::{ExactLoss, Policy, MAX_HIDDEN};
use ridge_rider::problems::tree::{Tree, TreeError};
use ridge_rider::rng::{normal_vec, seeded, unit_vector};

/// A random point and direction for `loss` (N(0, 1) parameters, a unit direction).
fn point_and_direction(loss: &impl Loss, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = seeded(seed, 99);
    (normal_vec(&mut rng, loss.dim(), 1.0), unit_vector(&mut rng, loss.dim()))
}

/// Value, gradient and H·v in one vector.
fn derivatives(loss: &impl Loss, theta: &[f64], v: &[f64]) -> Vec<f64> {
    let h = hessian_vector_product(loss, theta, v).unwrap();
    std::iter::once(h.value).chain(h.gradient).chain(h.hv).collect()
}

/// The DiCE derivatives of `batches` batches of `episodes` each, seeds `first..`.
fn dice_samples(
    tree: &Tree,
    policy: Policy,
    theta: &[f64],
    v: &[f64],
    params: DiceParams,
    batches: u64,
) -> Vec<Vec<f64>> {
    (0..batches)
        .map(|k| {
            let batch = DiceLoss::sample(tree, policy, theta, &DiceParams { seed: params.seed + k, ..params }).unwrap();
            derivatives(&batch, theta, v)
        })
        .collect()
}

fn mean_and_sd(xs: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let n = xs.clone().count() as f64;
    let mean = xs.clone().sum::<f64>() / n;
    let var = xs.map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// Every coordinate's mean over the samples is within 4 standard errors of `exact`
/// (a false alarm has probability about 6e-5 per coordinate); returns the largest
/// |z|. Coordinate 0 is the value, then the gradient, then H·v; a failure names every
/// coordinate outside.
fn assert_unbiased(what: &str, samples: &[Vec<f64>], exact: &[f64]) -> f64 {
    let k = samples.len() as f64;
    let n = (exact.len() - 1) / 2;
    let name = |i: usize| match i {
        0 => "value".to_string(),
        i if i <= n => format!("gradient[{}]", i - 1),
        i => format!("hvp[{}]", i - 1 - n),
    };
    let mut worst = 0.0f64;
    let mut outside = Vec::new();
    for (i, &want) in exact.iter().enumerate() {
        let (mean, sd) = mean_and_sd(samples.iter().map(|s| s[i]));
        let (diff, se) = ((mean - want).abs(), sd / k.sqrt());
        let z = if diff == 0.0 { 0.0 } else { diff / se }; // ∞ when a nonzero error has no spread
        if z > 4.0 {
            outside.push(format!("{}: mean {mean:.4} vs exact {want:.4} ({z:.1} se)", name(i)));
        }
        worst = worst.max(z);
    }
    assert!(
        outside.is_empty(),
        "{what}: {} of {} coordinates outside 4 se: {}",
        outside.len(),
        exact.len(),
        outside.join("; ")
    );
    worst
}

/// The mean squared error ‖x − exact‖² over the samples and its relative standard error.
fn mean_squared_error(samples: &[Vec<f64>], exact: &[f64]) -> (f64, f64) {
    let errors = samples.iter().map(|s| s.iter().zip(exact).map(|(a, b)| (a - b).powi(2)).sum::<f64>());
    let (mse, sd) = mean_and_sd(errors);
    (mse, sd / (mse * (samples.len() as f64).sqrt()))
}

/// The batch error's RMS at B over that at 16B, which should be √16 = 4 when the
/// estimator is unbiased (an average of B independent terms: MSE = tr Σ / B). The
/// tolerance is 4 standard errors of the measured ratio, by the delta method from
/// each MSE's own relative standard error (SE(ratio)/ratio = ½√(r_B² + r_16B²)); the
/// test also requires that standard error to be below 0.25, so that a ratio of 2 (or
/// the ratio near 1 of an error dominated by bias) lies far outside the band.
fn assert_error_shrinks_like_root_b(what: &str, small: &[Vec<f64>], large: &[Vec<f64>], exact: &[f64]) -> (f64, f64) {
    let (mse_small, rse_small) = mean_squared_error(small, exact);
    let (mse_large, rse_large) = mean_squared_error(large, exact);
    let ratio = (mse_small / mse_large).sqrt();
    let se = ratio * 0.5 * (rse_small.powi(2) + rse_large.powi(2)).sqrt();
    assert!(se < 0.25, "{what}: the ratio's standard error {se} is too large to test it");
    assert!((ratio - 4.0).abs() <= 4.0 * se, "{what}: RMS error ratio B/16B = {ratio} ± {se}, expected 4");
    (ratio, se)
}

#[test]
fn tabular_dice_is_unbiased_with_each_baseline_and_its_error_shrinks_like_root_b() {
    let tree = Tree::generate(6, 0).unwrap();
    let exact_loss = ExactLoss::new(&tree, Policy::Tabular).unwrap();
    let (theta, v) = point_and_direction(&exact_loss, 1);
    let exact = derivatives(&exact_loss, &theta, &v);
    let batches = 1000;
    for (baseline, seed) in [(Baseline::None, 0), (Baseline::Constant(2.0), 1 << 20), (Baseline::LeaveOneOut, 2 << 20)]
    {
        let what = format!("{baseline:?}");
        let small = DiceParams { episodes: 16, baseline, seed };
        let small_samples = dice_samples(&tree, Policy::Tabular, &theta, &v, small, batches);
        let z_small = assert_unbiased(&what, &small_samples, &exact);
        let large = DiceParams { episodes: 256, seed: seed + batches, ..small };
        let large_samples = dice_samples(&tree, Policy::Tabular, &theta, &v, large, batches);
        let z_large = assert_unbiased(&what, &large_samples, &exact);
        eprint!("{what}: {} params, worst |z| {z_small:.2} (B = 16), {z_large:.2} (B = 256)", tree.params());
        // Leave-one-out terms are not independent across a batch (each bᵦ reads the
        // others' returns): its MSE is (A + C/(B − 1))/B, so the ratio is only near 4.
        if baseline != Baseline::LeaveOneOut {
            let (ratio, se) = assert_error_shrinks_like_root_b(&what, &small_samples, &large_samples, &exact);
            eprint!(", RMS error ratio {ratio:.3} ± {se:.3}");
        }
        eprintln!();
    }
}

#[test]
fn mlp_dice_is_unbiased_and_its_error_shrinks_like_root_b() {
    let tree = Tree::generate(5, 1).unwrap();
    let policy = Policy::Mlp { hidden: 3 };
    let exact_loss = ExactLoss::new(&tree, policy).unwrap();
    let (theta, v) = point_and_direction(&exact_loss, 2);
    let exact = derivatives(&exact_loss, &theta, &v);
    let batches = 600;
    let small = DiceParams { episodes: 16, baseline: Baseline::None, seed: 7 };
    let small_samples = dice_samples(&tree, policy, &theta, &v, small, batches);
    let z = assert_unbiased("mlp", &small_samples, &exact);
    let large = DiceParams { episodes: 256, seed: 7 + batches, ..small };
    let large_samples = dice_samples(&tree, policy, &theta, &v, large, batches);
    let (ratio, se) = assert_error_shrinks_like_root_b("mlp", &small_samples, &large_samples, &exact);
    eprintln!("mlp: {} params, worst |z| {z:.2}, RMS error ratio {ratio:.3} ± {se:.3}", exact_loss.dim());
    let loo = DiceParams { baseline: Baseline::LeaveOneOut, seed: 1 << 20, ..small };
    let z = assert_unbiased("mlp leave-one-out", &dice_samples(&tree, policy, &theta, &v, loo, batches), &exact);
    eprintln!("mlp leave-one-out: worst |z| {z:.2}");
}

/// One batch through every mode: the recording at θ replays the fresh HVPs, and the
/// baseline changes the derivatives but not the value.
#[test]
fn one_batch_in_every_mode() {
    let tree = Tree::generate(6, 4).unwrap();
    for policy in [Policy::Tabular, Policy::Mlp { hidden: 4 }] {
        let exact = ExactLoss::new(&tree, policy).unwrap();
        let (theta, v) = point_and_direction(&exact, 3);
        let plain = DiceParams { episodes: 64, baseline: Baseline::None, seed: 5 };
        let batch = DiceLoss::sample(&tree, policy, &theta, &plain).unwrap();
        let fresh = hessian_vector_product(&batch, &theta, &v).unwrap();
        let at = HessianAt::new(&batch, &theta).unwrap();
        assert_eq!(at.value(), fresh.value);
        let replayed = at.hessian_vector_product(&v).unwrap();
        assert!(replayed.iter().zip(&fresh.hv).all(|(a, b)| (a - b).abs() <= 1e-12 * (1.0 + b.abs())));
        let loo = DiceLoss::sample(&tree, policy, &theta, &DiceParams { baseline: Baseline::LeaveOneOut, ..plain });
        let with = hessian_vector_product(&loo.unwrap(), &theta, &v).unwrap();
        assert_eq!(with.value, fresh.value);
        assert_ne!(with.gradient, fresh.gradient);
    }
}

#[test]
fn bad_input_is_a_typed_error() {
    let tree = Tree::generate(4, 0).unwrap();
    let theta = vec![0.0; tree.params()];
    let sample = |policy, theta: &[f64], episodes, baseline| {
        DiceLoss::sample(&tree, policy, theta, &DiceParams { episodes, baseline, seed: 0 }).map(|_| ())
    };
    assert_eq!(sample(Policy::Tabular, &theta, 0, Baseline::None), Err(DiceError::Episodes { episodes: 0 }));
    let too_many = MAX_EPISODES + 1;
    assert_eq!(
        sample(Policy::Tabular, &theta, too_many, Baseline::None),
        Err(DiceError::Episodes { episodes: too_many })
    );
    assert_eq!(sample(Policy::Tabular, &theta, 1, Baseline::LeaveOneOut), Err(DiceError::LeaveOneOut { episodes: 1 }));
    let nan = sample(Policy::Tabular, &theta, 4, Baseline::Constant(f64::NAN));
    assert!(matches!(nan, Err(DiceError::Baseline { value }) if value.is_nan()));
    assert!(matches!(sample(Policy::Tabular, &[0.0], 4, Baseline::None), Err(DiceError::Theta(_))));
    let mut inf = theta.clone();
    inf[0] = f64::INFINITY;
    assert!(matches!(sample(Policy::Tabular, &inf, 4, Baseline::None), Err(DiceError::Theta(_))));
    let wide = Policy::Mlp { hidden: MAX_HIDDEN + 1 };
    let err = sample(wide, &theta, 4, Baseline::None).unwrap_err();
    assert_eq!(err, DiceError::Policy(TreeError::Hidden { hidden: MAX_HIDDEN + 1 }));
    assert!(std::error::Error::source(&err).is_some());
    assert!(ExactLoss::new(&tree, Policy::Mlp { hidden: 0 }).is_err());
}
